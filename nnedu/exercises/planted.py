"""Three broken training set-ups for notebook 11: find each bug with the debugging checklist.

Each :func:`mystery` returns a model, an optimizer and a few hundred MNIST training digits. One
thing is wrong in each (the data, a layer's backward pass, or a hyper-parameter). The notebook runs
the checklist on them; the student says which check gives each bug away and what the bug is.
(Reading this file tells you the answers: try the checklist first.)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nnedu import nn, optim
from nnedu.data import load_mnist, stratified_subset
from nnedu.models import MLP


class ReLU(nn.ReLU):
    """A ReLU whose backward pass forgets the mask (it passes every gradient through)."""

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        self._cached()
        return grad_out


@dataclass
class Mystery:
    """A training set-up with one planted bug."""

    name: str
    model: Any = field(repr=False)
    optimizer: Any = field(repr=False)       # its learning rate would give one mystery away
    x: np.ndarray = field(repr=False)
    y: np.ndarray = field(repr=False)


def mystery(which: str, n: int = 512, sizes: tuple[int, ...] = (784, 128, 64, 10)) -> Mystery:
    """The set-up ``"A"``, ``"B"`` or ``"C"``, with ``n`` training digits (seeded, the same every time).

    Parameters
    ----------
    which : {"A", "B", "C"}
    n : int
        Number of training digits.
    sizes : tuple of int
        Layer widths of the MLP (three Linear layers); a small one, e.g. ``(20, 16, 8, 10)``, makes
        a copy with the same bug that a float64 gradient check runs through in a second.
    """
    if which not in ("A", "B", "C"):
        raise ValueError(f"mystery: which must be 'A', 'B' or 'C', got {which!r}")
    images, labels = load_mnist("train", normalize=True)
    x, y = stratified_subset(images, labels, n, seed=11)
    if len(sizes) != 4:
        raise ValueError(f"mystery: sizes must give four widths (three Linear layers), got {sizes}")
    model = MLP(sizes=sizes, rng=3)
    lr = 1e-3
    if which == "A":
        x = x * 255.0                                  # pixels 0..255, never scaled to [0, 1]
    elif which == "B":
        model.act2 = ReLU()                            # a hidden ReLU whose backward ignores its mask
    else:
        lr = 3.0                                       # Adam with a learning rate 3000 times too large
    return Mystery(which, model, optim.Adam(model.parameters(), lr=lr), x.astype(np.float32), y)
