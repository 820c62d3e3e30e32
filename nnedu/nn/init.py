"""Weight initialisation: He (Kaiming) for ReLU networks, Xavier (Glorot) for tanh/sigmoid.

Both choose the spread of the initial weights so that the variance of the
activations stays roughly constant from layer to layer:

* He:     ``Var(w) = 2 / fan_in``               (ReLU halves the variance)
* Xavier: ``Var(w) = 2 / (fan_in + fan_out)``   (linear regime of tanh)

``fan_in`` is the number of inputs that feed one output unit: ``in_features``
for a Linear layer, ``in_channels * kh * kw`` for a convolution.
"""
from __future__ import annotations

import numpy as np

from nnedu.dtype import get_default_dtype
from nnedu.rng import get_rng


def kaiming_normal(shape: tuple[int, ...], fan_in: int,
                   rng: np.random.Generator | int | None = None, dtype=None) -> np.ndarray:
    """He normal: ``w ~ N(0, 2 / fan_in)``."""
    std = np.sqrt(2.0 / fan_in)
    return (get_rng(rng).standard_normal(shape) * std).astype(dtype or get_default_dtype())


def kaiming_uniform(shape: tuple[int, ...], fan_in: int,
                    rng: np.random.Generator | int | None = None, dtype=None) -> np.ndarray:
    """He uniform: ``w ~ U(-a, a)`` with ``a = sqrt(6 / fan_in)`` (same variance as He normal)."""
    a = np.sqrt(6.0 / fan_in)
    return get_rng(rng).uniform(-a, a, shape).astype(dtype or get_default_dtype())


def xavier_normal(shape: tuple[int, ...], fan_in: int, fan_out: int,
                  rng: np.random.Generator | int | None = None, dtype=None) -> np.ndarray:
    """Glorot normal: ``w ~ N(0, 2 / (fan_in + fan_out))``."""
    std = np.sqrt(2.0 / (fan_in + fan_out))
    return (get_rng(rng).standard_normal(shape) * std).astype(dtype or get_default_dtype())


def xavier_uniform(shape: tuple[int, ...], fan_in: int, fan_out: int,
                   rng: np.random.Generator | int | None = None, dtype=None) -> np.ndarray:
    """Glorot uniform: ``w ~ U(-a, a)`` with ``a = sqrt(6 / (fan_in + fan_out))``."""
    a = np.sqrt(6.0 / (fan_in + fan_out))
    return get_rng(rng).uniform(-a, a, shape).astype(dtype or get_default_dtype())


def init_weight(shape: tuple[int, ...], fan_in: int, fan_out: int, init: str = "he",
                rng: np.random.Generator | int | None = None) -> np.ndarray:
    """Dispatch on the ``init=`` argument layers accept: ``"he"`` (default) or ``"xavier"``."""
    if init in ("he", "kaiming"):
        return kaiming_normal(shape, fan_in, rng)
    if init in ("xavier", "glorot"):
        return xavier_normal(shape, fan_in, fan_out, rng)
    raise ValueError(f"init must be 'he' or 'xavier', got {init!r}")
