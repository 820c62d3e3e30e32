r"""Check for notebook 04: the naive (loop) convolution forward pass.

The student writes ``conv2d_naive(x, w, b, stride, padding) -> y`` with the
symbols of :mod:`nnedu.functional.conv`: input ``x`` of shape ``(N, C, H, W)``,
filters ``w`` of shape ``(F, C, kh, kw)``, bias ``b`` of shape ``(F,)``, ``xp``
the input padded with ``padding`` zeros on each side and (as in every
deep-learning library) no kernel flip, i.e. a cross-correlation:

.. math::
    y[n, f, i, j] = b[f] + \sum_{c, p, q} w[f, c, p, q]\; xp[n, c, i s + p, j s + q],

with ``Ho = (H + 2 padding - kh) // s + 1`` and likewise ``Wo``. It is compared
with :class:`nnedu.nn.Conv2d` (the im2col implementation).
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from nnedu.exercises.report import Case, CheckResult, Comparison, float64, run_check


def _conv_case(label: str, X: np.ndarray, W: np.ndarray, b: np.ndarray, stride: int, padding: int,
               hint: str = "") -> Case:
    F, C, KH, KW = W.shape

    def run(fn: Callable) -> list[Comparison]:
        from nnedu.nn import Conv2d
        with float64():
            ref = Conv2d(C, F, (KH, KW), stride=stride, padding=padding)
            ref.weight.data[...] = W
            ref.bias.data[...] = b
            expected = ref(X.copy())
        Y = fn(X.copy(), W.copy(), b.copy(), stride, padding)
        return [Comparison("y", Y, expected)]
    return Case(f"{label}: x {X.shape}, w {W.shape}, stride={stride}, padding={padding}", run, hint)


def check_conv2d_naive(fn: Callable[..., np.ndarray]) -> CheckResult:
    """Check ``conv2d_naive(x, w, b, stride, padding) -> y`` against nnedu's ``Conv2d``.

    Parameters
    ----------
    fn : callable
        The student's convolution; ``stride`` and ``padding`` are passed as ints.

    Returns
    -------
    CheckResult
        Truthy when every case passes; a PASS/FAIL line (or "not implemented yet") is printed.
    """
    rng = np.random.default_rng(14)

    def data(N: int, C: int, H: int, Wd: int, F: int, KH: int, KW: int) -> tuple[np.ndarray, ...]:
        return (rng.standard_normal((N, C, H, Wd)), rng.standard_normal((F, C, KH, KW)),
                rng.standard_normal(F))

    cases = [
        _conv_case("3x3 filters", *data(2, 3, 6, 6, 4, 3, 3), 1, 0,
                   hint="sum over the input channels c as well as the window (p, q)"),
        _conv_case("'same' padding", *data(2, 2, 5, 5, 3, 3, 3), 1, 1,
                   hint="pad with zeros on all four sides: np.pad(x, ((0,0),(0,0),(P,P),(P,P)))"),
        _conv_case("stride 2 on an odd size", *data(1, 2, 7, 7, 2, 3, 3), 2, 1,
                   hint="Ho = (H + 2*padding - kh) // stride + 1 and window (i, j) starts at row i*stride"),
        _conv_case("non-square kernel and input", *data(2, 2, 6, 9, 3, 2, 4), 1, 0,
                   hint="use kh for rows and kw for columns; H and W differ too"),
        _conv_case("a 1x1 convolution (channel mixing)", *data(2, 4, 3, 3, 5, 1, 1), 1, 0),
        _conv_case("kernel as large as the input", *data(3, 1, 4, 4, 2, 4, 4), 1, 0,
                   hint="the output is 1x1 here: make sure your loops include the last position"),
    ]
    return run_check("conv2d_naive", fn, cases,
                     hint="y[n,f,i,j] = b[f] + sum(w[f] * xp[n, :, i*s:i*s+kh, j*s:j*s+kw]); "
                          "do not flip the kernel")
