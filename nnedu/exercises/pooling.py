r"""Checks for notebook 05: the backward passes of max and average pooling.

The student writes ``maxpool_backward(X, G, kernel_size, stride) -> dX`` and
``avgpool_backward(X, G, kernel_size, stride) -> dX`` for pooling without
padding, ``X`` of shape ``(N, C, H, W)`` and ``G = dL/dY`` of shape
``(N, C, H_out, W_out)`` with ``H_out = (H - k) // s + 1``:

* max: each ``G[n, c, i, j]`` goes to the position of the maximum of its window
  (on ties: the first maximum in row-major order, as PyTorch does); other
  positions get nothing;
* average: each ``G[n, c, i, j]`` is spread evenly, ``G / k^2`` to every position of its window.

Where windows overlap (``s < k``) the contributions *add up*. Both are compared
with :class:`nnedu.nn.MaxPool2d` / :class:`nnedu.nn.AvgPool2d` and with central differences.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from nnedu.checking import numerical_gradient
from nnedu.exercises.report import Case, CheckResult, Comparison, float64, run_check


def _pool_case(kind: str, label: str, X: np.ndarray, k: int, s: int, rng: np.random.Generator,
               numerical: bool = True, hint: str = "") -> Case:
    def make():
        from nnedu.nn import AvgPool2d, MaxPool2d
        return (MaxPool2d if kind == "max" else AvgPool2d)(k, stride=s)

    N, C, H, W = X.shape
    G = rng.standard_normal((N, C, (H - k) // s + 1, (W - k) // s + 1))

    def run(fn: Callable) -> list[Comparison]:
        with float64():
            ref = make()
            ref(X.copy())
            expected = ref.backward(G.copy())
        dX = fn(X.copy(), G.copy(), k, s)
        out = [Comparison("dX", dX, expected)]
        if numerical:
            Xc = X.copy()
            with float64():
                pool = make()
                num = numerical_gradient(lambda: float(np.sum(pool(Xc) * G)), Xc)
            out.append(Comparison("dX", dX, num, kind="numerical"))
        return out
    return Case(f"{label}: X {X.shape}, kernel_size={k}, stride={s}", run, hint)


def _distinct(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """Values 0.1 apart in random order: no ties, so the numerical gradient is well defined."""
    return (rng.permutation(int(np.prod(shape))) * 0.1 - 1.0).reshape(shape)


def _cases(kind: str, rng: np.random.Generator) -> list[Case]:
    overlap_hint = ("windows overlap when stride < kernel_size: add (+=) each window's contribution, "
                    "do not overwrite")
    cases = [
        _pool_case(kind, "2x2 windows, stride 2", _distinct((2, 3, 4, 4), rng), 2, 2, rng),
        _pool_case(kind, "overlapping 3x3 windows, stride 1", _distinct((1, 2, 5, 5), rng), 3, 1, rng,
                   hint=overlap_hint),
        _pool_case(kind, "overlapping 3x3 windows, stride 2 (LeNet/AlexNet style)", _distinct((2, 1, 7, 7), rng),
                   3, 2, rng, hint=overlap_hint),
        _pool_case(kind, "odd size: the last row and column are not covered", _distinct((1, 2, 5, 7), rng),
                   2, 2, rng, hint="H_out = (H - k) // s + 1; positions outside every window get 0"),
    ]
    if kind == "max":
        X = np.zeros((1, 1, 4, 4))
        X[0, 0, 2:, 2:] = [[1.0, 1.0], [1.0, 0.0]]
        cases.append(_pool_case(kind, "ties: equal values inside a window", X, 2, 2, rng, numerical=False,
                                hint="on ties send the whole gradient to the first maximum of the window "
                                     "(np.argmax of the flattened window), as PyTorch does"))
    return cases


def check_maxpool_backward(fn: Callable[[np.ndarray, np.ndarray, int, int], np.ndarray]) -> CheckResult:
    """Check ``maxpool_backward(X, G, kernel_size, stride) -> dX`` (no padding).

    Parameters
    ----------
    fn : callable
        The student's function; ``X`` is ``(N, C, H, W)`` and ``G`` is ``(N, C, H_out, W_out)``.

    Returns
    -------
    CheckResult
        Truthy when every case passes; a PASS/FAIL line (or "not implemented yet") is printed.
    """
    return run_check("maxpool_backward", fn, _cases("max", np.random.default_rng(15)),
                     hint="for each output (i, j) find the argmax of its window and add G[n,c,i,j] there")


def check_avgpool_backward(fn: Callable[[np.ndarray, np.ndarray, int, int], np.ndarray]) -> CheckResult:
    """Check ``avgpool_backward(X, G, kernel_size, stride) -> dX`` (no padding).

    Parameters
    ----------
    fn : callable
        The student's function; ``X`` is ``(N, C, H, W)`` and ``G`` is ``(N, C, H_out, W_out)``.

    Returns
    -------
    CheckResult
        Truthy when every case passes; a PASS/FAIL line (or "not implemented yet") is printed.
    """
    return run_check("avgpool_backward", fn, _cases("avg", np.random.default_rng(16)),
                     hint="for each output (i, j) add G[n,c,i,j] / k**2 to every position of its window")
