r"""Checks for notebook 04: convolution with loops, then with im2col/col2im and one matrix product.

Symbols as in :mod:`nnedu.functional.conv`: ``X`` (N, C, H, W), filters ``W`` (F, C, KH, KW),
bias ``b`` (F,), stride ``s`` and zero padding ``P`` (ints), ``Xp`` the padded input,
``Ho = (H + 2P - KH) // s + 1`` (likewise ``Wo``) and ``G = dL/dY`` (N, F, Ho, Wo). The student writes

* ``conv2d_naive(X, W, b, stride, padding) -> Y``, loops:
  ``Y[n, f, i, j] = b[f] + sum_{c,p,q} W[f, c, p, q] Xp[n, c, i s + p, j s + q]`` (no kernel flip);
* ``conv2d_naive_backward(X, W, G, stride, padding) -> (dX, dW, db)``, the same loops;
* ``im2col(X, KH, KW, stride, padding) -> cols`` (N, C*KH*KW, Ho*Wo),
  ``cols[n, (c, p, q), (i, j)] = Xp[n, c, i s + p, j s + q]``;
* ``col2im(cols, X_shape, KH, KW, stride, padding) -> dX``, the adjoint: every column is *added*
  back onto its pixels, and the padding cut off;
* ``conv2d_forward(X, W, b, stride, padding) -> Y`` with their ``im2col`` and one matrix product;
* ``conv2d_backward(X, W, G, stride, padding) -> (dX, dW, db)`` with ``im2col``, ``col2im`` and
  two matrix products.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

import nnedu.functional as F
from nnedu import nn
from nnedu.exercises import reference as ref
from nnedu.exercises.checker import Bug, Case, Exercise, check
from nnedu.exercises.report import CheckResult
from nnedu.functional.conv import conv2d_im2col_backward, conv2d_im2col_forward

NOTEBOOK = "04_convolution"


# -- inputs --------------------------------------------------------------------------------------------
def _conv_inputs(rng: np.random.Generator, x_shape: tuple[int, ...], w_shape: tuple[int, ...],
                 dtype: type = np.float64) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    X = rng.standard_normal(x_shape)
    W = rng.standard_normal(w_shape) / np.sqrt(np.prod(w_shape[1:]))
    b = rng.standard_normal(w_shape[0])
    return X.astype(dtype), W.astype(dtype), b.astype(dtype)


#: (label, X shape, W shape, stride, padding, hint): the geometry every convolution exercise is run on.
#: Chosen so that each mistake shows: C > 1 and N != F (axis orders), odd sizes with stride 2,
#: non-square kernels and inputs, overlapping windows, a 1x1 and a whole-input kernel.
GEOMETRIES = [
    ("3x3 filters, stride 1, no padding", (2, 3, 6, 6), (4, 3, 3, 3), 1, 0,
     "sum over the input channels c as well as over the window (p, q)"),
    ("'same' padding 1", (2, 2, 5, 5), (3, 2, 3, 3), 1, 1,
     "pad only the two spatial axes, with P zeros on each side: np.pad(X, ((0, 0), (0, 0), (P, P), (P, P)))"),
    ("stride 2 with padding 1 on an odd size", (3, 2, 7, 7), (2, 2, 3, 3), 2, 1,
     "Ho = (H + 2P - KH) // s + 1, and window (i, j) starts at row i*s, column j*s of the padded input"),
    ("non-square kernel (2x4) on a non-square input (6x9)", (2, 2, 6, 9), (3, 2, 2, 4), 1, 0,
     "use KH for rows and KW for columns; H and W differ too"),
    ("a 1x1 convolution (it mixes channels only)", (2, 4, 3, 3), (5, 4, 1, 1), 1, 0, ""),
    ("kernel as large as the input: a 1x1 output", (3, 2, 4, 4), (2, 2, 4, 4), 1, 0,
     "the output is 1x1 here: make sure your loops include the last position"),
    ("stride 3, padding 2, non-square kernel (3x2)", (2, 3, 8, 7), (4, 3, 3, 2), 3, 2, ""),
]
FLOAT32 = ("float32 inputs, 3x3 filters, padding 1", (2, 3, 5, 6), (4, 3, 3, 3), 1, 1, "")


def _flip(W: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(W[:, :, ::-1, ::-1])


def _out_size(n: int, k: int, s: int, P: int) -> int:
    return (n + 2 * P - k) // s + 1


# The bugs below are variants of these plain-NumPy versions (the checker reports any call into
# nnedu's own convolution as "calls nnedu's own", so the bugs must not use it).
def _pad(X: np.ndarray, P: int) -> np.ndarray:
    return np.pad(X, ((0, 0), (0, 0), (P, P), (P, P)))


def _win(X: np.ndarray, KH: int, KW: int, s: int, P: int) -> np.ndarray:
    """The windows as a view ``(N, C, KH, KW, Ho, Wo)``: ``[n, c, p, q, i, j] = Xp[n, c, i s + p, j s + q]``."""
    v = np.lib.stride_tricks.sliding_window_view(_pad(X, P), (KH, KW), axis=(2, 3))[:, :, ::s, ::s]
    return v.transpose(0, 1, 4, 5, 2, 3)


def _cols(X: np.ndarray, KH: int, KW: int, s: int = 1, P: int = 0) -> np.ndarray:
    w = _win(X, KH, KW, s, P)
    return w.reshape(w.shape[0], -1, w.shape[4] * w.shape[5])


def _conv(X: np.ndarray, W: np.ndarray, b: np.ndarray | None, s: int = 1, P: int = 0) -> np.ndarray:
    Y = np.einsum("fcpq,ncpqij->nfij", W, _win(X, W.shape[2], W.shape[3], s, P))
    return Y if b is None else Y + b[:, None, None]


def _uncols(cols: np.ndarray, X_shape: tuple[int, ...], KH: int, KW: int, s: int = 1, P: int = 0) -> np.ndarray:
    """The adjoint of :func:`_cols`, still padded: ``(N, C, H + 2P, W + 2P)``."""
    N, C, H, Wd = X_shape
    Ho, Wo = _out_size(H, KH, s, P), _out_size(Wd, KW, s, P)
    c = cols.reshape(N, C, KH, KW, Ho, Wo)
    dXp = np.zeros((N, C, H + 2 * P, Wd + 2 * P), dtype=cols.dtype)
    for p in range(KH):
        for q in range(KW):
            dXp[:, :, p:p + s * Ho:s, q:q + s * Wo:s] += c[:, :, p, q]
    return dXp


def _crop(dXp: np.ndarray, X_shape: tuple[int, ...], P: int) -> np.ndarray:
    return dXp[:, :, P:P + X_shape[2], P:P + X_shape[3]]


def _grads(X, W, G, stride=1, padding=0):
    """The correct ``(dX, dW, db)``."""
    Fn, C, KH, KW = W.shape
    dW = np.einsum("nfij,ncpqij->fcpq", G, _win(X, KH, KW, stride, padding))
    dcols = np.einsum("fk,nfl->nkl", W.reshape(Fn, -1), G.reshape(G.shape[0], Fn, -1))
    H, Wd = X.shape[2:]
    dX = _uncols(dcols, X.shape, KH, KW, stride, padding)[:, :, padding:padding + H, padding:padding + Wd]
    return dX, dW, G.sum(axis=(0, 2, 3))


# -- conv2d_naive and conv2d_forward (the same function, two ways) --------------------------------------
def _forward_cases(seed: int) -> list[Case]:
    rng = np.random.default_rng(seed)
    cases = []
    for label, xs, ws, s, P, hint in GEOMETRIES + [FLOAT32]:
        dtype = np.float32 if label.startswith("float32") else np.float64
        X, W, b = _conv_inputs(rng, xs, ws, dtype)
        cases.append(Case(f"{label}: X {xs}, W {ws}, stride={s}, padding={P}", (X, W, b),
                          {"stride": s, "padding": P}, hint))
    return cases


def _forward_bugs() -> list[Bug]:
    def ignores_stride(X, W, b, stride=1, padding=0):
        Ho, Wo = _out_size(X.shape[2], W.shape[2], stride, padding), _out_size(X.shape[3], W.shape[3], stride, padding)
        return _conv(X, W, b, 1, padding)[:, :, :Ho, :Wo]

    return [
        Bug("you flipped the kernel: that is the convolution of mathematics; deep-learning libraries (and "
            "this course) compute the cross-correlation, W[f, c, p, q] times Xp[n, c, i*s + p, j*s + q]",
            lambda X, W, b, stride=1, padding=0: _conv(X, _flip(W), b, stride, padding)),
        Bug("you forgot the bias: every output of filter f gets + b[f]",
            lambda X, W, b, stride=1, padding=0: _conv(X, W, None, stride, padding)),
        Bug("your output is one row and one column short: Ho = (H + 2P - KH) // s + 1 (window 0 counts too)",
            lambda X, W, b, stride=1, padding=0: _conv(X, W, b, stride, padding)[:, :, :-1, :-1]),
        Bug("the padding is not applied: pad X with P zeros on each side of the two spatial axes first",
            lambda X, W, b, stride=1, padding=0: _conv(X, W, b, stride, 0)),
        Bug("your windows move one pixel per output pixel: with stride s, window (i, j) starts at row i*s "
            "and column j*s", ignores_stride),
        Bug("you subtracted the bias instead of adding it",
            lambda X, W, b, stride=1, padding=0: _conv(X, W, -b, stride, padding)),
    ]


_FORWARD_HINT = ("each output pixel is one filter laid over one window of the padded input: multiply entry "
                 "by entry, add everything up (channels included), add the filter's bias")
_FORWARD_FORMULA = ("Y[n, f, i, j] = b[f] + sum(W[f] * Xp[n, :, i*s:i*s+KH, j*s:j*s+KW]),  "
                    "Y (N, F, Ho, Wo), Ho = (H + 2P - KH) // s + 1, Wo = (W + 2P - KW) // s + 1")


def _conv2d_naive_exercise() -> Exercise:
    return Exercise(
        "conv2d_naive", ref.conv2d_naive, _forward_cases(14), ("Y",), notebook=NOTEBOOK,
        hint=_FORWARD_HINT, formula=_FORWARD_FORMULA, bugs=_forward_bugs(),
        library=(F.conv2d_naive, F.conv2d, conv2d_im2col_forward, nn.Conv2d.forward))


def _conv2d_forward_exercise() -> Exercise:
    return Exercise(
        "conv2d_forward", ref.conv2d_forward, _forward_cases(15), ("Y",), notebook=NOTEBOOK,
        hint="im2col turns every window into a column; then one product of the (F, C*KH*KW) filter matrix "
             "with the columns gives every output pixel of every image at once; reshape, add the bias",
        formula="cols = im2col(X, KH, KW, s, P)  (N, C*KH*KW, Ho*Wo);  "
                "Y = (W.reshape(F, -1) @ cols).reshape(N, F, Ho, Wo) + b[:, None, None]",
        bugs=_forward_bugs(),
        library=(F.conv2d, conv2d_im2col_forward, F.conv2d_naive, F.im2col, nn.Conv2d.forward))


# -- the backward passes -----------------------------------------------------------------------------
def _backward_cases(seed: int) -> list[Case]:
    rng = np.random.default_rng(seed)
    cases = []
    for label, xs, ws, s, P, hint in GEOMETRIES + [FLOAT32]:
        dtype = np.float32 if label.startswith("float32") else np.float64
        X, W, _ = _conv_inputs(rng, xs, ws, dtype)
        Ho, Wo = _out_size(xs[2], ws[2], s, P), _out_size(xs[3], ws[3], s, P)
        G = rng.standard_normal((xs[0], ws[0], Ho, Wo)).astype(dtype)
        cases.append(Case(f"{label}: X {xs}, W {ws}, G {G.shape}, stride={s}, padding={P}", (X, W, G),
                          {"stride": s, "padding": P}, hint))
    return cases


def _overwriting_naive_backward(X, W, G, stride=1, padding=0):
    """The loops with ``=`` instead of ``+=``: each window overwrites what the ones before it gave."""
    N, C, H, Wd = X.shape
    Fn, _, KH, KW = W.shape
    Xp = np.pad(X, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    dXp, dW = np.zeros_like(Xp), np.zeros_like(W)
    for n in range(N):
        for f in range(Fn):
            for i in range(G.shape[2]):
                for j in range(G.shape[3]):
                    rows, cols = slice(i * stride, i * stride + KH), slice(j * stride, j * stride + KW)
                    dXp[n, :, rows, cols] = G[n, f, i, j] * W[f]
                    dW[f] = G[n, f, i, j] * Xp[n, :, rows, cols]
    return dXp[:, :, padding:padding + H, padding:padding + Wd], dW, G.sum(axis=(0, 2, 3))


def _backward_bugs() -> list[Bug]:
    def flipped(X, W, G, stride=1, padding=0):
        dX, dW, db = _grads(X, _flip(W), G, stride, padding)
        return dX, _flip(dW), db

    def keeps_padding(X, W, G, stride=1, padding=0):
        _, dW, db = _grads(X, W, G, stride, padding)
        Xp = np.pad(X, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
        return _grads(Xp, W, G, stride, 0)[0], dW, db

    def dw_transposed(X, W, G, stride=1, padding=0):
        dX, dW, db = _grads(X, W, G, stride, padding)
        return dX, np.ascontiguousarray(dW.reshape(W.shape[0], -1).T).reshape(W.shape), db

    def dw_mean(X, W, G, stride=1, padding=0):
        dX, dW, db = _grads(X, W, G, stride, padding)
        return dX, dW / len(X), db

    def db_mean(X, W, G, stride=1, padding=0):
        dX, dW, db = _grads(X, W, G, stride, padding)
        return dX, dW, db / len(X)

    def db_per_sample(X, W, G, stride=1, padding=0):
        dX, dW, _ = _grads(X, W, G, stride, padding)
        return dX, dW, G.sum(axis=(1, 2, 3))

    def db_per_pixel(X, W, G, stride=1, padding=0):
        dX, dW, _ = _grads(X, W, G, stride, padding)
        return dX, dW, G.sum(axis=(0, 1))

    return [
        Bug("you flipped the kernel (the backward of the mathematicians' convolution): the forward pass "
            "is a cross-correlation, so dX and dW use W and Xp without flipping", flipped),
        Bug("dX still has the padding: cut the P border rows and columns off dXp so that dX has X's shape",
            keeps_padding),
        Bug("dW comes out transposed: cols @ G^T is (C*KH*KW, F), and reshaping that to (F, C, KH, KW) "
            "scrambles the weights; compute the (F, C*KH*KW) product G @ cols^T", dw_transposed),
        Bug("you averaged dW over the batch: the N examples' contributions add up (the loss already "
            "carries any 1/N inside G)", dw_mean),
        Bug("you averaged db over the batch: db[f] is the plain sum of G[:, f] over examples and pixels",
            db_mean),
        Bug("db has one entry per example: sum G over the examples and the pixels (axes 0, 2, 3), keeping "
            "one entry per filter", db_per_sample),
        Bug("db has one entry per pixel: sum G over the examples and the pixels (axes 0, 2, 3), keeping "
            "one entry per filter", db_per_pixel),
    ]


def _conv2d_naive_backward_exercise() -> Exercise:
    return Exercise(
        "conv2d_naive_backward", ref.conv2d_naive_backward, _backward_cases(16), ("dX", "dW", "db"),
        notebook=NOTEBOOK,
        hint="output pixel (n, f, i, j) was filter f times one window, plus b[f]; its upstream gradient "
             "g = G[n, f, i, j] flows back to every weight of the filter (times the window), to every "
             "pixel of the window (times the filter) and to b[f]; windows overlap, so contributions add up",
        formula="for every (n, f, i, j): g = G[n, f, i, j]; dW[f] += g * Xp[n, :, win]; "
                "dXp[n, :, win] += g * W[f]; db[f] += g;  dX = dXp[:, :, P:P+H, P:P+W]",
        bugs=[Bug("your loops assign (=) where they must add (+=): a weight is used at every output pixel, "
                  "and a pixel lies in several overlapping windows, so their gradients sum up",
                  _overwriting_naive_backward), *_backward_bugs()],
        library=(F.conv2d_naive_backward, conv2d_im2col_backward, nn.Conv2d.backward))


def _conv2d_backward_exercise() -> Exercise:
    return Exercise(
        "conv2d_backward", ref.conv2d_backward, _backward_cases(17), ("dX", "dW", "db"), notebook=NOTEBOOK,
        hint="the convolution is a linear layer applied to the columns of im2col: its backward is the "
             "linear layer's (notebook 01) for the columns, then col2im carries dcols back to the pixels",
        formula="cols = im2col(X, ...) (N, K, L), G_ = G.reshape(N, F, L);  dW = sum_n G_[n] @ cols[n].T "
                "reshaped to W.shape;  db = G.sum(axis=(0, 2, 3));  dX = col2im(W.reshape(F, K).T @ G_, X.shape, ...)",
        bugs=_backward_bugs(),
        library=(conv2d_im2col_backward, F.conv2d_naive_backward, F.col2im, nn.Conv2d.backward))


# -- im2col and col2im ----------------------------------------------------------------------------------
def _im2col_cases(seed: int) -> list[Case]:
    rng = np.random.default_rng(seed)
    cases = []
    for label, xs, ws, s, P, hint in GEOMETRIES + [FLOAT32]:
        dtype = np.float32 if label.startswith("float32") else np.float64
        X = rng.standard_normal(xs).astype(dtype)
        cases.append(Case(f"{label}: X {xs}, KH={ws[2]}, KW={ws[3]}, stride={s}, padding={P}",
                          (X, ws[2], ws[3]), {"stride": s, "padding": P}, hint))
    return cases


def _im2col_exercise() -> Exercise:
    def pqc_rows(X, KH, KW, stride=1, padding=0):
        w = _win(X, KH, KW, stride, padding)
        return w.transpose(0, 2, 3, 1, 4, 5).reshape(w.shape[0], -1, w.shape[4] * w.shape[5])

    def qp_rows(X, KH, KW, stride=1, padding=0):
        w = _win(X, KH, KW, stride, padding)
        return w.transpose(0, 1, 3, 2, 4, 5).reshape(w.shape[0], -1, w.shape[4] * w.shape[5])

    def ji_columns(X, KH, KW, stride=1, padding=0):
        w = _win(X, KH, KW, stride, padding)
        return w.transpose(0, 1, 2, 3, 5, 4).reshape(w.shape[0], -1, w.shape[4] * w.shape[5])

    def batch_in_columns(X, KH, KW, stride=1, padding=0):
        cols = _cols(X, KH, KW, stride, padding)
        return cols.transpose(1, 0, 2).reshape(cols.shape[1], -1)

    def short(X, KH, KW, stride=1, padding=0):
        w = _win(X, KH, KW, stride, padding)[..., :-1, :-1]
        return w.reshape(w.shape[0], -1, w.shape[4] * w.shape[5])

    def pads_all_axes(X, KH, KW, stride=1, padding=0):
        N, C = X.shape[:2]
        shifted = np.pad(X, ((padding, padding), (padding, padding), (0, 0), (0, 0)))[:N, :C]
        return _cols(shifted, KH, KW, stride, padding)

    def ignores_stride(X, KH, KW, stride=1, padding=0):
        N, C, H, Wd = X.shape
        Ho, Wo = _out_size(H, KH, stride, padding), _out_size(Wd, KW, stride, padding)
        w = _win(X, KH, KW, 1, padding)[..., :Ho, :Wo]
        return w.reshape(N, -1, Ho * Wo)

    return Exercise(
        "im2col", ref.im2col, _im2col_cases(18), ("cols",), notebook=NOTEBOOK,
        hint="one column per output pixel (i, j): the window under it, all C channels, read channel by "
             "channel and row by row, so that it lines up with W[f].ravel()",
        formula="cols[n, (c, p, q), (i, j)] = Xp[n, c, i*s + p, j*s + q], shape (N, C*KH*KW, Ho*Wo); "
                "e.g. a strided view Xp[..., p:p + s*Ho:s, q:q + s*Wo:s] for each kernel offset (p, q)",
        bugs=[
            Bug("your rows are in (p, q, c) order; they must be in (c, p, q) order (channel first, then the "
                "kernel row p, then the column q), the order of W.reshape(F, -1)", pqc_rows),
            Bug("within a channel your rows are in (q, p) order, column by column; they must go row by row "
                "(p, then q), the order of W[f, c].ravel()", qp_rows),
            Bug("your columns are in (j, i) order; they must go row by row over the output (i, then j) so "
                "that reshape(N, F, Ho, Wo) puts every value in its place", ji_columns),
            Bug("you put the batch into the columns, (C*KH*KW, N*Ho*Wo); this exercise keeps the batch first: "
                "(N, C*KH*KW, Ho*Wo)", batch_in_columns),
            Bug("you have one window too few along each axis: Ho = (H + 2P - KH) // s + 1", short),
            Bug("the padding is not applied: pad X with P zeros on each side of the two spatial axes first",
                lambda X, KH, KW, stride=1, padding=0: _cols(X, KH, KW, stride, 0)),
            Bug("you padded the batch and channel axes too (np.pad(X, P) pads all four axes): pad only H and W, "
                "np.pad(X, ((0, 0), (0, 0), (P, P), (P, P)))", pads_all_axes),
            Bug("your windows move one pixel per output pixel: with stride s, window (i, j) starts at row i*s "
                "and column j*s", ignores_stride),
        ],
        library=(F.im2col,))


def _col2im_cases(seed: int) -> list[Case]:
    rng = np.random.default_rng(seed)
    cases = []
    for label, xs, ws, s, P, hint in GEOMETRIES + [FLOAT32]:
        dtype = np.float32 if label.startswith("float32") else np.float64
        N, C, H, Wd = xs
        KH, KW = ws[2:]
        shape = (N, C * KH * KW, _out_size(H, KH, s, P) * _out_size(Wd, KW, s, P))
        cols = rng.standard_normal(shape).astype(dtype)
        cases.append(Case(f"{label}: cols {shape}, X_shape {xs}, KH={KH}, KW={KW}, stride={s}, padding={P}",
                          (cols, xs, KH, KW), {"stride": s, "padding": P}, hint))
    return cases


def _col2im_exercise() -> Exercise:
    def geometry(cols, X_shape, KH, KW, stride, padding):
        N, C, H, Wd = X_shape
        Ho, Wo = _out_size(H, KH, stride, padding), _out_size(Wd, KW, stride, padding)
        return N, C, H, Wd, Ho, Wo

    def overwrites(cols, X_shape, KH, KW, stride=1, padding=0):
        N, C, H, Wd, Ho, Wo = geometry(cols, X_shape, KH, KW, stride, padding)
        c = cols.reshape(N, C, KH, KW, Ho, Wo)
        dXp = np.zeros((N, C, H + 2 * padding, Wd + 2 * padding), cols.dtype)
        for p in range(KH):
            for q in range(KW):
                dXp[:, :, p:p + stride * Ho:stride, q:q + stride * Wo:stride] = c[:, :, p, q]
        return dXp[:, :, padding:padding + H, padding:padding + Wd]

    def overwrites_by_window(cols, X_shape, KH, KW, stride=1, padding=0):
        N, C, H, Wd, Ho, Wo = geometry(cols, X_shape, KH, KW, stride, padding)
        c = cols.reshape(N, C, KH, KW, Ho, Wo)
        dXp = np.zeros((N, C, H + 2 * padding, Wd + 2 * padding), cols.dtype)
        for i in range(Ho):
            for j in range(Wo):
                dXp[:, :, i * stride:i * stride + KH, j * stride:j * stride + KW] = c[..., i, j]
        return dXp[:, :, padding:padding + H, padding:padding + Wd]

    def keeps_padding(cols, X_shape, KH, KW, stride=1, padding=0):
        return _uncols(cols, X_shape, KH, KW, stride, padding)

    def crops_one_side(cols, X_shape, KH, KW, stride=1, padding=0):
        H, Wd = X_shape[2:]
        return _uncols(cols, X_shape, KH, KW, stride, padding)[:, :, :H, :Wd]

    def pqc_rows(cols, X_shape, KH, KW, stride=1, padding=0):
        N, C, H, Wd, Ho, Wo = geometry(cols, X_shape, KH, KW, stride, padding)
        c = cols.reshape(N, KH, KW, C, Ho * Wo).transpose(0, 3, 1, 2, 4).reshape(cols.shape)
        return _crop(_uncols(c, X_shape, KH, KW, stride, padding), X_shape, padding)

    def averages(cols, X_shape, KH, KW, stride=1, padding=0):
        summed = _uncols(cols, X_shape, KH, KW, stride, padding)
        counts = _uncols(np.ones_like(cols), X_shape, KH, KW, stride, padding)
        return _crop(summed / np.maximum(counts, 1), X_shape, padding)

    return Exercise(
        "col2im", ref.col2im, _col2im_cases(19), ("dX",), notebook=NOTEBOOK,
        hint="im2col copied each pixel into every window containing it; going back, each copy's gradient "
             "must be ADDED onto that pixel (a copy forward is a sum backward); build the padded gradient, "
             "then cut the border off",
        formula="dXp = zeros(N, C, H + 2P, W + 2P); for each (p, q): "
                "dXp[:, :, p:p + s*Ho:s, q:q + s*Wo:s] += cols.reshape(N, C, KH, KW, Ho, Wo)[:, :, p, q]; "
                "dX = dXp[:, :, P:P+H, P:P+W]",
        bugs=[
            Bug("overlapping windows overwrite each other: a pixel in several windows must receive the SUM "
                "of their gradients (+=, not =)", overwrites),
            Bug("overlapping windows overwrite each other: a pixel in several windows must receive the SUM "
                "of their gradients (+=, not =)", overwrites_by_window),
            Bug("you averaged the contributions of overlapping windows; the gradient of a copied pixel is the "
                "sum over its copies, so col2im(im2col(x)) is NOT x where windows overlap", averages),
            Bug("dX still has the padding: cut P rows and columns off each side so that dX has shape X_shape",
                keeps_padding),
            Bug("you cut the padding off the bottom and right only: it was added on all four sides, so keep "
                "dXp[:, :, P:P+H, P:P+W]", crops_one_side),
            Bug("you read the rows in (p, q, c) order; im2col wrote them in (c, p, q) order: "
                "cols.reshape(N, C, KH, KW, Ho, Wo)", pqc_rows),
        ],
        library=(F.col2im,))


EXERCISES = {
    "conv2d_naive": _conv2d_naive_exercise,
    "conv2d_naive_backward": _conv2d_naive_backward_exercise,
    "im2col": _im2col_exercise,
    "col2im": _col2im_exercise,
    "conv2d_forward": _conv2d_forward_exercise,
    "conv2d_backward": _conv2d_backward_exercise,
}


def check_conv2d_naive(fn: Callable, reveal: bool = False) -> CheckResult:
    """Check the student's ``conv2d_naive(X, W, b, stride=1, padding=0) -> Y`` (prints the verdict)."""
    return check(_conv2d_naive_exercise(), fn, reveal)


