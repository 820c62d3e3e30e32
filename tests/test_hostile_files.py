"""Hostile and damaged files (issue 15, items 1, 3, 4 and the file half of 6).

Memory bounds are measured, not assumed: the loading runs in a child process whose address space is
capped (``RLIMIT_AS``, see ``hostile.run_limited``), so code that decompressed or allocated what a
forged file asks for would die there with MemoryError instead of giving the clear error checked here.
"""
from __future__ import annotations

import json
import multiprocessing
import shutil
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import nnedu
from nnedu._atomic import FILE_MODE
from hostile import ROOT, gzip_bomb, linux_only, npy_member, rewrite_checkpoint, run_limited
from nnedu.data import IDXFormatError, MNIST, parse_idx, read_idx
from nnedu.models import MLP
from nnedu.optim import SGD
from nnedu.optim.lr_scheduler import StepLR
from nnedu.serialization import CheckpointError, load_checkpoint

SMALL = (784, 16, 10)


@pytest.fixture
def checkpoint(tmp_path) -> Path:
    model = MLP(sizes=SMALL, rng=0)
    opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
    for p in model.parameters():
        p.grad[...] = 0.01
    opt.step()
    path = tmp_path / "good.npz"
    nnedu.save(model, path, optimizer=opt, scheduler=StepLR(opt, step_size=2),
               extra={"dataset": "mnist", "input_mean": 0.13, "input_std": 0.31})
    return path


def _with_forged_weight(checkpoint: Path, path: Path, shape: tuple[int, ...], **member: Any) -> Path:
    """A copy of ``checkpoint`` at ``path`` whose ``model/fc1.weight`` member is forged (``npy_member`` options)."""
    with np.load(checkpoint, allow_pickle=False) as z, zipfile.ZipFile(path, "w") as out:
        for name in z.files:
            if name != "model/fc1.weight":
                npy_member(out, name, z[name].shape, z[name].dtype.str, z[name].tobytes())
        npy_member(out, "model/fc1.weight", shape, **member)
    return path


# -- item 1: memory bombs --------------------------------------------------------------------------------
@linux_only
def test_gzip_bomb_in_the_data_cache_is_refused_within_the_memory_limit(tmp_path):
    """A 1 MB ``.gz`` that inflates to 1 GiB: only the file's expected size (7.8 MB) is ever decompressed."""
    folder = tmp_path / "mnist"
    folder.mkdir()
    gzip_bomb(folder / "t10k-images-idx3-ubyte.gz", 1024, head=bytes([0, 0, 8, 3, 0, 0, 0x27, 0x10, 0, 0, 0, 28,
                                                                     0, 0, 0, 28]))
    assert (folder / "t10k-images-idx3-ubyte.gz").stat().st_size < 2 << 20
    result = run_limited(f"""
        from nnedu.data import load_mnist
        load_mnist("test", data_dir={str(tmp_path)!r}, download=False)
        result = "loaded"
    """)
    assert result["error"] == "IDXFormatError", result
    assert "t10k-images-idx3-ubyte.gz: expected at most 7,840,016 bytes of IDX data" in result["message"]


@linux_only
def test_gzip_bomb_given_to_read_idx_is_refused_within_the_memory_limit(tmp_path):
    bomb = gzip_bomb(tmp_path / "bomb.idx.gz", 1024, head=bytes([0, 0, 8, 1, 0x40, 0, 0, 0]))
    result = run_limited(f"""
        from nnedu.data import read_idx
        read_idx({str(bomb)!r}, max_bytes=20 << 20)
        result = "loaded"
    """)
    assert result["error"] == "IDXFormatError" and "at most 20,971,520 bytes" in result["message"], result


@linux_only
def test_checkpoint_zip_bomb_is_refused_before_decompressing(tmp_path, checkpoint):
    """A 1 MB checkpoint whose deflated weight member inflates to 256 MiB."""
    bomb = _with_forged_weight(checkpoint, tmp_path / "bomb.npz", (2 ** 26,), deflate=True)
    assert bomb.stat().st_size < 4 << 20
    result = run_limited(f"""
        from nnedu.serialization import load_checkpoint
        load_checkpoint({str(bomb)!r})
        result = "loaded"
    """)
    assert result["error"] == "CheckpointError", result
    assert "its members claim to hold more bytes than the file has" in result["message"]


@linux_only
def test_unused_extra_member_is_refused_within_the_memory_limit(tmp_path, checkpoint):
    """A member the metadata never mentions (here 256 MiB deflated to 1 MB) is refused, not read."""
    bomb = tmp_path / "extra.npz"
    shutil.copy(checkpoint, bomb)
    with zipfile.ZipFile(bomb, "a") as out:
        npy_member(out, "padding", (2 ** 26,), deflate=True)
    result = run_limited(f"""
        from nnedu.serialization import load_checkpoint
        load_checkpoint({str(bomb)!r})
        result = "loaded"
    """)
    assert result["error"] == "CheckpointError", result
    assert "its members claim to hold more bytes than the file has" in result["message"]
    small = tmp_path / "small-extra.npz"  # an uncompressed unused member is refused too, by name
    shutil.copy(checkpoint, small)
    with zipfile.ZipFile(small, "a") as out:
        npy_member(out, "padding", (1000,))
    with pytest.raises(CheckpointError, match=r"arrays its metadata does not use: \['padding'\]"):
        load_checkpoint(small)


