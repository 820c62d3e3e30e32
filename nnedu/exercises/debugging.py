r"""Checks for notebook 11: two numbers of the debugging checklist.

The student writes

* ``expected_initial_loss(num_classes) -> log C``: the cross-entropy of a network that, at
  initialisation, spreads its probability evenly over the ``C`` classes;
* ``update_ratio(W_before, W_after) -> ||W_after - W_before|| / ||W_before||``: the size of one
  optimizer step relative to the size of the weights (about 1e-3 is healthy).
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np

from nnedu.diagnostics import update_ratios
from nnedu.exercises import reference as ref
from nnedu.exercises.checker import Bug, Case, Exercise, check
from nnedu.exercises.report import CheckResult

NOTEBOOK = "11_debugging"


def _initial_loss_exercise() -> Exercise:
    cases = [Case("10 classes (MNIST)", (10,)), Case("2 classes", (2,)), Case("1000 classes (ImageNet)", (1000,))]
    return Exercise(
        "expected_initial_loss", ref.expected_initial_loss, cases, ("loss",), notebook=NOTEBOOK,
        hint="small random weights give logits near 0, so softmax gives every class the same probability; "
             "the loss is minus the log of the probability of the true class",
        formula="log(C)   (natural logarithm: -log(1/C))",
        bugs=[
            Bug("you returned the probability 1/C of the true class; the loss is -log of it",
                lambda c: 1.0 / c),
            Bug("np.log10 is the base-10 logarithm; cross-entropy uses the natural logarithm (np.log)",
                lambda c: math.log10(c)),
            Bug("the loss is -log(1/C) = +log(C): your sign is flipped", lambda c: -math.log(c)),
            Bug("np.log2 gives the loss in bits; cross-entropy here uses the natural logarithm (nats)",
                lambda c: math.log2(c)),
        ],
    )


def _update_ratio_exercise() -> Exercise:
    rng = np.random.default_rng(11)
    W = rng.standard_normal((20, 10)) * 0.1
    step = rng.standard_normal((20, 10)) * 1e-3
    cases = [Case("a 20 x 10 weight matrix, a small step", (W, W - step)),
             Case("a large step (half the weights' size)", (W, 0.5 * W + 0.05 * rng.standard_normal(W.shape))),
             Case("float32 weights, a 4-D convolution kernel",
                  ((w4 := rng.standard_normal((6, 1, 5, 5)).astype(np.float32)),
                   (w4 + 0.01 * rng.standard_normal(w4.shape)).astype(np.float32)))]
    return Exercise(
        "update_ratio", ref.update_ratio, cases, ("ratio",), notebook=NOTEBOOK,
        hint="compare the size of the change with the size of what was changed, both measured with the "
             "Frobenius norm (the square root of the sum of squares over all entries)",
        formula="np.linalg.norm(W_after - W_before) / np.linalg.norm(W_before)",
        bugs=[
            Bug("you divided by the size of the weights *after* the step; the ratio is relative to the "
                "weights before it", lambda a, b: float(np.linalg.norm(b - a) / np.linalg.norm(b))),
            Bug("you compared squared norms (sums of squares); take the square roots: "
                "||W_after - W_before|| / ||W_before||",
                lambda a, b: float(np.sum((b - a) ** 2) / np.sum(a ** 2))),
            Bug("you averaged the ratios of single entries, |dW| / |W| entry by entry; a weight near 0 "
                "makes that explode. Divide the norm of the whole change by the norm of the whole matrix",
                lambda a, b: float(np.mean(np.abs(b - a) / np.abs(a)))),
            Bug("||W_after|| - ||W_before|| is the change of the size, not the size of the change",
                lambda a, b: float(abs(np.linalg.norm(b) - np.linalg.norm(a)) / np.linalg.norm(a))),
        ],
        library=(update_ratios,),
    )


EXERCISES = {"expected_initial_loss": _initial_loss_exercise, "update_ratio": _update_ratio_exercise}


def check_expected_initial_loss(fn: Callable[[int], float], reveal: bool = False) -> CheckResult:
    """Check the student's ``expected_initial_loss(num_classes)`` (prints the verdict)."""
    return check(_initial_loss_exercise(), fn, reveal)


def check_update_ratio(fn: Callable, reveal: bool = False) -> CheckResult:
    """Check the student's ``update_ratio(W_before, W_after)`` (prints the verdict)."""
    return check(_update_ratio_exercise(), fn, reveal)
