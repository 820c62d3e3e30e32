"""The real data sets: MNIST shipped in data/, Fashion-MNIST from ../shared/data (skipped when absent)."""
import gzip
import hashlib
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from nnedu.data import (FASHION_MNIST, MNIST, DataIntegrityError, IDXFormatError, load_fashion_mnist,
                        load_mnist, read_idx)
from nnedu.data import mnist as mnist_module
from nnedu.data.paths import candidate_dirs, data_dir, download_dir, repository_data_dir, user_cache_dir

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
needs_fashion = pytest.mark.skipif(not (SHARED / "fashion-mnist" / "t10k-labels-idx1-ubyte.gz").is_file(),
                                   reason="../shared/data/fashion-mnist is not present")


@pytest.fixture(autouse=True)
def _no_env_data_dir(monkeypatch):
    monkeypatch.delenv("NNEDU_DATA_DIR", raising=False)
    monkeypatch.setenv("NNEDU_MIRRORS", "http://127.0.0.1:9/")  # never reach the internet from tests


def test_repository_ships_mnist_with_known_payloads():
    assert repository_data_dir() == ROOT / "data"
    for f in MNIST.files:
        path = ROOT / "data" / f.filename
        assert path.is_file(), f"{path} missing: the repository must ship MNIST"
        assert hashlib.sha256(gzip.decompress(path.read_bytes())).hexdigest() == f.payload_sha256


