"""Downloads from hostile or unlucky mirrors, all served on 127.0.0.1 (issue 15, items 1 and 8).

A flooding mirror is cut off at the file's largest legitimate size, a trickling one at the deadline; a
failure leaves no empty folder, and SIGTERM no temporary file.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from helpers import unused_port
from hostile import serve
from nnedu.data import MNIST, DownloadError
from nnedu.data.download import fetch

LABELS = MNIST.file("test", "labels")
CAP = LABELS.max_download_size  # 10,008 payload bytes, gzipped or raw, plus gzip's overhead


@pytest.fixture(scope="module")
def server():
    yield from serve()


def _flood(handler, announce: bool) -> None:
    total = 256 << 20
    handler.send_response(200)
    if announce:
        handler.send_header("Content-Length", str(total))
    handler.end_headers()
    if announce:
        return  # the client must give up on the header alone
    chunk = bytes(1 << 16)
    sent = 0
    while sent < total:
        handler.wfile.write(chunk)
        sent += len(chunk)
        handler.server.sent = sent  # what the client made us send


def _trickle(handler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Length", "10000")
    handler.end_headers()
    for _ in range(10000):
        handler.wfile.write(b"\x00")
        handler.wfile.flush()
        time.sleep(0.05)


def test_a_flooding_mirror_is_cut_off_at_the_largest_legitimate_size(server, tmp_path):
    server.routes["flood"] = lambda h: _flood(h, announce=False)
    server.httpd.sent = 0
    with pytest.raises(DownloadError, match=rf"the mirror sent more than {CAP:,} bytes"):
        fetch(MNIST, LABELS, tmp_path, mirrors=[server.url + "/flood/"], progress=False)
    assert server.httpd.sent < 32 << 20  # of the 256 MiB offered; the rest never left the server
    assert os.listdir(tmp_path) == []  # nothing under the real name, no .part, no empty folder


def test_an_announced_oversized_file_is_refused_before_reading_it(server, tmp_path):
    server.routes["huge"] = lambda h: _flood(h, announce=True)
    with pytest.raises(DownloadError, match=rf"announces 268,435,456 bytes, expected at most {CAP:,}"):
        fetch(MNIST, LABELS, tmp_path, mirrors=[server.url + "/huge/"], progress=False)
    assert os.listdir(tmp_path) == []


def test_a_trickling_mirror_is_abandoned_at_the_deadline(server, tmp_path):
    """One byte every 50 ms never trips the 5 s socket timeout; the 1 s deadline ends it (else: 500 s)."""
    server.routes["trickle"] = _trickle
    with pytest.raises(DownloadError, match=r"too slow, \d+ bytes after 1 s \(the deadline per file\)"):
        fetch(MNIST, LABELS, tmp_path, mirrors=[server.url + "/trickle/"], progress=False, timeout=5,
              deadline=1)
    assert os.listdir(tmp_path) == []


def test_a_failed_download_leaves_no_empty_folder(tmp_path):
    root = tmp_path / "new" / "cache"
    with pytest.raises(DownloadError, match="Nothing was written"):
        fetch(MNIST, LABELS, root, mirrors=[f"http://127.0.0.1:{unused_port()}/"], progress=False)
    assert os.listdir(tmp_path) == []  # neither cache/mnist nor the folders above it that the call made


@pytest.mark.skipif(os.name != "posix", reason="SIGTERM semantics")
def test_sigterm_during_a_download_removes_the_temporary_file(server, tmp_path):
    server.routes["trickle"] = _trickle
    child = subprocess.Popen([sys.executable, "-m", "nnedu", "data", "download", "mnist", "--data-dir",
                              str(tmp_path), "--mirror", server.url + "/trickle/", "--no-progress", "--force"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    folder = tmp_path / "mnist"
    try:
        for _ in range(600):  # wait (up to 60 s) for the transfer to start
            if folder.is_dir() and any(p.suffix == ".part" for p in folder.iterdir()):
                break
            time.sleep(0.1)
        else:
            pytest.fail("the download never started")
        child.send_signal(signal.SIGTERM)
        _, err = child.communicate(timeout=30)
    finally:
        child.kill()
    assert child.returncode == 128 + signal.SIGTERM
    assert "Traceback" not in err
    assert not folder.exists() or [p.name for p in folder.iterdir()] == []
