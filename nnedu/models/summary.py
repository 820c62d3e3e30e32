"""``summary``: a table of a model's layers, output shapes and parameter counts."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from nnedu.dtype import get_default_dtype
from nnedu.nn.flatten import Flatten
from nnedu.nn.module import Module


def _fmt_shape(shape: Sequence[int]) -> str:
    return str(tuple(int(s) for s in shape))


def _describe(layer: Module) -> str:
    """Short description: ``Conv2d 1->6, 5x5, pad 2``, ``Linear 120->84``, ``MaxPool2d 2x2``, ``ReLU``."""
    name = type(layer).__name__
    if hasattr(layer, "in_channels") and hasattr(layer, "kernel_size"):
        (kh, kw), s, p = layer.kernel_size, getattr(layer, "stride", (1, 1)), getattr(layer, "padding", (0, 0))
        d = f"{name} {layer.in_channels}->{layer.out_channels}, {kh}x{kw}"
        d += f", stride {s[0]}" if tuple(s) != (1, 1) else ""
        return d + (f", pad {p[0]}" if tuple(p) != (0, 0) else "")
    if hasattr(layer, "in_features"):
        return f"{name} {layer.in_features}->{layer.out_features}"
    if hasattr(layer, "kernel_size"):
        kh, kw = layer.kernel_size
        return f"{name} {kh}x{kw}"
    extra = layer.extra_repr()
    return f"{name}({extra})" if extra and len(extra) < 24 and not isinstance(layer, Flatten) else name


def summary_table(model: Module, input_shape: Sequence[int] | None = None) -> str:
    """The text of :meth:`SummaryMixin.summary`: one row per layer, then the total.

    The output shapes come from a forward pass of one zero image of
    ``input_shape`` (without the batch dimension) in eval mode; the model's
    mode and layer caches are restored afterwards.

    Parameters
    ----------
    model : Module
        A model whose top-level children are applied in order (a Sequential).
    input_shape : sequence of int, optional
        Shape of one example; defaults to ``model.input_shape``.
    """
    if input_shape is None:
        input_shape = getattr(model, "input_shape", None)
        if input_shape is None:
            raise ValueError(f"summary: {type(model).__name__} has no input_shape; pass input_shape=")
    children = list(model.named_children())
    was_training = model.training
    caches = {m: m.cache for m in model.modules()}
    x = np.zeros((1, *input_shape), dtype=get_default_dtype())
    rows = [("Layer", "Type", "Output shape", "Params")]
    rows.append(("input", "", _fmt_shape(input_shape), ""))
    model.eval()
    try:
        for name, layer in children:
            x = layer(x)
            n = sum(p.size for p in layer.parameters())
            rows.append((name, _describe(layer), _fmt_shape(x.shape[1:]), f"{n:,}"))
    finally:
        model.train(was_training)
        for m, c in caches.items():
            m.cache = c
    total = model.num_parameters()
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    line = "-" * (sum(widths) + 6)

    def fmt(r: tuple[str, ...]) -> str:
        return f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]:>{widths[3]}}"

    out = [fmt(rows[0]), line] + [fmt(r) for r in rows[1:]] + [line]
    out.append(f"Total parameters: {total:,} (all trainable)")
    return "\n".join(out)


class SummaryMixin:
    """Adds ``model.summary()`` to a Sequential-style model with an ``input_shape``."""

    def summary(self, input_shape: Sequence[int] | None = None) -> None:
        """Print a table: layer, type, output shape (per example), parameter count, total."""
        print(summary_table(self, input_shape))  # type: ignore[arg-type]