def test_mnist_train_full():
    images, labels = load_mnist("train")
    assert images.shape == (60000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (60000,) and labels.dtype == np.int64
    assert np.bincount(labels).tolist() == MNIST_TRAIN_COUNTS
    assert labels[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert images.min() == 0 and images.max() == 255


def test_mnist_test_full():
    images, labels = load_mnist("test")
    assert images.shape == (10000, 28, 28) and labels.shape == (10000,)
    assert np.bincount(labels).tolist() == MNIST_TEST_COUNTS


def test_normalize_gives_float32_nchw_in_unit_interval():
    raw, labels = load_mnist("test")
    images, labels2 = load_mnist("test", normalize=True)
    assert images.shape == (10000, 1, 28, 28) and images.dtype == np.float32
    assert images.min() == 0.0 and images.max() == 1.0
    np.testing.assert_allclose(images[:, 0] * 255, raw, atol=1e-4)
    np.testing.assert_array_equal(labels, labels2)


def test_returned_arrays_are_independent_copies():
    a, la = load_mnist("test")
    a[:] = 0
    la[:] = -1
    b, lb = load_mnist("test")
    assert b.max() == 255 and lb.min() == 0


def test_bad_split():
    with pytest.raises(ValueError, match="split must be 'train' or 'test', got 'val'"):
        load_mnist("val")


def copy_mnist_test(dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for f in MNIST.files:
        if f.split == "test":
            shutil.copy(ROOT / "data" / f.filename, dest / f.filename)
    return dest


def test_data_dir_argument_and_env_var(tmp_path, monkeypatch):
    copy_mnist_test(tmp_path / "mnist")
    images, _ = load_mnist("test", data_dir=tmp_path, download=False)
    assert images.shape == (10000, 28, 28)
    monkeypatch.setenv("NNEDU_DATA_DIR", str(tmp_path))
    assert data_dir() == tmp_path
    assert load_mnist("test", download=False)[1].shape == (10000,)


def test_layouts_and_download_dirs(tmp_path):
    assert candidate_dirs("mnist", tmp_path) == [tmp_path / "mnist", tmp_path]
    assert candidate_dirs("fashion-mnist", tmp_path) == [tmp_path / "fashion-mnist"]
    assert download_dir("mnist", tmp_path) == tmp_path / "mnist"
    assert download_dir("mnist", ROOT / "data") == ROOT / "data"
    assert download_dir("fashion-mnist", ROOT / "data") == ROOT / "data" / "fashion-mnist"
    assert "nnedu" in user_cache_dir().parts or "nnedu" in str(user_cache_dir())


def test_missing_file_without_download(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"t10k-images-idx3-ubyte\.gz .*nnedu data download mnist"):
        load_mnist("test", data_dir=tmp_path, download=False)


def test_payload_hash_mismatch_is_refused_with_repair_hint(tmp_path):
    folder = copy_mnist_test(tmp_path / "mnist")
    path = folder / "t10k-labels-idx1-ubyte.gz"
    payload = bytearray(gzip.decompress(path.read_bytes()))
    payload[100] = (payload[100] + 1) % 10  # still a valid IDX label file, one label changed
    path.write_bytes(gzip.compress(bytes(payload)))
    found = hashlib.sha256(bytes(payload)).hexdigest()
    with pytest.raises(DataIntegrityError) as err:
        load_mnist("test", data_dir=tmp_path, download=False)
    message = str(err.value)
    assert str(path) in message
    assert MNIST.file("test", "labels").payload_sha256 in message and found in message
    assert "python -m nnedu data download mnist" in message


def test_truncated_file_in_cache_is_refused(tmp_path):
    folder = copy_mnist_test(tmp_path / "mnist")
    path = folder / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:50000])
    with pytest.raises(IDXFormatError, match=r"t10k-images-idx3-ubyte\.gz: expected a complete gzip stream"):
        load_mnist("test", data_dir=tmp_path, download=False)


def test_wrong_kind_of_file_in_cache_is_refused(tmp_path):
    folder = copy_mnist_test(tmp_path / "mnist")
    shutil.copy(folder / "t10k-labels-idx1-ubyte.gz", folder / "t10k-images-idx3-ubyte.gz")
    with pytest.raises(IDXFormatError, match=r"expected dimensions \(10000, 28, 28\), found \(10000,\)"):
        load_mnist("test", data_dir=tmp_path, download=False)


def test_file_changed_after_verification_is_verified_again(tmp_path):
    folder = copy_mnist_test(tmp_path / "mnist")
    assert load_mnist("test", data_dir=tmp_path, download=False)[1].shape == (10000,)
    path = folder / "t10k-labels-idx1-ubyte.gz"
    payload = bytearray(gzip.decompress(path.read_bytes()))
    payload[-1] = (payload[-1] + 1) % 10
    path.write_bytes(gzip.compress(bytes(payload)))
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    with pytest.raises(DataIntegrityError):
        load_mnist("test", data_dir=tmp_path, download=False)


def test_verification_is_cached_per_process(tmp_path, monkeypatch):
    copy_mnist_test(tmp_path / "mnist")
    load_mnist("test", data_dir=tmp_path, download=False)
    calls = []
    monkeypatch.setattr(mnist_module, "read_verified", lambda *a: calls.append(a))
    load_mnist("test", data_dir=tmp_path, download=False)
    assert calls == []


@needs_fashion
def test_shared_copies_match_registry():
    for dataset, folder in ((MNIST, SHARED / "mnist"), (FASHION_MNIST, SHARED / "fashion-mnist")):
        for f in dataset.files:
            payload = gzip.decompress((folder / f.filename).read_bytes())
            assert hashlib.sha256(payload).hexdigest() == f.payload_sha256, (dataset.name, f.filename)


@needs_fashion
@pytest.mark.parametrize("split, n", [("train", 60000), ("test", 10000)])
def test_fashion_mnist_from_shared(split, n, monkeypatch):
    monkeypatch.setenv("NNEDU_DATA_DIR", str(SHARED))
    images, labels = load_fashion_mnist(split, download=False)
    assert images.shape == (n, 28, 28) and images.dtype == np.uint8 and labels.dtype == np.int64
    assert np.bincount(labels).tolist() == [n // 10] * 10
    normalized, _ = load_fashion_mnist(split, normalize=True, data_dir=SHARED, download=False)
    assert normalized.shape == (n, 1, 28, 28) and normalized.dtype == np.float32
    assert len(FASHION_MNIST.classes) == 10 and FASHION_MNIST.classes[9] == "Ankle boot"


@needs_fashion
def test_fashion_and_mnist_are_different_data():
    f = read_idx(SHARED / "fashion-mnist" / "t10k-images-idx3-ubyte.gz")
    m = read_idx(ROOT / "data" / "t10k-images-idx3-ubyte.gz")
    assert f.shape == m.shape and not np.array_equal(f, m)
