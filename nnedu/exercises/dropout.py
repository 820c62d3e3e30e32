r"""Checks for notebook 03: inverted dropout, forward and backward.

The student writes

* ``dropout_forward(X, p, training, rng) -> (Y, mask)``: in training (and ``p > 0``) draw
  ``u = rng.random(X.shape)``, keep the entries with ``u >= p`` (each with probability ``1 - p``),
  ``mask = keep / (1 - p)`` and ``Y = X * mask``; in evaluation, or with ``p = 0``, ``Y = X`` and
  ``mask = None``. The scaling makes :math:`\mathbb E[Y] = X`, so nothing changes at test time.
* ``dropout_backward(G, mask) -> dX = G * mask`` (``G`` when ``mask`` is None): the same mask as
  the forward pass, because for that mask ``Y`` is a fixed linear function of ``X``.

Each case passes a seeded generator; the student's function and the reference get identical copies
of it, so the same rule (``u >= p`` on ``rng.random(X.shape)``) gives the same mask.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from nnedu import nn
from nnedu.exercises import reference as ref
from nnedu.exercises.checker import Bug, Case, Convention, Exercise, check
from nnedu.exercises.report import CheckResult

NOTEBOOK = "03_batchnorm"


def _forward(X, p, training, rng, *, keep_rule=lambda u, p: u >= p, scale=lambda p: 1 / (1 - p),
             in_eval=False, bool_mask=False, draw=lambda rng, X: rng.random(X.shape)):
    """Dropout forward with switches for the common mistakes (defaults: the course's inverted dropout)."""
    if (not training and not in_eval) or p == 0:
        return X, None
    keep = keep_rule(draw(rng, X), p)
    mask = (keep * scale(p)).astype(X.dtype)
    return X * mask, (keep if bool_mask else mask)


def _dropout_forward_exercise() -> Exercise:
    def inputs(shape: tuple[int, ...], p: float, training: bool, seed: int, dtype: type = np.float64) -> tuple:
        X = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
        return X, p, training, np.random.default_rng(1000 + seed)

    cases = [
        Case("training, X (8, 10), p = 0.3", inputs((8, 10), 0.3, True, 1),
             hint="draw u = rng.random(X.shape) from the generator you are given and keep the entries with "
                  "u >= p: then your mask can be compared with the reference's (np.random or a new generator "
                  "would be dropout too, but with masks nobody can reproduce)"),
        Case("training, a 4-D input (2, 3, 4, 4), p = 0.75", inputs((2, 3, 4, 4), 0.75, True, 2),
             hint="dropout works entry by entry on any shape: draw rng.random(X.shape)"),
        Case("evaluation, p = 0.5", inputs((5, 6), 0.5, False, 3),
             hint="in evaluation dropout is the identity: return X itself and mask = None"),
        Case("training with p = 0: nothing is dropped", inputs((3, 4), 0.0, True, 4),
             hint="with p = 0 return X and mask = None, as in evaluation"),
        Case("training, p = 0.5, float32", inputs((6, 8), 0.5, True, 5, np.float32)),
    ]
    return Exercise(
        "dropout_forward", ref.dropout_forward, cases, ("Y", "mask"), notebook=NOTEBOOK,
        hint="each entry survives with probability 1 - p; the survivors are scaled up so that the expected "
             "value of Y is X, which is why evaluation can simply pass X through",
        formula="training: keep = rng.random(X.shape) >= p; mask = keep / (1 - p); Y = X * mask.  "
                "evaluation or p == 0: Y = X, mask = None",
        conventions=[
            Convention("you kept the entries with u < 1 - p (or drew them with rng.binomial(1, 1 - p, X.shape), "
                       "which compares the same numbers that way): that keeps each with probability 1 - p too, so "
                       "it is inverted dropout just as well; the course (and this checker) keeps u >= p, so your "
                       "masks differ from the reference's for the same generator, which changes nothing in training",
                       lambda *a: _forward(*a, keep_rule=lambda u, p: u < 1 - p)),
            Convention("you drew the uniform numbers in X's dtype (rng.random(X.shape, dtype=X.dtype), as "
                       "nnedu.nn.Dropout does): that is inverted dropout just as well; in float32 the numbers, and "
                       "so the masks, differ from the reference's float64 draw, which changes nothing in training",
                       lambda *a: _forward(*a, draw=lambda rng, X: rng.random(X.shape, dtype=X.dtype))),
        ],
        bugs=[
            Bug("you kept each entry with probability p: p is the probability of DROPPING it "
                "(keep = u >= p keeps a fraction 1 - p)", lambda *a: _forward(*a, keep_rule=lambda u, p: u < p)),
            Bug("you did not scale the survivors: without the factor 1 / (1 - p) the expected output is "
                "(1 - p) X in training but X in evaluation (that is the original dropout, which rescales at "
                "test time instead)", lambda *a: _forward(*a, scale=lambda p: 1.0)),
            Bug("you multiplied the survivors by (1 - p); inverted dropout divides by (1 - p), so that "
                "E[Y] = X", lambda *a: _forward(*a, scale=lambda p: 1 - p)),
            Bug("you multiplied the survivors by p; inverted dropout divides by (1 - p), so that E[Y] = X",
                lambda *a: _forward(*a, scale=lambda p: p)),
            Bug("you divided the survivors by p, not by the keep probability 1 - p",
                lambda *a: _forward(*a, scale=lambda p: 1 / p)),
            Bug("you dropped entries in evaluation mode too: at test time dropout is the identity "
                "(Y = X, mask = None)", lambda *a: _forward(*a, in_eval=True)),
            Bug("mask is the unscaled 0/1 keep pattern: return the scaled mask keep / (1 - p), the factor "
                "that multiplies X (the backward pass multiplies G by it)",
                lambda *a: _forward(*a, bool_mask=True)),
        ],
        library=(nn.Dropout.forward,),
    )


def _dropout_backward_exercise() -> Exercise:
    def inputs(shape: tuple[int, ...], p: float, seed: int, dtype: type = np.float64) -> tuple:
        G = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
        keep = np.random.default_rng(100 + seed).random(shape) >= p
        return G, (keep / (1 - p)).astype(dtype)

    cases = [
        Case("G (8, 10), mask of p = 0.3", inputs((8, 10), 0.3, 1)),
        Case("a 4-D G (2, 3, 4, 4), mask of p = 0.75", inputs((2, 3, 4, 4), 0.75, 2)),
        Case("evaluation: mask = None", (np.random.default_rng(3).standard_normal((4, 5)), None),
             hint="mask is None when the forward pass was the identity (evaluation, or p = 0): return G"),
        Case("float32, mask of p = 0.5", inputs((6, 8), 0.5, 4, np.float32)),
    ]
    return Exercise(
        "dropout_backward", ref.dropout_backward, cases, ("dX",), notebook=NOTEBOOK,
        hint="with the mask fixed, Y = X * mask is linear in X, entry by entry: each entry's derivative "
             "is its mask value",
        formula="dX = G * mask  (dX = G when mask is None)",
        bugs=[
            Bug("you returned the mask alone: multiply it by the upstream gradient G (the chain rule)",
                lambda G, mask: mask if mask is not None else np.ones_like(G)),
            Bug("you let G through where the mask is non-zero but dropped the factor 1 / (1 - p): the "
                "mask's value is the derivative, scaling included", lambda G, mask: G if mask is None else G * (mask > 0)),
            Bug("you divided G by the mask: Y = X * mask, so dX = G * mask",
                lambda G, mask: G if mask is None else np.where(mask > 0, G / np.where(mask > 0, mask, 1), 0)),
            Bug("with mask = None (evaluation) the layer is the identity, so dX = G, not zeros",
                lambda G, mask: np.zeros_like(G) if mask is None else G * mask),
        ],
        library=(nn.Dropout.backward,),
    )


EXERCISES = {
    "dropout_forward": _dropout_forward_exercise,
    "dropout_backward": _dropout_backward_exercise,
}


def check_dropout_forward(fn: Callable, reveal: bool = False) -> CheckResult:
    """Check the student's ``dropout_forward(X, p, training, rng) -> (Y, mask)`` (prints the verdict)."""
    return check(_dropout_forward_exercise(), fn, reveal)


def check_dropout_backward(fn: Callable, reveal: bool = False) -> CheckResult:
    """Check the student's ``dropout_backward(G, mask) -> dX`` (prints the verdict)."""
    return check(_dropout_backward_exercise(), fn, reveal)
