"""How many threads nnedu computes with: a policy that stays fast on a busy laptop.

The problem
-----------
NumPy's BLAS (OpenBLAS) starts one thread per core and splits every matrix
product between them. Its threads *spin* while they wait for each other. On a
quiet machine that is fast; on a student's laptop with a browser, a video call
and an IDE running, a BLAS thread that has lost its core holds up the whole
product while the others burn the cores it needs: measured on a 2-core
machine with two busy programs beside it, a notebook took ten times longer with
the default threads than with one (``benchmarks/bench_threads.py``).

The policy (applied when ``nnedu`` is imported)
------------------------------------------------
* BLAS and OpenMP libraries get **one thread** (via ``threadpoolctl``).
* nnedu's fast layers split each batch over their own **N threads**
  (:mod:`nnedu.functional._parallel`), which *sleep* while they wait: on a
  busy machine they slow down in proportion, never by a factor of ten.
  N is the number of cores this process may use, at most
  :data:`MAX_DEFAULT_THREADS`.
* The numbers do not depend on N (no sum is split between threads).

Overriding it
-------------
* ``NNEDU_NUM_THREADS=N`` in the environment (before Python starts), or
  ``nnedu.set_num_threads(N)`` at any time: nnedu's thread count.
* ``nnedu.set_num_threads(N, blas_threads=M)``: also give BLAS ``M`` threads
  (``M=None`` leaves BLAS alone).
* If ``OPENBLAS_NUM_THREADS``, ``MKL_NUM_THREADS`` or ``OMP_NUM_THREADS`` is set,
  BLAS keeps what the user chose there.
"""
from __future__ import annotations

import os
from typing import Any

from threadpoolctl import ThreadpoolController

from nnedu.functional import _parallel

#: The default never uses more threads than this (memory bandwidth stops helping sooner).
MAX_DEFAULT_THREADS = 8

#: Environment variables that, when set, mean "the user has chosen BLAS's thread count".
BLAS_ENV_VARS: tuple[str, ...] = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS")

_blas_limiter: Any = None


def available_cores() -> int:
    """How many cores this process may run on (respects ``taskset`` and container limits where visible)."""
    if hasattr(os, "process_cpu_count"):          # Python 3.13+
        return os.process_cpu_count() or 1
    if hasattr(os, "sched_getaffinity"):          # Linux
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def default_num_threads() -> int:
    """``NNEDU_NUM_THREADS`` if set, else the available cores (at most :data:`MAX_DEFAULT_THREADS`).

    Raises
    ------
    ValueError
        If ``NNEDU_NUM_THREADS`` is not a positive integer.
    """
    value = os.environ.get("NNEDU_NUM_THREADS", "").strip()
    if value:
        try:
            n = int(value)
        except ValueError:
            n = 0
        if n < 1:
            raise ValueError(f"NNEDU_NUM_THREADS must be a positive integer, got {value!r}")
        return n
    return min(available_cores(), MAX_DEFAULT_THREADS)


def _blas_chosen_by_user() -> bool:
    return any(os.environ.get(v, "").strip() for v in BLAS_ENV_VARS)


def _limit_blas(n: int) -> None:
    """Give every BLAS and OpenMP library loaded in this process ``n`` threads (they stay limited)."""
    global _blas_limiter
    _blas_limiter = ThreadpoolController().limit(limits=n)   # a fresh look: libraries loaded since count too


def set_num_threads(n: int | None = None, blas_threads: int | None = 1) -> None:
    """Set nnedu's thread count and (by default) give BLAS one thread.

    Parameters
    ----------
    n : int, optional
        Threads for nnedu's layers; default :func:`default_num_threads`.
    blas_threads : int or None
        Threads for NumPy's BLAS (and OpenMP). 1 (default) is the policy that
        avoids the busy-machine cliff; None leaves BLAS as it is.

    Examples
    --------
    >>> import nnedu
    >>> nnedu.set_num_threads(1)     # everything on one core
    >>> nnedu.get_num_threads()
    1
    >>> nnedu.set_num_threads()      # back to the default
    """
    n = default_num_threads() if n is None else int(n)
    if n < 1:
        raise ValueError(f"set_num_threads: n must be at least 1, got {n}")
    if blas_threads is not None:
        if blas_threads < 1:
            raise ValueError(f"set_num_threads: blas_threads must be at least 1 or None, got {blas_threads}")
        _limit_blas(int(blas_threads))
    _parallel.set_pool_size(n)


def get_num_threads() -> int:
    """The number of threads nnedu's layers use."""
    return _parallel.pool_size()


def thread_info() -> dict[str, Any]:
    """What is in effect: nnedu's threads and each native library's (from ``threadpoolctl``)."""
    libraries = [{"library": i.get("internal_api"), "threads": i.get("num_threads"),
                  "version": i.get("version")} for i in ThreadpoolController().info()]
    return {"nnedu_threads": get_num_threads(), "available_cores": available_cores(), "libraries": libraries}


def apply_default_policy() -> None:
    """What ``import nnedu`` does: nnedu's default thread count, and one BLAS thread unless the user chose."""
    set_num_threads(default_num_threads(), blas_threads=None if _blas_chosen_by_user() else 1)
