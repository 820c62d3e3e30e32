r"""Checks for notebook 07: measuring a classifier — accuracy and the confusion matrix.

The student writes

* ``accuracy(logits, labels) -> float``: the fraction of rows whose largest
  logit sits at the true class, :math:`\frac1N \sum_n [\arg\max_c z_{nc} = y_n]`;
* ``confusion_matrix(labels, predictions, num_classes) -> M`` with
  :math:`M_{ij}` = number of examples of true class :math:`i` predicted as
  :math:`j` (rows: truth, columns: prediction).

Both are compared with :mod:`nnedu.metrics` on seeded cases, including
classes that never occur and a batch of one.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from nnedu.exercises.report import Case, CheckResult, Comparison, run_check


def _accuracy_case(label: str, n: int, c: int, seed: int, hint: str = "") -> Case:
    rng = np.random.default_rng(seed)
    logits = rng.standard_normal((n, c))
    labels = rng.integers(0, c, n)
    labels[: n // 2] = logits[: n // 2].argmax(axis=1)  # about half right, so 0 and 1 are both wrong answers

    def run(fn: Callable) -> list[Comparison]:
        from nnedu.metrics import accuracy
        got = fn(logits.copy(), labels.copy())
        return [Comparison("accuracy", got, np.asarray(accuracy(logits, labels)))]
    return Case(f"{label}: logits {(n, c)}", run, hint)


def check_accuracy(fn: Callable[[np.ndarray, np.ndarray], float]) -> CheckResult:
    """Check ``accuracy(logits, labels) -> float`` against :func:`nnedu.metrics.accuracy`.

    Returns
    -------
    CheckResult
        Truthy when every case passes; prints PASS/FAIL or "not implemented yet".
    """
    cases = [
        _accuracy_case("ten classes", 50, 10, 31),
        _accuracy_case("a single example", 1, 10, 32, hint="return a float in [0, 1], not a count"),
        _accuracy_case("two classes, odd batch", 7, 2, 33),
    ]
    return run_check("accuracy", fn, cases,
                     hint="predictions = logits.argmax(axis=1); the mean of (predictions == labels)")


def _confusion_case(label: str, n: int, c: int, seed: int, missing: int | None = None, hint: str = "") -> Case:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, c, n)
    preds = np.where(rng.random(n) < 0.6, labels, rng.integers(0, c, n))
    if missing is not None:  # a class that occurs neither as truth nor as prediction
        labels[labels == missing] = (missing + 1) % c
        preds[preds == missing] = (missing + 1) % c

    def run(fn: Callable) -> list[Comparison]:
        from nnedu.metrics import confusion_matrix
        got = fn(labels.copy(), preds.copy(), c)
        expected = confusion_matrix(labels, preds, c)
        return [Comparison("M", got, expected,
                           hint="rows are the true classes, columns the predictions: M[labels[n], preds[n]] += 1")]
    return Case(f"{label}: N={n}, C={c}", run, hint)


def check_confusion_matrix(fn: Callable[[np.ndarray, np.ndarray, int], np.ndarray]) -> CheckResult:
    """Check ``confusion_matrix(labels, predictions, num_classes)`` against :func:`nnedu.metrics.confusion_matrix`.

    Returns
    -------
    CheckResult
        Truthy when every case passes; prints PASS/FAIL or "not implemented yet".
    """
    cases = [
        _confusion_case("ten classes", 200, 10, 41),
        _confusion_case("a class that never occurs", 60, 5, 42, missing=2,
                        hint="the matrix is C x C even when a class is absent: use num_classes, not labels.max()"),
        _confusion_case("a single example", 1, 3, 43),
        _confusion_case("repeated pairs", 500, 3, 44,
                        hint="fancy-index assignment M[i, j] += 1 counts a repeated (i, j) only once; "
                             "use np.add.at or np.bincount"),
    ]
    return run_check("confusion_matrix", fn, cases,
                     hint="M[i, j] = number of n with labels[n] == i and predictions[n] == j; note that "
                          "M[labels, preds] += 1 counts a repeated pair only once (use np.add.at)")
