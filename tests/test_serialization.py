"""Save/load: exact round trip, exact resume of training, clear errors, never pickle."""
import json
import pickle
import zipfile

import numpy as np
import pytest

import nnedu
from nnedu.models import LeNet5, MLP
from nnedu.nn import CrossEntropyLoss, Linear, ReLU, Sequential
from nnedu.optim import SGD, Adam, lr_scheduler
from nnedu.serialization import CheckpointError, load_checkpoint


def _batches(n_batches=6, batch=16, shape=(1, 28, 28), seed=0):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((batch, *shape)).astype(np.float32), rng.integers(0, 10, batch))
            for _ in range(n_batches)]


def _train(model, optimizer, batches, scheduler=None):
    crit, losses = CrossEntropyLoss(), []
    model.train()
    for x, y in batches:
        losses.append(crit(model(x), y))
        optimizer.zero_grad()
        model.backward(crit.backward())
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
    return losses


def _assert_same_state(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    assert list(sa) == list(sb)
    for k in sa:
        assert sa[k].dtype == sb[k].dtype, k
        np.testing.assert_array_equal(sa[k], sb[k], err_msg=k)


@pytest.mark.parametrize("make", [lambda: MLP(batchnorm=True, dropout=0.2, rng=0),
                                  lambda: LeNet5("classic", rng=0), lambda: LeNet5(rng=1)])
def test_round_trip_is_exact(tmp_path, make):
    model = make()
    _train(model, SGD(model.parameters(), lr=0.01, momentum=0.9), _batches(3))
    path = tmp_path / "m.npz"
    nnedu.save(model, path)
    loaded = nnedu.load(path)
    assert type(loaded) is type(model) and loaded.config == model.config
    _assert_same_state(model, loaded)
    assert not loaded.training
    model.eval()
    x = _batches(1, seed=5)[0][0]
    np.testing.assert_array_equal(loaded(x), model(x))


def test_batchnorm_running_statistics_are_saved(tmp_path):
    model = MLP(sizes=(784, 32, 10), batchnorm=True, rng=0)
    _train(model, Adam(model.parameters()), _batches(4))
    assert not np.allclose(model.bn1.running_mean, 0) and not np.allclose(model.bn1.running_var, 1)
    nnedu.save(model, tmp_path / "bn.npz")
    loaded = nnedu.load(tmp_path / "bn.npz")
    np.testing.assert_array_equal(loaded.bn1.running_mean, model.bn1.running_mean)
    np.testing.assert_array_equal(loaded.bn1.running_var, model.bn1.running_var)


@pytest.mark.parametrize("opt_name", ["momentum", "adam"])
def test_resume_continues_the_identical_trajectory(tmp_path, opt_name):
    def make():
        model = MLP(sizes=(784, 64, 10), batchnorm=True, rng=3)
        opt = (SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True) if opt_name == "momentum"
               else Adam(model.parameters(), lr=2e-3))
        return model, opt, lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)

    first, second = _batches(4, seed=1), _batches(5, seed=2)
    model, opt, sched = make()
    _train(model, opt, first, sched)
    nnedu.save(model, tmp_path / "ckpt.npz", optimizer=opt, scheduler=sched, extra={"epoch": 1})
    expected = _train(model, opt, second, sched)

    model2, opt2, sched2 = make()  # fresh weights, empty optimizer state
    nnedu.load(tmp_path / "ckpt.npz", model=model2, optimizer=opt2, scheduler=sched2)
    got = _train(model2, opt2, second, sched2)
    assert got == expected  # bit for bit
    _assert_same_state(model, model2)
    assert opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"]
    assert load_checkpoint(tmp_path / "ckpt.npz").extra == {"epoch": 1}


def test_load_checkpoint_returns_optimizer_state(tmp_path):
    model = LeNet5(rng=0)
    opt = Adam(model.parameters(), lr=1e-3, betas=(0.8, 0.99))
    _train(model, opt, _batches(2))
    nnedu.save(model, tmp_path / "c.npz", optimizer=opt)
    ckpt = load_checkpoint(tmp_path / "c.npz")
    state = ckpt.optimizer_state
    assert state["param_groups"][0]["betas"] == (0.8, 0.99)
    assert state["param_groups"][0]["params"] == list(range(10))
    ref = opt.state_dict()
    for k in ref["state"]:
        for name, v in ref["state"][k].items():
            np.testing.assert_array_equal(state["state"][k][name], v)
    opt2 = Adam(ckpt.model.parameters())
    opt2.load_state_dict(state)
    assert opt2.param_groups[0]["betas"] == (0.8, 0.99)


def test_mismatched_architecture_names_parameter_and_shapes(tmp_path):
    nnedu.save(MLP(sizes=(784, 32, 10), rng=0), tmp_path / "small.npz")
    with pytest.raises(ValueError, match=r"'fc1\.weight'.*\(784, 64\).*\(784, 32\)"):
        nnedu.load(tmp_path / "small.npz", model=MLP(sizes=(784, 64, 10)))
    with pytest.raises(ValueError, match="missing from the file"):
        nnedu.load(tmp_path / "small.npz", model=MLP(sizes=(784, 32, 10), batchnorm=True))


