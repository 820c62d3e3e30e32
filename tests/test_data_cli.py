"""`python -m nnedu` and the `data` command."""
import gzip
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import nnedu
from nnedu.cli import COMMAND_MODULES, build_parser, main
from nnedu.data import MNIST

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _isolated(monkeypatch):
    monkeypatch.delenv("NNEDU_DATA_DIR", raising=False)
    monkeypatch.setenv("NNEDU_MIRRORS", "http://127.0.0.1:9/")


def test_python_dash_m_help_lists_commands():
    out = subprocess.run([sys.executable, "-m", "nnedu", "--help"], capture_output=True, text=True, check=True,
                         cwd=ROOT).stdout
    assert "usage: nnedu" in out and "data" in out
    for name in COMMAND_MODULES:
        assert name.rsplit(".", 1)[1] in out


def test_version():
    out = subprocess.run([sys.executable, "-m", "nnedu", "--version"], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == f"nnedu {nnedu.__version__}"


def test_every_command_module_registers():
    assert "nnedu.cli.data" in COMMAND_MODULES
    assert len(set(COMMAND_MODULES)) == len(COMMAND_MODULES)
    build_parser()


def test_no_command_prints_help_and_fails(capsys):
    assert main([]) == 2
    assert "usage: nnedu" in capsys.readouterr().err


def test_data_info_repository(capsys):
    assert main(["data", "info"]) == 0
    out = capsys.readouterr().out
    assert f"Cache folder: {ROOT / 'data'}" in out
    for f in MNIST.files:
        assert f"ok        {ROOT / 'data' / f.filename}" in out


def test_data_info_missing_and_corrupt(tmp_path, capsys):
    folder = tmp_path / "mnist"
    folder.mkdir()
    labels = MNIST.file("test", "labels")
    payload = bytearray(gzip.decompress((ROOT / "data" / labels.filename).read_bytes()))
    payload[9] = (payload[9] + 1) % 10
    (folder / labels.filename).write_bytes(gzip.compress(bytes(payload)))
    shutil.copy(ROOT / "data" / "t10k-images-idx3-ubyte.gz", folder)
    assert main(["data", "info", "--data-dir", str(tmp_path)]) == 1
    captured = capsys.readouterr()
    assert "CORRUPT" in captured.out and labels.payload_sha256 not in captured.out.split("CORRUPT")[0]
    assert "ok        " + str(folder / "t10k-images-idx3-ubyte.gz") in captured.out
    assert "missing   train-images-idx3-ubyte.gz" in captured.out
    assert "python -m nnedu data download mnist fashion-mnist" in captured.out
    assert "failed verification" in captured.err


def test_data_download_unknown_name(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["data", "download", "cifar"])
    assert exc.value.code == 2
    assert "unknown data set 'cifar'" in capsys.readouterr().err


def test_data_download_present_files_need_no_network(capsys):
    assert main(["data", "download", "mnist", "--data-dir", str(ROOT / "data"), "--no-progress"]) == 0
    assert f"all 4 files verified in {ROOT / 'data'}" in capsys.readouterr().out
