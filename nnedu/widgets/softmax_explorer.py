r"""Softmax explorer: move the logits of one example, see its probabilities, its loss and its gradient.

For logits :math:`z \in \mathbb{R}^C`, a temperature :math:`T` and the true class :math:`y`,
:func:`softmax_view` computes, with :mod:`nnedu.functional` (log-sum-exp, so any logits are fine),

.. math:: P = \operatorname{softmax}(z / T), \qquad \ell = -\log P_y, \qquad
          \frac{\partial \ell}{\partial z} = \frac{P - Y}{T},

and :func:`draw_softmax` draws the three side by side: the logits, the probabilities (the true class
hatched), and the gradient a training step would follow (its negative raises :math:`z_y` and lowers
the others).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from nnedu import functional as F
from nnedu.widgets._render import LiveFigure, display_widget, figure_to_png, new_figure


@dataclass
class SoftmaxView:
    """One example's logits and what softmax cross-entropy makes of them."""

    logits: np.ndarray
    temperature: float
    true_class: int
    probabilities: np.ndarray
    loss: float
    gradient: np.ndarray


def softmax_view(logits: Sequence[float], temperature: float = 1.0, true_class: int = 0) -> SoftmaxView:
    """Probabilities, loss and gradient of one example (see the module docstring for the formulas).

    Raises
    ------
    ValueError
        If ``temperature`` is not positive or ``true_class`` is not an index of ``logits``.
    """
    z = np.asarray(logits, dtype=np.float64).reshape(-1)
    if not temperature > 0:
        raise ValueError(f"softmax_view: temperature must be positive, got {temperature}")
    if not 0 <= true_class < z.size:
        raise ValueError(f"softmax_view: true_class must be in 0..{z.size - 1}, got {true_class}")
    log_p = F.log_softmax(z / temperature)
    P = np.exp(log_p)
    grad = P.copy()
    grad[true_class] -= 1
    return SoftmaxView(z, float(temperature), int(true_class), P, float(-log_p[true_class]), grad / temperature)


def draw_softmax(view: SoftmaxView) -> Figure:
    """Three bar charts: logits, probabilities (true class hatched, values written), gradient."""
    fig = new_figure(8.0, 2.7)
    axes = fig.subplots(1, 3)
    C = view.logits.size
    k = np.arange(C)
    hatch = ["//" if c == view.true_class else "" for c in k]
    colors = ["#0072B2" if c == view.true_class else "#E69F00" for c in k]
    panels = ((view.logits, "logits z", None), (view.probabilities, f"P = softmax(z / {view.temperature:g})", (0, 1)),
              (view.gradient, "dℓ/dz = (P − Y) / T", None))
    for ax, (values, title, ylim) in zip(axes, panels):
        bars = ax.bar(k, values, color=colors, edgecolor="k", linewidth=0.6)
        for bar, h in zip(bars, hatch):
            bar.set_hatch(h)
        ax.axhline(0, color="gray", lw=0.6)
        ax.set_xticks(k, [f"{c}{' (true)' if c == view.true_class else ''}" for c in k], fontsize=9)
        ax.set_title(title, fontsize=10)
        if ylim:
            ax.set_ylim(*ylim)
            for c, p in zip(k, values):
                ax.text(c, min(p + 0.03, 0.93), f"{p:.2f}", ha="center", fontsize=9)
    axes[1].set_xlabel(f"loss −log P_y = {view.loss:.3g}", fontsize=10)
    return fig


class SoftmaxExplorer:
    """Sliders for the logits of one example, the temperature and the true class; a live figure.

    The controls are attributes, so code (and tests) can drive it: after ``ex.logit[1].value = 5``
    the attribute ``ex.view`` holds the new :class:`SoftmaxView` and ``ex.png`` the new picture.

    Examples
    --------
    >>> ex = SoftmaxExplorer(logits=(2.0, 1.0, 0.1))
    >>> ex.temperature.value = 100.0
    >>> bool(np.ptp(ex.view.probabilities) < 0.01)      # a high temperature: nearly uniform
    True
    """

    def __init__(self, logits: Sequence[float] = (2.0, 1.0, 0.1), true_class: int = 0) -> None:
        style = {"description_width": "90px"}
        self.logit = [widgets.FloatSlider(value=float(v), min=-10, max=10, step=0.1, description=f"logit z{c}",
                                          continuous_update=False, style=style) for c, v in enumerate(logits)]
        self.temperature = widgets.FloatLogSlider(value=1.0, base=10, min=-1, max=2, step=0.05,
                                                  description="temperature", continuous_update=False, style=style)
        self.true_class = widgets.Dropdown(options=list(range(len(self.logit))), value=true_class,
                                           description="true class", style=style)
        self.figure = LiveFigure("softmax explorer: logits, probabilities and gradient")
        self.view: SoftmaxView | None = None
        self.png: bytes = b""
        for w in (*self.logit, self.temperature, self.true_class):
            w.observe(self.update, names="value")
        self.widget = widgets.VBox([widgets.HBox([widgets.VBox(self.logit),
                                                  widgets.VBox([self.temperature, self.true_class])])])
        self.widget.add_class("nnedu-softmax-explorer")
        self.update()

    def update(self, _change: Any = None) -> None:
        """Recompute the view from the controls and redraw."""
        self.view = softmax_view([w.value for w in self.logit], self.temperature.value, self.true_class.value)
        self.png = figure_to_png(draw_softmax(self.view))
        self.figure.show_png(self.png)

    def _ipython_display_(self) -> None:
        display_widget(self.widget, self.figure, "Softmax explorer (logits, temperature, true class)")
