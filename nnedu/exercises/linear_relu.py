r"""Checks for notebook 01: the affine layer and ReLU, forward and backward.

The student writes, with ``X`` (N, D), ``W`` (D, M), ``b`` (M,), ``G = dL/dY`` (N, M):

* ``linear_forward(X, W, b) -> Y = X W + b``;
* ``linear_backward(X, W, G) -> (dX, dW, db) = (G W^T, X^T G, sum_n G[n])``;
* ``relu_forward(X) -> max(X, 0)``;
* ``relu_backward(X, G) -> G * 1[X > 0]``.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from nnedu import nn
from nnedu.exercises import reference as ref
from nnedu.exercises.checker import Bug, Case, Convention, Exercise, check
from nnedu.exercises.report import CheckResult
from nnedu.functional import relu

NOTEBOOK = "01_linear_relu"


def _linear_inputs(rng: np.random.Generator, N: int, D: int, M: int) -> tuple[np.ndarray, ...]:
    return rng.standard_normal((N, D)), rng.standard_normal((D, M)) / np.sqrt(D), rng.standard_normal(M)


def _away_from_zero(a: np.ndarray, margin: float = 0.05) -> np.ndarray:
    """Push entries away from the kink at 0, so that only the zero-case tests the choice made there."""
    return np.where(a >= 0, a + margin, a - margin)


def _linear_forward_exercise() -> Exercise:
    rng = np.random.default_rng(11)
    cases = [
        Case("random X (4, 5), W (5, 3), b (3,)", _linear_inputs(rng, 4, 5, 3)),
        Case("a square W (6, 6): a transposed W has the right shape here", _linear_inputs(rng, 3, 6, 6)),
        Case("a single example, X (1, 7)", _linear_inputs(rng, 1, 7, 2),
             hint="with N = 1, Y must still be 2-D: shape (1, M)"),
        Case("float32 inputs, X (5, 4), W (4, 3)",
             tuple(a.astype(np.float32) for a in _linear_inputs(rng, 5, 4, 3))),
    ]
    return Exercise(
        "linear_forward", ref.linear_forward, cases, ("Y",), notebook=NOTEBOOK,
        hint="each row of X is one example; every output unit is a weighted sum of the example's "
             "D inputs plus that unit's bias",
        formula="Y = X @ W + b   (N, D) @ (D, M) -> (N, M), and b (M,) is added to every row",
        bugs=[
            Bug("you forgot the bias b: Y = X W + b", lambda X, W, b: X @ W),
            Bug("you used W transposed: with W of shape (D, M), Y = X @ W, not X @ W.T",
                lambda X, W, b: X @ W.T + b),
            Bug("you applied ReLU as well: the affine layer is only X W + b; the non-linearity is a "
                "layer of its own", lambda X, W, b: np.maximum(X @ W + b, 0)),
            Bug("you subtracted the bias instead of adding it", lambda X, W, b: X @ W - b),
        ],
        library=(nn.Linear.forward,),
    )


def _linear_backward_exercise() -> Exercise:
    rng = np.random.default_rng(7)

    def inputs(N: int, D: int, M: int, dtype: type = np.float64) -> tuple[np.ndarray, ...]:
        X, W, _ = _linear_inputs(rng, N, D, M)
        return tuple(a.astype(dtype) for a in (X, W, rng.standard_normal((N, M))))

    cases = [
        Case("random: X (4, 5), W (5, 3), G (4, 3)", inputs(4, 5, 3)),
        Case("a square W (4, 4): a missing transpose has the right shape here", inputs(3, 4, 4)),
        Case("a single example: X (1, 6), W (6, 4)", inputs(1, 6, 4),
             hint="with N = 1, db must still have shape (M,): sum over axis 0, no keepdims"),
        Case("more outputs than inputs, odd sizes: X (7, 3), W (3, 9)", inputs(7, 3, 9)),
        Case("float32: X (6, 5), W (5, 4)", inputs(6, 5, 4, np.float32)),
    ]
    return Exercise(
        "linear_backward", ref.linear_backward, cases, ("dX", "dW", "db"), notebook=NOTEBOOK,
        hint="each gradient has the shape of the thing it is the gradient of; write the shapes next to "
             "each product and there is only one way to multiply them",
        formula="dX = G @ W.T  (N, M)@(M, D);  dW = X.T @ G  (D, N)@(N, M);  db = G.sum(axis=0)  (M,)",
        bugs=[
            Bug("dW is transposed: you computed G^T X, of shape (M, D); W is (D, M), so dW = X^T G",
                lambda X, W, G: (G @ W.T, G.T @ X, G.sum(axis=0))),
            Bug("you averaged db over the batch: the loss adds the contributions of the N examples, so "
                "db sums them (no 1/N here; the loss already divides by N)",
                lambda X, W, G: (G @ W.T, X.T @ G, G.mean(axis=0))),
            Bug("you divided dW (and db) by N: the 1/N of a mean loss is already inside G",
                lambda X, W, G: (G @ W.T, X.T @ G / len(X), G.sum(axis=0) / len(X))),
            Bug("you divided dW by N: the 1/N of a mean loss is already inside G, so dW = X^T G "
                "(db you got right)", lambda X, W, G: (G @ W.T, X.T @ G / len(X), G.sum(axis=0))),
            Bug("you returned the gradients in the wrong order: return (dX, dW, db), in the order of the "
                "inputs X, W, b (your first value is dW, your second dX)",
                lambda X, W, G: (X.T @ G, G @ W.T, G.sum(axis=0))),
            Bug("dX uses W without the transpose: dX = G W^T (it maps the M output gradients back to "
                "the D inputs)", lambda X, W, G: (G @ W, X.T @ G, G.sum(axis=0))),
            Bug("db is summed over the wrong axis: sum over the batch (axis 0), one entry per output unit",
                lambda X, W, G: (G @ W.T, X.T @ G, G.sum(axis=1))),
        ],
        library=(nn.Linear.backward,),
    )


def _relu_forward_exercise() -> Exercise:
    rng = np.random.default_rng(5)
    cases = [
        Case("X (4, 5), random", (rng.standard_normal((4, 5)),)),
        Case("a 4-D input (2, 3, 4, 4): ReLU works entry by entry on any shape",
             (rng.standard_normal((2, 3, 4, 4)),), hint="use entrywise operations only"),
        Case("all inputs negative", (-np.abs(rng.standard_normal((3, 4))) - 0.1,)),
        Case("float32 input (3, 6)", (rng.standard_normal((3, 6)).astype(np.float32),)),
    ]
    return Exercise(
        "relu_forward", ref.relu_forward, cases, ("Y",), notebook=NOTEBOOK,
        hint="ReLU keeps a positive input as it is and replaces a negative one by zero, entry by entry",
        formula="Y = np.maximum(X, 0)",
        bugs=[
            Bug("np.max(X, 0) is a reduction (the largest entry of each column); the entrywise maximum "
                "with 0 is np.maximum(X, 0)", lambda X: np.max(X, 0)),
            Bug("you returned the mask X > 0 (True/False), not the values: multiply it by X",
                lambda X: X > 0),
            Bug("negative inputs are scaled, not zeroed: that is a leaky ReLU",
                lambda X: np.where(X > 0, X, 0.01 * X)),
            Bug("np.abs flips negative inputs to positive; ReLU sets them to 0", lambda X: np.abs(X)),
        ],
        library=(nn.ReLU.forward, relu),
    )


def _relu_backward_exercise() -> Exercise:
    rng = np.random.default_rng(2024)

    def inputs(shape: tuple[int, ...], dtype: type = np.float64) -> tuple[np.ndarray, np.ndarray]:
        return (_away_from_zero(rng.standard_normal(shape)).astype(dtype), rng.standard_normal(shape).astype(dtype))

    cases = [
        Case("X and G of shape (4, 5), random", inputs((4, 5))),
        Case("a single example, shape (1, 7)", inputs((1, 7))),
        Case("a 4-D input (2, 3, 4, 4): ReLU works entry by entry on any shape", inputs((2, 3, 4, 4)),
             hint="do not assume 2-D input; use entrywise operations only"),
        Case("all inputs negative: no gradient passes",
             (-np.abs(rng.standard_normal((3, 4))) - 0.1, rng.standard_normal((3, 4))),
             hint="where X < 0 the output is the constant 0, so dX must be 0 there"),
        Case("float32, shape (3, 5)", inputs((3, 5), np.float32)),
        Case("inputs exactly 0 (the kink)", (np.array([[0.0, 1.0, -1.0], [0.0, 0.0, 2.0]]),
                                             rng.standard_normal((2, 3)))),
    ]
    return Exercise(
        "relu_backward", ref.relu_backward, cases, ("dX",), notebook=NOTEBOOK,
        hint="where the input was positive ReLU is the identity, so the upstream gradient passes "
             "unchanged; where it was negative the output is constant, so nothing passes",
        formula="dX = G * (X > 0)",
        conventions=[Convention(
            "at X = 0 you let the gradient through (X >= 0). That is a valid subgradient (any value in "
            "[0, 1] is); this course, like PyTorch, uses 0 there, so its gradient checks and yours agree "
            "with PyTorch's numbers. It changes nothing in training.",
            lambda X, G: G * (X >= 0))],
        bugs=[
            Bug("you returned the mask (X > 0) alone: multiply it by the upstream gradient G "
                "(the chain rule)", lambda X, G: (X > 0).astype(G.dtype)),
            Bug("the mask comes from the sign of G; it must come from the forward input X "
                "(where X was positive)", lambda X, G: G * (G > 0)),
            Bug("you multiplied G by X; the derivative of ReLU is 1 or 0 (a mask), not X",
                lambda X, G: G * X),
            Bug("you applied ReLU to X and multiplied by G: the local derivative is the mask X > 0, "
                "not max(X, 0)", lambda X, G: G * np.maximum(X, 0)),
        ],
        library=(nn.ReLU.backward,),
    )


EXERCISES = {
    "linear_forward": _linear_forward_exercise,
    "linear_backward": _linear_backward_exercise,
    "relu_forward": _relu_forward_exercise,
    "relu_backward": _relu_backward_exercise,
}


def check_linear_forward(fn: Callable, reveal: bool = False) -> CheckResult:
    """Check the student's ``linear_forward(X, W, b) -> Y`` (prints the verdict)."""
    return check(_linear_forward_exercise(), fn, reveal)


def check_linear_backward(fn: Callable, reveal: bool = False) -> CheckResult:
    """Check the student's ``linear_backward(X, W, G) -> (dX, dW, db)`` (prints the verdict)."""
    return check(_linear_backward_exercise(), fn, reveal)


def check_relu_forward(fn: Callable, reveal: bool = False) -> CheckResult:
    """Check the student's ``relu_forward(X) -> Y`` (prints the verdict)."""
    return check(_relu_forward_exercise(), fn, reveal)


def check_relu_backward(fn: Callable, reveal: bool = False) -> CheckResult:
    """Check the student's ``relu_backward(X, G) -> dX`` (prints the verdict)."""
    return check(_relu_backward_exercise(), fn, reveal)
