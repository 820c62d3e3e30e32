"""Downloads against a real HTTP server on 127.0.0.1: good, corrupted and cut-off files.

Whatever goes wrong, no partial or unverified file may remain in the cache.
"""
import gzip
import http.server
import os
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from nnedu.cli import main
from nnedu.data import (FASHION_MNIST, MNIST, DataIntegrityError, DownloadError, download, load_fashion_mnist,
                        load_mnist)
from nnedu.data.download import download_file, fetch, mirrors_for

ROOT = Path(__file__).resolve().parents[1]
TEST_FILES = [f for f in MNIST.files if f.split == "test"]
LABELS = MNIST.file("test", "labels")


def _files():
    good = {f.filename: (ROOT / "data" / f.filename).read_bytes() for f in TEST_FILES}
    corrupt = {}
    for name, data in good.items():
        payload = bytearray(gzip.decompress(data))
        payload[-1] ^= 0x01  # a valid IDX file with one changed value: only the hash can tell
        corrupt[name] = gzip.compress(bytes(payload), mtime=0)
    truncated_gz = {name: data[: len(data) * 2 // 3] for name, data in good.items()}
    return good, corrupt, truncated_gz


GOOD, CORRUPT, TRUNCATED_GZ = _files()
SHARED_FASHION = ROOT.parent / "shared" / "data" / "fashion-mnist"


class Handler(http.server.BaseHTTPRequestHandler):
    """Routes: /good/F, /corrupt/F (wrong payload), /truncgz/F (complete transfer of a cut gzip),
    /cut/F (announces the full length, sends half, hangs up), /missing/F (404), /junk/F (HTML page),
    /fashion/F (Fashion-MNIST from ../shared/data/fashion-mnist)."""

    requests: list = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        Handler.requests.append(self.path)
        _, route, name = self.path.split("/", 2)
        if route == "fashion" and (SHARED_FASHION / name).is_file():
            body = (SHARED_FASHION / name).read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if name not in GOOD or route == "missing":
            self.send_error(404)
            return
        if route == "junk":
            body = b"<html>mirror moved</html>"
        else:
            body = {"good": GOOD, "corrupt": CORRUPT, "truncgz": TRUNCATED_GZ, "cut": GOOD}[route][name]
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if route == "cut":
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)


@pytest.fixture(scope="module")
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def _isolated(monkeypatch):
    monkeypatch.delenv("NNEDU_DATA_DIR", raising=False)
    monkeypatch.delenv("NNEDU_MIRRORS", raising=False)
    Handler.requests.clear()


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*")) if folder.exists() else []


def test_good_mirror(server, tmp_path):
    path = fetch(MNIST, LABELS, tmp_path, mirrors=[server + "/good/"], progress=False)
    assert path == tmp_path / "mnist" / LABELS.filename
    assert path.read_bytes() == GOOD[LABELS.filename]
    assert leftovers(tmp_path) == ["mnist", LABELS.filename]


@pytest.mark.parametrize("route, error", [
    ("corrupt", "DataIntegrityError"),
    ("truncgz", "IDXFormatError"),
    ("cut", "transfer interrupted"),
    ("missing", "404"),
    ("junk", "IDXFormatError"),
])
def test_bad_mirror_alone_leaves_nothing(server, tmp_path, route, error):
    with pytest.raises(DownloadError) as err:
        fetch(MNIST, LABELS, tmp_path, mirrors=[f"{server}/{route}/"], progress=False)
    message = str(err.value)
    assert f"{server}/{route}/{LABELS.filename}" in message and error in message
    assert "Nothing was written" in message
    assert leftovers(tmp_path / "mnist") == []


def test_mirrors_tried_in_order_until_one_verifies(server, tmp_path):
    mirrors = [f"{server}/{r}/" for r in ("missing", "cut", "corrupt", "truncgz", "good", "junk")]
    path = fetch(MNIST, LABELS, tmp_path, mirrors=mirrors, progress=False)
    assert path.read_bytes() == GOOD[LABELS.filename]
    assert Handler.requests == [f"/{r}/{LABELS.filename}" for r in ("missing", "cut", "corrupt", "truncgz", "good")]
    assert leftovers(tmp_path / "mnist") == [LABELS.filename]


def test_corrupt_payload_message_names_both_hashes(server, tmp_path):
    with pytest.raises(DownloadError) as err:
        fetch(MNIST, LABELS, tmp_path, mirrors=[server + "/corrupt/"], progress=False)
    assert LABELS.payload_sha256 in str(err.value)


def test_failed_download_does_not_touch_existing_file(server, tmp_path):
    dest = tmp_path / "mnist" / LABELS.filename
    dest.parent.mkdir()
    dest.write_bytes(b"old")
    with pytest.raises(DownloadError):
        fetch(MNIST, LABELS, tmp_path, mirrors=[server + "/cut/"], progress=False)
    assert dest.read_bytes() == b"old" and leftovers(tmp_path / "mnist") == [LABELS.filename]


def test_interrupted_download_removes_temporary_file(server, tmp_path):
    def interrupt(path):
        assert path.name.startswith("." + LABELS.filename) and path.name.endswith(".part")
        assert path.stat().st_size == len(GOOD[LABELS.filename])
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        download_file(f"{server}/good/{LABELS.filename}", tmp_path / LABELS.filename, interrupt, progress=False)
    assert leftovers(tmp_path) == []


def test_stale_temporary_files_from_killed_processes_are_removed(server, tmp_path):
    folder = tmp_path / "mnist"
    folder.mkdir()
    stale, fresh = folder / f".{LABELS.filename}.old1.part", folder / f".{LABELS.filename}.new1.part"
    stale.write_bytes(b"half")
    fresh.write_bytes(b"another process, still downloading")
    os.utime(stale, (time.time() - 2 * 3600,) * 2)
    fetch(MNIST, LABELS, tmp_path, mirrors=[server + "/good/"], progress=False)
    assert leftovers(folder) == sorted([fresh.name, LABELS.filename])


def test_download_replaces_corrupt_cached_file_and_keeps_good_ones(server, tmp_path):
    folder = tmp_path / "mnist"
    folder.mkdir()
    (folder / LABELS.filename).write_bytes(CORRUPT[LABELS.filename])
    images = MNIST.file("test", "images")
    (folder / images.filename).write_bytes(GOOD[images.filename])
    mtime = (folder / images.filename).stat().st_mtime_ns
    with pytest.raises(DownloadError):  # the train files are not on this server
        download("mnist", tmp_path, mirrors=[server + "/good/"], progress=False)
    assert (folder / LABELS.filename).read_bytes() == GOOD[LABELS.filename]
    assert (folder / images.filename).stat().st_mtime_ns == mtime
    assert f"/good/{images.filename}" not in Handler.requests
    assert not any(p.endswith(".part") for p in leftovers(folder))


def test_load_mnist_downloads_missing_files_via_env_mirrors(server, tmp_path, monkeypatch):
    monkeypatch.setenv("NNEDU_MIRRORS", f"{server}/missing/ {server}/good/")
    monkeypatch.setenv("NNEDU_DATA_DIR", str(tmp_path))
    assert mirrors_for(MNIST) == [f"{server}/missing/", f"{server}/good/"]
    images, labels = load_mnist("test")
    assert images.shape == (10000, 28, 28) and np.bincount(labels)[1] == 1135
    assert leftovers(tmp_path / "mnist") == sorted(f.filename for f in TEST_FILES)


def test_load_mnist_refuses_when_download_fails(server, tmp_path, monkeypatch):
    monkeypatch.setenv("NNEDU_MIRRORS", f"{server}/corrupt/")
    with pytest.raises(DownloadError):
        load_mnist("test", data_dir=tmp_path)
    assert leftovers(tmp_path / "mnist") == []


def test_cli_download_with_local_mirror(server, tmp_path, capsys):
    # Only the test files exist on this server, so put the train files in place first.
    folder = tmp_path / "mnist"
    folder.mkdir()
    for f in MNIST.files:
        if f.split == "train":
            (folder / f.filename).write_bytes((ROOT / "data" / f.filename).read_bytes())
    code = main(["data", "download", "mnist", "--data-dir", str(tmp_path), "--mirror", server + "/good",
                 "--no-progress"])
    assert code == 0
    assert "all 4 files verified" in capsys.readouterr().out
    assert sorted(Handler.requests) == sorted(f"/good/{f.filename}" for f in TEST_FILES)


def test_cli_download_failure_exit_code(server, tmp_path, capsys):
    code = main(["data", "download", "mnist", "--data-dir", str(tmp_path), "--mirror", server + "/cut/",
                 "--no-progress"])
    assert code == 1
    assert "transfer interrupted" in capsys.readouterr().err
    assert leftovers(tmp_path / "mnist") == []


@pytest.mark.skipif(not SHARED_FASHION.is_dir(), reason="../shared/data/fashion-mnist is not present")
def test_fashion_mnist_download_into_its_folder(server, tmp_path, capsys):
    code = main(["data", "download", "fashion-mnist", "--data-dir", str(tmp_path), "--mirror", server + "/fashion/",
                 "--no-progress"])
    assert code == 0, capsys.readouterr().err
    assert leftovers(tmp_path) == ["fashion-mnist"] + sorted(f.filename for f in FASHION_MNIST.files)
    images, labels = load_fashion_mnist("train", data_dir=tmp_path, download=False)
    assert images.shape == (60000, 28, 28) and np.bincount(labels).tolist() == [6000] * 10


def test_mirror_dataset_placeholder(monkeypatch):
    monkeypatch.setenv("NNEDU_MIRRORS", "http://class.local/{dataset} http://other/x/")
    assert mirrors_for(MNIST) == ["http://class.local/mnist/", "http://other/x/"]
    assert mirrors_for(FASHION_MNIST) == ["http://class.local/fashion-mnist/", "http://other/x/"]
    assert mirrors_for(MNIST, ["http://a/{dataset}/"]) == ["http://a/mnist/"]


def test_registry_mirrors_and_official_hashes():
    assert mirrors_for(MNIST) == ["https://ossci-datasets.s3.amazonaws.com/mnist/",
                                  "https://storage.googleapis.com/cvdf-datasets/mnist/"]
    assert {f.filename: f.gz_md5 for f in MNIST.files} == {
        "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c"}
    with pytest.raises(DataIntegrityError):
        from nnedu.data.checksums import verify_payload
        verify_payload(b"not mnist", LABELS, "x.gz", "mnist")
