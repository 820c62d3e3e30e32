"""Helpers shared by several test modules (``from helpers import ...``; pytest puts tests/ on sys.path)."""
from __future__ import annotations

import contextlib
import os
import socket
import warnings
from pathlib import Path
from typing import Iterator

import pytest

import nnedu


@contextlib.contextmanager
def default_dtype(dtype) -> Iterator[None]:
    """Make ``dtype`` nnedu's default dtype inside the block, then restore the previous one."""
    old = nnedu.get_default_dtype()
    nnedu.set_default_dtype(dtype)
    try:
        yield
    finally:
        nnedu.set_default_dtype(old)


@contextlib.contextmanager
def environment(**values: str) -> Iterator[None]:
    """Set environment variables inside the block (kernels started there inherit them), then restore them."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


#: Debian's Chromium (``NNEDU_CHROMIUM`` names another binary) and the flags that work on a closed network.
CHROMIUM = os.environ.get("NNEDU_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]


def require_chromium(what: str, not_checked: str) -> None:
    """Skip the calling test loudly (a warning in the summary as well) when Chromium is missing."""
    if Path(CHROMIUM).exists():
        return
    message = (f"\n{'!' * 78}\n!! {what} SKIPPED: no Chromium at {CHROMIUM}.\n"
               "!! Install Debian's package (apt-get install -y chromium) or set NNEDU_CHROMIUM.\n"
               f"!! {not_checked}\n" + "!" * 78)
    warnings.warn(message)
    pytest.skip(message)


def unused_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (the socket that found it is closed again)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
