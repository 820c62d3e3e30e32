"""LeNet-5 (LeCun, Bottou, Bengio, Haffner 1998) for 28x28 MNIST digits."""
from __future__ import annotations

from typing import Any

import numpy as np

from nnedu.models.summary import SummaryMixin
from nnedu.nn import AvgPool2d, Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential, Tanh
from nnedu.rng import get_rng


class LeNet5(SummaryMixin, Sequential):
    r"""LeNet-5 with the feature-map sizes of the 1998 paper.

    ====== ======================== ================ ========
    Layer  Operation                Output           Params
    ====== ======================== ================ ========
    C1     conv 5x5, 6, padding 2   6 @ 28x28        156
    S2     pool 2x2, stride 2       6 @ 14x14        0
    C3     conv 5x5, 16             16 @ 10x10       2,416
    S4     pool 2x2, stride 2       16 @ 5x5         0
    C5     conv 5x5, 120            120 @ 1x1        48,120
    F6     fully connected          84               10,164
    output fully connected          10 (logits)      850
    ====== ======================== ================ ========

    Total 61,706 parameters. The paper feeds 32x32 images; MNIST digits are
    28x28, so C1 pads by 2 pixels on each side and every later map has the
    paper's size. C5 is a convolution whose 5x5 kernel covers its whole
    5x5 input, so it acts like a fully connected layer (the paper calls it a
    convolution for the same reason: on larger inputs it would slide).

    Differences from the paper, in both variants:

    * **C3 is fully connected to all six S2 maps.** The paper connects each C3
      map to a hand-picked subset of S2 maps (its Table I, 1,516 weights) to
      break symmetry and save computation; here every C3 map sees all six
      (2,416 parameters), as in most modern re-implementations.
    * The output layer is a Linear layer with softmax cross-entropy instead of
      the paper's Euclidean RBF units.

    ``variant="modern"``: ReLU and max pooling.
    ``variant="classic"``: tanh and average pooling, closer to the paper.
    The paper's sub-sampling layers also had a
    trainable coefficient and bias per map and its tanh was scaled,
    ``1.7159 tanh(2a/3)``; we use plain average pooling and plain tanh.

    C1 does not compute the gradient with respect to the input image
    (``c1.needs_input_grad = False``, as PyTorch does for data), so
    ``backward`` returns None; set it to True to get ``dL/dx`` (e.g. for
    saliency maps).

    Parameters
    ----------
    variant : {"modern", "classic"}
    init : {"uniform", "he", "xavier"}
        Initial weights. ``"uniform"`` (default): weights and biases
        ``~ U(-1/sqrt(fan_in), 1/sqrt(fan_in))``, the default of PyTorch's
        ``Conv2d`` and ``Linear`` (variance ``1 / (3 fan_in)``, in the spirit
        of the paper's ``U(-2.4/fan_in, 2.4/fan_in)``). In our trial runs
        (PyTorch, Adam, 10 epochs) it reached higher test accuracy than He
        initialisation, whose six times larger weight variance (``2 / fan_in``)
        starts this small network with large logits. ``"he"``/``"xavier"``:
        normal, as :mod:`nnedu.nn.init`, biases zero.
    rng : numpy.random.Generator or int, optional
        Source of the initial weights.
    """

    def __init__(self, variant: str = "modern", init: str = "uniform",
                 rng: np.random.Generator | int | None = None) -> None:
        super().__init__()
        if variant not in ("modern", "classic"):
            raise ValueError(f"LeNet5: variant must be 'modern' or 'classic', got {variant!r}")
        if init not in ("uniform", "he", "xavier"):
            raise ValueError(f"LeNet5: init must be 'uniform', 'he' or 'xavier', got {init!r}")
        self.variant = variant
        self.config: dict[str, Any] = {"name": "LeNet5", "kwargs": {"variant": variant, "init": init}}
        self.input_shape = (1, 28, 28)
        gen = get_rng(rng)
        act, pool = (ReLU, MaxPool2d) if variant == "modern" else (Tanh, AvgPool2d)
        # "uniform" overwrites He weights below; drawing them first keeps a seed's weights unchanged
        layer_init = "he" if init == "uniform" else init
        self.c1 = Conv2d(1, 6, 5, padding=2, init=layer_init, rng=gen)
        self.c1.needs_input_grad = False
        self.act1 = act()
        self.s2 = pool(2)
        self.c3 = Conv2d(6, 16, 5, init=layer_init, rng=gen)
        self.act3 = act()
        self.s4 = pool(2)
        self.c5 = Conv2d(16, 120, 5, init=layer_init, rng=gen)
        self.act5 = act()
        self.flatten = Flatten()
        self.f6 = Linear(120, 84, init=layer_init, rng=gen)
        self.act6 = act()
        self.output = Linear(84, 10, init=layer_init, rng=gen)
        if init == "uniform":
            for layer in (self.c1, self.c3, self.c5, self.f6, self.output):
                _uniform_init(layer, gen)


def _uniform_init(layer: Conv2d | Linear, gen: np.random.Generator) -> None:
    """``w, b ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in))`` in place (PyTorch's default for Conv2d and Linear)."""
    w = layer.weight.data
    # Conv2d weight (out, in, kh, kw): fan_in = in*kh*kw; our Linear weight (in, out): fan_in = in
    fan_in = int(np.prod(w.shape[1:])) if w.ndim == 4 else w.shape[0]
    bound = 1.0 / np.sqrt(fan_in)
    w[...] = gen.uniform(-bound, bound, w.shape)
    if layer.bias is not None:
        layer.bias.data[...] = gen.uniform(-bound, bound, layer.bias.shape)
