"""Dropout: randomly silence units during training so that the network cannot rely on any one of them."""
from __future__ import annotations

import numpy as np

from nnedu.nn._checks import as_float_array, check_grad_shape
from nnedu.nn.module import Module
from nnedu.rng import get_rng


class Dropout(Module):
    r"""Inverted dropout: ``Y = X * M``, ``M = B / (1 - p)``, ``B_i ~ Bernoulli(1 - p)``.

    Each entry is zeroed with probability ``p``; the survivors are scaled by
    ``1 / (1 - p)`` so that ``E[Y] = X`` and nothing changes at test time. In
    eval mode (or with ``p = 0``) the layer is the identity. Backward:
    ``dL/dX = G * M`` (same mask), or ``G`` in eval mode.

    Parameters
    ----------
    p : float
        Probability of zeroing an entry, ``0 <= p <= 1``.
    rng : numpy.random.Generator or int, optional
        Source of the masks: a generator, a seed (a private generator is made
        once, so successive masks differ but the sequence is reproducible) or
        ``None`` for the global generator reset by ``nnedu.manual_seed``.
    """

    def __init__(self, p: float = 0.5, rng: np.random.Generator | int | None = None) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: p must be between 0 and 1, got {p}")
        self.p = float(p)
        self._rng = None if rng is None else get_rng(rng)

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = as_float_array(x)
        if not self.training or self.p == 0.0:
            self.cache = (x.shape, None)
            return x
        keep = get_rng(self._rng).random(x.shape, dtype=x.dtype) >= self.p
        scale = x.dtype.type(0.0 if self.p == 1.0 else 1.0 / (1.0 - self.p))
        mask = keep * scale                              # M = B / (1 - p), dtype of x
        self.cache = (x.shape, mask)
        return x * mask

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        shape, mask = self._cached()
        grad_out = check_grad_shape("Dropout", grad_out, shape)
        return grad_out if mask is None else grad_out * mask

    def extra_repr(self) -> str:
        return f"p={self.p}"