def check_conv2d_naive_backward(fn: Callable, reveal: bool = False) -> CheckResult:
    """Check the student's ``conv2d_naive_backward(X, W, G, stride=1, padding=0) -> (dX, dW, db)``."""
    return check(_conv2d_naive_backward_exercise(), fn, reveal)


def check_im2col(fn: Callable, reveal: bool = False) -> CheckResult:
    """Check the student's ``im2col(X, KH, KW, stride=1, padding=0) -> cols`` (prints the verdict)."""
    return check(_im2col_exercise(), fn, reveal)


def check_col2im(fn: Callable, reveal: bool = False) -> CheckResult:
    """Check the student's ``col2im(cols, X_shape, KH, KW, stride=1, padding=0) -> dX`` (prints the verdict)."""
    return check(_col2im_exercise(), fn, reveal)


def check_conv2d_forward(fn: Callable, reveal: bool = False) -> CheckResult:
    """Check the student's im2col ``conv2d_forward(X, W, b, stride=1, padding=0) -> Y`` (prints the verdict)."""
    return check(_conv2d_forward_exercise(), fn, reveal)


def check_conv2d_backward(fn: Callable, reveal: bool = False) -> CheckResult:
    """Check the student's im2col ``conv2d_backward(X, W, G, stride=1, padding=0) -> (dX, dW, db)``."""
    return check(_conv2d_backward_exercise(), fn, reveal)
