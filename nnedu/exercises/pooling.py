r"""Checks for notebook 05: max and average pooling, zero padding, forward and backward.

The student writes, for ``X`` of shape ``(N, C, H, W)``, square ``k x k`` windows moved by ``stride``
(no padding), output ``(N, C, Ho, Wo)`` with ``Ho = (H - k) // stride + 1``:

* ``maxpool_forward(X, k, stride) -> Y``, the largest entry of each window;
* ``maxpool_backward(X, G, k, stride) -> dX``: each ``G[n, c, i, j]`` goes to the maximum of its window
  (on ties, to the first maximum in row-major order, as PyTorch does); overlapping windows add up;
* ``avgpool_forward(X, k, stride) -> Y`` and ``avgpool_backward(X, G, k, stride) -> dX``
  (each cell of a window receives ``G / k^2``; overlapping windows add up);
* ``pad_forward(X, p) -> Xp`` of shape ``(N, C, H + 2p, W + 2p)`` (zeros around the two spatial axes)
  and ``pad_backward(G, p) -> dX``, the gradient with its border cut off.

On a tie the max has many subgradients: any convex combination of the tied cells' unit vectors
(weights >= 0 that add up to 1) is one. Every such rule is accepted: on the cases whose windows do
not overlap, :func:`_tie_summary` (the exercise's ``run``) replaces the gradient of each tied window
that is a valid subgradient other than the course's by one common form, so that giving everything to
another tied cell, or any split among the tied cells, matches a
:class:`~nnedu.exercises.checker.Convention` and passes with its note; giving the whole of ``G`` to
*every* tied cell (weights adding up to more than 1) is not a subgradient, and a bug.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from nnedu import nn
from nnedu.exercises import reference as ref
from nnedu.exercises.checker import Bug, Case, Convention, Exercise, check
from nnedu.exercises.report import CheckResult
from nnedu.functional import avg_pool2d, avg_pool2d_backward, max_pool2d, max_pool2d_backward, pad2d

NOTEBOOK = "05_pooling_padding"


# -- wrong and alternative versions, written with plain loops over the windows -------------------------
def _windows(X, k, s, *, plus_one=True, ceil=False, width_from_H=False, step=None):
    """Yield ``(i, j, rows, cols, (Ho, Wo))`` for every window; switches reproduce the output-size mistakes."""
    H, W = X.shape[2:]
    step = s if step is None else step

    def size(L):
        if ceil:                                     # partial windows at the edge included
            return -(-(L - k) // step) + 1
        return (L - k) // step + (1 if plus_one else 0)

    Ho, Wo = size(H), size(H if width_from_H else W)
    for i in range(Ho):
        for j in range(Wo):
            yield i, j, slice(i * step, i * step + k), slice(j * step, j * step + k), (Ho, Wo)


def _pool_forward(X, k, s, reduce, **kw):
    out = None
    for i, j, r, c, shape in _windows(X, k, s, **kw):
        if out is None:
            out = np.zeros(X.shape[:2] + shape, dtype=X.dtype)
        out[:, :, i, j] = reduce(X[:, :, r, c])
    return out if out is not None else np.zeros(X.shape[:2] + (0, 0), dtype=X.dtype)


def _max(w):
    return w.max(axis=(2, 3))


def _mean(w):
    return w.mean(axis=(2, 3))


def _maxpool_backward(X, G, k, s, *, ties="first", overwrite=False, send_one=False):
    """Max-pool backward by loops; ``ties``: "first", "last", "column" (first in column-major order),
    "split" or "all" (the last is a bug)."""
    dX = np.zeros_like(X)
    N, C, Ho, Wo = G.shape
    for n in range(N):
        for ch in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    window = X[n, ch, i * s:i * s + k, j * s:j * s + k]
                    g = 1.0 if send_one else G[n, ch, i, j]
                    tied = window == window.max()
                    if ties == "first":
                        weights = np.zeros(window.shape)
                        flat = int(np.argmax(window))
                        weights[divmod(flat, k)] = 1
                    elif ties == "last":
                        weights = np.zeros(window.shape)
                        weights[tuple(np.argwhere(tied)[-1])] = 1
                    elif ties == "column":
                        weights = np.zeros(window.shape)
                        weights[tuple(np.argwhere(tied.T)[0][::-1])] = 1
                    elif ties == "split":
                        weights = tied / tied.sum()
                    else:
                        weights = tied.astype(float)
                    target = dX[n, ch, i * s:i * s + k, j * s:j * s + k]
                    if overwrite:
                        target[weights > 0] = (g * weights)[weights > 0]
                    else:
                        target += g * weights
    return dX


def _avgpool_backward(X, G, k, s, *, divide=lambda k: k * k, overwrite=False):
    dX = np.zeros_like(X)
    Ho, Wo = G.shape[2:]
    for i in range(Ho):
        for j in range(Wo):
            share = G[:, :, i:i + 1, j:j + 1] / divide(k)
            if overwrite:
                dX[:, :, i * s:i * s + k, j * s:j * s + k] = share
            else:
                dX[:, :, i * s:i * s + k, j * s:j * s + k] += share
    return dX


def _distinct(rng: np.random.Generator, shape: tuple[int, ...], dtype: type = np.float64) -> np.ndarray:
    """Values 0.1 apart in random order: no ties anywhere."""
    return (rng.permutation(int(np.prod(shape))) * 0.1 - 1.0).reshape(shape).astype(dtype)


def _tie_summary(X: np.ndarray, G: np.ndarray, k: int, s: int, dX):
    """``dX`` with every tied window's valid subgradient, other than the course's, in one common form.

    In a window with several maxima the gradient is valid when it lies on the tied cells only, with
    weights ``dX / G >= 0`` that add up to 1. Such a window keeps its gradient when it is the course's
    (all of ``G`` to the first maximum in row-major order) or the first maximum in column-major order
    (a convention with its own note); any other valid rule becomes the equal split, so that all of them
    compare equal. Invalid gradients, tie-free windows and overlapping windows (``k > s``, where a cell
    sums several windows) are returned unchanged.
    """
    if (k > s or not isinstance(dX, np.ndarray) or dX.shape != X.shape
            or not np.issubdtype(dX.dtype, np.floating)):
        return dX
    out = dX.copy()
    N, C, Ho, Wo = G.shape
    for i in range(Ho):
        for j in range(Wo):
            rows, cols = slice(i * s, i * s + k), slice(j * s, j * s + k)
            for n in range(N):
                for c in range(C):
                    window = X[n, c, rows, cols]
                    tied = window == window.max()
                    if tied.sum() < 2:
                        continue
                    w, g = dX[n, c, rows, cols].astype(np.float64), float(G[n, c, i, j])
                    tol = 1e-4 * abs(g) + 1e-12
                    if (np.abs(w[~tied]).max(initial=0) > tol or (np.sign(g) * w[tied]).min() < -tol
                            or abs(w[tied].sum() - g) > tol):
                        continue                                   # not a subgradient: leave it to the bugs
                    firsts = (tuple(np.argwhere(tied)[0]), tuple(np.argwhere(tied.T)[0][::-1]))
                    if any(abs(w[f] - g) <= tol and abs(w).sum() - abs(w[f]) <= tol for f in firsts):
                        continue
                    out[n, c, rows, cols] = g * tied / tied.sum()
    return out


def _maxpool_backward_run(fn: Callable, args: tuple, kwargs: dict):
    """Call ``fn`` and compare tied windows by :func:`_tie_summary` (any valid tie rule passes)."""
    dX = fn(*args, **kwargs)
    X, G, k, s = args
    return _tie_summary(X, G, k, s, dX)


def _pool_cases(rng: np.random.Generator, backward: bool, ties: bool = False) -> list[Case]:
    """The same geometries for the four pooling exercises; ``G`` added for the backward ones."""
    def case(label: str, shape: tuple[int, ...], k: int, s: int, dtype: type = np.float64, X=None,
             hint: str = "") -> Case:
        X = _distinct(rng, shape, dtype) if X is None else X
        if not backward:
            return Case(f"{label}: X {shape}, k={k}, stride={s}", (X, k, s), hint=hint)
        Ho, Wo = (shape[2] - k) // s + 1, (shape[3] - k) // s + 1
        G = rng.standard_normal(shape[:2] + (Ho, Wo)).astype(dtype)
        return Case(f"{label}: X {shape}, k={k}, stride={s}", (X, G, k, s), hint=hint)

    overlap = ("windows overlap when stride < k: a cell in several windows collects from all of them (+=)"
               if backward else "the windows move by stride, not by k: with stride < k they overlap")
    cases = [
        case("2x2 windows, stride 2", (2, 3, 4, 6), 2, 2),
        case("overlapping 3x3 windows, stride 1", (1, 2, 5, 5), 3, 1, hint=overlap),
        case("overlapping 3x3 windows, stride 2", (2, 1, 7, 9), 3, 2, hint=overlap),
        case("odd sizes: the last row and column are in no window", (1, 2, 5, 7), 2, 2,
             hint="Ho = (H - k) // stride + 1; a cell in no window gets gradient 0"),
        case("windows wider than the stride, non-square image", (1, 1, 6, 9), 3, 3),
        case("float32, 2x2 windows", (2, 2, 6, 6), 2, 2, np.float32),
        case("every entry negative (as before a ReLU)", (1, 2, 4, 4), 2, 2, X=-5.0 - _distinct(rng, (1, 2, 4, 4)),
             hint="the largest of some negative numbers is negative"),
    ]
    if ties:
        X = np.zeros((1, 1, 4, 4))
        X[0, 0, :2, :2] = [[2.0, 2.0], [2.0, 1.0]]           # a three-way tie (notebook 05's example)
        X[0, 0, 2:, 2:] = [[-1.0, 3.0], [0.5, 3.0]]          # a two-way tie
        X[0, 0, :2, 2:] = [[0.0, 0.0], [0.0, 0.0]]           # four zeros, as after a ReLU
        X[0, 0, 2:, :2] = [[1.0, 4.0], [2.0, 3.0]]           # no tie
        cases.append(case("ties: equal maxima inside windows", (1, 1, 4, 4), 2, 2, X=X,
                          hint="after a ReLU whole windows are 0: ties are common in real networks"))
        X = np.zeros((1, 1, 3, 3))
        X[0, 0] = [[0.0, 7.0, 7.0], [1.0, 7.0, 2.0], [7.0, 3.0, 7.0]]   # the first maximum along the rows,
        # the 2nd, the middle one, the last one and the first down the columns are five different cells
        cases.append(case("five tied maxima in one 3x3 window", (1, 1, 3, 3),
                          3, 3, X=X, hint="any one tied cell may take all of G, or they may share it"))
    return cases


def _maxpool_forward_exercise() -> Exercise:
    return Exercise(
        "maxpool_forward", ref.maxpool_forward, _pool_cases(np.random.default_rng(51), backward=False),
        ("Y",), notebook=NOTEBOOK,
        hint="output (i, j) looks at the k x k window whose top-left corner is (i stride, j stride), "
             "for every example and channel at once; count how many whole windows fit",
        formula="Ho = (H - k) // stride + 1;  Y[:, :, i, j] = X[:, :, i s:i s + k, j s:j s + k].max(axis=(2, 3))",
        bugs=[
            Bug("the output is one row and column short: Ho = (H - k) // stride + 1 (the first window "
                "counts too)", lambda X, k, s: _pool_forward(X, k, s, _max, plus_one=False)),
            Bug("you kept partial windows at the edge (rounding up): Ho = (H - k) // stride + 1 counts only "
                "the windows that fit completely (PyTorch's ceil_mode=False)",
                lambda X, k, s: _pool_forward(X, k, s, _max, ceil=True)),
            Bug("you computed the output width from H: use W for the width (the images need not be square)",
                lambda X, k, s: _pool_forward(X, k, s, _max, width_from_H=True)),
            Bug("your windows move by 1, not by stride", lambda X, k, s: _pool_forward(X, k, s, _max, step=1)),
            Bug("your windows move by k, not by stride", lambda X, k, s: _pool_forward(X, k, s, _max, step=k)),
            Bug("you averaged the window: max pooling takes the largest entry",
                lambda X, k, s: _pool_forward(X, k, s, _mean)),
            Bug("you started Y at 0: a window of negative numbers then returns 0; start at -inf (or take "
                "the window's max directly)", lambda X, k, s: np.maximum(_pool_forward(X, k, s, _max), 0)),
        ],
        library=(max_pool2d, nn.MaxPool2d.forward),
    )


def _maxpool_backward_exercise() -> Exercise:
    return Exercise(
        "maxpool_backward", ref.maxpool_backward,
        _pool_cases(np.random.default_rng(15), backward=True, ties=True), ("dX",), notebook=NOTEBOOK,
        hint="inside one window the max is a switch: only the winning cell changes the output (with slope "
             "1), so it alone receives that window's G; a cell can win several overlapping windows",
        formula="for each window (i, j): dX[n, c, i s + u*, j s + v*] += G[n, c, i, j], (u*, v*) = the first "
                "position of the window's maximum",
        run=_maxpool_backward_run,
        conventions=[
            Convention("on a tie you gave G to the first maximum in column-major order (down the columns): "
                       "a valid subgradient (any one tied cell may take it all). PyTorch, and this course, "
                       "choose the first maximum in row-major order (along the rows); both train the same.",
                       lambda X, G, k, s: _maxpool_backward(X, G, k, s, ties="column")),
            Convention("on a tie you gave G to another tied maximum than the first, or shared it among the "
                       "tied maxima: a valid subgradient (the weights on the tied cells are >= 0 and add up "
                       "to 1). PyTorch, and this course, give everything to the first maximum in row-major "
                       "order; both train the same.",
                       lambda X, G, k, s: _maxpool_backward(X, G, k, s, ties="split")),
        ],
        bugs=[
            Bug("on a tie you gave the whole G to EVERY tied maximum: that is not a subgradient (the weights "
                "add up to more than 1: raising all the tied cells together by t raises the max by t, not by t "
                "times the number of tied cells); give it to one of them, or split it",
                lambda X, G, k, s: _maxpool_backward(X, G, k, s, ties="all")),
            Bug("overlapping windows overwrite each other (`=`): a cell that wins several windows must "
                "collect the sum of their gradients (`+=`)",
                lambda X, G, k, s: _maxpool_backward(X, G, k, s, overwrite=True)),
            Bug("you sent 1 to each winner: send that window's upstream gradient G[n, c, i, j] "
                "(the chain rule)", lambda X, G, k, s: _maxpool_backward(X, G, k, s, send_one=True)),
            Bug("you spread G evenly over the window: that is average pooling's backward; max pooling sends "
                "it to the maximum only", lambda X, G, k, s: _avgpool_backward(X, G, k, s)),
        ],
        library=(max_pool2d_backward, nn.MaxPool2d.backward),
    )


def _avgpool_forward_exercise() -> Exercise:
    return Exercise(
        "avgpool_forward", ref.avgpool_forward, _pool_cases(np.random.default_rng(52), backward=False),
        ("Y",), notebook=NOTEBOOK,
        hint="output (i, j) is the mean of the k x k window whose top-left corner is (i stride, j stride)",
        formula="Ho = (H - k) // stride + 1;  Y[:, :, i, j] = X[:, :, i s:i s + k, j s:j s + k].mean(axis=(2, 3))",
        bugs=[
            Bug("you summed the window without dividing: the mean divides by k^2, the number of cells",
                lambda X, k, s: _pool_forward(X, k, s, lambda w: w.sum(axis=(2, 3)))),
            Bug("you divided by k, not by k^2 (the window has k x k cells)",
                lambda X, k, s: _pool_forward(X, k, s, lambda w: w.sum(axis=(2, 3)) / k)),
            Bug("the output is one row and column short: Ho = (H - k) // stride + 1 (the first window "
                "counts too)", lambda X, k, s: _pool_forward(X, k, s, _mean, plus_one=False)),
            Bug("you kept partial windows at the edge (rounding up): Ho = (H - k) // stride + 1 counts only "
                "the windows that fit completely", lambda X, k, s: _pool_forward(X, k, s, _mean, ceil=True)),
            Bug("you computed the output width from H: use W for the width (the images need not be square)",
                lambda X, k, s: _pool_forward(X, k, s, _mean, width_from_H=True)),
            Bug("your windows move by 1, not by stride", lambda X, k, s: _pool_forward(X, k, s, _mean, step=1)),
        ],
        library=(avg_pool2d, nn.AvgPool2d.forward),
    )


def _avgpool_backward_exercise() -> Exercise:
    return Exercise(
        "avgpool_backward", ref.avgpool_backward, _pool_cases(np.random.default_rng(16), backward=True),
        ("dX",), notebook=NOTEBOOK,
        hint="every cell of a window counts 1/k^2 in that window's mean, so it receives 1/k^2 of the "
             "window's G; a cell in several windows collects from all of them",
        formula="for each window (i, j): dX[:, :, i s:i s + k, j s:j s + k] += G[:, :, i, j] / k^2",
        bugs=[
            Bug("you did not divide by k^2: each cell counts 1/k^2 in the mean, so it receives G / k^2",
                lambda X, G, k, s: _avgpool_backward(X, G, k, s, divide=lambda k: 1)),
            Bug("you divided by k, not by k^2 (the window has k x k cells)",
                lambda X, G, k, s: _avgpool_backward(X, G, k, s, divide=lambda k: k)),
            Bug("overlapping windows overwrite each other (`=`): a cell in several windows must collect the "
                "sum of their shares (`+=`)", lambda X, G, k, s: _avgpool_backward(X, G, k, s, overwrite=True)),
            Bug("you sent all of G to the window's maximum: that is max pooling's backward; average pooling "
                "spreads G / k^2 over the whole window", lambda X, G, k, s: _maxpool_backward(X, G, k, s)),
        ],
        library=(avg_pool2d_backward, nn.AvgPool2d.backward),
    )


def _pad_cases(rng: np.random.Generator, backward: bool) -> list[Case]:
    def case(label: str, shape: tuple[int, ...], p: int, dtype: type = np.float64, hint: str = "") -> Case:
        if backward:
            shape = shape[:2] + (shape[2] + 2 * p, shape[3] + 2 * p)
        return Case(f"{label}: {'G' if backward else 'X'} {shape}, p={p}",
                    (rng.standard_normal(shape).astype(dtype), p), hint=hint)

    return [
        case("p = 1", (2, 3, 4, 5), 1),
        case("p = 2, a 1 x 1 image", (1, 2, 1, 1), 2),
        case("p = 3, non-square", (1, 1, 3, 6), 3),
        case("p = 0: nothing to pad", (2, 1, 3, 3), 0,
             hint="with p = 0, a slice like [p:-p] is empty, because -0 is 0: slice with [p:p + H] instead"),
        case("float32, p = 1", (2, 2, 3, 3), 1, np.float32),
    ]


def _pad_forward_exercise() -> Exercise:
    return Exercise(
        "pad_forward", ref.pad_forward, _pad_cases(np.random.default_rng(53), backward=False), ("Xp",),
        notebook=NOTEBOOK,
        hint="make a zero array p cells larger on each of the four sides of every image, and copy X into "
             "its middle; the batch and channel axes stay as they are",
        formula="Xp = zeros((N, C, H + 2p, W + 2p)); Xp[:, :, p:p + H, p:p + W] = X   "
                "(or np.pad(X, ((0, 0), (0, 0), (p, p), (p, p))))",
        bugs=[
            Bug("np.pad(X, p) pads every axis, the batch and channel axes too: pad only the last two, "
                "np.pad(X, ((0, 0), (0, 0), (p, p), (p, p)))", lambda X, p: np.pad(X, p)),
            Bug("you padded only one side of each axis: p zeros go above AND below, left AND right (H + 2p)",
                lambda X, p: np.pad(X, ((0, 0), (0, 0), (0, p), (0, p)))),
            Bug("you padded the rows only: the width needs p zeros on the left and right as well",
                lambda X, p: np.pad(X, ((0, 0), (0, 0), (p, p), (0, 0)))),
            Bug("you repeated the edge values: zero padding fills the border with 0",
                lambda X, p: np.pad(X, ((0, 0), (0, 0), (p, p), (p, p)), mode="edge")),
        ],
        library=(pad2d, nn.ZeroPad2d.forward),
    )


def _pad_backward_exercise() -> Exercise:
    return Exercise(
        "pad_backward", ref.pad_backward, _pad_cases(np.random.default_rng(54), backward=True), ("dX",),
        notebook=NOTEBOOK,
        hint="the padded border is made of constants, so its gradient goes nowhere; each inner cell of Xp "
             "is a copy of one cell of X, so X receives the inner part of G",
        formula="dX = G[:, :, p:G.shape[2] - p, p:G.shape[3] - p]",
        bugs=[
            Bug("you returned G with the padded shape: dX has the shape of X, (N, C, H, W), so cut the "
                "border off", lambda G, p: G),
            Bug("with p = 0 your slice [p:-p] is empty (-0 is 0): cut with [p:H_padded - p] instead",
                lambda G, p: G[:, :, p:-p, p:-p]),
            Bug("you cut the border off one side only: remove p rows at the top AND the bottom, p columns "
                "on the left AND the right", lambda G, p: G[:, :, p:, p:]),
            Bug("you cut 2p from one side: the border is p wide on each side",
                lambda G, p: G[:, :, 2 * p:, 2 * p:]),
            Bug("you padded G instead of cropping it: the backward of padding is a crop",
                lambda G, p: np.pad(G, ((0, 0), (0, 0), (p, p), (p, p)))),
        ],
        library=(nn.ZeroPad2d.backward,),
    )


EXERCISES = {
    "maxpool_forward": _maxpool_forward_exercise,
    "maxpool_backward": _maxpool_backward_exercise,
    "avgpool_forward": _avgpool_forward_exercise,
    "avgpool_backward": _avgpool_backward_exercise,
    "pad_forward": _pad_forward_exercise,
    "pad_backward": _pad_backward_exercise,
}


def check_maxpool_forward(fn: Callable, reveal: bool = False) -> CheckResult:
    """Check the student's ``maxpool_forward(X, k, stride) -> Y`` (prints the verdict)."""
    return check(_maxpool_forward_exercise(), fn, reveal)


def check_maxpool_backward(fn: Callable, reveal: bool = False) -> CheckResult:
    """Check the student's ``maxpool_backward(X, G, k, stride) -> dX`` (prints the verdict)."""
    return check(_maxpool_backward_exercise(), fn, reveal)


def check_avgpool_forward(fn: Callable, reveal: bool = False) -> CheckResult:
    """Check the student's ``avgpool_forward(X, k, stride) -> Y`` (prints the verdict)."""
    return check(_avgpool_forward_exercise(), fn, reveal)


def check_avgpool_backward(fn: Callable, reveal: bool = False) -> CheckResult:
    """Check the student's ``avgpool_backward(X, G, k, stride) -> dX`` (prints the verdict)."""
    return check(_avgpool_backward_exercise(), fn, reveal)


def check_pad_forward(fn: Callable, reveal: bool = False) -> CheckResult:
    """Check the student's ``pad_forward(X, p) -> Xp`` (prints the verdict)."""
    return check(_pad_forward_exercise(), fn, reveal)


def check_pad_backward(fn: Callable, reveal: bool = False) -> CheckResult:
    """Check the student's ``pad_backward(G, p) -> dX`` (prints the verdict)."""
    return check(_pad_backward_exercise(), fn, reveal)
