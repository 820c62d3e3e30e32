"""``nnedu train`` and ``nnedu evaluate`` on tiny settings: files written, accuracy and confusion matrix printed."""
import csv
import json
import re
import subprocess
import sys

import numpy as np
import pytest

import nnedu
from nnedu.cli import build_parser, main
from nnedu.models import LeNet5, MLP
from nnedu.train import History


def test_train_writes_model_history_and_curves(tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["train", "mlp", "--epochs", "2", "--limit", "600", "--batch-size", "32", "--optimizer",
                 "momentum", "--lr", "0.05", "--scheduler", "step", "--seed", "3", "--out", str(out),
                 "--no-progress"])
    assert code == 0
    text = capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == ["curves.png", "history.csv", "history.json", "model.npz"]
    m = re.search(r"Test accuracy: (\d+\.\d\d)% \((\d+)/10000\)", text)
    assert m and float(m.group(1)) > 70  # 600 digits, 2 epochs: clearly learning
    assert "true \\ pred" in text  # confusion matrix
    record = json.loads((out / "history.json").read_text())
    assert record["recipe"]["optimizer"] == "momentum" and record["recipe"]["lr"] == 0.05
    assert record["recipe"]["seed"] == 3 and record["model"] == "mlp" and record["dataset"] == "mnist"
    assert record["test_accuracy"] == pytest.approx(float(m.group(1)) / 100, abs=5e-5)
    hist = History.from_dict(record["history"])
    assert hist.epochs == 2 and len(hist.step_loss) == 2 * 19  # ceil(600 / 32) steps per epoch
    assert hist.lr[0] == 0.05
    rows = list(csv.reader((out / "history.csv").open()))
    assert rows[0][:3] == ["epoch", "train_loss", "train_acc"] and len(rows) == 3
    assert (out / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    model = nnedu.load(out / "model.npz")
    assert isinstance(model, MLP)
    ckpt = nnedu.load_checkpoint(out / "model.npz")
    assert ckpt.optimizer_state is not None and ckpt.extra["input_mean"] == pytest.approx(0.1307, abs=1e-4)


def test_evaluate_prints_accuracy_and_confusion_matrix(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "lenet5", "--epochs", "1", "--limit", "200", "--batch-size", "50", "--val-size", "50",
                 "--out", str(out), "--no-progress"]) == 0
    train_text = capsys.readouterr().out
    assert "training on 150 images, validating on 50" in train_text
    trained = re.search(r"Test accuracy: (\d+\.\d\d)%", train_text).group(1)
    assert main(["evaluate", str(out / "model.npz")]) == 0
    text = capsys.readouterr().out
    assert "LeNet5 on the mnist test set" in text
    assert f"Test accuracy: {trained}%" in text  # same number as at the end of training
    lines = text.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("true \\ pred"))
    rows = lines[header + 1:header + 11]
    counts = np.array([[int(v) for v in row.split()[1:11]] for row in rows])
    assert counts.sum() == 10000 and counts.shape == (10, 10)
    np.testing.assert_array_equal(counts.sum(axis=1), [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009])
    assert isinstance(nnedu.load(out / "model.npz"), LeNet5)


def test_evaluate_reports_a_broken_file(tmp_path, capsys):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"PK\x03\x04 broken")
    assert main(["evaluate", str(bad)]) == 1
    assert "truncated or corrupted" in capsys.readouterr().err


def test_train_options_and_defaults():
    parser = build_parser()
    args = parser.parse_args(["train", "lenet5"])
    assert args.model == "lenet5" and args.dataset == "mnist" and args.limit is None
    assert args.epochs is None and args.optimizer is None  # -> the default recipe
    args = parser.parse_args(["train", "mlp", "--dataset", "fashion-mnist", "--optimizer", "rmsprop",
                              "--weight-decay", "1e-4", "--scheduler", "cosine"])
    assert (args.dataset, args.optimizer, args.weight_decay, args.scheduler) == (
        "fashion-mnist", "rmsprop", 1e-4, "cosine")
    with pytest.raises(SystemExit):
        parser.parse_args(["train", "resnet"])
    for opt in ["sgd", "momentum", "adagrad", "rmsprop", "adam"]:
        assert parser.parse_args(["train", "mlp", "--optimizer", opt]).optimizer == opt


def test_module_entry_point_lists_train_and_evaluate():
    result = subprocess.run([sys.executable, "-m", "nnedu", "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert "train" in result.stdout and "evaluate" in result.stdout
