r"""2-D convolution: the output-size formula, im2col/col2im, and two implementations.

Notation (the same symbols as in the notebook)
-----------------------------------------------
Input ``x`` of shape ``(N, C, H, W)``, weight ``w`` of shape ``(F, C, kh, kw)``,
bias ``b`` of shape ``(F,)``, stride ``(sh, sw)``, zero padding ``(ph, pw)``.
``xp`` is ``x`` padded with ``ph`` zero rows above and below and ``pw`` zero
columns left and right. The output ``y`` has shape ``(N, F, Ho, Wo)`` with

.. math:: H_o = \left\lfloor \frac{H + 2 p_h - k_h}{s_h} \right\rfloor + 1,
          \qquad
          W_o = \left\lfloor \frac{W + 2 p_w - k_w}{s_w} \right\rfloor + 1,

and (like PyTorch, this is really a cross-correlation: the kernel is not flipped)

.. math:: y[n, f, i, j] = b[f] + \sum_{c, p, q}
          w[f, c, p, q]\; xp[n, c, i s_h + p, j s_w + q].

Backward, with ``G = dL/dy``:

.. math::
    \frac{\partial L}{\partial w[f, c, p, q]} &= \sum_{n, i, j} G[n, f, i, j]\, xp[n, c, i s_h + p, j s_w + q] \\
    \frac{\partial L}{\partial b[f]}          &= \sum_{n, i, j} G[n, f, i, j] \\
    \frac{\partial L}{\partial xp[n, c, i s_h + p, j s_w + q]} &\mathrel{+}= \sum_f G[n, f, i, j]\, w[f, c, p, q]

and ``dL/dx`` is ``dL/dxp`` with the padding cut off.

Two implementations compute the same numbers:

* :func:`conv2d_naive` / :func:`conv2d_naive_backward` — **the teaching
  version**: explicit Python loops over samples, filters and output pixels,
  one line per formula above. Slow (seconds for one MNIST batch).
* :func:`conv2d` = :func:`conv2d_im2col_forward` / :func:`conv2d_im2col_backward` —
  the fast version. :func:`im2col` copies every receptive field into a column.
  Put the columns of all ``N`` samples side by side and the whole convolution
  is **one** matrix product for the batch:

  .. math:: \text{col} \in \mathbb{R}^{(C k_h k_w) \times (N H_o W_o)}, \quad
            Y = w_{\text{mat}}\, \text{col} + b, \quad
            w_{\text{mat}} = w.\text{reshape}(F, C k_h k_w),

  where column ``(n, i, j)`` of ``col`` is the window under output pixel
  ``(i, j)`` of sample ``n`` and ``Y[f, (n, i, j)] = y[n, f, i, j]``. One big
  product rather than ``N`` small ones (one per sample), because BLAS splits a
  big product over all CPU cores and a small one not at all.

  Backward is two more matrix products, ``dw_mat = G_mat col^T`` and
  ``dcol = w_mat^T G_mat`` (``G_mat`` is ``G`` laid out like ``Y``), and
  :func:`col2im`, which adds every column back onto the pixels it came from
  (overlapping windows accumulate).

  For stride 1 the fast version uses a variant of im2col on a "wide" output
  grid (``_im2col_wide``): same numbers, but NumPy copies and adds long
  contiguous runs instead of one short row at a time, which is 2-5x faster.

  The big copies and products of the fast version run on all cores through the
  helpers of :mod:`nnedu.functional._parallel` (``matmul`` is ``@``, ``copyto`` is
  ``dst[...] = src``, ``parallel_for`` runs a loop body on slices of the batch),
  with the same numbers on any number of threads.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from nnedu.functional._parallel import copyto, matmul, parallel_for, ufunc

IntOrPair = int | tuple[int, int]


def _pair(v: IntOrPair, name: str) -> tuple[int, int]:
    """``3 -> (3, 3)``; ``(3, 5)`` stays; anything else is an error."""
    if isinstance(v, (int, np.integer)):
        return int(v), int(v)
    if isinstance(v, (tuple, list)) and len(v) == 2 and all(isinstance(e, (int, np.integer)) for e in v):
        return int(v[0]), int(v[1])
    raise ValueError(f"{name} must be an int or a pair of ints, got {v!r}")


def conv_output_size(n: int, k: int, stride: int = 1, padding: int = 0) -> int:
    r"""Output length along one axis: :math:`\lfloor (n + 2p - k) / s \rfloor + 1`.

    Parameters
    ----------
    n : int
        Input length (``H`` or ``W``).
    k : int
        Kernel (window) length (``kh`` or ``kw``).
    stride : int
        Step ``s`` between neighbouring windows.
    padding : int
        Zeros ``p`` added on *each* side.

    Returns
    -------
    int
        ``Ho`` or ``Wo``.

    Raises
    ------
    ValueError
        If the kernel is larger than the padded input (no window fits).

    Examples
    --------
    >>> conv_output_size(28, 5, stride=1, padding=2)   # LeNet-5 conv1: "same" size
    28
    >>> conv_output_size(28, 2, stride=2)              # 2x2 pooling halves
    14
    """
    if stride < 1 or padding < 0 or k < 1:
        raise ValueError(f"conv_output_size: need k >= 1, stride >= 1, padding >= 0; "
                         f"got k={k}, stride={stride}, padding={padding}")
    if k > n + 2 * padding:
        raise ValueError(f"conv_output_size: kernel size {k} is larger than the padded input "
                         f"size {n} + 2*{padding} = {n + 2 * padding}")
    return (n + 2 * padding - k) // stride + 1


def _check_input(x: np.ndarray, name: str, kernel: tuple[int, int], padding: tuple[int, int],
                 channels: int | None = None) -> None:
    """Shared shape checks with messages that name the caller and both shapes."""
    if x.ndim != 4:
        expected = f"(N, {channels}, H, W)" if channels is not None else "(N, C, H, W)"
        raise ValueError(f"{name}: expected a 4-D input of shape {expected}, got shape {x.shape} "
                         f"({x.ndim}-D)")
    if channels is not None and x.shape[1] != channels:
        raise ValueError(f"{name}: expected input of shape (N, {channels}, H, W) "
                         f"({channels} channels), got shape {x.shape} ({x.shape[1]} channels)")
    H, W = x.shape[2:]
    (kh, kw), (ph, pw) = kernel, padding
    if kh > H + 2 * ph or kw > W + 2 * pw:
        raise ValueError(f"{name}: kernel ({kh}, {kw}) is larger than the padded input "
                         f"({H + 2 * ph}, {W + 2 * pw}) (input shape {x.shape}, padding ({ph}, {pw}))")


def pad2d(x: np.ndarray, padding: IntOrPair, value: float = 0.0) -> np.ndarray:
    """Pad the last two axes of ``x`` by ``(ph, pw)`` on each side with ``value`` (a new array)."""
    ph, pw = _pair(padding, "padding")
    if ph == 0 and pw == 0:
        return x
    N, C, H, W = x.shape
    xp = np.full((N, C, H + 2 * ph, W + 2 * pw), value, dtype=x.dtype)
    xp[:, :, ph:ph + H, pw:pw + W] = x
    return xp


def im2col(x: np.ndarray, kernel_size: IntOrPair, stride: IntOrPair = 1,
           padding: IntOrPair = 0) -> np.ndarray:
    r"""Copy every receptive field of ``x`` into a column.

    .. math:: \text{col}[n, (c, p, q), (i, j)] = xp[n, c, i s_h + p, j s_w + q]

    Parameters
    ----------
    x : np.ndarray
        Input, shape ``(N, C, H, W)``.
    kernel_size, stride, padding : int or (int, int)
        ``(kh, kw)``, ``(sh, sw)``, ``(ph, pw)``.

    Returns
    -------
    np.ndarray
        ``col`` of shape ``(N, C*kh*kw, Ho*Wo)``: column ``(i, j)`` of sample
        ``n`` is the ``C x kh x kw`` window under output pixel ``(i, j)``,
        flattened in the same ``(c, p, q)`` order as ``w.reshape(F, -1)``.

    Notes
    -----
    The windows are first made as a *view* with :func:`~numpy.lib.stride_tricks.as_strided`
    (no data moves: the view of shape ``(N, C, kh, kw, Ho, Wo)`` steps ``sh`` rows
    for ``i`` and one row for ``p``), then copied once by ``reshape``. The two
    output axes ``(Ho, Wo)`` are innermost so that this copy moves whole runs of
    neighbouring pixels.
    """
    windows = _windows(x, kernel_size, stride, padding)             # (N, C, kh, kw, Ho, Wo), a view
    N, C, kh, kw, Ho, Wo = windows.shape
    return windows.reshape(N, C * kh * kw, Ho * Wo)


def _windows(x: np.ndarray, kernel_size: IntOrPair, stride: IntOrPair, padding: IntOrPair) -> np.ndarray:
    """The receptive fields of :func:`im2col` as a read-only view ``(N, C, kh, kw, Ho, Wo)`` of the padded ``x``."""
    kh, kw = _pair(kernel_size, "kernel_size")
    sh, sw = _pair(stride, "stride")
    ph, pw = _pair(padding, "padding")
    _check_input(x, "im2col", (kh, kw), (ph, pw))
    N, C, H, W = x.shape
    Ho, Wo = conv_output_size(H, kh, sh, ph), conv_output_size(W, kw, sw, pw)
    xp = pad2d(x, (ph, pw))
    sN, sC, sH, sW = xp.strides
    return as_strided(xp, shape=(N, C, kh, kw, Ho, Wo),
                      strides=(sN, sC, sH, sW, sH * sh, sW * sw), writeable=False)


def col2im(col: np.ndarray, x_shape: tuple[int, int, int, int], kernel_size: IntOrPair,
           stride: IntOrPair = 1, padding: IntOrPair = 0) -> np.ndarray:
    r"""The adjoint of :func:`im2col`: add every column back onto the pixels it came from.

    .. math:: dxp[n, c, i s_h + p, j s_w + q] \mathrel{+}= \text{dcol}[n, (c, p, q), (i, j)]

    A pixel that lies in several (overlapping) windows receives the sum of all
    their contributions. The loop runs over the ``kh * kw`` kernel offsets
    ``(p, q)``, each step adding a whole ``(N, C, Ho, Wo)`` slab, never over pixels.
    Being the adjoint means ``<im2col(x), c> == <x, col2im(c)>`` for all ``x, c``.

    Parameters
    ----------
    col : np.ndarray
        Shape ``(N, C*kh*kw, Ho*Wo)``, e.g. ``dL/dcol``.
    x_shape : tuple
        ``(N, C, H, W)`` of the original (unpadded) input.
    kernel_size, stride, padding : int or (int, int)
        As given to :func:`im2col`.

    Returns
    -------
    np.ndarray
        Shape ``x_shape`` (the padding is cut off again).
    """
    kh, kw = _pair(kernel_size, "kernel_size")
    sh, sw = _pair(stride, "stride")
    ph, pw = _pair(padding, "padding")
    N, C, H, W = x_shape
    Ho, Wo = conv_output_size(H, kh, sh, ph), conv_output_size(W, kw, sw, pw)
    if col.shape != (N, C * kh * kw, Ho * Wo):
        raise ValueError(f"col2im: expected col of shape {(N, C * kh * kw, Ho * Wo)} for x_shape "
                         f"{tuple(x_shape)}, got {col.shape}")
    cols = col.reshape(N, C, kh, kw, Ho, Wo)
    dxp = np.zeros((N, C, H + 2 * ph, W + 2 * pw), dtype=col.dtype)
    for p in range(kh):
        for q in range(kw):
            dxp[:, :, p:p + sh * Ho:sh, q:q + sw * Wo:sw] += cols[:, :, p, q]
    return dxp[:, :, ph:ph + H, pw:pw + W]


def _im2col_wide(x: np.ndarray, kernel_size: tuple[int, int], padding: tuple[int, int]) -> np.ndarray:
    r"""Stride-1 im2col on a "wide" output grid, batch in the columns: ``(C*kh*kw, N*Ho*Wp)``.

    A speed trick with the same numbers as :func:`im2col` (after the transposition
    ``(N, K, L) -> (K, N*L)``).

    With stride 1, output pixel ``(i, j)`` reads ``xp[n, c, i + p, j + q]``. Flatten
    each padded image row by row (row length ``Wp = W + 2 pw``): that cell sits at
    flat index ``(i + p) Wp + (j + q) = (i Wp + j) + (p Wp + q)``. So if we let ``j``
    run over the whole padded width ``0..Wp-1`` instead of ``0..Wo-1``, the cells of
    *all* output pixels for one kernel offset ``(p, q)`` are ``Ho * Wp`` consecutive
    numbers starting at ``p Wp + q``: one long contiguous run instead of ``Ho`` short
    ones, which NumPy copies and adds much faster. The extra ``Wp - Wo`` "junk"
    columns of each row are cut off after the matrix product (forward) or filled
    with zero gradient (backward). One extra zero row at the bottom keeps the last
    window's junk columns inside the array.
    """
    (kh, kw), (ph, pw) = kernel_size, padding
    N, C, H, W = x.shape
    Hp, Wp = H + 2 * ph, W + 2 * pw
    Ho = Hp - kh + 1
    xp = np.zeros((N, C, Hp + 1, Wp), dtype=x.dtype)
    copyto(xp[:, :, ph:ph + H, pw:pw + W], x)
    sN, sC, sH, sW = xp.strides
    windows = as_strided(xp, shape=(C, kh, kw, N, Ho * Wp), strides=(sC, sH, sW, sN, sW), writeable=False)
    col = np.empty((C * kh * kw, N * Ho * Wp), dtype=x.dtype)
    copyto(col.reshape(C, kh, kw, N, Ho * Wp), windows, axis=3)      # = windows.reshape(C*kh*kw, N*Ho*Wp)
    return col


def _col2im_wide(col: np.ndarray, x_shape: tuple[int, int, int, int], kernel_size: tuple[int, int],
                 padding: tuple[int, int]) -> np.ndarray:
    """The adjoint of :func:`_im2col_wide`: for each kernel offset add one contiguous run per image.

    The junk columns of ``col`` must be 0. Returns a ``(N, C, H, W)`` view of a ``(C, N, ...)`` array.
    """
    (kh, kw), (ph, pw) = kernel_size, padding
    N, C, H, W = x_shape
    Hp, Wp = H + 2 * ph, W + 2 * pw
    L = (Hp - kh + 1) * Wp
    cols = col.reshape(C, kh, kw, N, L)
    dxp = np.zeros((C, N, (Hp + 1) * Wp), dtype=col.dtype)

    def add_windows(n: slice) -> None:                               # the images n of the batch
        for p in range(kh):
            for q in range(kw):
                start = p * Wp + q
                dxp[:, n, start:start + L] += cols[:, p, q, n]
    parallel_for(N, add_windows, work=col.size)
    return dxp.reshape(C, N, Hp + 1, Wp)[:, :, ph:ph + H, pw:pw + W].transpose(1, 0, 2, 3)


def _conv_args(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None, stride: IntOrPair,
               padding: IntOrPair, name: str) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int]]:
    """Check the shapes of a convolution's arguments; return ``(sh, sw), (ph, pw), (Ho, Wo)``."""
    sh, sw = _pair(stride, "stride")
    ph, pw = _pair(padding, "padding")
    if weight.ndim != 4:
        raise ValueError(f"{name}: expected weight of shape (F, C, kh, kw), got shape {weight.shape}")
    F, C, kh, kw = weight.shape
    _check_input(x, name, (kh, kw), (ph, pw), channels=C)
    if bias is not None and bias.shape != (F,):
        raise ValueError(f"{name}: expected bias of shape ({F},), got shape {bias.shape}")
    H, W = x.shape[2:]
    return (sh, sw), (ph, pw), (conv_output_size(H, kh, sh, ph), conv_output_size(W, kw, sw, pw))


