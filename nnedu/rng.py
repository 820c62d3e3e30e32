"""One seedable source of randomness for the whole library.

Every random thing in nnedu (weight initialisation, dropout masks, data
shuffling) takes an ``rng=`` argument. When it is omitted the global generator
below is used, which :func:`manual_seed` resets, as ``torch.manual_seed`` does.
"""
from __future__ import annotations

import numpy as np

_global_rng: np.random.Generator = np.random.default_rng(0)


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed the global generator and return it.

    Examples
    --------
    >>> import nnedu
    >>> a = nnedu.manual_seed(1).standard_normal()
    >>> b = nnedu.manual_seed(1).standard_normal()
    >>> a == b
    True
    """
    global _global_rng
    _global_rng = np.random.default_rng(seed)
    return _global_rng


def get_rng(rng: np.random.Generator | int | None = None) -> np.random.Generator:
    """Resolve an ``rng=`` argument: a Generator as is, an int as a seed, None as the global one."""
    if rng is None:
        return _global_rng
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)):
        return np.random.default_rng(int(rng))
    raise TypeError(f"rng must be a numpy.random.Generator, an int seed or None, got {type(rng).__name__}")
