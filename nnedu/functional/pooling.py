r"""2-D max and average pooling, vectorised: a loop over the ``kh * kw`` window offsets, never over pixels.

Notation (as in the notebook): input ``x`` of shape ``(N, C, H, W)``, window
``(kh, kw)``, stride ``(sh, sw)`` (default: the window size, so windows do not
overlap), padding ``(ph, pw)``; ``xp`` is the padded input. Output ``y`` has
shape ``(N, C, Ho, Wo)`` with the same size formula as convolution,
``Ho = floor((H + 2 ph - kh) / sh) + 1``.

.. math::
    \text{max pool:}\quad y[n, c, i, j] = \max_{p, q}\; xp[n, c, i s_h + p, j s_w + q]

    \text{avg pool:}\quad y[n, c, i, j] = \frac{1}{k_h k_w} \sum_{p, q} xp[n, c, i s_h + p, j s_w + q]

Semantics follow PyTorch (``ceil_mode=False``): max pooling pads with
:math:`-\infty` (a padded cell never wins); average pooling pads with zeros and
always divides by ``kh * kw`` (``count_include_pad=True``). Padding may be at
most half the window, as in PyTorch.

Backward, with ``G = dL/dy``:

* max pool: the whole of ``G[n, c, i, j]`` goes to the one input cell that
  won the max of its window. **Ties** (several cells equal to the max): the
  gradient goes to the *first* of them in row-major window order ``(p, q)``,
  as PyTorch does on the CPU; the others get zero. (With NaN inputs the
  output is NaN, as in PyTorch, but no cell receives a gradient.)
* avg pool: every cell of the window receives ``G[n, c, i, j] / (kh kw)``.

Where windows overlap (``stride < kernel``) a cell adds up the gradients of all
the windows it belongs to.

Why a loop over offsets is fast: for a fixed offset ``(p, q)`` the cells
``xp[:, :, i sh + p, j sw + q]`` for all ``(i, j)`` form one strided slice
``xp[:, :, p::sh, q::sw]``, so each of the ``kh * kw`` steps is one NumPy
operation on an ``(N, C, Ho, Wo)`` slab. The batch is shared among nnedu's
threads (:func:`nnedu.functional._parallel.parallel_for`): each runs the same
loop on its own samples ``b``.
"""
from __future__ import annotations

import numpy as np

from nnedu.functional._parallel import parallel_for, ufunc
from nnedu.functional.conv import IntOrPair, _check_input, _pair, conv_output_size, pad2d


def _pool_sizes(kernel_size: IntOrPair, stride: IntOrPair | None, padding: IntOrPair
                ) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int]]:
    """``(kh, kw), (sh, sw), (ph, pw)`` as pairs of ints; the stride defaults to the window size."""
    k = _pair(kernel_size, "kernel_size")
    s = _pair(stride, "stride") if stride is not None else k
    return k, s, _pair(padding, "padding")


def _pool_args(x: np.ndarray, kernel_size: IntOrPair, stride: IntOrPair | None, padding: IntOrPair,
               name: str) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int], int, int]:
    """Normalise sizes, check the input, return ``(k, s, p, Ho, Wo)``."""
    (kh, kw), (sh, sw), (ph, pw) = _pool_sizes(kernel_size, stride, padding)
    if 2 * ph > kh or 2 * pw > kw:
        raise ValueError(f"{name}: padding ({ph}, {pw}) must be at most half the kernel size ({kh}, {kw})")
    _check_input(x, name, (kh, kw), (ph, pw))
    H, W = x.shape[2:]
    return (kh, kw), (sh, sw), (ph, pw), conv_output_size(H, kh, sh, ph), conv_output_size(W, kw, sw, pw)


def _offset_slice(p: int, q: int, s: tuple[int, int], Ho: int, Wo: int) -> tuple[slice, ...]:
    """Index of the cells at window offset ``(p, q)`` of every output pixel: ``[:, :, p::sh, q::sw]``."""
    return (slice(None), slice(None), slice(p, p + s[0] * Ho, s[0]), slice(q, q + s[1] * Wo, s[1]))


def _reduce_windows(xp: np.ndarray, combine: np.ufunc, k: tuple[int, int], s: tuple[int, int],
                    Ho: int, Wo: int) -> np.ndarray:
    """``y[n, c, i, j]`` = ``combine`` (``np.maximum`` or ``np.add``) over the window offsets ``(p, q)`` of
    ``xp[n, c, i sh + p, j sw + q]``: one strided slab per offset, the batch shared among nnedu's threads."""
    y = np.empty((xp.shape[0], xp.shape[1], Ho, Wo), dtype=xp.dtype)

    def pool(b: slice) -> None:                  # the samples b of the batch
        np.copyto(y[b], xp[b][_offset_slice(0, 0, s, Ho, Wo)])
        for p in range(k[0]):
            for q in range(k[1]):
                if p or q:
                    combine(y[b], xp[b][_offset_slice(p, q, s, Ho, Wo)], out=y[b])
    parallel_for(xp.shape[0], pool, work=xp.size)
    return y


