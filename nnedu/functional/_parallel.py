"""The one place where nnedu computes on several cores: split the batch, run the pieces on a few threads.

The fast layers spend most of their time in NumPy passes over whole batches
(im2col, col2im, pooling, element-wise operations) and in matrix products.
NumPy releases the GIL inside these loops, so plain Python threads run them
truly in parallel. Every helper here cuts the work into contiguous pieces with
**disjoint outputs** (samples of the batch, rows or columns of a product) and
runs them on a small pool of threads; the calling thread does the first piece
itself and then *sleeps* until the others are done.

Two properties follow, and both are tested:

* **The numbers do not depend on the thread count.** No sum is split
  according to the number of threads (a matrix product is cut along its output
  rows or columns, never along the summed axis; the convolution's weight
  gradient is summed over fixed blocks of samples, in block order), so 1 and 8
  threads give bit-identical results.
* **No cliff on a busy machine.** A waiting thread sleeps instead of spinning,
  so when other programs take the cores the work slows down in proportion; it
  never fights for the core it is waiting for (see :mod:`nnedu.threads`).

The number of threads is :func:`nnedu.threads.get_num_threads`. Small arrays
(fewer than :data:`MIN_ELEMENTS` elements per piece) are not split: handing a
piece to another thread costs tens of microseconds. Calls from inside a piece,
or from a second thread while the workers are busy, run serially.
"""
from __future__ import annotations

import contextvars
import os
import queue
import threading
from typing import Any, Callable

import numpy as np

#: Do not make pieces smaller than this many elements (512 KB of float32): handing a piece to another
#: thread costs some 20-50 microseconds (up to 100 when its core was idle and must be woken, on a virtual
#: machine).
MIN_ELEMENTS = 131_072

_num_threads = 1
_workers: list[_Worker] | None = None
_lock = threading.Lock()          # held while a parallel_for uses the workers, and while they change
_inside = threading.local()


class _Worker:
    """One helper thread. It sleeps until it is handed a piece, runs it, and hands back its exception or None.

    The hand-over is one ``queue.SimpleQueue`` each way: a single C call to
    hand over or to collect (so an interrupt cannot fall between handing over
    and counting it), no future object per piece as in ``concurrent.futures``,
    and a sleeping worker takes no CPU time from other programs.
    """

    def __init__(self, name: str) -> None:
        self._inbox: queue.SimpleQueue = queue.SimpleQueue()
        self._outbox: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while (job := self._inbox.get()) is not None:     # None: told to stop
            context, body, s = job
            error: BaseException | None = None
            try:
                context.run(_run_piece, body, s)
            except BaseException as err:  # noqa: BLE001 - handed to the caller by wait()
                error = err
            self._outbox.put(error)

    def start(self, body: Callable[[slice], Any], s: slice) -> None:
        """Run ``body(s)`` on this thread, in a copy of the caller's context (so ``np.errstate`` holds)."""
        self._inbox.put((contextvars.copy_context(), body, s))

    def wait(self) -> BaseException | None:
        """Wait for the piece to finish; return its exception, if any."""
        return self._outbox.get()

    def stop(self, join: bool = True) -> None:
        """Let the thread finish its piece, if any, and end."""
        self._inbox.put(None)
        if join:
            self._thread.join()


def _start_workers(n: int) -> list[_Worker]:
    workers: list[_Worker] = []
    try:
        for i in range(n):
            workers.append(_Worker(f"nnedu_{i}"))
    except BaseException:
        for worker in workers:
            worker.stop(join=False)
        raise
    return workers


def _retire_workers() -> None:
    """Give up the current workers (called with ``_lock`` held): they end after their piece; new ones next time."""
    global _workers
    old, _workers = _workers, None
    for worker in old or ():
        worker.stop(join=False)


def set_pool_size(n: int) -> None:
    """Use ``n`` threads from now on (the caller's thread counts as one). Called by :mod:`nnedu.threads`."""
    global _num_threads, _workers
    if n < 1:
        raise ValueError(f"the number of threads must be at least 1, got {n}")
    with _lock:
        old, _workers, _num_threads = _workers, None, int(n)
    for worker in old or ():
        worker.stop()


def pool_size() -> int:
    """The number of threads the helpers use."""
    return _num_threads


