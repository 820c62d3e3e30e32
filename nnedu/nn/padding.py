"""Zero padding as a layer of its own."""
from __future__ import annotations

import numpy as np

from nnedu.nn._checks import as_float_array, check_grad_shape
from nnedu.nn.module import Module


class ZeroPad2d(Module):
    r"""Surround each ``(H, W)`` image with zeros.

    With ``padding = (l, r, t, b)`` (left, right, top, bottom, PyTorch's order)
    an input ``x`` of shape ``(N, C, H, W)`` becomes ``y`` of shape
    ``(N, C, t + H + b, l + W + r)``:

    .. math:: y[n, c, t + i, l + j] = x[n, c, i, j], \qquad \text{zeros elsewhere.}

    Backward: the padded cells are constants, so ``dL/dx`` is the middle of
    ``G = dL/dy``: ``dL/dx = G[:, :, t:t+H, l:l+W]``.

    Parameters
    ----------
    padding : int or (int, int, int, int)
        One size for all four sides, or ``(left, right, top, bottom)``; non-negative.
    """

    def __init__(self, padding: int | tuple[int, int, int, int]) -> None:
        super().__init__()
        if isinstance(padding, (int, np.integer)):
            padding = (int(padding),) * 4
        if (not isinstance(padding, (tuple, list)) or len(padding) != 4
                or not all(isinstance(p, (int, np.integer)) and p >= 0 for p in padding)):
            raise ValueError(f"ZeroPad2d: padding must be a non-negative int or a tuple "
                             f"(left, right, top, bottom) of four, got {padding!r}")
        self.padding = tuple(int(p) for p in padding)

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = as_float_array(x)
        if x.ndim != 4:
            raise ValueError(f"ZeroPad2d(padding={self.padding}): expected a 4-D input of shape "
                             f"(N, C, H, W), got shape {x.shape} ({x.ndim}-D)")
        left, right, top, bottom = self.padding
        N, C, H, W = x.shape
        y = np.zeros((N, C, top + H + bottom, left + W + right), dtype=x.dtype)
        y[:, :, top:top + H, left:left + W] = x
        self.cache = (x.shape, y.shape)
        return y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        (N, C, H, W), y_shape = self._cached()
        grad_out = check_grad_shape("ZeroPad2d", grad_out, y_shape)
        left, _, top, _ = self.padding
        return grad_out[:, :, top:top + H, left:left + W].copy()

    def extra_repr(self) -> str:
        return f"padding={self.padding}"