@linux_only
def test_array_declared_as_terabytes_is_refused_without_allocating(tmp_path, checkpoint):
    forged = _with_forged_weight(checkpoint, tmp_path / "tera.npz", (2 ** 40,), data=bytes(64))
    result = run_limited(f"""
        from nnedu.serialization import load_checkpoint
        load_checkpoint({str(forged)!r})
        result = "loaded"
    """)
    assert result["error"] == "CheckpointError", result
    assert "declares shape (1099511627776,)" in result["message"] and "holds 64 bytes" in result["message"]


@linux_only
def test_forged_architecture_config_is_refused_before_building(tmp_path, checkpoint):
    """The small file says "MLP of widths 784, 200000, 200000, 10": building it would take 160 GB."""
    def inflate(meta):
        meta["config"]["kwargs"]["sizes"] = [784, 200_000, 200_000, 10]
    forged = rewrite_checkpoint(checkpoint, tmp_path / "wide.npz", meta=inflate)
    result = run_limited(f"""
        from nnedu.serialization import load_checkpoint
        load_checkpoint({str(forged)!r})
        result = "loaded"
    """)
    assert result["error"] == "CheckpointError", result
    assert "describes 40,159,200,010 parameters, but the file stores 12,730 values" in result["message"]


# -- item 3: concurrent saves ---------------------------------------------------------------------------
def _save_repeatedly(path: str, seed: int, times: int) -> int:
    failures = 0
    model = MLP(sizes=SMALL, rng=seed)
    for _ in range(times):
        try:
            nnedu.save(model, path, extra={"seed": seed})
        except Exception:
            failures += 1
    return failures


def test_concurrent_saves_to_one_path_all_succeed_and_leave_a_whole_file(tmp_path):
    path = tmp_path / "shared.npz"
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(6) as pool:
        failures = pool.starmap(_save_repeatedly, [(str(path), seed, 8) for seed in range(6)])
    assert failures == [0] * 6
    ckpt = load_checkpoint(path)  # whole: every CRC checks, and the weights are those of one writer
    seed = ckpt.extra["seed"]
    expected = MLP(sizes=SMALL, rng=seed)
    for (name, a), (_, b) in zip(ckpt.model.state_dict().items(), expected.state_dict().items()):
        np.testing.assert_array_equal(a, b, err_msg=name)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shared.npz"]  # no temporary file left
    assert path.stat().st_mode & 0o777 == FILE_MODE  # as open() would make it, not private like a temp file


# -- item 4: checkpoint values are validated ------------------------------------------------------------
def test_nan_weights_are_refused(tmp_path, checkpoint):
    with np.load(checkpoint) as z:
        w = z["model/fc2.weight"].copy()
    w[0, 0] = np.nan
    bad = rewrite_checkpoint(checkpoint, tmp_path / "nan.npz", arrays={"model/fc2.weight": w})
    with pytest.raises(CheckpointError, match=r"parameter 'fc2.weight' contains NaN or infinite values"):
        nnedu.load(bad)


@pytest.mark.parametrize("lr", [float("nan"), -5.0, "0.1"])
def test_saved_learning_rate_is_checked_by_the_optimizer(tmp_path, checkpoint, lr):
    def forge(meta):
        groups = meta["optimizer"]["__dict__"]
        for key, value in groups:
            if key == "param_groups":
                for group in value:
                    for pair in group["__dict__"]:
                        if pair[0] == "lr":
                            pair[1] = lr
    bad = rewrite_checkpoint(checkpoint, tmp_path / "lr.npz", meta=forge)
    model = MLP(sizes=SMALL)
    opt = SGD(model.parameters(), lr=0.5, momentum=0.9)
    with pytest.raises(ValueError, match=r"SGD: lr must be a finite number >= 0"):
        nnedu.load(bad, model=model, optimizer=opt)
    assert opt.param_groups[0]["lr"] == 0.5  # untouched


def test_scheduler_state_cannot_set_other_attributes(tmp_path, checkpoint):
    def forge(meta):
        meta["scheduler"]["__dict__"].append(["optimizer", None])
    bad = rewrite_checkpoint(checkpoint, tmp_path / "sched.npz", meta=forge)
    model = MLP(sizes=SMALL)
    opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = StepLR(opt, step_size=2)
    with pytest.raises(ValueError, match=r"StepLR.load_state_dict: unknown entries \['optimizer'\]"):
        nnedu.load(bad, model=model, optimizer=opt, scheduler=sched)
    assert sched.optimizer is opt
    with pytest.raises(ValueError, match=r"'step_size' must be a number, got 'x'"):
        sched.load_state_dict({**sched.state_dict(), "step_size": "x"})


