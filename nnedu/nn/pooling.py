"""Max and average pooling layers (the computation lives in :mod:`nnedu.functional.pooling`)."""
from __future__ import annotations

import numpy as np

from nnedu.functional.conv import IntOrPair, _check_input
from nnedu.functional.pooling import (_pool_sizes, avg_pool2d, avg_pool2d_backward, max_pool2d,
                                      max_pool2d_backward)
from nnedu.nn._checks import as_float_array, check_grad_shape
from nnedu.nn.module import Module


class _Pool2d(Module):
    """Shared argument handling and input checks of the two pooling layers."""

    def __init__(self, kernel_size: IntOrPair, stride: IntOrPair | None = None,
                 padding: IntOrPair = 0) -> None:
        super().__init__()
        self.kernel_size, self.stride, self.padding = _pool_sizes(kernel_size, stride, padding)
        name = type(self).__name__
        if min(self.kernel_size) < 1 or min(self.stride) < 1 or min(self.padding) < 0:
            raise ValueError(f"{name}: need kernel_size >= 1, stride >= 1, padding >= 0; got "
                             f"{self.kernel_size}, {self.stride}, {self.padding}")
        if 2 * self.padding[0] > self.kernel_size[0] or 2 * self.padding[1] > self.kernel_size[1]:
            raise ValueError(f"{name}: padding {self.padding} must be at most half the kernel size "
                             f"{self.kernel_size}")

    def _checked_input(self, x: np.ndarray) -> np.ndarray:
        """``x`` as a float array, after checking that it is ``(N, C, H, W)`` and holds a whole window."""
        x = as_float_array(x)
        _check_input(x, f"{type(self).__name__}({self.extra_repr()})", self.kernel_size, self.padding)
        return x

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool2d(_Pool2d):
    r"""Max pooling: :math:`y[n, c, i, j] = \max_{p, q}\; xp[n, c, i s_h + p, j s_w + q]`.

    Input ``(N, C, H, W)``, output ``(N, C, Ho, Wo)``, ``Ho = floor((H + 2 ph - kh) / sh) + 1``.
    ``xp`` is the input padded with :math:`-\infty` (as in PyTorch), so padding
    never wins. ``stride`` defaults to ``kernel_size`` (non-overlapping windows).

    Backward: ``G[n, c, i, j]`` goes entirely to the cell that holds the
    maximum of its window; every other cell of the window gets 0. If several
    cells tie for the maximum, only the **first** in row-major window order
    gets the gradient (PyTorch's CPU behaviour). Overlapping windows add up.

    Parameters
    ----------
    kernel_size : int or (int, int)
        ``(kh, kw)``.
    stride : int or (int, int), optional
        ``(sh, sw)``; defaults to ``kernel_size``.
    padding : int or (int, int)
        ``(ph, pw)``, at most half the kernel.
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = self._checked_input(x)
        y = max_pool2d(x, self.kernel_size, self.stride, self.padding)
        self.cache = (x, y)
        return y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        x, y = self._cached()
        G = check_grad_shape("MaxPool2d", grad_out, y.shape).astype(x.dtype, copy=False)
        return max_pool2d_backward(G, x, y, self.kernel_size, self.stride, self.padding)


class AvgPool2d(_Pool2d):
    r"""Average pooling: :math:`y[n, c, i, j] = \frac{1}{k_h k_w} \sum_{p, q} xp[n, c, i s_h + p, j s_w + q]`.

    ``xp`` is the input padded with zeros, and the zeros count in the average
    (PyTorch's default ``count_include_pad=True``). ``stride`` defaults to
    ``kernel_size``.

    Backward: every cell of a window receives ``G[n, c, i, j] / (kh kw)``;
    overlapping windows add up.

    Parameters
    ----------
    kernel_size : int or (int, int)
        ``(kh, kw)``.
    stride : int or (int, int), optional
        ``(sh, sw)``; defaults to ``kernel_size``.
    padding : int or (int, int)
        ``(ph, pw)``, at most half the kernel.
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = self._checked_input(x)
        y = avg_pool2d(x, self.kernel_size, self.stride, self.padding)
        self.cache = (x.shape, x.dtype, y.shape)
        return y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        x_shape, dtype, y_shape = self._cached()
        G = check_grad_shape("AvgPool2d", grad_out, y_shape).astype(dtype, copy=False)
        return avg_pool2d_backward(G, x_shape, self.kernel_size, self.stride, self.padding)
