r"""Checks for notebook 08: counting a convolution's parameters, and the receptive field of a stack.

The student writes

* ``conv2d_param_count(C_in, C_out, k, bias=True) -> int``: the weights of a
  ``k x k`` convolution from ``C_in`` to ``C_out`` channels,
  :math:`C_{out}(C_{in} k^2 + 1)` with bias (LeNet-5's C1: :math:`6 (1 \cdot 25 + 1) = 156`);
* ``receptive_field(layers) -> int`` for a list of ``(kernel, stride)``
  pairs (convolutions and pooling windows alike): how many input pixels,
  along one axis, one unit of the last layer sees. With the "jump"
  :math:`j` (input pixels between neighbouring units) it grows as
  :math:`r \leftarrow r + (k - 1) j`, :math:`j \leftarrow j s`, from :math:`r = j = 1`.

Both answers are integers and must be exact. The references are *measurements*, not the formulas:
the parameters of a real :class:`nnedu.nn.Conv2d` are counted, and the receptive field is found by
back-propagating one output unit through a stack of all-ones ``Conv2d`` layers and counting the
input rows that receive a nonzero gradient.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from nnedu.exercises.checker import Bug, Case, Exercise, check
from nnedu.exercises.report import CheckResult, float64

NOTEBOOK = "08_lenet5_mnist"


def counted_conv2d_params(C_in: int, C_out: int, k: int, bias: bool = True) -> int:
    """The parameters of a real ``Conv2d(C_in, C_out, k, bias=bias)``, counted."""
    from nnedu.nn import Conv2d
    layer = Conv2d(C_in, C_out, k, bias=bias, rng=0)
    return int(sum(p.data.size for p in layer.parameters()))


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


def _conv2d_param_count_exercise() -> Exercise:
    def case(C_in: int, C_out: int, k: int, bias: bool, hint: str = "") -> Case:
        return Case(f"Conv2d({C_in}, {C_out}, kernel_size={k}, bias={bias})", (C_in, C_out, k), {"bias": bias},
                    hint)

    cases = [
        case(1, 6, 5, True, hint="LeNet-5's C1: 6 filters of 1*5*5 weights, plus one bias each"),
        case(6, 16, 5, True, hint="each of the 16 filters spans all 6 input channels"),
        case(16, 120, 5, True),
        case(3, 8, 3, False, hint="without bias there is no +1 per filter"),
        case(4, 2, 1, True, hint="a 1x1 convolution: one weight per input channel, per filter"),
    ]
    return Exercise(
        "conv2d_param_count", counted_conv2d_params, cases, ("parameter count",), exact=True, notebook=NOTEBOOK,
        hint="count one filter first: it has one weight for every input channel and every kernel position, "
             "and (with bias) one bias; then count the filters",
        formula="C_out * (C_in * k * k + 1) with bias, C_out * C_in * k * k without",
        bugs=[
            Bug("you forgot the biases: each of the C_out filters has one bias (bias=True here)",
                lambda C_in, C_out, k, bias=True: C_out * C_in * k * k),
            Bug("you ignored bias=False: without bias there is no +1 per filter",
                lambda C_in, C_out, k, bias=True: C_out * (C_in * k * k + 1)),
            Bug("you counted one bias per input channel: there is one bias per filter (output channel)",
                lambda C_in, C_out, k, bias=True: C_out * C_in * (k * k + int(bias))),
            Bug("you left out the input channels: each filter has k*k weights for EVERY one of the C_in channels",
                lambda C_in, C_out, k, bias=True: C_out * (k * k + int(bias))),
            Bug("a k x k kernel has k*k weights per channel, not k",
                lambda C_in, C_out, k, bias=True: C_out * (C_in * k + int(bias))),
        ],
        library=(counted_conv2d_params,))


def _receptive_field_exercise() -> Exercise:
    def case(label: str, layers: list[tuple[int, int]], hint: str = "") -> Case:
        return Case(f"{label}: (kernel, stride) = {layers}", (layers,), hint=hint)

    def jump_first(layers):
        r, jump = 1, 1
        for k, s in layers:
            jump *= s
            r += (k - 1) * jump
        return r

    def from_zero(layers):
        r, jump = 0, 1
        for k, s in layers:
            r += (k - 1) * jump
            jump *= s
        return r

    def k_not_k_minus_1(layers):
        r, jump = 1, 1
        for k, s in layers:
            r += k * jump
            jump *= s
        return r

    cases = [
        case("one 5x5 convolution", [(5, 1)], hint="a single k x k window sees k pixels along each axis"),
        case("two 3x3 convolutions", [(3, 1), (3, 1)], hint="stacked stride-1 windows add k - 1 each"),
        case("LeNet-5 up to C5 (C1, S2, C3, S4, C5)", [(5, 1), (2, 2), (5, 1), (2, 2), (5, 1)],
             hint="after a stride-2 pooling, one step of the next layer moves 2 input pixels"),
        case("strided convolutions", [(3, 2), (3, 2), (3, 1)]),
        case("a 1x1 convolution after a pooling", [(2, 2), (1, 1)]),
        case("an empty stack", [], hint="with no layers a unit is one pixel: return 1"),
    ]
    return Exercise(
        "receptive_field", measured_receptive_field, cases, ("receptive field",), exact=True, notebook=NOTEBOOK,
        hint="go through the layers from the input up; a layer's window of k units spans k - 1 gaps between "
             "neighbouring units, and each gap is as many input pixels apart as the strides below it multiply to",
        formula="r, jump = 1, 1; for (k, s) in layers: r += (k - 1) * jump; jump *= s",
        bugs=[
            Bug("you ignored the strides: after a stride-s layer, neighbouring units are s times further apart "
                "in the input, so later windows cover (k - 1) * jump pixels",
                lambda layers: 1 + sum(k - 1 for k, s in layers)),
            Bug("you multiplied the jump by the stride before using it: a layer's own stride only spreads "
                "the layers ABOVE it", jump_first),
            Bug("you started from r = 0: before any layer a unit is one pixel, r = 1", from_zero),
            Bug("each window adds k - 1 gaps, not k: its k units span k - 1 steps", k_not_k_minus_1),
            Bug("you multiplied the kernel sizes: windows overlap, so they add (k - 1) * jump, not multiply",
                lambda layers: int(np.prod([k for k, s in layers])) if layers else 1),
        ],
        library=(measured_receptive_field,))


EXERCISES = {
    "conv2d_param_count": _conv2d_param_count_exercise,
    "receptive_field": _receptive_field_exercise,
}


def check_conv2d_param_count(fn: Callable[..., int], reveal: bool = False) -> CheckResult:
    """Check the student's ``conv2d_param_count(C_in, C_out, k, bias=True) -> int`` (prints the verdict)."""
    return check(_conv2d_param_count_exercise(), fn, reveal)


def check_receptive_field(fn: Callable[[list[tuple[int, int]]], int], reveal: bool = False) -> CheckResult:
    """Check the student's ``receptive_field(layers) -> int`` (prints the verdict)."""
    return check(_receptive_field_exercise(), fn, reveal)