def test_optimizer_without_model_is_refused(tmp_path):
    model = MLP(rng=0)
    nnedu.save(model, tmp_path / "m.npz")
    with pytest.raises(ValueError, match="pass both"):
        nnedu.load(tmp_path / "m.npz", optimizer=SGD(model.parameters(), lr=0.1))
    with pytest.raises(ValueError, match="no optimizer state"):
        nnedu.load(tmp_path / "m.npz", model=model, optimizer=SGD(model.parameters(), lr=0.1))


def test_model_without_config_loads_into_an_instance(tmp_path):
    net = Sequential(Linear(4, 3, rng=0), ReLU(), Linear(3, 2, rng=1))
    nnedu.save(net, tmp_path / "seq")  # .npz appended
    with pytest.raises(ValueError, match="without an architecture config"):
        nnedu.load(tmp_path / "seq.npz")
    other = Sequential(Linear(4, 3, rng=5), ReLU(), Linear(3, 2, rng=6))
    nnedu.load(tmp_path / "seq.npz", model=other)
    _assert_same_state(net, other)


def test_truncated_file_gives_clear_error(tmp_path):
    path = tmp_path / "m.npz"
    nnedu.save(LeNet5(rng=0), path)
    data = path.read_bytes()
    for cut in (len(data) // 2, len(data) - 10, 100):
        bad = tmp_path / f"cut{cut}.npz"
        bad.write_bytes(data[:cut])
        with pytest.raises(CheckpointError, match="truncated or corrupted"):
            nnedu.load(bad)


def test_corrupted_bytes_give_clear_error(tmp_path):
    path = tmp_path / "m.npz"
    nnedu.save(LeNet5(rng=0), path)
    data = bytearray(path.read_bytes())
    # flip bytes inside the stored weights (after the local headers): the zip CRC check catches it
    for pos in range(len(data) // 3, len(data) // 3 + 64):
        data[pos] ^= 0xFF
    bad = tmp_path / "bad.npz"
    bad.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="truncated or corrupted"):
        nnedu.load(bad)
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"this is not a zip file at all")
    with pytest.raises(CheckpointError):
        nnedu.load(garbage)
    with pytest.raises(FileNotFoundError):
        nnedu.load(tmp_path / "missing.npz")


def test_foreign_npz_and_corrupted_metadata(tmp_path):
    np.savez(tmp_path / "plain.npz", a=np.zeros(3))
    with pytest.raises(CheckpointError, match="not an nnedu checkpoint"):
        nnedu.load(tmp_path / "plain.npz")
    np.savez(tmp_path / "meta.npz", __nnedu__=np.array("nnedu-checkpoint 1"), __meta__=np.array("{not json"))
    with pytest.raises(CheckpointError, match="metadata"):
        nnedu.load(tmp_path / "meta.npz")
    np.savez(tmp_path / "future.npz", __nnedu__=np.array("nnedu-checkpoint 99"), __meta__=np.array("{}"))
    with pytest.raises(CheckpointError, match="newer nnedu"):
        nnedu.load(tmp_path / "future.npz")


class _Boom:
    def __reduce__(self):  # would run code if ever unpickled
        raise AssertionError("pickle executed")


def test_never_unpickles(tmp_path, monkeypatch):
    model = MLP(sizes=(784, 16, 10), rng=0)
    opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
    _train(model, opt, _batches(2))
    nnedu.save(model, tmp_path / "m.npz", optimizer=opt)
    with zipfile.ZipFile(tmp_path / "m.npz") as z:  # every member is a plain numeric or string array
        for name in z.namelist():
            header = z.read(name)[:128]
            assert b"'descr': '|O'" not in header, name
    # a file carrying a pickled object array is refused, not executed
    evil = np.empty(1, dtype=object)
    evil[0] = {"x": 1}
    np.savez(tmp_path / "evil.npz", __nnedu__=np.array("nnedu-checkpoint 1"), __meta__=np.array("{}"), obj=evil)

    def forbidden(*args, **kwargs):
        raise AssertionError("pickle used while loading")

    monkeypatch.setattr(pickle, "load", forbidden)
    monkeypatch.setattr(pickle, "loads", forbidden)
    loaded = nnedu.load(tmp_path / "m.npz", model=MLP(sizes=(784, 16, 10)),
                        optimizer=SGD(MLP(sizes=(784, 16, 10)).parameters(), lr=1.0, momentum=0.9))
    _assert_same_state(model, loaded)
    with pytest.raises(CheckpointError, match="pickle"):
        nnedu.load(tmp_path / "evil.npz")


def test_save_is_atomic_and_metadata_is_json(tmp_path):
    nnedu.save(MLP(rng=0), tmp_path / "m.npz")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.npz"]  # no temporary file left
    with np.load(tmp_path / "m.npz", allow_pickle=False) as z:
        meta = json.loads(str(z["__meta__"]))
        assert meta["config"] == {"name": "MLP", "kwargs": {"sizes": [784, 256, 128, 10], "activation": "relu",
                                                            "batchnorm": False, "dropout": 0.0}}
        assert "model/fc1.weight" in z.files
