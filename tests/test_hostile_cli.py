"""The command line under bad luck and bad input (issue 15, items 2, 5, 6 and 10; issue 14's timings and axis).

Every failure must end with one line on stderr, a non-zero exit code and no traceback, and must
leave the output folder either with the new run's four files or exactly as it was.
"""
from __future__ import annotations

import json
import os
import re
import resource
import signal
import subprocess
import sys

import numpy as np
import pytest

from helpers import unused_port
from hostile import ROOT
from nnedu.cli import main
from nnedu.cli.train import format_duration, write_outputs

TINY = ["train", "mlp", "--epochs", "1", "--limit", "64", "--batch-size", "64", "--no-progress"]
OUTPUTS = ["curves.png", "history.csv", "history.json", "model.npz"]


def one_error_line(err: str, command: str) -> str:
    assert err.count("\n") == 1 and err.startswith(f"nnedu {command}: error: "), err
    assert "Traceback" not in err
    return err


@pytest.fixture
def previous_run(tmp_path):
    """An output folder holding the four files of an earlier run (recognisable contents)."""
    out = tmp_path / "run"
    out.mkdir()
    for name in OUTPUTS:
        (out / name).write_text(f"previous {name}")
    return out


def unchanged(out) -> bool:
    return sorted(os.listdir(out)) == OUTPUTS and all(
        (out / name).read_text() == f"previous {name}" for name in OUTPUTS)


# -- item 2: divergence at the last step ----------------------------------------------------------------
def test_divergence_on_the_only_step_exits_non_zero_and_writes_nothing(tmp_path, previous_run, capsys):
    new = tmp_path / "new"
    assert main(TINY + ["--lr", "1e30", "--out", str(new)]) == 1
    err = one_error_line(capsys.readouterr().err, "train")
    assert "diverged" in err and "Nothing was written" in err
    assert not new.exists()  # the folder made for this run is gone again
    assert main(TINY + ["--lr", "1e30", "--optimizer", "sgd", "--out", str(previous_run)]) == 1
    assert unchanged(previous_run)


def test_fit_catches_weights_blown_up_by_the_last_step():
    from nnedu.data import DataLoader
    from nnedu.nn import CrossEntropyLoss, Linear
    from nnedu.optim import SGD
    from nnedu.train import TrainingDivergedError, fit
    rng = np.random.default_rng(0)
    model = Linear(4, 3, rng=0)
    loader = DataLoader(1000 * rng.normal(size=(8, 4)), rng.integers(0, 3, 8), batch_size=8)
    with np.errstate(over="ignore", invalid="ignore"):
        with pytest.raises(TrainingDivergedError, match=r"after epoch 1/1 .* weights weight.* are NaN or infinite"):
            fit(model, CrossEntropyLoss(), SGD(model.parameters(), lr=1e38), loader, epochs=1)


# -- item 5: output folder problems --------------------------------------------------------------------
def test_unusable_output_folder_is_reported_before_loading_data(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("nnedu.recipes.load_data", lambda *a, **k: pytest.fail("loaded data before the check"))
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    assert main(TINY + ["--out", str(blocker / "run")]) == 2
    err = one_error_line(capsys.readouterr().err, "train")
    assert f"cannot write into the output folder {blocker / 'run'}" in err


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root may write into read-only folders")
def test_read_only_output_folder_is_reported_before_training(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("nnedu.recipes.load_data", lambda *a, **k: pytest.fail("loaded data before the check"))
    out = tmp_path / "ro"
    out.mkdir()
    out.chmod(0o500)
    try:
        assert main(TINY + ["--out", str(out)]) == 2
    finally:
        out.chmod(0o700)
    assert "Permission denied" in one_error_line(capsys.readouterr().err, "train")


@pytest.mark.skipif(not hasattr(resource, "RLIMIT_FSIZE"), reason="needs RLIMIT_FSIZE")
def test_full_disk_leaves_the_previous_run_untouched(previous_run):
    """The child may not write files larger than 100 KB (as if the disk filled up): the model does not fit."""
    def small_files() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG instead of being killed
        resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))

    done = subprocess.run([sys.executable, "-m", "nnedu"] + TINY + ["--out", str(previous_run)],
                          capture_output=True, text=True, timeout=300, preexec_fn=small_files, cwd=ROOT,
                          env={**os.environ, "MPLCONFIGDIR": str(previous_run.parent / "mpl")})
    assert done.returncode == 1
    err = one_error_line(done.stderr, "train")
    assert "could not write the results" in err and "the files already there are unchanged" in err
    assert unchanged(previous_run)  # and no temporary file left behind


