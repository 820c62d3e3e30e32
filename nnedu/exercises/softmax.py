r"""Checks for notebook 02: a stable softmax, cross-entropy with log-sum-exp, and its gradient.

The student writes, for logits ``Z`` of shape ``(N, C)`` and integer labels ``y`` of shape ``(N,)``:

* ``softmax(Z) -> P`` with ``P[n, k] = exp(Z[n, k] - m_n) / sum_j exp(Z[n, j] - m_n)``,
  ``m_n = max_j Z[n, j]``, finite for logits of any magnitude;
* ``cross_entropy(Z, y) -> L = -(1/N) sum_n log P[n, y_n]`` with
  ``log P[n, k] = Z[n, k] - m_n - log sum_j exp(Z[n, j] - m_n)`` (log-sum-exp: never ``log(softmax)``,
  whose probabilities underflow to 0 for a confidently wrong example);
* ``softmax_ce_backward(Z, y) -> dZ = (P - Y) / N`` with ``Y`` the one-hot matrix of ``y``.

Some cases sit where float64 runs out of range on purpose: a logit of 740 (``exp`` overflows at
709.8) and a probability of ``e^-743`` (below the smallest normal float64, about ``e^-708``, it
survives only as an imprecise *subnormal* number). There the textbook formulas still give finite
but wrong numbers, so the checker can name the mistake instead of only reporting a ``nan``.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from nnedu import functional as F
from nnedu import nn
from nnedu.exercises import reference as ref
from nnedu.exercises.checker import Bug, Case, Exercise, check
from nnedu.exercises.report import CheckResult

NOTEBOOK = "02_softmax_cross_entropy"


def _rows(E: np.ndarray) -> np.ndarray:
    return E / E.sum(axis=1, keepdims=True)


def _naive_softmax(Z: np.ndarray) -> np.ndarray:
    """The textbook formula, without subtracting the maximum."""
    return _rows(np.exp(Z))


def _stable_softmax(Z: np.ndarray) -> np.ndarray:
    return _rows(np.exp(Z - Z.max(axis=1, keepdims=True)))


def _true_class(A: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``A[n, y_n]`` for every row ``n``."""
    return A[np.arange(len(y)), y]


def _log_softmax(Z: np.ndarray) -> np.ndarray:
    m = Z.max(axis=1, keepdims=True)
    return Z - m - np.log(np.exp(Z - m).sum(axis=1, keepdims=True))


