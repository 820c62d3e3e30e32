r"""Checks for notebook 09: the spread of the initial weights.

The student writes

* ``xavier_std(fan_in, fan_out) -> sqrt(2 / (fan_in + fan_out))`` (Glorot), and
* ``he_std(fan_in) -> sqrt(2 / fan_in)`` (He, for ReLU networks),

the standard deviation of normally distributed initial weights that keeps the
variance of the signal the same from layer to layer.
"""
from __future__ import annotations

import math
from typing import Callable

from nnedu.exercises import reference as ref
from nnedu.exercises.checker import Bug, Case, Exercise, check
from nnedu.exercises.report import CheckResult

NOTEBOOK = "09_initialisation"


def _xavier_exercise() -> Exercise:
    cases = [Case("fan_in = 784, fan_out = 256", (784, 256)),
             Case("fan_in = fan_out = 100", (100, 100)),
             Case("a convolution: fan_in = 6 * 5 * 5, fan_out = 16 * 5 * 5", (150, 400)),
             Case("one input, ten outputs", (1, 10))]
    return Exercise(
        "xavier_std", ref.xavier_std, cases, ("std",), notebook=NOTEBOOK,
        hint="the forward pass wants Var(w) = 1/fan_in, the backward pass 1/fan_out; Glorot takes the "
             "harmonic compromise between the two, and a spread is the square root of a variance",
        formula="std = sqrt(2 / (fan_in + fan_out))",
        bugs=[
            Bug("you returned the variance 2 / (fan_in + fan_out); the standard deviation is its square root",
                lambda fi, fo: 2.0 / (fi + fo)),
            Bug("sqrt(6 / (fan_in + fan_out)) is the *bound* a of the uniform version U(-a, a), not the "
                "standard deviation of the normal one", lambda fi, fo: math.sqrt(6.0 / (fi + fo))),
            Bug("you dropped the 2: Var(w) = 2 / (fan_in + fan_out) is the average of 1/fan_in and "
                "1/fan_out in the harmonic sense", lambda fi, fo: math.sqrt(1.0 / (fi + fo))),
            Bug("sqrt(1 / fan_in) is LeCun's initialisation (the forward pass only); Glorot balances it "
                "with the backward pass, which needs 1 / fan_out", lambda fi, fo: math.sqrt(1.0 / fi)),
        ],
    )


def _he_exercise() -> Exercise:
    cases = [Case("fan_in = 784", (784,)), Case("fan_in = 256", (256,)),
             Case("a convolution: fan_in = 6 * 5 * 5", (150,)), Case("fan_in = 1", (1,))]
    return Exercise(
        "he_std", ref.he_std, cases, ("std",), notebook=NOTEBOOK,
        hint="a layer multiplies the second moment of its input by fan_in * Var(w), and ReLU then keeps "
             "only half of it; choose Var(w) so that the product is 1",
        formula="std = sqrt(2 / fan_in)",
        bugs=[
            Bug("you returned the variance 2 / fan_in; the standard deviation is its square root",
                lambda fi: 2.0 / fi),
            Bug("sqrt(1 / fan_in) forgets that ReLU zeroes half of its inputs, which halves the second "
                "moment: He doubles the variance to make up for it", lambda fi: math.sqrt(1.0 / fi)),
            Bug("sqrt(6 / fan_in) is the bound a of He's uniform version U(-a, a), not the standard "
                "deviation of the normal one", lambda fi: math.sqrt(6.0 / fi)),
            Bug("you divided by fan_in inside the square root twice (2 / fan_in**2): the variance is "
                "2 / fan_in", lambda fi: math.sqrt(2.0 / fi ** 2)),
        ],
    )


EXERCISES = {"xavier_std": _xavier_exercise, "he_std": _he_exercise}


def check_xavier_std(fn: Callable[[int, int], float], reveal: bool = False) -> CheckResult:
    """Check the student's ``xavier_std(fan_in, fan_out)`` (prints the verdict)."""
    return check(_xavier_exercise(), fn, reveal)


def check_he_std(fn: Callable[[int], float], reveal: bool = False) -> CheckResult:
    """Check the student's ``he_std(fan_in)`` (prints the verdict)."""
    return check(_he_exercise(), fn, reveal)
