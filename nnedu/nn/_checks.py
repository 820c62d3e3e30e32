"""Small input checks shared by the layers (private)."""
from __future__ import annotations

from typing import Any

import numpy as np

from nnedu.dtype import get_default_dtype


def as_float_array(x: Any) -> np.ndarray:
    """Return ``x`` as an array, unchanged if it is already floating point.

    Integer or boolean input (e.g. raw ``uint8`` pixels) is converted to the
    default dtype; float32 and float64 input keep their dtype.
    """
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(get_default_dtype())
    return x


def check_grad_shape(layer: str, grad_out: np.ndarray, expected: tuple[int, ...]) -> np.ndarray:
    """Fail clearly if ``grad_out`` does not have the shape of the forward output."""
    grad_out = np.asarray(grad_out)
    if grad_out.shape != tuple(expected):
        raise ValueError(
            f"{layer}.backward: expected grad_out of shape {tuple(expected)} "
            f"(the shape forward returned), got {grad_out.shape}"
        )
    return grad_out