def conv2d_im2col_forward(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None,
                          stride: IntOrPair = 1, padding: IntOrPair = 0
                          ) -> tuple[np.ndarray, np.ndarray]:
    r"""Fast convolution, one matrix product for the whole batch: :math:`Y = w_{mat}\,\text{col} + b`.

    ``col`` holds the windows of all ``N`` samples side by side, ``(C*kh*kw, N*Ho*Wo)``,
    so that :math:`Y[f, (n, i, j)] = b[f] + \sum_{c, p, q} w_{mat}[f, (c, p, q)]\, \text{col}[(c, p, q), (n, i, j)]
    = y[n, f, i, j]`. Steps: (1) im2col, (2) one matrix product, (3) ``Y`` back to
    ``(N, F, Ho, Wo)`` plus the bias.

    Parameters
    ----------
    x : np.ndarray
        ``(N, C, H, W)``.
    weight : np.ndarray
        ``(F, C, kh, kw)``.
    bias : np.ndarray or None
        ``(F,)``.
    stride, padding : int or (int, int)

    Returns
    -------
    y : np.ndarray
        ``(N, F, Ho, Wo)``.
    col : np.ndarray
        The columns, to be passed to :func:`conv2d_im2col_backward`: shape
        ``(C*kh*kw, N*Ho*Wo)`` (``im2col(x)`` with the batch moved into the
        columns), except for stride 1, where a faster "wide" variant of shape
        ``(C*kh*kw, N*Ho*Wp)`` is used (see ``_im2col_wide``).
    """
    (sh, sw), (ph, pw), (Ho, Wo) = _conv_args(x, weight, bias, stride, padding, "conv2d")
    F, C, kh, kw = weight.shape
    N = x.shape[0]
    w_mat = weight.reshape(F, C * kh * kw)                           # (F, K), K = C*kh*kw
    # (1) im2col: col[(c, p, q), (n, i, j)] = xp[n, c, i sh + p, j sw + q]
    if (sh, sw) == (1, 1):
        col = _im2col_wide(x, (kh, kw), (ph, pw))                     # (K, N*Ho*Wp), see _im2col_wide
    else:
        windows = _windows(x, (kh, kw), (sh, sw), (ph, pw))          # (N, C, kh, kw, Ho, Wo), a view
        col = windows.transpose(1, 2, 3, 0, 4, 5).reshape(C * kh * kw, N * Ho * Wo)   # (K, N*Ho*Wo)
    # (2) one matrix product for the whole batch
    Y = matmul(w_mat, col)                                           # (F, N*L)
    # (3) y[n, f, i, j] = Y[f, (n, i, j)] + b[f]  (cutting off the wide grid's junk columns)
    Y = Y.reshape(F, N, Ho, -1)[..., :Wo].transpose(1, 0, 2, 3)      # (N, F, Ho, Wo), a view
    y = np.empty((N, F, Ho, Wo), dtype=Y.dtype)
    if bias is None:
        copyto(y, Y)
    else:
        ufunc(np.add, Y, bias[:, None, None], out=y)
    return y, col


