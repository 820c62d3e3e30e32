"""How nnedu asks the C allocator to keep freed memory for the next batch (Linux with glibc).

The problem
-----------
Every big temporary of a training step (a layer's output, a block of im2col
columns, a gradient) is a fresh NumPy array, allocated with ``malloc`` and
freed a moment later. glibc serves large blocks with fresh pages from the
operating system and gives freed memory back soon after, so the next batch
touches every page for the first time again: a *page fault* each 4 KB. On a
virtual machine a page fault costs microseconds; measured on the 2-core
development VM, a LeNet-5 train step (batch 128, one thread) took about 430 of
them with glibc's defaults and none with this policy, and ran about 10% faster
(``tests/test_memory.py`` counts them).

The policy (applied when ``nnedu`` is imported)
------------------------------------------------
Blocks below :data:`MMAP_THRESHOLD` come from the process's heap, and the heap
is given back to the system only when more than :data:`TRIM_THRESHOLD` is free
at its top (``mallopt(M_MMAP_THRESHOLD)``, ``mallopt(M_TRIM_THRESHOLD)``). A
training loop then reuses the same pages batch after batch. The cost: the
process holds on to freed memory, up to that much at the top of the heap (and,
as with glibc's defaults, whatever free space lies between blocks still in use).

Overriding it
-------------
Nothing is changed if ``NNEDU_MALLOC_POLICY=0`` is set, if the user has
tuned glibc's allocator already (``MALLOC_MMAP_THRESHOLD_``,
``MALLOC_TRIM_THRESHOLD_``, ``GLIBC_TUNABLES``), or on systems without glibc
(macOS, Windows), whose allocators behave differently.
"""
from __future__ import annotations

import ctypes
import os
import sys

#: Blocks up to this size come from the heap, not from fresh pages of their own.
MMAP_THRESHOLD = 32 * 2**20
#: The heap is trimmed (memory given back to the system) only when more than this is free at its top.
TRIM_THRESHOLD = 128 * 2**20

#: Environment variables that mean "the user has tuned the allocator".
USER_SETTINGS: tuple[str, ...] = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "GLIBC_TUNABLES")

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3      # mallopt parameters, from glibc's <malloc.h>


def apply_default_policy() -> bool:
    """What ``import nnedu`` does: keep freed memory for reuse, unless the user said otherwise.

    Returns
    -------
    bool
        True if the allocator's settings were changed.
    """
    if os.environ.get("NNEDU_MALLOC_POLICY", "").strip() == "0" or any(os.environ.get(v) for v in USER_SETTINGS):
        return False
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.gnu_get_libc_version                   # glibc, not musl or another C library
    except (OSError, AttributeError):
        return False
    mmap_set = libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
    trim_set = libc.mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    return bool(mmap_set) and bool(trim_set)
