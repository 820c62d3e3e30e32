"""A multi-layer perceptron for flattened images."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from nnedu.models.summary import SummaryMixin
from nnedu.nn import BatchNorm1d, Dropout, Flatten, LeakyReLU, Linear, ReLU, Sequential, Sigmoid, Tanh
from nnedu.rng import get_rng

ACTIVATIONS = {"relu": ReLU, "leaky_relu": LeakyReLU, "tanh": Tanh, "sigmoid": Sigmoid}


class MLP(SummaryMixin, Sequential):
    r"""Fully connected network ``784 -> 256 -> 128 -> 10`` (by default).

    Each hidden block is ``Linear -> [BatchNorm1d] -> activation -> [Dropout]``;
    the last Linear gives the logits (no softmax: :class:`~nnedu.nn.CrossEntropyLoss`
    applies it). Inputs ``(N, 784)``, ``(N, 28, 28)`` or ``(N, 1, 28, 28)`` are
    flattened first.

    Layers are named ``flatten, fc1, bn1, act1, drop1, fc2, ...``.

    ``backward`` returns ``dL/dx`` (so :func:`~nnedu.checking.gradcheck` can
    check the whole network), unlike :class:`~nnedu.models.LeNet5`, whose C1
    skips it. Training never uses that gradient: ``model.fc1.needs_input_grad =
    False`` saves fc1's ``G W^T`` product (``(N, 256) @ (256, 784)`` by default)
    in every step, and ``backward`` then returns None.

    Parameters
    ----------
    sizes : sequence of int
        Layer widths from input to output, at least two.
    activation : {"relu", "leaky_relu", "tanh", "sigmoid"}
        Hidden non-linearity. Weights use He initialisation for ReLU-like
        activations and Xavier for tanh/sigmoid.
    batchnorm : bool
        Insert BatchNorm1d after every hidden Linear.
    dropout : float
        Dropout probability after every hidden activation (0 = none).
    rng : numpy.random.Generator or int, optional
        Source of the initial weights and dropout masks.
    """

    def __init__(self, sizes: Sequence[int] = (784, 256, 128, 10), activation: str = "relu",
                 batchnorm: bool = False, dropout: float = 0.0,
                 rng: np.random.Generator | int | None = None) -> None:
        super().__init__()
        sizes = [int(s) for s in sizes]
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(f"MLP: sizes needs at least two positive widths, got {sizes}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"MLP: activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"MLP: dropout must be in [0, 1), got {dropout}")
        self.config: dict[str, Any] = {"name": "MLP", "kwargs": {
            "sizes": sizes, "activation": activation, "batchnorm": bool(batchnorm), "dropout": float(dropout)}}
        self.input_shape = (sizes[0],)
        # None stays None: Dropout then draws its masks from the global generator at each forward
        gen = get_rng(rng) if rng is not None else None
        init = "he" if activation in ("relu", "leaky_relu") else "xavier"
        self.flatten = Flatten()
        n_layers = len(sizes) - 1
        for i in range(1, n_layers):  # hidden blocks
            setattr(self, f"fc{i}", Linear(sizes[i - 1], sizes[i], init=init, rng=gen))
            if batchnorm:
                setattr(self, f"bn{i}", BatchNorm1d(sizes[i]))
            setattr(self, f"act{i}", ACTIVATIONS[activation]())
            if dropout > 0:
                setattr(self, f"drop{i}", Dropout(dropout, rng=gen))
        setattr(self, f"fc{n_layers}", Linear(sizes[-2], sizes[-1], init=init, rng=gen))  # the logits