def _minus_one_in_every_row(Z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The bug ``P[:, y] -= 1``: every row loses 1 at every label that occurs in the batch."""
    P = _stable_softmax(Z)
    P[:, y] -= 1
    return P / len(Z)


def _softmax_exercise() -> Exercise:
    rng = np.random.default_rng(11)
    cases = [
        Case("random logits, Z (4, 6)", (rng.standard_normal((4, 6)),)),
        Case("a single example, Z (1, 3)", (rng.standard_normal((1, 3)),),
             hint="with N = 1, P must still be 2-D: shape (1, C)"),
        Case("a square Z (3, 3): a missing keepdims=True broadcasts without an error here",
             (rng.standard_normal((3, 3)),),
             hint="Z.max(axis=1) has shape (N,); keepdims=True gives (N, 1), one maximum per row"),
        Case("large logits, Z = 1000 + noise (exp(1000) overflows)", (1000.0 + rng.standard_normal((3, 5)),),
             hint="exp overflows above about 709.8 in float64 (88.7 in float32): shift the logits first"),
        Case("very negative logits, Z = [[-740, -739, -738]]: exp(-740) is a subnormal number, "
             "accurate to only a few digits", (np.array([[-740.0, -739.0, -738.0]]),),
             hint="softmax does not change when a constant is added to a row; choose the constant so "
                  "that the largest exponent is exp(0) = 1"),
        Case("two rows on very different scales, [[0, 1, 2], [738, 739, 740]]",
             (np.array([[0.0, 1.0, 2.0], [738.0, 739.0, 740.0]]),),
             hint="shift each row by its own maximum: one maximum for the whole batch is too far from "
                  "the other rows"),
        Case("logits of +-1e4", (np.array([[1e4, 0.0, -1e4], [-1e4, -1e4, -1e4 + 1.0]]),)),
        Case("float32 logits, Z (5, 4)", ((4 * rng.standard_normal((5, 4))).astype(np.float32),)),
    ]
    return Exercise(
        "softmax", ref.softmax, cases, ("P",), notebook=NOTEBOOK,
        hint="each row is one example: its C probabilities are positive and sum to 1. Adding a constant "
             "to a row does not change its softmax, and the right constant keeps every exponential in range",
        formula="E = np.exp(Z - Z.max(axis=1, keepdims=True));  P = E / E.sum(axis=1, keepdims=True)",
        bugs=[
            Bug("you normalised each column (axis 0): each row (one example) must sum to 1",
                lambda Z: np.exp(Z) / np.exp(Z).sum(axis=0, keepdims=True)),
            Bug("you divided by the sum over the whole batch: each row (one example) must sum to 1, so sum "
                "over axis 1 with keepdims=True",
                lambda Z: (lambda E: E / E.sum())(np.exp(Z - Z.max(axis=1, keepdims=True)))),
            Bug("you subtracted the maximum of each column (axis 0): softmax is unchanged only when the "
                "same constant is subtracted from a whole row, so use each row's maximum",
                lambda Z: _rows(np.exp(Z - Z.max(axis=0, keepdims=True)))),
            Bug("without keepdims=True the row maxima (shape (N,)) are subtracted along the columns: "
                "use Z.max(axis=1, keepdims=True), shape (N, 1)",
                lambda Z: _rows(np.exp(Z - Z.max(axis=1)))),
            Bug("without keepdims=True the row sums (shape (N,)) divide along the columns: "
                "use E.sum(axis=1, keepdims=True), shape (N, 1)",
                lambda Z: (lambda E: E / E.sum(axis=1))(np.exp(Z - Z.max(axis=1, keepdims=True)))),
            Bug("you exponentiated the raw logits: exp overflows for large logits and loses its digits "
                "for very negative ones; subtract each row's maximum first", _naive_softmax),
            Bug("you subtracted one maximum for the whole batch (Z.max()): a row far below it underflows; "
                "subtract each row's own maximum", lambda Z: _rows(np.exp(Z - Z.max()))),
        ],
        library=(F.softmax, F.log_softmax),
    )


def _cross_entropy_exercise() -> Exercise:
    rng = np.random.default_rng(12)
    cases = [
        Case("random logits, Z (5, 4)", (rng.standard_normal((5, 4)), rng.integers(0, 4, 5))),
        Case("a single example, Z (1, 3)", (rng.standard_normal((1, 3)), np.array([2]))),
        Case("10 classes, a batch of 8", (3 * rng.standard_normal((8, 10)), rng.integers(0, 10, 8)),
             hint="the loss is the mean over the N examples of -log P[n, y_n]"),
        Case("very negative logits, Z = [[-740, -739, -738]], y = [0]: every exp(Z) is a subnormal "
             "number, accurate to only a few digits",
             (np.array([[-740.0, -739.0, -738.0]]), np.array([0])),
             hint="subtract the row maximum m inside the exponential, so that the largest term is exp(0) = 1, "
                  "and add m back outside the log"),
        Case("a confidently wrong example: the true class is 743.5 below the largest logit, so its "
             "probability e^-743.5 survives only as an imprecise subnormal number",
             (np.array([[0.0, 743.5, 1.0], [2.0, 0.5, -1.0]]), np.array([0, 0])),
             hint="do not compute P and then its log: log P[n, k] = Z[n, k] - logsumexp(Z[n]), and "
                  "logsumexp = m + log(sum(exp(Z - m))) with m the row's maximum"),
        Case("a margin of 2000: the true class's probability is e^-2000, which underflows to 0",
             (np.array([[1000.0, 0.0, -1000.0], [0.0, 1.0, 2.0]]), np.array([2, 1])),
             hint="log(0) = -inf: never form P for the loss; log P = Z - logsumexp(Z) stays finite"),
        Case("float32 logits, Z (6, 5)",
             ((3 * rng.standard_normal((6, 5))).astype(np.float32), rng.integers(0, 5, 6))),
    ]
    return Exercise(
        "cross_entropy", ref.cross_entropy, cases, ("L",), notebook=NOTEBOOK,
        hint="the loss is the average surprise -log P at the true class of each example; take the log "
             "analytically (log of a quotient of exponentials) instead of computing P first, so that "
             "nothing overflows or underflows",
        formula="m = Z.max(axis=1, keepdims=True);  logP = Z - m - np.log(np.exp(Z - m).sum(axis=1, "
                "keepdims=True));  L = -logP[np.arange(N), y].mean()",
        bugs=[
            Bug("you forgot the minus sign: log P is negative, the loss -log P is positive",
                lambda Z, y: _true_class(_log_softmax(Z), y).mean()),
            Bug("you summed the N per-example losses: the loss is their mean, divide by N (the batch size)",
                lambda Z, y: -_true_class(_log_softmax(Z), y).sum()),
            Bug("you averaged Y * log P over all N x C entries: only one class per row has Y = 1, so "
                "sum over the classes and divide by N alone",
                lambda Z, y: -(np.eye(Z.shape[1])[y] * _log_softmax(Z)).mean()),
            Bug("you averaged log P over every class: the loss uses only the true class of each example, "
                "log P[n, y_n]", lambda Z, y: -_log_softmax(Z).mean()),
            Bug("logP[:, y] is an (N, N) block (every example at every label of the batch): pick each "
                "row's own label with logP[np.arange(N), y]",
                lambda Z, y: -_log_softmax(Z)[:, y].mean()),
            Bug("you subtracted the maximum m inside the log-sum-exp but did not add it back: "
                "logsumexp(z) = m + log(sum(exp(z - m)))",
                lambda Z, y: -_true_class(Z - np.log(np.exp(Z - Z.max(axis=1, keepdims=True))
                                                     .sum(axis=1, keepdims=True)), y).mean()),
            Bug("you computed log sum exp(Z) without subtracting the row maximum: exp underflows (or "
                "overflows) for logits far from 0; logsumexp = m + log(sum(exp(Z - m))) with m the row maximum",
                lambda Z, y: -_true_class(Z - np.log(np.exp(Z).sum(axis=1, keepdims=True)), y).mean()),
            Bug("you took the log of softmax probabilities: when the true class's probability underflows "
                "(a confidently wrong example) log P becomes -inf or loses its digits. Compute "
                "log P = Z - logsumexp(Z) directly",
                lambda Z, y: -np.log(_true_class(_stable_softmax(Z), y)).mean()),
            Bug("you exponentiated the raw logits and took the log of the result: exp overflows for large "
                "logits and loses its digits for very negative ones. Compute log P = Z - logsumexp(Z), "
                "with the row maximum subtracted inside the exponential",
                lambda Z, y: -np.log(_true_class(_naive_softmax(Z), y)).mean()),
        ],
        library=(F.log_softmax, F.logsumexp, nn.CrossEntropyLoss.forward),
    )


def _softmax_ce_backward_exercise() -> Exercise:
    rng = np.random.default_rng(13)
    cases = [
        Case("random logits, 4 classes, a batch of 6", (rng.standard_normal((6, 4)), rng.integers(0, 4, 6))),
        Case("a single example, 5 classes", (rng.standard_normal((1, 5)), np.array([3])),
             hint="with N = 1 the gradient is P - Y"),
        Case("two classes, all labels equal", (rng.standard_normal((5, 2)), np.zeros(5, dtype=np.int64))),
        Case("10 classes, a batch of 8 (the mean over the batch matters)",
             (3 * rng.standard_normal((8, 10)), rng.integers(0, 10, 8)),
             hint="the loss is a mean over the batch, so every entry of the gradient carries a factor 1/N"),
        Case("very negative logits, Z = [[-740, -739, -738]], y = [1]",
             (np.array([[-740.0, -739.0, -738.0]]), np.array([1]))),
        Case("logits of +-1e4 (exp(1e4) overflows)",
             (np.array([[1e4, 0.0, -1e4], [-1e4, 1e4, 0.0]]), np.array([1, 1])),
             hint="compute P with the stable softmax; the gradient must be finite"),
        Case("float32 logits, a batch of 7, 3 classes",
             (rng.standard_normal((7, 3)).astype(np.float32), rng.integers(0, 3, 7))),
    ]
    return Exercise(
        "softmax_ce_backward", ref.softmax_ce_backward, cases, ("dZ",), notebook=NOTEBOOK,
        hint="the gradient is 'predicted minus true': the probabilities P, minus 1 at each example's true "
             "class, and the batch mean contributes a constant factor",
        formula="P = softmax(Z);  P[np.arange(N), y] -= 1;  dZ = P / N",
        bugs=[
            Bug("you forgot the 1/N: the loss is a mean over the N examples, so its gradient is (P - Y) / N",
                lambda Z, y: _stable_softmax(Z) - np.eye(Z.shape[1])[y]),
            Bug("you divided by C (the number of classes), not N (the batch size)",
                lambda Z, y: (_stable_softmax(Z) - np.eye(Z.shape[1])[y]) / Z.shape[1]),
            Bug("you divided by N*C (a mean over all entries): the loss is a mean over the N examples only, "
                "so dZ = (P - Y) / N",
                lambda Z, y: (_stable_softmax(Z) - np.eye(Z.shape[1])[y]) / Z.size),
            Bug("the sign is flipped: the gradient is (P - Y) / N, predicted minus true",
                lambda Z, y: (np.eye(Z.shape[1])[y] - _stable_softmax(Z)) / len(Z)),
            Bug("you returned P / N without subtracting the one-hot Y: the true class gets P - 1",
                lambda Z, y: _stable_softmax(Z) / len(Z)),
            Bug("P[:, y] -= 1 subtracts 1 in every row at every label of the batch; subtract it only at "
                "each row's own label, P[np.arange(N), y]",
                _minus_one_in_every_row),
            Bug("you exponentiated the raw logits: exp overflows for large logits and loses its digits for "
                "very negative ones; use the stable softmax (subtract each row's maximum)",
                lambda Z, y: (_naive_softmax(Z) - np.eye(Z.shape[1])[y]) / len(Z)),
        ],
        library=(nn.CrossEntropyLoss.backward,),
    )


EXERCISES = {
    "softmax": _softmax_exercise,
    "cross_entropy": _cross_entropy_exercise,
    "softmax_ce_backward": _softmax_ce_backward_exercise,
}


def check_softmax(fn: Callable, reveal: bool = False) -> CheckResult:
    """Check the student's ``softmax(Z) -> P`` (row-wise, stable; prints the verdict)."""
    return check(_softmax_exercise(), fn, reveal)


def check_cross_entropy(fn: Callable, reveal: bool = False) -> CheckResult:
    """Check the student's ``cross_entropy(Z, y) -> L`` (mean over the batch, via log-sum-exp)."""
    return check(_cross_entropy_exercise(), fn, reveal)


def check_softmax_ce_backward(fn: Callable, reveal: bool = False) -> CheckResult:
    """Check the student's ``softmax_ce_backward(Z, y) -> dZ = (P - Y) / N`` (prints the verdict)."""
    return check(_softmax_ce_backward_exercise(), fn, reveal)
