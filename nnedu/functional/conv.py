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
  the fast version. :func:`im2col` copies every receptive field into a column;
  then the convolution of sample ``n`` is **one** matrix product:

  .. math:: \text{col}_n \in \mathbb{R}^{(C k_h k_w) \times (H_o W_o)}, \quad
            Y_n = w_{\text{mat}}\, \text{col}_n + b, \quad
            w_{\text{mat}} = w.\text{reshape}(F, C k_h k_w),

  where column ``(i, j)`` of ``col_n`` is the window under output pixel
  ``(i, j)`` and ``Y_n[f, (i, j)] = y[n, f, i, j]``.
  Backward is two more products, ``dw_mat = sum_n G_n col_n^T`` and
  ``dcol_n = w_mat^T G_n`` (``G_n`` is ``G[n]`` laid out like ``Y_n``), and
  :func:`col2im`, which adds every column back onto the pixels it came from
  (overlapping windows accumulate); the fast backward does col2im's additions
  without building ``dcol`` in full (``_input_grad_wide``, ``_input_grad_strided``).

  Three things make it fast (the result is the same up to rounding):

  1. **Blocks that fit in the cache.** The columns are ``kh*kw`` times the size
     of the input (25x for 5x5 kernels). Built for a whole batch at once they go
     to main memory and back, which costs more than the arithmetic; so the batch
     is processed a few samples at a time (:data:`BLOCK_BYTES` of columns), each
     block's columns used while they are still in the cache. The backward pass
     rebuilds them from ``x`` rather than storing them.
  2. **A wide grid for stride 1** (:func:`_wide_windows`): NumPy copies and adds
     long contiguous runs instead of one short image row at a time.
  3. **Threads**: the blocks are shared among nnedu's threads
     (:func:`nnedu.functional._parallel.parallel_for`); each block's share of
     ``dw`` is kept apart and summed in block order, so any number of threads
     gives the same numbers.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from nnedu.functional._parallel import copyto, parallel_for

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


#: The fast convolution works on blocks of a few samples whose columns take about this many bytes, so that
#: they are written and read again while still in the CPU's cache (L2 or L3: a core's L2 holds 0.5-2 MB, and
#: the backward pass also keeps the block's gradient there).
BLOCK_BYTES = 512 * 1024


def _wide_windows(xp: np.ndarray, kernel_size: tuple[int, int], stride: tuple[int, int],
                  out_size: tuple[int, int], writeable: bool = False) -> np.ndarray:
    r"""Windows of the padded input as a view ``(N, C, kh, kw, Ho, Wc)``; ``Wc = Wp`` for stride 1, else ``Wo``.

    ``xp`` is the padded input with **one extra zero row** at the bottom, shape ``(N, C, Hp + 1, Wp)``.
    Element ``[n, c, p, q, i, j]`` is ``xp[n, c, i sh + p, j sw + q]``, as in :func:`im2col`.

    For stride 1 a speed trick lets ``j`` run over the whole padded width ``Wc = Wp`` instead of ``Wo``:
    flatten each image row by row, and the cell ``(i + p, j + q)`` sits at flat index
    ``(i Wp + j) + (p Wp + q)``, so the windows of one kernel offset ``(p, q)`` are ``Ho * Wp``
    *consecutive* cells starting at ``p Wp + q``: NumPy copies (and adds) one long contiguous run instead
    of ``Ho`` short ones. The ``Wp - Wo`` extra "junk" columns of each output row wrap around into the next
    image row (the extra zero row keeps the last one inside the array); the forward pass cuts them off, the
    backward pass gives them zero gradient.

    With ``writeable=True`` (for the backward pass, on the gradient array) the view may be written, one
    kernel offset ``[:, :, p, q]`` at a time: within one offset no two elements share a cell.
    """
    (kh, kw), (sh, sw), (Ho, Wo) = kernel_size, stride, out_size
    N, C, _, Wp = xp.shape
    Wc = Wp if (sh, sw) == (1, 1) else Wo
    sN, sC, sH, sW = xp.strides
    return as_strided(xp, shape=(N, C, kh, kw, Ho, Wc), strides=(sN, sC, sH, sW, sH * sh, sW * sw),
                      writeable=writeable)


