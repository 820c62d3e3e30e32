r"""Checks for notebook 10: data augmentation by shifting, and early stopping.

The student writes

* ``shift_images(X, dy, dx)``: every image of ``X`` (N, C, H, W) moved ``dy`` pixels down and ``dx``
  pixels right, with zeros shifted in, ``Y[n, c, i, j] = X[n, c, i - dy, j - dx]`` (0 outside);
* ``early_stopping(val_acc, patience) -> (best_epoch, stop_epoch)``, 1-based, deciding after every
  epoch from the accuracies seen so far, as :func:`nnedu.train.fit` does.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from nnedu.exercises import reference as ref
from nnedu.exercises.checker import Bug, Case, Exercise, check
from nnedu.exercises.report import CheckResult
from nnedu.recipes import random_shift

NOTEBOOK = "10_regularisation"


def _shift_exercise() -> Exercise:
    rng = np.random.default_rng(10)
    img = rng.random((2, 1, 6, 5)) + 0.5         # no zeros inside, so zero padding is visible
    cases = [
        Case("down 1, right 2 on (2, 1, 6, 5) images", (img, 1, 2)),
        Case("up 2, left 1 (negative shifts)", (img, -2, -1)),
        Case("down 2, no horizontal shift", (img, 2, 0)),
        Case("no shift at all", (img, 0, 0), hint="with dy = dx = 0 the images must come back unchanged"),
        Case("three channels, float32, right 3", (rng.random((1, 3, 4, 7)).astype(np.float32) + 0.5, 0, 3)),
    ]
    return Exercise(
        "shift_images", ref.shift_images, cases, ("Y",), notebook=NOTEBOOK,
        hint="a pixel that leaves the image on one side is lost, and the pixels that come in on the other "
             "side are background (0); positive dy moves the content down, positive dx to the right",
        formula="Y = zeros_like(X); Y[:, :, max(dy,0):H-max(-dy,0), max(dx,0):W-max(-dx,0)] = "
                "X[:, :, max(-dy,0):H-max(dy,0), max(-dx,0):W-max(dx,0)]",
        bugs=[
            Bug("np.roll wraps the pixels that leave one side around to the other side; a shifted digit "
                "must get background (zeros) there instead",
                lambda X, dy, dx: np.roll(X, (dy, dx), axis=(2, 3))),
            Bug("dy and dx are swapped: dy moves along the rows (axis 2, down), dx along the columns "
                "(axis 3, right)", lambda X, dy, dx: ref.shift_images(X, dx, dy)),
            Bug("the shift goes the wrong way: a positive dy must move the content down "
                "(Y[i] = X[i - dy]), a positive dx to the right", lambda X, dy, dx: ref.shift_images(X, -dy, -dx)),
            Bug("only dy was applied; the horizontal shift dx is missing",
                lambda X, dy, dx: ref.shift_images(X, dy, 0)),
        ],
        library=(random_shift,),
    )


def _early_stopping_exercise() -> Exercise:
    cases = [
        Case("accuracy peaks at epoch 5, patience 2", ([0.80, 0.85, 0.86, 0.86, 0.90, 0.89, 0.88, 0.91], 2)),
        Case("a tie with the best: not an improvement, patience 3", ([0.7, 0.9, 0.9, 0.9, 0.9, 0.95], 3)),
        Case("still improving at the end: runs all epochs", ([0.5, 0.6, 0.7, 0.8], 2)),
        Case("patience 1: stops after the first epoch without improvement", ([0.6, 0.7, 0.65, 0.8], 1)),
        Case("a late peak after the stop must not be seen", ([0.9, 0.8, 0.8, 0.8, 0.99], 2)),
        Case("a dip and a partial recovery that stays below the best", ([0.9, 0.8, 0.85, 0.86], 2),
             hint="compare every epoch with the best accuracy so far, not with the epoch before"),
    ]
    return Exercise(
        "early_stopping", ref.early_stopping, cases, ("best_epoch", "stop_epoch"), notebook=NOTEBOOK,
        exact=True,
        hint="walk through the epochs in order, as training would: after each one you only know the "
             "accuracies so far; keep the best epoch and stop once it is `patience` epochs in the past",
        formula="best, best_epoch = -inf, 0; for epoch, acc in enumerate(val_acc, 1): if acc > best: "
                "best, best_epoch = acc, epoch; if epoch - best_epoch >= patience: return best_epoch, epoch; "
                "at the end: return best_epoch, len(val_acc)",
        bugs=[
            Bug("you looked at epochs after the stop: early stopping decides after each epoch from the past "
                "only, so a peak that comes later is never seen",
                lambda a, p: (int(np.argmax(a)) + 1, ref.early_stopping(a, p)[1])),
            Bug("your epochs count from 0; the course numbers epochs from 1 (epoch 1 is the first pass)",
                lambda a, p: tuple(e - 1 for e in ref.early_stopping(a, p))),
            Bug("a tie is not an improvement: with >= the best epoch moves to the last of equal "
                "accuracies, and training runs longer than it should", lambda a, p: _geq(a, p)),
            Bug("you stop one epoch late: with patience p, stop as soon as the best epoch is p epochs "
                "in the past (epoch - best_epoch >= p, not > p)", lambda a, p: _late(a, p)),
        ],
    )


def _geq(val_acc: Sequence[float], patience: int) -> tuple[int, int]:
    best_epoch, best = 0, -np.inf
    for epoch, acc in enumerate(val_acc, start=1):
        if acc >= best:
            best_epoch, best = epoch, acc
        if epoch - best_epoch >= patience:
            return best_epoch, epoch
    return best_epoch, len(val_acc)


def _late(val_acc: Sequence[float], patience: int) -> tuple[int, int]:
    best_epoch, best = 0, -np.inf
    for epoch, acc in enumerate(val_acc, start=1):
        if acc > best:
            best_epoch, best = epoch, acc
        if epoch - best_epoch > patience:
            return best_epoch, epoch
    return best_epoch, len(val_acc)


EXERCISES = {"shift_images": _shift_exercise, "early_stopping": _early_stopping_exercise}


def check_shift_images(fn: Callable, reveal: bool = False) -> CheckResult:
    """Check the student's ``shift_images(X, dy, dx)`` (prints the verdict)."""
    return check(_shift_exercise(), fn, reveal)


def check_early_stopping(fn: Callable, reveal: bool = False) -> CheckResult:
    """Check the student's ``early_stopping(val_acc, patience) -> (best_epoch, stop_epoch)`` (prints the verdict)."""
    return check(_early_stopping_exercise(), fn, reveal)
