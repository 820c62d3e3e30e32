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


def check_inputs(layer: str, args: tuple[Any, ...]) -> None:
    """Refuse, at a layer's call, inputs no layer computes correctly, with a message naming the layer.

    Every input must be a non-empty batch of real numbers: bool, integer,
    float32 or float64. Refused: float16 (its range ends at 65504 and its
    11-bit mantissa rounds small updates to nothing), complex numbers (the
    imaginary part would be dropped), strings, ``None``, dates and other
    objects, and a batch of 0 examples.
    """
    for i, arg in enumerate(args):
        x = np.asarray(arg)
        what = "the input" if len(args) == 1 else f"argument {i + 1}"
        if x.dtype.kind not in "biuf" or x.dtype == np.float16:
            hint = " (convert it: x.astype(np.float32))" if x.dtype == np.float16 else ""
            raise TypeError(f"{layer}: expected {what} to be real numbers (float32, float64, integer or bool), "
                            f"got dtype {x.dtype}{hint}")
        if x.ndim > 0 and x.shape[0] == 0:
            raise ValueError(f"{layer}: got an empty batch ({what} has shape {x.shape}); "
                             "expected at least one example")


def check_grad_shape(layer: str, grad_out: np.ndarray, expected: tuple[int, ...]) -> np.ndarray:
    """Fail clearly if ``grad_out`` does not have the shape of the forward output."""
    grad_out = np.asarray(grad_out)
    if grad_out.shape != tuple(expected):
        raise ValueError(
            f"{layer}.backward: expected grad_out of shape {tuple(expected)} "
            f"(the shape forward returned), got {grad_out.shape}"
        )
    return grad_out
