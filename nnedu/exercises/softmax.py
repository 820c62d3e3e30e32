r"""Checks for notebook 02: a stable softmax and the gradient of softmax cross-entropy.

The student writes

* ``softmax(Z) -> P`` for logits ``Z`` of shape ``(N, C)``, row by row,
  ``P[n, k] = exp(Z[n, k] - m_n) / sum_j exp(Z[n, j] - m_n)`` with ``m_n = max_j Z[n, j]``,
  finite for logits of any magnitude, and
* ``softmax_ce_backward(Z, y) -> dZ`` for the mean cross-entropy
  ``L = -(1/N) sum_n log P[n, y_n]`` with integer labels ``y`` of shape ``(N,)``:
  ``dL/dZ = (P - Y) / N`` where ``Y`` is the one-hot matrix of ``y``.

They are compared with :func:`nnedu.functional.softmax`, with
:class:`nnedu.nn.CrossEntropyLoss` and with central differences of the loss.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from nnedu.checking import numerical_gradient
from nnedu.exercises.report import Case, CheckResult, Comparison, float64, run_check


def _softmax_case(label: str, Z: np.ndarray, hint: str = "") -> Case:
    def run(fn: Callable) -> list[Comparison]:
        from nnedu.functional import softmax
        P = fn(Z.copy())
        return [Comparison("P", P, softmax(Z, axis=-1))]
    return Case(f"{label}, Z of shape {Z.shape}", run, hint)


def check_softmax(fn: Callable[[np.ndarray], np.ndarray]) -> CheckResult:
    """Check a numerically stable ``softmax(Z) -> P`` over the last axis of ``(N, C)`` logits.

    Parameters
    ----------
    fn : callable
        The student's softmax.

    Returns
    -------
    CheckResult
        Truthy when every case passes; a PASS/FAIL line (or "not implemented yet") is printed.
    """
    rng = np.random.default_rng(11)
    cases = [
        _softmax_case("random logits", rng.standard_normal((4, 6))),
        _softmax_case("a single example", rng.standard_normal((1, 3))),
        _softmax_case("large positive logits (exp(1000) overflows)", 1000.0 + rng.standard_normal((3, 5)),
                      hint="subtract each row's maximum before exponentiating"),
        _softmax_case("logits of +-1e4 in one row", np.array([[1e4, 0.0, -1e4], [-1e4, -1e4, -1e4 + 1.0]]),
                      hint="subtract the maximum of each row (keepdims=True), not of the whole array"),
        _softmax_case("rows on very different scales", np.array([[1.0, 2.0, 3.0], [100.0, 200.0, 300.0]]),
                      hint="the maximum must be taken per row: Z.max(axis=1, keepdims=True)"),
    ]
    return run_check("softmax", fn, cases,
                     hint="P = exp(Z - max) / sum(exp(Z - max)) along axis 1; each row must sum to 1")


def _ce_case(label: str, Z: np.ndarray, y: np.ndarray, numerical: bool, hint: str = "") -> Case:
    def run(fn: Callable) -> list[Comparison]:
        from nnedu.nn import CrossEntropyLoss
        with float64():
            crit = CrossEntropyLoss()
            crit(Z.copy(), y.copy())
            expected = crit.backward()
        dZ = fn(Z.copy(), y.copy())
        out = [Comparison("dZ", dZ, expected)]
        if numerical:
            Zc = Z.copy()
            with float64():
                crit2 = CrossEntropyLoss()
                num = numerical_gradient(lambda: float(crit2(Zc, y)), Zc)
            out.append(Comparison("dZ", dZ, num, kind="numerical"))
        return out
    return Case(f"{label}, Z of shape {Z.shape}", run, hint)


def check_softmax_ce_backward(fn: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> CheckResult:
    """Check ``softmax_ce_backward(Z, y) -> dZ`` for the batch-mean softmax cross-entropy.

    Parameters
    ----------
    fn : callable
        The student's function; ``Z`` is ``(N, C)`` logits, ``y`` is ``(N,)`` integer labels.

    Returns
    -------
    CheckResult
        Truthy when every case passes; a PASS/FAIL line (or "not implemented yet") is printed.
    """
    rng = np.random.default_rng(12)
    cases = [
        _ce_case("random logits, 4 classes", rng.standard_normal((6, 4)), rng.integers(0, 4, 6), True),
        _ce_case("a single example", rng.standard_normal((1, 5)), np.array([3]), True,
                 hint="with N = 1 the gradient is P - Y; check that you divide by N, not by C"),
        _ce_case("two classes, all labels equal", rng.standard_normal((5, 2)), np.zeros(5, dtype=np.int64),
                 True),
        _ce_case("10 classes, batch of 8 (the mean over the batch matters)", 3 * rng.standard_normal((8, 10)),
                 rng.integers(0, 10, 8), True,
                 hint="the loss is a mean over the batch, so the gradient carries a factor 1/N"),
        _ce_case("logits of +-1e4 (naive exp overflows)", np.array([[1e4, 0.0, -1e4], [-1e4, 1e4, 0.0]]),
                 np.array([1, 1]), False,
                 hint="compute the probabilities with the max-subtraction trick; the result must be finite"),
    ]
    return run_check("softmax_ce_backward", fn, cases,
                     hint="dZ = (softmax(Z) - one_hot(y)) / N; one-hot: Y = np.zeros_like(P); "
                          "Y[np.arange(N), y] = 1")
