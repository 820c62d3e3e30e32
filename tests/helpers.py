"""Helpers shared by several test modules (``from helpers import ...``; pytest puts tests/ on sys.path)."""
from __future__ import annotations

import contextlib
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