def _forget_pool_in_child() -> None:
    """After ``os.fork()`` the child has none of the parent's threads: start new workers when needed."""
    global _workers, _lock
    _workers, _lock = None, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool_in_child)


def _run_piece(body: Callable[[slice], Any], s: slice) -> None:
    _inside.active = True
    try:
        body(s)
    finally:
        _inside.active = False


def parallel_for(n: int, body: Callable[[slice], Any], work: int | None = None) -> None:
    """Call ``body(s)`` for contiguous slices ``s`` that cover ``range(n)``, on several threads.

    ``body`` must write only to the part of its outputs that belongs to ``s``.
    ``work`` (default ``n``) is the number of elements the whole job touches; it
    decides how many pieces are worth making. Returns when every piece is done;
    an exception in any piece is raised here, after all pieces have finished.
    Calls from inside a piece, or from a second thread while the workers are
    busy, run serially.
    """
    global _workers
    work = n if work is None else work
    k = min(_num_threads, n, max(1, work // MIN_ELEMENTS))
    if k <= 1 or getattr(_inside, "active", False) or not _lock.acquire(blocking=False):
        body(slice(0, n))
        return
    try:
        if _workers is None:
            _workers = _start_workers(_num_threads - 1)
        k = min(k, len(_workers) + 1)                     # the count may have changed since k was chosen
        bounds = [n * i // k for i in range(k + 1)]
        helpers = _workers[:k - 1]
        error: BaseException | None = None
        try:
            for i, worker in enumerate(helpers, start=1):
                worker.start(body, slice(bounds[i], bounds[i + 1]))
            try:
                _run_piece(body, slice(bounds[0], bounds[1]))
            except Exception as err:  # noqa: BLE001 - re-raised below, once the other pieces are done
                error = err
            for worker in helpers:
                piece_error = worker.wait()               # wait for every piece, even after an error
                error = error or piece_error
        except BaseException:
            # Interrupted (Ctrl-C, "interrupt kernel") while handing out or waiting: some pieces may still
            # run. Retire these workers rather than wait, so that no later call collects a stale result.
            _retire_workers()
            raise
    finally:
        _lock.release()
    if error is not None:
        raise error


def matmul(a: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``a @ b`` for 2-D arrays, cut along the longer side of the result (never along the summed axis)."""
    m, n = a.shape[0], b.shape[1]
    if out is None:
        out = np.empty((m, n), dtype=np.result_type(a, b))
    work = m * n + a.size + b.size
    if m >= n:
        parallel_for(m, lambda s: np.matmul(a[s], b, out=out[s]), work)
    else:
        parallel_for(n, lambda s: np.matmul(a, b[:, s], out=out[:, s]), work)
    return out


def _split(arg: Any, axis: int, ndim: int, n: int, s: slice) -> Any:
    """``arg``'s piece ``s`` along ``axis`` if it is a full-size operand, else ``arg`` itself (broadcast)."""
    if isinstance(arg, np.ndarray) and arg.ndim == ndim and arg.shape[axis] == n:
        return arg[(slice(None),) * axis + (s,)]
    return arg


def ufunc(f: np.ufunc, *args: Any, out: np.ndarray | None = None, axis: int = 0) -> np.ndarray:
    """``f(*args, out=out)`` for a NumPy ufunc (``np.maximum``, ``np.multiply``, ...), cut along ``axis``.

    Operands with the result's number of dimensions and its full length along
    ``axis`` are cut; the others (scalars, a bias of shape ``(F, 1, 1)``)
    broadcast as usual.
    """
    if out is None:
        shape = np.broadcast_shapes(*(np.shape(a) for a in args))
        sample = f(*(a.reshape(-1)[:1] if isinstance(a, np.ndarray) else a for a in args))  # the result's dtype
        out = np.empty(shape, dtype=sample.dtype)
    n = out.shape[axis]
    parallel_for(n, lambda s: f(*(_split(a, axis, out.ndim, n, s) for a in args),
                                out=out[(slice(None),) * axis + (s,)]), out.size)
    return out


def copyto(dst: np.ndarray, src: np.ndarray, axis: int = 0) -> np.ndarray:
    """``dst[...] = src`` (``src`` may be any strided view of the same shape), cut along ``axis``."""
    n = dst.shape[axis]
    cut = (slice(None),) * axis
    parallel_for(n, lambda s: np.copyto(dst[cut + (s,)], src[cut + (s,)]), dst.size)
    return dst
