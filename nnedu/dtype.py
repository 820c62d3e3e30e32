"""The default floating-point type of new parameters and data.

nnedu computes in float32 by default, like PyTorch: it halves memory and is
what BLAS is fastest at. Gradient checks need float64, so tests and notebooks
switch with :func:`set_default_dtype`.
"""
from __future__ import annotations

import numpy as np

_default_dtype: np.dtype = np.dtype(np.float32)


def set_default_dtype(dtype: type | np.dtype | str) -> None:
    """Set the dtype that new parameters and converted inputs get.

    Parameters
    ----------
    dtype : {np.float32, np.float64}
        Only floating-point types make sense for gradients.

    Examples
    --------
    >>> import numpy as np, nnedu
    >>> nnedu.set_default_dtype(np.float64)
    >>> nnedu.get_default_dtype()
    dtype('float64')
    >>> nnedu.set_default_dtype(np.float32)
    """
    global _default_dtype
    dt = np.dtype(dtype)
    if dt not in (np.float32, np.float64):
        raise ValueError(f"set_default_dtype: expected float32 or float64, got {dt}")
    _default_dtype = dt


def get_default_dtype() -> np.dtype:
    """Return the current default dtype (float32 unless changed)."""
    return _default_dtype
