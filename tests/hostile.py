"""Helpers for the tests/test_hostile_*.py modules: memory-limited child processes, forged files, a local server."""
from __future__ import annotations

import gzip
import http.server
import json
import os
import subprocess
import sys
import textwrap
import threading
import zipfile
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]

#: Address space allowed to a child process: Python + NumPy + nnedu take about 120 MB of it, so a
#: file that makes the code allocate a few hundred megabytes more dies with MemoryError.
MEMORY_LIMIT = 300 << 20

linux_only = pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS is reliable only on Linux")


def run_limited(code: str, memory: int = MEMORY_LIMIT, timeout: float = 120, **env: str) -> dict[str, Any]:
    """Run ``code`` in a fresh Python whose address space is capped at ``memory`` bytes.

    The code's last expression-statement must set ``result`` (a JSON-able value); an exception
    becomes ``{"error": type name, "message": text}``. A MemoryError, i.e. a memory bound not kept,
    is reported as such, so the test shows what went wrong.
    """
    script = textwrap.dedent('''
        import json, resource, sys
        resource.setrlimit(resource.RLIMIT_AS, ({memory}, {memory}))
        try:
        {body}
        except BaseException as e:
            result = {{"error": type(e).__name__, "message": str(e)}}
        print(json.dumps(result))
    ''').format(memory=memory, body=textwrap.indent(textwrap.dedent(code), "    "))
    child_env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", **env}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=timeout,
                          env=child_env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def gzip_bomb(path: Path, megabytes: int, head: bytes = b"") -> Path:
    """A small gzip file that decompresses to ``head`` followed by ``megabytes`` MiB of zeros.

    Gzip allows concatenated members, and readers must decompress all of them: one compressed MiB
    of zeros (about 1 KB), repeated.
    """
    member = gzip.compress(bytes(1 << 20), compresslevel=9, mtime=0)
    with open(path, "wb") as f:
        f.write(gzip.compress(head, mtime=0))
        for _ in range(megabytes):
            f.write(member)
    return path


def npy_member(zf: zipfile.ZipFile, name: str, shape: tuple[int, ...], dtype: str = "<f4",
               data: bytes | None = None, deflate: bool = False) -> None:
    """Write a ``.npy`` member declaring ``shape``; with ``data=None``, as many zero bytes as it declares."""
    info = zipfile.ZipInfo(name + ".npy")
    if deflate:
        info.compress_type = zipfile.ZIP_DEFLATED
        # level 1: fast, and zeros still shrink about 200-fold (the attribute is public from Python 3.13)
        setattr(info, "compress_level" if hasattr(zipfile.ZipInfo, "compress_level") else "_compresslevel", 1)
    with zf.open(info, "w", force_zip64=True) as f:
        np.lib.format.write_array_header_1_0(f, {"descr": dtype, "fortran_order": False, "shape": shape})
        if data is not None:
            f.write(data)
            return
        remaining = int(np.prod(shape)) * np.dtype(dtype).itemsize
        zeros = bytes(1 << 20)
        while remaining > 0:
            f.write(zeros[:min(remaining, len(zeros))])
            remaining -= len(zeros)


def rewrite_checkpoint(src: Path, dst: Path, meta: Callable[[dict], Any] | None = None,
                       arrays: dict[str, np.ndarray] | None = None, raw_meta: str | None = None) -> Path:
    """Copy checkpoint ``src`` to ``dst`` with its metadata changed by ``meta`` and arrays replaced/added."""
    with np.load(src, allow_pickle=False) as z:
        members = {k: z[k] for k in z.files}
    if raw_meta is not None:
        members["__meta__"] = np.array(raw_meta)
    elif meta is not None:
        changed = json.loads(str(members["__meta__"]))
        changed = meta(changed) or changed
        members["__meta__"] = np.array(json.dumps(changed))
    members.update(arrays or {})
    np.savez(dst, **members)
    return dst


class Server:
    """An HTTP server on 127.0.0.1 answering each path with a handler registered by the test."""

    def __init__(self) -> None:
        self.routes: dict[str, Callable[[http.server.BaseHTTPRequestHandler], None]] = {}
        routes = self.routes

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                route = routes.get(self.path.split("/")[1])
                if route is None:
                    self.send_error(404)
                    return
                try:
                    route(self)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up, as it should

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def serve() -> Iterator[Server]:
    server = Server()
    try:
        yield server
    finally:
        server.close()
