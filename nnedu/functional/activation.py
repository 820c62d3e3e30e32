r"""Elementwise activation functions and their derivatives.

Each ``f`` maps ``X`` to ``Y = f(X)`` entry by entry, so the chain rule is an
entrywise product: ``dL/dX = G * f'(X)`` with ``G = dL/dY``. The derivatives
are written in terms of whatever forward already has at hand (``X`` or ``Y``).
ReLU, the one on the fast path of the convolutional networks, runs on all
cores (:func:`nnedu.functional._parallel.ufunc`, same numbers as ``np.maximum``).
"""
from __future__ import annotations

import numpy as np

from nnedu.functional._parallel import ufunc


def relu(x: np.ndarray) -> np.ndarray:
    r"""``relu(x) = max(x, 0)``; derivative ``1[x > 0]``."""
    return ufunc(np.maximum, np.asarray(x), 0)


def leaky_relu(x: np.ndarray, negative_slope: float = 0.01) -> np.ndarray:
    r"""``x`` where ``x > 0``, else ``negative_slope * x``; derivative ``1`` or ``negative_slope``."""
    return np.where(x > 0, x, x * x.dtype.type(negative_slope))


def sigmoid(x: np.ndarray) -> np.ndarray:
    r"""Logistic function ``1 / (1 + exp(-x))``, computed without overflow.

    For ``x >= 0`` we use ``1 / (1 + e)``, for ``x < 0`` ``e / (1 + e)``, with
    ``e = exp(-|x|) <= 1``, which never overflows. Derivative: ``y (1 - y)``.
    """
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1, e) / (1 + e)


def tanh(x: np.ndarray) -> np.ndarray:
    r"""Hyperbolic tangent; derivative ``1 - y^2``."""
    return np.tanh(x)
