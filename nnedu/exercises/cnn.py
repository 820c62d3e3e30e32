r"""Checks for notebook 08: counting a convolution's parameters, and the receptive field of a stack.

The student writes

* ``conv2d_param_count(c_in, c_out, k, bias=True) -> int``: the weights of a
  ``k x k`` convolution from ``c_in`` to ``c_out`` channels,
  :math:`c_{out}(c_{in} k^2 + 1)` with bias (LeNet-5's C1: :math:`6 (1 \cdot 25 + 1) = 156`);
* ``receptive_field(layers) -> int`` for a list of ``(kernel, stride)``
  pairs (convolutions and pooling windows alike): how many input pixels,
  along one axis, one unit of the last layer sees. With the "jump"
  :math:`j` (input pixels between neighbouring units) it grows as
  :math:`r \leftarrow r + (k - 1) j`, :math:`j \leftarrow j s`, from :math:`r = j = 1`.

The parameter count is compared with a real :class:`nnedu.nn.Conv2d`; the
receptive field with a *measurement*: a stack of all-ones ``Conv2d`` layers is
run forward on a large input, one output unit is back-propagated, and the
nonzero rows of the input gradient are counted.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from nnedu.exercises.report import Case, CheckResult, Comparison, float64, run_check


def _param_case(c_in: int, c_out: int, k: int, bias: bool, hint: str = "") -> Case:
    def run(fn: Callable) -> list[Comparison]:
        from nnedu.nn import Conv2d
        layer = Conv2d(c_in, c_out, k, bias=bias, rng=0)
        expected = sum(p.data.size for p in layer.parameters())
        got = fn(c_in, c_out, k, bias=bias)
        return [Comparison("parameter count", got, np.asarray(expected))]
    return Case(f"Conv2d({c_in}, {c_out}, kernel_size={k}, bias={bias})", run, hint)


def check_conv2d_param_count(fn: Callable[..., int]) -> CheckResult:
    """Check ``conv2d_param_count(c_in, c_out, k, bias=True)`` against a real :class:`nnedu.nn.Conv2d`.

    Returns
    -------
    CheckResult
        Truthy when every case passes; prints PASS/FAIL or "not implemented yet".
    """
    cases = [
        _param_case(1, 6, 5, True, hint="LeNet-5's C1 has 156 parameters: 6 filters of 1*5*5 weights + 1 bias"),
        _param_case(6, 16, 5, True, hint="each of the 16 filters spans all 6 input channels"),
        _param_case(16, 120, 5, True),
        _param_case(3, 8, 3, False, hint="without bias there is no +1 per filter"),
        _param_case(1, 1, 1, True),
    ]
    return run_check("conv2d_param_count", fn, cases,
                     hint="one filter has c_in * k * k weights (+1 bias); there are c_out filters")


def measured_receptive_field(layers: Sequence[tuple[int, int]], size: int = 96) -> int:
    """Receptive field of a stack of ``(kernel, stride)`` windows, measured by back-propagation.

    An all-ones :class:`nnedu.nn.Conv2d` (no bias) per window is applied to a
    ``size x size`` input; the gradient of one central output unit with respect
    to the input is nonzero exactly on that unit's receptive field.
    """
    from nnedu.nn import Conv2d
    with float64():
        convs = []
        for k, s in layers:
            conv = Conv2d(1, 1, k, stride=s, bias=False, rng=0)
            conv.weight.data[...] = 1.0
            convs.append(conv)
        x = np.zeros((1, 1, size, size))
        for conv in convs:
            x = conv(x)
        g = np.zeros_like(x)
        g[0, 0, x.shape[2] // 2, x.shape[3] // 2] = 1.0
        for conv in reversed(convs):
            g = conv.backward(g)
    rows = np.nonzero(np.abs(g[0, 0]).sum(axis=1))[0]
    return int(rows.max() - rows.min() + 1)


def _rf_case(label: str, layers: list[tuple[int, int]], hint: str = "") -> Case:
    def run(fn: Callable) -> list[Comparison]:
        got = fn([tuple(layer) for layer in layers])
        return [Comparison("receptive field", got, np.asarray(measured_receptive_field(layers)), kind="numerical")]
    return Case(f"{label}: (kernel, stride) = {layers}", run, hint)


def check_receptive_field(fn: Callable[[list[tuple[int, int]]], int]) -> CheckResult:
    """Check ``receptive_field(layers) -> int`` against a back-propagation measurement.

    Returns
    -------
    CheckResult
        Truthy when every case passes; prints PASS/FAIL or "not implemented yet".
    """
    cases = [
        _rf_case("one 5x5 convolution", [(5, 1)], hint="a single k x k window sees k pixels along each axis"),
        _rf_case("two 3x3 convolutions", [(3, 1), (3, 1)], hint="stacked stride-1 windows add k - 1 each"),
        _rf_case("LeNet-5 up to C5 (C1, S2, C3, S4, C5)", [(5, 1), (2, 2), (5, 1), (2, 2), (5, 1)],
                 hint="after a stride-2 pooling, one step of the next layer moves 2 input pixels"),
        _rf_case("strided convolutions", [(3, 2), (3, 2), (3, 1)]),
        _rf_case("an empty stack", [], hint="with no layers a unit is one pixel: return 1"),
    ]
    return run_check("receptive_field", fn, cases,
                     hint="start with r = 1, jump = 1; for each (k, s): r += (k - 1) * jump; jump *= s")