def conv2d_im2col_backward(grad_out: np.ndarray, col: np.ndarray, x_shape: tuple[int, int, int, int],
                           weight: np.ndarray, stride: IntOrPair = 1, padding: IntOrPair = 0,
                           need_input_grad: bool = True
                           ) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    r"""Gradients of :func:`conv2d_im2col_forward` from ``G = dL/dy``.

    With ``G_mat[f, (n, i, j)] = G[n, f, i, j]`` (``G`` laid out like ``Y``):

    .. math:: dw_{mat} = G_{mat}\,\text{col}^T, \quad
              db = \sum_{n, i, j} G[n, :, i, j], \quad
              dx = \text{col2im}(w_{mat}^T G_{mat})

    Parameters
    ----------
    grad_out : np.ndarray
        ``G``, shape ``(N, F, Ho, Wo)``.
    col : np.ndarray
        The ``col`` returned by :func:`conv2d_im2col_forward`.
    x_shape : tuple
        ``(N, C, H, W)``.
    weight : np.ndarray
        ``(F, C, kh, kw)``.
    stride, padding : int or (int, int)
    need_input_grad : bool
        If False, skip ``dx`` (returned as None): the first layer of a network
        never needs the gradient of the images.

    Returns
    -------
    dx, dw, db : np.ndarray
        Shapes ``x_shape``, ``weight.shape`` and ``(F,)``.
    """
    F, C, kh, kw = weight.shape
    N, _, Ho, Wo = grad_out.shape
    wide = _pair(stride, "stride") == (1, 1)
    L = col.shape[1] // N                                            # Ho*Wp (wide) or Ho*Wo
    G = np.empty((F, N, Ho, L // Ho), dtype=grad_out.dtype)
    G[..., Wo:] = 0                                                  # zero gradient for the junk columns
    copyto(G[..., :Wo], grad_out.transpose(1, 0, 2, 3), axis=1)
    G = G.reshape(F, N * L)                                          # G_mat, laid out like Y
    dw = matmul(G, col.T)                                            # (F, N*L) @ (N*L, K) -> (F, K)
    db = G.sum(axis=1)                                               # sum over all columns (n, i, j)
    dx = None
    if need_input_grad:
        dcol = matmul(weight.reshape(F, -1).T, G)                    # (K, F) @ (F, N*L) -> (K, N*L)
        if wide:
            dx = _col2im_wide(dcol, x_shape, (kh, kw), _pair(padding, "padding"))
        else:                                                        # col2im takes (N, K, L)
            dx = col2im(dcol.reshape(-1, N, L).transpose(1, 0, 2), x_shape, (kh, kw), stride, padding)
    return dx, dw.reshape(weight.shape), db


def conv2d(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None,
           stride: IntOrPair = 1, padding: IntOrPair = 0) -> np.ndarray:
    """Fast 2-D convolution (im2col + matrix product); see the module docstring for the formula.

    Same arguments and result as :func:`conv2d_naive` and ``torch.nn.functional.conv2d``.
    """
    return conv2d_im2col_forward(x, weight, bias, stride, padding)[0]


def conv2d_naive(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None,
                 stride: IntOrPair = 1, padding: IntOrPair = 0) -> np.ndarray:
    r"""Convolution the slow, obvious way — **the teaching version**.

    Explicit loops over samples ``n``, filters ``f`` and output pixels ``(i, j)``;
    each output is one dot product of a filter with the window under it:

    .. math:: y[n, f, i, j] = b[f] + \sum_{c, p, q} w[f, c, p, q]\; xp[n, c, i s_h + p, j s_w + q]

    Use :func:`conv2d` for real work; this one exists to be read (and to check the fast one).

    Parameters
    ----------
    x : np.ndarray
        ``(N, C, H, W)``.
    weight : np.ndarray
        ``(F, C, kh, kw)``.
    bias : np.ndarray or None
        ``(F,)``.
    stride, padding : int or (int, int)

    Returns
    -------
    np.ndarray
        ``(N, F, Ho, Wo)``.
    """
    (sh, sw), (ph, pw), (Ho, Wo) = _conv_args(x, weight, bias, stride, padding, "conv2d_naive")
    F, C, kh, kw = weight.shape
    N = x.shape[0]
    xp = pad2d(x, (ph, pw))
    y = np.zeros((N, F, Ho, Wo), dtype=np.result_type(x, weight))
    for n in range(N):                      # naive on purpose: loops over batch,
        for f in range(F):                  # filters
            for i in range(Ho):             # and output pixels
                for j in range(Wo):
                    window = xp[n, :, i * sh:i * sh + kh, j * sw:j * sw + kw]   # (C, kh, kw)
                    y[n, f, i, j] = np.sum(window * weight[f])
                    if bias is not None:
                        y[n, f, i, j] += bias[f]
    return y


def conv2d_naive_backward(grad_out: np.ndarray, x: np.ndarray, weight: np.ndarray,
                          stride: IntOrPair = 1, padding: IntOrPair = 0
                          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Gradients of :func:`conv2d_naive` — **the teaching version**, with the same loops.

    Every output pixel ``y[n, f, i, j]`` came from one window and one filter, so
    its upstream gradient ``g = G[n, f, i, j]`` flows back to both:

    .. math:: dw[f] \mathrel{+}= g \cdot xp[n, :, \text{window}], \qquad
              dxp[n, :, \text{window}] \mathrel{+}= g \cdot w[f], \qquad
              db[f] \mathrel{+}= g

    Parameters
    ----------
    grad_out : np.ndarray
        ``G = dL/dy``, ``(N, F, Ho, Wo)``.
    x, weight : np.ndarray
        The forward inputs.
    stride, padding : int or (int, int)

    Returns
    -------
    dx, dw, db : np.ndarray
        Shapes ``x.shape``, ``weight.shape``, ``(F,)``.
    """
    F, C, kh, kw = weight.shape
    sh, sw = _pair(stride, "stride")
    ph, pw = _pair(padding, "padding")
    N, _, H, W = x.shape
    Ho, Wo = grad_out.shape[2:]
    xp = pad2d(x, (ph, pw))
    dxp = np.zeros_like(xp, dtype=np.result_type(x, weight, grad_out))
    dw = np.zeros(weight.shape, dtype=dxp.dtype)
    db = np.zeros(F, dtype=dxp.dtype)
    for n in range(N):
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    g = grad_out[n, f, i, j]
                    rows, cols = slice(i * sh, i * sh + kh), slice(j * sw, j * sw + kw)
                    dw[f] += g * xp[n, :, rows, cols]
                    dxp[n, :, rows, cols] += g * weight[f]
                    db[f] += g
    return dxp[:, :, ph:ph + H, pw:pw + W], dw, db
