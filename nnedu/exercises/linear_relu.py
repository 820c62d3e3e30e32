r"""Checks for notebook 01: the backward passes of ReLU and of the affine (Linear) layer.

The student writes

* ``relu_backward(X, G) -> dX`` with ``dX = G * 1[X > 0]``, and
* ``linear_backward(X, W, G) -> (dX, dW, db)`` for ``Y = X W + b`` with
  ``X`` of shape ``(N, D)``, ``W`` of shape ``(D, M)``, ``G = dL/dY`` of shape ``(N, M)``:
  ``dX = G W^T``, ``dW = X^T G``, ``db = sum_n G[n]``.

Both are compared with :class:`nnedu.nn.ReLU` / :class:`nnedu.nn.Linear` and
with central-difference gradients of ``L = sum(Y * G)``.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from nnedu.checking import numerical_gradient
from nnedu.exercises.report import Case, CheckResult, Comparison, float64, run_check, unpack


def _relu_case(label: str, X: np.ndarray, G: np.ndarray, numerical: bool, hint: str = "") -> Case:
    def run(fn: Callable) -> list[Comparison]:
        from nnedu.nn import ReLU
        with float64():
            ref = ReLU()
            ref(X)
            expected = ref.backward(G.copy())
        dX = fn(X.copy(), G.copy())
        out = [Comparison("dX", dX, expected)]
        if numerical:
            Xc = X.copy()
            num = numerical_gradient(lambda: float(np.sum(np.maximum(Xc, 0) * G)), Xc)
            out.append(Comparison("dX", dX, num, kind="numerical"))
        return out
    return Case(label, run, hint)


def _away_from_zero(a: np.ndarray, margin: float = 0.05) -> np.ndarray:
    """Push entries away from the kink at 0, where a numerical derivative is meaningless."""
    return np.where(a >= 0, a + margin, a - margin)


def check_relu_backward(fn: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> CheckResult:
    """Check ``relu_backward(X, G) -> dX`` on several seeded inputs and edge cases.

    Parameters
    ----------
    fn : callable
        The student's ``relu_backward(X, G)``; ``X`` is the forward input, ``G = dL/dY``.

    Returns
    -------
    CheckResult
        Truthy when every case passes; a PASS/FAIL line (or "not implemented yet") is printed.
    """
    rng = np.random.default_rng(2024)
    cases = [
        _relu_case("X and G of shape (4, 5), random", _away_from_zero(rng.standard_normal((4, 5))),
                   rng.standard_normal((4, 5)), numerical=True),
        _relu_case("a single example, shape (1, 7)", _away_from_zero(rng.standard_normal((1, 7))),
                   rng.standard_normal((1, 7)), numerical=True),
        _relu_case("a 4-D input (2, 3, 4, 4): ReLU works entry by entry on any shape",
                   _away_from_zero(rng.standard_normal((2, 3, 4, 4))), rng.standard_normal((2, 3, 4, 4)),
                   numerical=True, hint="do not assume 2-D input; use elementwise operations only"),
        _relu_case("all inputs negative: no gradient passes", -np.abs(rng.standard_normal((3, 4))) - 0.1,
                   rng.standard_normal((3, 4)), numerical=True,
                   hint="where X < 0 the output is constant 0, so dX must be 0 there"),
        _relu_case("inputs exactly 0 (the kink)", np.array([[0.0, 1.0, -1.0], [0.0, 0.0, 2.0]]),
                   rng.standard_normal((2, 3)), numerical=False,
                   hint="at X = 0 use the subgradient 0 (mask X > 0, not X >= 0), as PyTorch does"),
    ]
    return run_check("relu_backward", fn, cases,
                     hint="dX = G * (X > 0): the upstream gradient passes where the input was positive")


def _linear_case(label: str, N: int, D: int, M: int, rng: np.random.Generator, hint: str = "") -> Case:
    X = rng.standard_normal((N, D))
    W = rng.standard_normal((D, M)) / np.sqrt(D)
    b = rng.standard_normal(M)
    G = rng.standard_normal((N, M))

    def run(fn: Callable) -> list[Comparison]:
        from nnedu.nn import Linear
        with float64():
            ref = Linear(D, M, rng=0)
            ref.weight.data[...] = W
            ref.bias.data[...] = b
            ref.zero_grad()
            ref(X.copy())
            dX_ref = ref.backward(G.copy())
            dW_ref, db_ref = ref.weight.grad.copy(), ref.bias.grad.copy()
        dX, dW, db = unpack(fn(X.copy(), W.copy(), G.copy()), ("dX", "dW", "db"), "linear_backward")
        Xc, Wc, bc = X.copy(), W.copy(), b.copy()

        def loss() -> float:
            return float(np.sum((Xc @ Wc + bc) * G))

        return [
            Comparison("dX", dX, dX_ref, hint="dX = G W^T has the shape of X, (N, D)"),
            Comparison("dW", dW, dW_ref, hint="dW = X^T G has the shape of W, (D, M)"),
            Comparison("db", db, db_ref, hint="db sums G over the batch: G.sum(axis=0), shape (M,)"),
            Comparison("dX", dX, numerical_gradient(loss, Xc), kind="numerical"),
            Comparison("dW", dW, numerical_gradient(loss, Wc), kind="numerical"),
            Comparison("db", db, numerical_gradient(loss, bc), kind="numerical"),
        ]
    return Case(f"{label}: X {(N, D)}, W {(D, M)}, G {(N, M)}", run, hint)


def check_linear_backward(
        fn: Callable[[np.ndarray, np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]],
) -> CheckResult:
    """Check ``linear_backward(X, W, G) -> (dX, dW, db)`` for ``Y = X W + b``.

    Parameters
    ----------
    fn : callable
        The student's function; ``X`` is ``(N, D)``, ``W`` is ``(D, M)``, ``G = dL/dY`` is ``(N, M)``.

    Returns
    -------
    CheckResult
        Truthy when every case passes; a PASS/FAIL line (or "not implemented yet") is printed.
    """
    rng = np.random.default_rng(7)
    cases = [
        _linear_case("random", 4, 5, 3, rng),
        _linear_case("a single example", 1, 6, 4, rng,
                     hint="with N = 1, db must still have shape (M,): sum over axis 0, no keepdims"),
        _linear_case("one input feature", 5, 1, 3, rng),
        _linear_case("more outputs than inputs, odd sizes", 7, 3, 9, rng),
    ]
    return run_check("linear_backward", fn, cases,
                     hint="write the shapes next to each product: (N,M)@(M,D) -> (N,D), "
                          "(D,N)@(N,M) -> (D,M)")
