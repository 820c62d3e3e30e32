"""Helpers shared by several test modules (``from helpers import ...``; pytest puts tests/ on sys.path)."""
from __future__ import annotations

import contextlib
import os
from typing import Iterator

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