def test_interrupt_while_writing_leaves_the_previous_run_untouched(previous_run, capsys, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr("nnedu.cli.train._save_curves", interrupted)
    assert main(TINY + ["--out", str(previous_run)]) == 130
    assert capsys.readouterr().err == "nnedu train: interrupted\n"
    assert unchanged(previous_run)


def test_ctrl_c_during_the_renames_is_held_back_until_all_files_are_in_place(tmp_path, monkeypatch):
    real_replace = os.replace
    calls = []

    def replace_and_interrupt(src, dst):
        calls.append(dst)
        if len(calls) == 1:
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C right after the first rename
        real_replace(src, dst)
    monkeypatch.setattr(os, "replace", replace_and_interrupt)
    writers = {name: (lambda path, name=name: path.write_text(f"new {name}")) for name in OUTPUTS}
    with pytest.raises(KeyboardInterrupt):
        write_outputs(tmp_path, writers)
    assert sorted(os.listdir(tmp_path)) == OUTPUTS
    assert all((tmp_path / n).read_text() == f"new {n}" for n in OUTPUTS)


def test_successful_run_writes_valid_json_and_honest_timings(tmp_path, capsys):
    out = tmp_path / "ok"
    assert main(TINY + ["--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert sorted(os.listdir(out)) == OUTPUTS
    json.loads((out / "history.json").read_text(), parse_constant=pytest.fail)  # no NaN/Infinity literals
    # issue 14: a short run printed "seconds per epoch: 0.0 (total 0 s)"
    m = re.search(r"time per epoch: (\S+) (ms|s) \(total (\S+) (ms|s)\)", text)
    assert m and float(m.group(1)) > 0 and float(m.group(3)) > 0, text
    assert len(m.group(1).replace(".", "").lstrip("0")) == 3  # three significant digits


def test_format_duration():
    assert format_duration(0.0042137) == "4.21 ms"
    assert format_duration(0.35) == "0.35 s"
    assert format_duration(12.345) == "12.3 s"
    assert format_duration(125.4) == "2 min 05 s"


def test_one_epoch_curves_have_a_sensible_x_axis():
    """issue 14: a 1-epoch curves.png had an x axis from 0.96 to 1.04."""
    import matplotlib.pyplot as plt

    from nnedu.plotting import plot_history
    from nnedu.train import History
    history = History(step_loss=[2.3, 1.9, 1.4, 1.2], train_loss=[1.7], train_acc=[0.5], val_loss=[1.1],
                      val_acc=[0.6], lr=[0.1])
    fig = plot_history(history)
    for ax in fig.axes:
        left, right = ax.get_xlim()
        assert left == 0 and 1 < right < 1.2
        shown = [t for t in ax.get_xticks() if left <= t <= right]
        assert shown == [0, 1]
    plt.close(fig)


# -- item 6: bad options ---------------------------------------------------------------------------------
@pytest.mark.parametrize("argv, expected", [
    (["train", "mlp", "--lr", "nan"], "argument --lr: expected a finite number > 0, got 'nan'"),
    (["train", "mlp", "--lr", "-1"], "argument --lr: expected a finite number > 0, got '-1'"),
    (["train", "mlp", "--limit", "0"], "argument --limit: expected an integer >= 1, got 0"),
    (["train", "mlp", "--seed", "-1"], "argument --seed: expected an integer >= 0, got -1"),
    (["train", "mlp", "--epochs", "0"], "argument --epochs: expected an integer >= 1, got 0"),
    (["train", "mlp", "--momentum", "inf"], "argument --momentum: expected a finite number >= 0, got 'inf'"),
    (["data", "download", "--timeout", "inf"], "argument --timeout: expected a finite number > 0, got 'inf'"),
    (["evaluate", "m.npz", "--batch-size", "-5"], "argument --batch-size: expected an integer >= 1, got -5"),
])
def test_bad_options_give_one_line(argv, expected, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    command = " ".join(argv[:2]) if argv[0] == "data" else argv[0]
    err = one_error_line(capsys.readouterr().err, command)
    assert expected in err and "--help" in err


def test_unexpected_errors_still_give_one_line(capsys, monkeypatch):
    monkeypatch.setattr("nnedu.cli.data.info_command", lambda args: {}["boom"])
    monkeypatch.delenv("NNEDU_DEBUG", raising=False)
    from nnedu.cli import build_parser  # noqa: F401  (the parser binds the handler when built)
    assert main(["data", "info"]) == 1
    assert capsys.readouterr().err == "nnedu data: error: 'boom'\n"


# -- item 10: offline ---------------------------------------------------------------------------------
def test_offline_fashion_mnist_gives_one_line_and_leaves_no_empty_folder(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("NNEDU_MIRRORS", f"http://127.0.0.1:{unused_port()}/")
    data = tmp_path / "data"
    data.mkdir()
    assert main(TINY[:2] + ["--dataset", "fashion-mnist", "--data-dir", str(data), "--out", str(tmp_path / "o"),
                            "--no-progress"]) == 2
    err = one_error_line(capsys.readouterr().err, "train")
    assert "fashion-mnist is not in the data folder and could not be downloaded" in err
    assert "python -m nnedu data download fashion-mnist" in err
    assert os.listdir(data) == [] and not (tmp_path / "o").exists()


def test_python_m_nnedu_next_to_a_folder_named_nnedu(tmp_path):
    """From the parent folder of a clone named ``nnedu``, that folder shadowed the package."""
    (tmp_path / "nnedu" / "nnedu").mkdir(parents=True)
    (tmp_path / "nnedu" / "pyproject.toml").write_text("[project]\nname = 'nnedu'\n")
    done = subprocess.run([sys.executable, "-m", "nnedu", "--version"], capture_output=True, text=True,
                          cwd=tmp_path, timeout=60)
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(r"nnedu \d+\.\d+\.\d+\n", done.stdout)
