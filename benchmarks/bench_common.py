"""What ``bench_conv.py`` and ``bench_layers.py`` share: the timer and the nnedu/PyTorch step pairs.

Import this only after the scripts have set the thread environment variables
(it imports NumPy, which reads them once).
"""
from __future__ import annotations

import time
from typing import Callable

import numpy as np

from nnedu import nn
from nnedu.optim import SGD

Step = Callable[[], None]


def _timings(fn: Callable[[], object], calls: int) -> list[tuple[float, float]]:
    """Wall-clock and CPU seconds of each of ``calls`` calls of ``fn()``."""
    out = []
    for _ in range(calls):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        out.append((time.perf_counter() - t0, time.process_time() - c0))
    return out


def _medians(timings: list[tuple[float, float]]) -> tuple[float, float]:
    wall, cpu = np.median(np.array(timings), axis=0)
    return float(wall), float(cpu)


def median_time(fn: Callable[[], object], steps: int, warmup: int) -> tuple[float, float]:
    """Median wall-clock and median CPU seconds of ``fn()`` over ``steps`` calls after ``warmup`` calls.

    CPU time (summed over threads) is what the computation costs; it is less
    disturbed than wall-clock time when other processes share the cores.
    """
    for _ in range(warmup):
        fn()
    return _medians(_timings(fn, steps))


def paired_median_times(ours: Callable[[], object], theirs: Callable[[], object], steps: int,
                        warmup: int, run: int = 5) -> tuple[tuple[float, float], tuple[float, float]]:
    """:func:`median_time` of ``ours`` and of ``theirs``, in alternating runs of ``run`` calls.

    Alternating means a disturbance from other processes (a burst of load, a
    frequency change) falls on both, so their ratio is steadier than when one
    is timed after the other. The first call of each run is not counted: it
    finds the caches full of the other library's data, and PyTorch's OpenMP
    threads may still be spinning from its last call.
    """
    for _ in range(warmup):
        ours()
        theirs()
    times: tuple[list, list] = ([], [])
    while len(times[0]) < steps:
        for fn, fn_times in zip((ours, theirs), times):
            fn()
            fn_times.extend(_timings(fn, run - 1))
    return _medians(times[0]), _medians(times[1])


def fwd_bwd_steps(torch, ours: nn.Module, theirs, x: np.ndarray, input_grad: bool = True) -> tuple[Step, Step]:
    """Forward + backward of one layer in both libraries, same input and upstream gradient."""
    G = np.random.default_rng(1).standard_normal(ours(x).shape).astype(np.float32)
    xt, Gt = torch.from_numpy(x).requires_grad_(input_grad), torch.from_numpy(G)
    if hasattr(ours, "needs_input_grad"):
        ours.needs_input_grad = input_grad

    def ours_step() -> None:
        ours(x)
        ours.backward(G)

    def theirs_step() -> None:
        theirs(xt).backward(Gt)
    return ours_step, theirs_step


def train_steps(torch, model: nn.Sequential, ref, x: np.ndarray, y: np.ndarray,
                input_grad: bool = False) -> tuple[Step, Step]:
    """One train step (forward, cross-entropy, backward, SGD update) of ``model`` and its PyTorch twin ``ref``.

    ``input_grad`` says whether the first layer also computes ``dL/dx`` (in both libraries).
    """
    model[0].needs_input_grad = input_grad
    criterion, opt = nn.CrossEntropyLoss(), SGD(model.parameters(), lr=0.01)
    ref_criterion, ref_opt = torch.nn.CrossEntropyLoss(), torch.optim.SGD(ref.parameters(), lr=0.01)
    xt, yt = torch.from_numpy(x).requires_grad_(input_grad), torch.from_numpy(y)

    def ours_step() -> None:
        opt.zero_grad()
        criterion(model(x), y)
        model.backward(criterion.backward())
        opt.step()

    def theirs_step() -> None:
        ref_opt.zero_grad()
        ref_criterion(ref(xt), yt).backward()
        ref_opt.step()
    return ours_step, theirs_step
