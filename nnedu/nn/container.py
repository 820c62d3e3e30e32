"""Sequential: layers applied one after the other, gradients flowing back in reverse."""
from __future__ import annotations

from typing import Iterator

import numpy as np

from nnedu.nn.module import Module


class Sequential(Module):
    """Chain of modules: ``y = f_n(... f_2(f_1(x)))``.

    ``backward`` applies the chain rule in reverse order:
    ``dL/dx = f_1'(... f_n'(dL/dy))``. It stops early when a layer returns
    ``None``, i.e. was told that its input needs no gradient
    (``needs_input_grad = False``, as for the first layer, whose input is data):
    nothing before that layer can receive a gradient through it.
    Layers are named ``"0"``, ``"1"``, ... as in PyTorch, so parameters are
    called ``"0.weight"``, ``"0.bias"``, ...
    """

    def __init__(self, *layers: Module) -> None:
        super().__init__()
        for i, layer in enumerate(layers):
            if not isinstance(layer, Module):
                raise TypeError(f"Sequential: argument {i} is a {type(layer).__name__}, not a Module")
            setattr(self, str(i), layer)

    def forward(self, x: np.ndarray) -> np.ndarray:
        for layer in self:
            x = layer(x)
        return x

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        for layer in reversed(list(self)):
            grad_out = layer.backward(grad_out)
            if grad_out is None:
                break
        return grad_out

    def __iter__(self) -> Iterator[Module]:
        return self.children()

    def __len__(self) -> int:
        return sum(1 for _ in self.children())

    def __getitem__(self, i: int) -> Module:
        return list(self.children())[i]
