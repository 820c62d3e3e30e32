"""Flatten: reshape ``(N, C, H, W)`` feature maps into ``(N, C*H*W)`` rows for a Linear layer."""
from __future__ import annotations

import numpy as np

from nnedu.nn._checks import as_float_array, check_grad_shape
from nnedu.nn.module import Module


class Flatten(Module):
    r"""Merge dimensions ``start_dim .. end_dim`` into one, as ``torch.nn.Flatten``.

    ``Y = reshape(X)``: no number changes place in memory, so the backward pass
    only reshapes ``G = dL/dY`` back to the shape of ``X``: ``dL/dX = reshape(G)``.

    Parameters
    ----------
    start_dim, end_dim : int
        First and last dimension to merge (default: everything but the batch axis).
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = as_float_array(x)
        start = self.start_dim % x.ndim if -x.ndim <= self.start_dim < x.ndim else None
        end = self.end_dim % x.ndim if -x.ndim <= self.end_dim < x.ndim else None
        if start is None or end is None or start > end:
            raise ValueError(
                f"Flatten(start_dim={self.start_dim}, end_dim={self.end_dim}): these dimensions do not "
                f"exist (or are out of order) in an input of shape {x.shape}; expected e.g. (N, C, H, W)"
            )
        y = x.reshape(x.shape[:start] + (-1,) + x.shape[end + 1:])
        self.cache = (x.shape, y.shape)
        return y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        in_shape, out_shape = self._cached()
        return check_grad_shape("Flatten", grad_out, out_shape).reshape(in_shape)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