def max_pool2d(x: np.ndarray, kernel_size: IntOrPair, stride: IntOrPair | None = None,
               padding: IntOrPair = 0) -> np.ndarray:
    """Max pooling, ``y[n, c, i, j] = max_{p,q} xp[n, c, i sh + p, j sw + q]``.

    Parameters
    ----------
    x : np.ndarray
        ``(N, C, H, W)``.
    kernel_size : int or (int, int)
        ``(kh, kw)``.
    stride : int or (int, int), optional
        ``(sh, sw)``; defaults to ``kernel_size``.
    padding : int or (int, int)
        ``(ph, pw)``, filled with ``-inf``.

    Returns
    -------
    np.ndarray
        ``(N, C, Ho, Wo)``.
    """
    k, s, pad, Ho, Wo = _pool_args(x, kernel_size, stride, padding, "max_pool2d")
    return _reduce_windows(pad2d(x, pad, value=-np.inf), np.maximum, k, s, Ho, Wo)


def max_pool2d_backward(grad_out: np.ndarray, x: np.ndarray, y: np.ndarray, kernel_size: IntOrPair,
                        stride: IntOrPair | None = None, padding: IntOrPair = 0) -> np.ndarray:
    """Route each ``G[n, c, i, j]`` to the first cell of its window that equals the maximum ``y[n, c, i, j]``.

    Walking through the window offsets ``(p, q)`` in row-major order, a cell
    wins if it equals the maximum and no earlier cell of the same window has
    won (``free`` is still True), which gives PyTorch's tie rule: the first maximum gets all.

    Parameters
    ----------
    grad_out : np.ndarray
        ``G = dL/dy``, ``(N, C, Ho, Wo)``.
    x, y : np.ndarray
        The input and output of :func:`max_pool2d`.
    kernel_size, stride, padding : int or (int, int)
        As in the forward pass.

    Returns
    -------
    np.ndarray
        ``dL/dx``, shape ``x.shape``.
    """
    (kh, kw), (sh, sw), (ph, pw) = _pool_sizes(kernel_size, stride, padding)
    N, C, H, W = x.shape
    Ho, Wo = y.shape[2:]
    xp = pad2d(x, (ph, pw), value=-np.inf)
    dxp = np.zeros(xp.shape, dtype=grad_out.dtype)
    overlapping = sh < kh or sw < kw

    def route(b: slice) -> None:                 # the samples b of the batch
        free = np.ones(y[b].shape, dtype=bool)   # windows whose winner is still to be found
        wins = np.empty(y[b].shape, dtype=bool)
        for p in range(kh):
            for q in range(kw):
                cell = _offset_slice(p, q, (sh, sw), Ho, Wo)
                np.equal(xp[b][cell], y[b], out=wins)    # this cell holds the maximum ...
                wins &= free                             # ... and no earlier cell of its window did
                free ^= wins
                if overlapping:                          # a cell may belong to several windows: add up
                    dxp[b][cell] += grad_out[b] * wins
                else:                                    # each cell in at most one window: write directly
                    np.multiply(grad_out[b], wins, out=dxp[b][cell])
    parallel_for(N, route, work=xp.size)
    return dxp[:, :, ph:ph + H, pw:pw + W]


def avg_pool2d(x: np.ndarray, kernel_size: IntOrPair, stride: IntOrPair | None = None,
               padding: IntOrPair = 0) -> np.ndarray:
    """Average pooling, ``y[n, c, i, j] = (1 / (kh kw)) sum_{p,q} xp[n, c, i sh + p, j sw + q]``.

    Zero padding counts in the average (PyTorch's ``count_include_pad=True``).

    Parameters
    ----------
    x : np.ndarray
        ``(N, C, H, W)``.
    kernel_size : int or (int, int)
    stride : int or (int, int), optional
        Defaults to ``kernel_size``.
    padding : int or (int, int)

    Returns
    -------
    np.ndarray
        ``(N, C, Ho, Wo)``.
    """
    k, s, pad, Ho, Wo = _pool_args(x, kernel_size, stride, padding, "avg_pool2d")
    y = _reduce_windows(pad2d(x, pad), np.add, k, s, Ho, Wo)
    return ufunc(np.multiply, y, y.dtype.type(1.0 / (k[0] * k[1])), out=y)


def avg_pool2d_backward(grad_out: np.ndarray, x_shape: tuple[int, int, int, int],
                        kernel_size: IntOrPair, stride: IntOrPair | None = None,
                        padding: IntOrPair = 0) -> np.ndarray:
    """Spread each ``G[n, c, i, j] / (kh kw)`` over its window; returns ``dL/dx`` of shape ``x_shape``."""
    (kh, kw), (sh, sw), (ph, pw) = _pool_sizes(kernel_size, stride, padding)
    N, C, H, W = x_shape
    Ho, Wo = grad_out.shape[2:]
    share = grad_out * (1.0 / (kh * kw))
    dxp = np.zeros((N, C, H + 2 * ph, W + 2 * pw), dtype=share.dtype)

    def spread(b: slice) -> None:                # the samples b of the batch
        for p in range(kh):
            for q in range(kw):
                dxp[b][_offset_slice(p, q, (sh, sw), Ho, Wo)] += share[b]
    parallel_for(N, spread, work=dxp.size)
    return dxp[:, :, ph:ph + H, pw:pw + W]