def test_evaluate_does_not_download_because_the_file_says_so(tmp_path, checkpoint, capsys, monkeypatch):
    """A field in the file must not make the command go online: the data set it names is only used if present."""
    monkeypatch.setenv("NNEDU_MIRRORS", "http://127.0.0.1:9/")  # would fail at once if anything tried
    calls = []
    monkeypatch.setattr("nnedu.data.mnist.fetch", lambda *a, **k: calls.append(a))

    def fashion(meta):
        meta["extra"]["dataset"] = "fashion-mnist"
    forged = rewrite_checkpoint(checkpoint, tmp_path / "fashion.npz", meta=fashion)
    from nnedu.cli import main
    assert main(["evaluate", str(forged), "--data-dir", str(tmp_path / "empty")]) == 1
    err = capsys.readouterr().err
    assert calls == [] and err.count("\n") == 1
    assert "the fashion-mnist test set is not in the data folder" in err

    def unknown(meta):
        meta["extra"]["dataset"] = "../../etc"
    forged = rewrite_checkpoint(checkpoint, tmp_path / "unknown.npz", meta=unknown)
    assert main(["evaluate", str(forged)]) == 1
    assert "names the data set '../../etc', which nnedu does not know" in capsys.readouterr().err


# -- item 6 (files): crafted metadata and IDX headers give clear errors --------------------------------
DEEP = "[" * 5000 + "]" * 5000


@pytest.mark.parametrize("change, raw, message", [
    (lambda m: m.pop("model_keys"), None, "the metadata should be a JSON object with the keys"),
    (lambda m: m.update(model_keys=[1, 2]), None, "'model_keys' must list parameter names"),
    (lambda m: m.update(config={"name": "MLP", "kwargs": {"sizes": "wide"}}), None, "truncated, corrupted or forged"),
    (lambda m: m.update(config={"name": "MLP", "kwargs": {"sizes": [784, 16, 10], "bogus": 1}}), None,
     "forged .*bogus"),
    (lambda m: m.update(config={"name": "MLP", "kwargs": {"sizes": [784, 16, 11]}}), None,
     "describes 12,747 parameters, but the file stores 12,730"),
    (lambda m: m.update(config={"name": "Evil"}), None, "unknown model 'Evil'"),
    (lambda m: m.update(scheduler={"__dict__": [[{"__array__": "nope"}, 1]]}), None, "lists the array 'nope'"),
    (lambda m: m.update(scheduler={"__dict__": 5}), None, "truncated, corrupted or forged"),
    (lambda m: m.update(scheduler={"__scalar__": 1, "dtype": "O"}), None, "expected a number"),
    (lambda m: m.update(extra=[1]), None, "metadata entry 'extra' is a list"),
    (None, DEEP, "nested too deeply"),
    (None, "[]", "the metadata should be a JSON object"),
], ids=["no-keys", "keys-not-names", "bad-kwarg-type", "unknown-kwarg", "too-wide", "unknown-model", "missing-array",
        "bad-structure", "object-scalar", "extra-list", "deep-nesting", "not-an-object"])
def test_crafted_metadata_gives_a_clear_error(tmp_path, checkpoint, capsys, change, raw, message):
    forged = rewrite_checkpoint(checkpoint, tmp_path / "forged.npz", meta=change, raw_meta=raw)
    with pytest.raises((CheckpointError, ValueError), match=message):
        load_checkpoint(forged)
    from nnedu.cli import main
    assert main(["evaluate", str(forged)]) == 1  # the command line: one line, no traceback
    err = capsys.readouterr().err
    assert err.startswith("nnedu evaluate: error: ") and err.count("\n") == 1, err


def test_idx_with_too_many_dimensions_or_an_overflowing_size(tmp_path):
    many = bytes([0, 0, 8, 65]) + np.ones(65, dtype=">u4").tobytes() + b"\x00"
    with pytest.raises(IDXFormatError, match=r"many\.idx: expected at most 32 dimensions, found 65"):
        parse_idx(many, "many.idx")
    huge = bytes([0, 0, 0x0E, 3]) + np.array([2 ** 32 - 1] * 3, dtype=">u4").tobytes() + b"\x00" * 8
    with pytest.raises(IDXFormatError, match=r"expected \d{30} bytes .* found 24 bytes \(truncated\)"):
        parse_idx(huge, "huge.idx")
    path = tmp_path / "huge.idx"
    path.write_bytes(huge)
    with pytest.raises(IDXFormatError, match="truncated"):
        read_idx(path)
    good = read_idx(ROOT / "data" / MNIST.file("test", "labels").filename)
    assert good.shape == (10000,)


def test_history_json_is_valid_json_even_with_nan(tmp_path):
    from nnedu.train import History
    h = History(step_loss=[1.0, float("nan")], train_loss=[float("inf")], train_acc=[0.1], lr=[0.1])
    h.to_json(str(tmp_path / "h.json"))
    text = (tmp_path / "h.json").read_text()
    assert "NaN" not in text and "Infinity" not in text
    assert json.loads(text)["step_loss"] == [1.0, None]
