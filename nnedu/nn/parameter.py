"""A trainable array and its gradient."""
from __future__ import annotations

import numpy as np


class Parameter:
    """A tensor that a :class:`~nnedu.nn.Module` learns.

    Attributes
    ----------
    data : np.ndarray
        The current value. Optimizers update it in place.
    grad : np.ndarray
        dL/d(data), same shape and dtype as ``data``. ``backward`` *adds* to it
        (as in PyTorch), so call ``zero_grad()`` before each step.
    """

    def __init__(self, data: np.ndarray) -> None:
        self.data = np.array(data, copy=True)
        if not np.issubdtype(self.data.dtype, np.floating):
            raise TypeError(f"Parameter: data must be floating point, got {self.data.dtype}")
        self.grad = np.zeros_like(self.data)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def size(self) -> int:
        return self.data.size

    def zero_grad(self) -> None:
        """Set the gradient to zero, in place."""
        self.grad[...] = 0

    def __repr__(self) -> str:
        return f"Parameter(shape={self.data.shape}, dtype={self.data.dtype})"
