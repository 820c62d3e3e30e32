r"""Elementwise activation layers: ReLU, LeakyReLU, Sigmoid, Tanh.

Each maps ``X`` to ``Y = f(X)`` entry by entry and any shape is accepted.
With ``G = dL/dY`` the backward pass is the entrywise product
``dL/dX = G * f'(X)``. ``forward`` caches the one array ``f'`` needs.
"""
from __future__ import annotations

import numpy as np

from nnedu.functional._parallel import ufunc
from nnedu.functional.activation import leaky_relu, relu, sigmoid
from nnedu.nn._checks import as_float_array, check_grad_shape
from nnedu.nn.module import Module


class ReLU(Module):
    r"""``Y = max(X, 0)``;  ``dL/dX = G * 1[X > 0]``.

    Caches the boolean mask ``X > 0`` (the derivative at ``X = 0`` is taken as 0,
    as in PyTorch).
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = as_float_array(x)
        self.cache = ufunc(np.greater, x, 0)         # X > 0, on all cores
        return relu(x)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        mask = self._cached()
        grad_out = check_grad_shape("ReLU", grad_out, mask.shape)
        return ufunc(np.multiply, grad_out, mask)    # G * 1[X > 0]


class LeakyReLU(Module):
    r"""``Y = X`` where ``X > 0``, else ``a X``;  ``dL/dX = G * (1 if X > 0 else a)``.

    Parameters
    ----------
    negative_slope : float
        ``a``, the slope for negative inputs (PyTorch's default 0.01).
    """

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = float(negative_slope)

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = as_float_array(x)
        self.cache = x > 0
        return leaky_relu(x, self.negative_slope)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        positive = self._cached()
        grad_out = check_grad_shape("LeakyReLU", grad_out, positive.shape)
        return np.where(positive, grad_out, grad_out * grad_out.dtype.type(self.negative_slope))

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Sigmoid(Module):
    r"""``Y = 1 / (1 + exp(-X))``;  ``dL/dX = G * Y * (1 - Y)``.

    Computed without overflow for large ``|X|``; caches ``Y``.
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        y = sigmoid(as_float_array(x))
        self.cache = y
        return y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        y = self._cached()
        grad_out = check_grad_shape("Sigmoid", grad_out, y.shape)
        return grad_out * y * (1 - y)


class Tanh(Module):
    r"""``Y = tanh(X)``;  ``dL/dX = G * (1 - Y^2)``. Caches ``Y``."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        y = np.tanh(as_float_array(x))
        self.cache = y
        return y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        y = self._cached()
        grad_out = check_grad_shape("Tanh", grad_out, y.shape)
        return grad_out * (1 - y * y)
