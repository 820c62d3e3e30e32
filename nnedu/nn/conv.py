"""The 2-D convolution layer."""
from __future__ import annotations

import numpy as np

from nnedu.dtype import get_default_dtype
from nnedu.functional.conv import (IntOrPair, _check_input, _pair, conv2d_im2col_backward,
                                   conv2d_im2col_forward, conv2d_naive, conv2d_naive_backward)
from nnedu.nn._checks import as_float_array, check_grad_shape
from nnedu.nn.init import init_weight
from nnedu.nn.module import Module
from nnedu.nn.parameter import Parameter


class Conv2d(Module):
    r"""2-D convolution (cross-correlation, as in PyTorch) over ``(N, C, H, W)`` inputs.

    .. math:: y[n, f, i, j] = b[f] + \sum_{c, p, q} w[f, c, p, q]\; xp[n, c, i s_h + p, j s_w + q]

    where ``xp`` is the input zero-padded by ``(ph, pw)``. Shapes: ``x`` is
    ``(N, C, H, W)``, ``w`` is ``(F, C, kh, kw)`` (PyTorch's layout), ``b`` is
    ``(F,)``, ``y`` is ``(N, F, Ho, Wo)`` with ``Ho = floor((H + 2 ph - kh) / sh) + 1``
    (likewise ``Wo``).

    Backward, with ``G = dL/dy``::

        dL/dw[f, c, p, q] = sum_{n,i,j} G[n, f, i, j] xp[n, c, i sh + p, j sw + q]
        dL/db[f]          = sum_{n,i,j} G[n, f, i, j]
        dL/dxp[n, c, i sh + p, j sw + q] += sum_f G[n, f, i, j] w[f, c, p, q]

    ``method="im2col"`` (default) computes this with im2col and matrix products, a few
    samples at a time (:func:`nnedu.functional.conv2d_im2col_forward`); ``method="naive"`` uses the explicit loops
    of :func:`nnedu.functional.conv2d_naive` that the notebook teaches (same
    results to rounding, hundreds of times slower).

    Parameters
    ----------
    in_channels, out_channels : int
        ``C`` and ``F``.
    kernel_size : int or (int, int)
        ``(kh, kw)``.
    stride : int or (int, int)
        ``(sh, sw)``.
    padding : int or (int, int)
        ``(ph, pw)`` zeros on each side.
    bias : bool
        Whether to add ``b``.
    method : {"im2col", "naive"}
        Which implementation to run.
    init : {"he", "xavier"}
        Weight initialisation; fan-in is ``C * kh * kw``.
    rng : numpy.random.Generator or int, optional
        Source of the initial weights (the global generator if omitted).

    Attributes
    ----------
    needs_input_grad : bool
        If False, ``backward`` skips ``dL/dx`` and returns None (useful for the
        first layer of a network, whose input is the data; PyTorch does the same
        for inputs that do not require a gradient). True by default.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntOrPair,
                 stride: IntOrPair = 1, padding: IntOrPair = 0, bias: bool = True,
                 method: str = "im2col", init: str = "he",
                 rng: np.random.Generator | int | None = None) -> None:
        super().__init__()
        if in_channels <= 0 or out_channels <= 0:
            raise ValueError(f"Conv2d: channel counts must be positive, got ({in_channels}, {out_channels})")
        if method not in ("im2col", "naive"):
            raise ValueError(f"Conv2d: method must be 'im2col' or 'naive', got {method!r}")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = _pair(kernel_size, "kernel_size")
        self.stride = _pair(stride, "stride")
        self.padding = _pair(padding, "padding")
        if min(self.kernel_size) < 1 or min(self.stride) < 1 or min(self.padding) < 0:
            raise ValueError(f"Conv2d: need kernel_size >= 1, stride >= 1, padding >= 0; got "
                             f"{self.kernel_size}, {self.stride}, {self.padding}")
        self.method = method
        self.needs_input_grad = True
        kh, kw = self.kernel_size
        shape = (out_channels, in_channels, kh, kw)
        self.weight = Parameter(init_weight(shape, in_channels * kh * kw, out_channels * kh * kw, init, rng))
        self.bias = Parameter(np.zeros(out_channels, dtype=get_default_dtype())) if bias else None

    def _params(self, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray | None]:
        """Weight and bias in the input's dtype (no copy when they already match)."""
        w = self.weight.data.astype(dtype, copy=False)
        b = self.bias.data.astype(dtype, copy=False) if self.bias is not None else None
        return w, b

    def forward(self, x: np.ndarray) -> np.ndarray:
        name = (f"Conv2d({self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding})")
        x = as_float_array(x)
        _check_input(x, name, self.kernel_size, self.padding, channels=self.in_channels)
        w, b = self._params(x.dtype)           # compute in the input's dtype
        if self.method == "naive":
            y = conv2d_naive(x, w, b, self.stride, self.padding)
            self.cache = (x, y.shape)
        else:
            y = conv2d_im2col_forward(x, w, b, self.stride, self.padding)
            self.cache = (x, y.shape)
        return y

    def backward(self, grad_out: np.ndarray) -> np.ndarray | None:
        cache = self._cached()
        G = check_grad_shape("Conv2d", grad_out, cache[-1])
        x, _ = cache
        G = G.astype(x.dtype, copy=False)
        w, _ = self._params(x.dtype)
        if self.method == "naive":
            dx, dw, db = conv2d_naive_backward(G, x, w, self.stride, self.padding)
        else:
            dx, dw, db = conv2d_im2col_backward(G, x, w, self.stride, self.padding,
                                                need_input_grad=self.needs_input_grad)
        self.weight.grad += dw
        if self.bias is not None:
            self.bias.grad += db
        return dx if self.needs_input_grad else None

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}, bias={self.bias is not None}, "
                f"method={self.method!r}")