def _pad_for_windows(x: np.ndarray, padding: tuple[int, int]) -> np.ndarray:
    """``x`` zero-padded by ``(ph, pw)``, plus the extra zero row at the bottom that :func:`_wide_windows` needs."""
    (ph, pw), (N, C, H, W) = padding, x.shape
    xp = np.zeros((N, C, H + 2 * ph + 1, W + 2 * pw), dtype=x.dtype)
    copyto(xp[:, :, ph:ph + H, pw:pw + W], x)
    return xp


def _blocks(N: int, bytes_per_sample: int) -> tuple[int, int]:
    """``(samples per block, number of blocks)`` for :data:`BLOCK_BYTES`; depends on the shapes only."""
    size = max(1, min(N, BLOCK_BYTES // max(1, bytes_per_sample)))
    return size, -(-N // size)


def conv2d_im2col_forward(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None,
                          stride: IntOrPair = 1, padding: IntOrPair = 0) -> np.ndarray:
    r"""Fast convolution: im2col, then a matrix product per sample, :math:`Y_n = w_{mat}\,\text{col}_n + b`.

    With :math:`\text{col}_n` = ``im2col(x)[n]``, shape ``(K, Ho*Wo)`` with ``K = C*kh*kw``, and
    :math:`w_{mat}` = ``weight.reshape(F, K)``:

    .. math:: y[n, f, i, j] = Y_n[f, (i, j)] = b[f] + \sum_{(c, p, q)} w_{mat}[f, (c, p, q)]\,
              \text{col}_n[(c, p, q), (i, j)]

    The batch is processed in blocks of a few samples (:data:`BLOCK_BYTES`): im2col of the block, the
    block's products (one batched ``matmul``), and ``y`` plus bias, while the block's columns are still in
    the CPU cache. ``col`` for a whole batch is ``kh*kw`` times the size of ``x`` (25x for 5x5 kernels,
    11 MB for LeNet-5's first layer at batch 128): building it at once means writing it to main memory
    and reading it back, which took longer than the arithmetic. Blocks run on nnedu's threads.

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
        ``y``, shape ``(N, F, Ho, Wo)``. The backward pass needs ``x`` (not the columns, which it rebuilds
        block by block): :func:`conv2d_im2col_backward`.
    """
    (sh, sw), (ph, pw), (Ho, Wo) = _conv_args(x, weight, bias, stride, padding, "conv2d")
    F, C, kh, kw = weight.shape
    N, K = x.shape[0], C * kh * kw
    w_mat = weight.reshape(F, K)
    windows = _wide_windows(_pad_for_windows(x, (ph, pw)), (kh, kw), (sh, sw), (Ho, Wo))   # (N, C, kh, kw, Ho, Wc)
    Wc = windows.shape[-1]
    dtype = np.result_type(x, weight)
    y = np.empty((N, F, Ho, Wo), dtype=dtype)
    size, count = _blocks(N, K * Ho * Wc * x.itemsize)

    def forward_blocks(blocks: slice) -> None:
        col = np.empty((size, C, kh, kw, Ho, Wc), dtype=x.dtype)      # this thread's buffer, reused
        for b in range(blocks.start, blocks.stop):
            n = slice(b * size, min(N, (b + 1) * size))
            m = n.stop - n.start
            np.copyto(col[:m], windows[n])                            # im2col of the block
            Y = np.matmul(w_mat, col[:m].reshape(m, K, Ho * Wc))      # (m, F, L): Y_n = w_mat col_n
            Y = Y.reshape(m, F, Ho, Wc)[..., :Wo]                     # the junk columns cut off
            if bias is None:
                y[n] = Y
            else:
                np.add(Y, bias[:, None, None], out=y[n])
    parallel_for(count, forward_blocks, work=N * K * Ho * Wc)
    return y


def conv2d_im2col_backward(grad_out: np.ndarray, x: np.ndarray, weight: np.ndarray, stride: IntOrPair = 1,
                           padding: IntOrPair = 0, need_input_grad: bool = True
                           ) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    r"""Gradients of :func:`conv2d_im2col_forward` from ``G = dL/dy``, a block of samples at a time.

    With :math:`G_n` = ``G[n]`` laid out like :math:`Y_n`, shape ``(F, L)`` (``L = Ho*Wo``, or ``Ho*Wp`` on
    the wide grid of stride 1, where the extra columns get zero gradient):

    .. math:: dw_{mat}^T = \sum_n \text{col}_n\,G_n^T, \quad
              db = \sum_{n, i, j} G[n, :, i, j], \quad
              dx[n] = \text{col2im}(w_{mat}^T G_n)

    Each block of samples rebuilds its columns from ``x`` (cheap, and they stay in the cache). Its share of
    ``dw`` is kept apart and the shares are summed at the end in block order, so the result does not
    depend on the number of threads. col2im adds the ``kh*kw`` kernel offsets' columns back onto the
    pixels (:func:`_input_grad_strided`); for stride 1, :func:`_input_grad_wide` gets the same sum with
    ``kh`` additions instead of ``kh*kw`` (each kernel row's ``kw`` offsets are shifts of one long run in
    the wide layout, summed by one matrix product).

    Parameters
    ----------
    grad_out : np.ndarray
        ``G``, shape ``(N, F, Ho, Wo)``.
    x : np.ndarray
        The forward input, ``(N, C, H, W)``.
    weight : np.ndarray
        ``(F, C, kh, kw)``.
    stride, padding : int or (int, int)
    need_input_grad : bool
        If False, skip ``dx`` (returned as None): the first layer of a network
        never needs the gradient of the images.

    Returns
    -------
    dx, dw, db : np.ndarray
        Shapes ``x.shape``, ``weight.shape`` and ``(F,)``.
    """
    (sh, sw), (ph, pw), (Ho, Wo) = _conv_args(x, weight, None, stride, padding, "conv2d backward")
    F, C, kh, kw = weight.shape
    N, _, H, W = x.shape
    if grad_out.shape != (N, F, Ho, Wo):
        raise ValueError(f"conv2d backward: expected grad_out of shape {(N, F, Ho, Wo)}, got {grad_out.shape}")
    K, dtype = C * kh * kw, np.result_type(x, weight, grad_out)
    xp = _pad_for_windows(x, (ph, pw))
    windows = _wide_windows(xp, (kh, kw), (sh, sw), (Ho, Wo))         # (N, C, kh, kw, Ho, Wc)
    Wc = windows.shape[-1]
    L = Ho * Wc
    wide = (sh, sw) == (1, 1)
    size, count = _blocks(N, K * L * np.dtype(dtype).itemsize)
    dw_blocks = np.empty((count, K, F), dtype=dtype)                  # each block's dw_mat^T
    dxp = np.zeros(xp.shape, dtype=dtype) if need_input_grad else None
    if wide:     # w_mat^T, regrouped: rows (p, c), columns (q, f), for G shifted by q (_input_grad_wide)
        w_t = weight.transpose(2, 1, 3, 0).reshape(kh * C, kw * F)
    else:        # w_mat^T with rows in (p, q, c) order
        w_t = weight.transpose(2, 3, 1, 0).reshape(kh * kw * C, F)
    shifts = kw if wide and dxp is not None else 1

    def backward_blocks(blocks: slice) -> None:
        col = np.empty((size, C, kh, kw, Ho, Wc), dtype=dtype)       # this thread's buffers, reused
        # Gq[:, 0] holds G_n (its junk columns stay 0); Gq[:, q] for q >= 1, G_n shifted by q (stride 1, dx only)
        Gq = np.zeros((size, shifts, F, Ho, Wc), dtype=dtype)
        for b in range(blocks.start, blocks.stop):
            n = slice(b * size, min(N, (b + 1) * size))
            m = n.stop - n.start
            np.copyto(col[:m], windows[n])                            # im2col of the block
            Gq[:m, 0, :, :, :Wo] = grad_out[n]
            col_n, G_n = col[:m].reshape(m, K, L), Gq[:m, 0].reshape(m, F, L)
            np.matmul(col_n, G_n.transpose(0, 2, 1)).sum(axis=0, out=dw_blocks[b])   # sum_n col_n G_n^T
            if dxp is None:
                continue
            if wide:
                _input_grad_wide(w_t, Gq[:m], dxp[n], (kh, kw))
            else:
                _input_grad_strided(w_t, G_n, dxp[n], (kh, kw), (sh, sw), (Ho, Wc))
    parallel_for(count, backward_blocks, work=N * K * L)
    dw = dw_blocks.sum(axis=0).T.reshape(weight.shape)
    db = grad_out.sum(axis=(0, 2, 3), dtype=dtype)
    dx = dxp[:, :, ph:ph + H, pw:pw + W] if dxp is not None else None
    return dx, dw, db


def _input_grad_wide(w_t: np.ndarray, Gq: np.ndarray, dxp: np.ndarray, kernel_size: tuple[int, int]) -> None:
    r"""Stride 1: add :math:`\text{col2im}(w_{mat}^T G_n)` of a block's samples onto their padded pixels ``dxp``.

    In the wide layout kernel offset ``(p, q)`` is a shift of the flat image by ``p Wp + q``, and a shift
    commutes with the product by :math:`w[:, :, p, q]^T`. So the ``kw`` offsets of kernel row ``p`` need
    no adding: shift ``G_n`` by ``q = 0 .. kw-1`` (``Gq[n, q]``, together ``kw * F`` rows) and one matrix
    product per sample gives every row's sum :math:`\sum_q w[:, :, p, q]^T\,\text{shift}_q(G_n)`. Then
    ``kh`` additions shift the row sums by ``p Wp`` onto the image. ``Gq[n, q]`` starts with ``q`` zeros
    (nothing shifts in); what shifts from one filter's grid into the next are junk columns, which are 0.

    ``w_t``: ``(kh*C, kw*F)``, ``w_t[(p, c), (q, f)] = w[f, c, p, q]``. ``Gq``: ``(m, kw, F, Ho, Wp)``
    with ``Gq[:, 0]`` filled. ``dxp``: ``(m, C, Hp + 1, Wp)``.
    """
    kh, kw = kernel_size
    m, C, _, Wp = dxp.shape
    F, Ho = Gq.shape[2:4]
    L = Ho * Wp
    G = Gq[:, 0].reshape(m, F * L)
    for q in range(1, kw):
        Gq[:, q].reshape(m, F * L)[:, q:] = G[:, :-q]                 # G_n shifted right by q
    rows = np.matmul(w_t, Gq.reshape(m, kw * F, L))                   # (m, kh*C, L): sum over q, per row p
    image = dxp.reshape(m, C, -1)
    for p in range(kh):
        image[:, :, p * Wp:p * Wp + L] += rows[:, p * C:(p + 1) * C]  # shift by p rows


def _input_grad_strided(w_t: np.ndarray, G_n: np.ndarray, dxp: np.ndarray, kernel_size: tuple[int, int],
                        stride: tuple[int, int], grid: tuple[int, int]) -> None:
    """Any stride: ``dcol_n = w_mat^T G_n``, then col2im, one kernel offset ``(p, q)`` at a time.

    ``w_t``: ``(kh*kw*C, F)`` with rows in ``(p, q, c)`` order. ``G_n``: ``(m, F, L)``.
    ``dxp``: ``(m, C, Hp + 1, Wp)``.
    """
    (kh, kw), (Ho, Wc) = kernel_size, grid
    m, C = dxp.shape[:2]
    dcol = np.matmul(w_t, G_n).reshape(m, kh, kw, C, Ho, Wc)
    windows = _wide_windows(dxp, (kh, kw), stride, grid, writeable=True)
    for p in range(kh):
        for q in range(kw):
            windows[:, :, p, q] += dcol[:, p, q]


def conv2d(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None,
           stride: IntOrPair = 1, padding: IntOrPair = 0) -> np.ndarray:
    """Fast 2-D convolution (im2col + matrix product); see the module docstring for the formula.

    Same arguments and result as :func:`conv2d_naive` and ``torch.nn.functional.conv2d``.
    """
    return conv2d_im2col_forward(x, weight, bias, stride, padding)


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
