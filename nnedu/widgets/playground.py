r"""Optimizer playground: watch SGD, Momentum, Nesterov, AdaGrad, RMSprop and Adam walk a 2-D landscape.

Each run is a real :mod:`nnedu.optim` optimizer stepping a two-number
parameter :math:`\theta = (x, y)` on a test function from
:mod:`nnedu.landscapes` (via :func:`nnedu.landscapes.run_optimizer`), so what
the student sees is exactly what the library does during training.

The one slider :math:`\beta` means the optimizer's "memory" knob:

================  =======================================================
optimizer         what :math:`\beta` sets
================  =======================================================
SGD               (unused)
Momentum          ``momentum`` :math:`\mu` in :math:`v \leftarrow \mu v + g`
Nesterov          ``momentum`` :math:`\mu`, with ``nesterov=True``
AdaGrad           (unused: AdaGrad never forgets)
RMSprop           ``alpha``, the decay of the squared-gradient average
Adam              ``betas[0]``, the decay of the gradient average (``betas[1]=0.999``)
================  =======================================================

The plain functions (:func:`make_optimizer`, :func:`compute_trajectory`,
:func:`compute_trajectories`, :func:`draw_runs`) do the work; the
:class:`OptimizerPlayground` class only wires them to widgets.
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any, Sequence

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from nnedu import landscapes
from nnedu import optim
from nnedu.widgets._render import (COLORS, LEGEND_FONTSIZE, LiveFigure, display_widget, figure_to_png,
                                   new_figure)

OPTIMIZER_NAMES: tuple[str, ...] = ("SGD", "Momentum", "Nesterov", "AdaGrad", "RMSprop", "Adam")
BETA_USED: dict[str, bool] = {"SGD": False, "Momentum": True, "Nesterov": True, "AdaGrad": False,
                              "RMSprop": True, "Adam": True}

#: A learning rate at which plain SGD makes visible progress on each landscape (the playground's start value).
SUGGESTED_LR: dict[str, float] = {"quadratic": 0.03, "rosenbrock": 1e-3, "beale": 1e-3, "saddle": 0.05,
                                  "himmelblau": 0.01}


def optimizer_spec(name: str, lr: float, beta: float = 0.9) -> tuple[type, dict[str, Any]]:
    """The :mod:`nnedu.optim` class and keyword arguments behind a playground name.

    Parameters
    ----------
    name : {"SGD", "Momentum", "Nesterov", "AdaGrad", "RMSprop", "Adam"}
    lr : float
        Learning rate :math:`\\eta`.
    beta : float
        Momentum / decay knob (see the module docstring for its meaning per optimizer).

    Returns
    -------
    (cls, kwargs)
        ``cls(params, **kwargs)`` builds the optimizer.
    """
    if lr <= 0:
        raise ValueError(f"learning rate must be positive, got {lr}")
    if not 0 <= beta < 1:
        raise ValueError(f"beta must be in [0, 1), got {beta}")
    if name == "SGD":
        return optim.SGD, dict(lr=lr)
    if name == "Momentum":
        return optim.SGD, dict(lr=lr, momentum=beta)
    if name == "Nesterov":
        return optim.SGD, dict(lr=lr, momentum=beta, nesterov=True)
    if name == "AdaGrad":
        return optim.Adagrad, dict(lr=lr)
    if name == "RMSprop":
        return optim.RMSprop, dict(lr=lr, alpha=beta)
    if name == "Adam":
        return optim.Adam, dict(lr=lr, betas=(beta, 0.999))
    raise ValueError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZER_NAMES)}")


@dataclass(frozen=True)
class RunSettings:
    """Everything that determines one trajectory."""

    function: str
    optimizer: str
    lr: float
    beta: float = 0.9
    steps: int = 100
    start: tuple[float, float] | None = None

    @property
    def label(self) -> str:
        beta = f", β={self.beta:g}" if BETA_USED.get(self.optimizer, False) else ""
        return f"{self.optimizer} (lr={self.lr:.3g}{beta})"


@dataclass
class Run:
    """A finished run: its settings, the points visited ``(steps+1, 2)`` and the loss at each."""

    settings: RunSettings
    trajectory: np.ndarray
    losses: np.ndarray
    diverged: bool = field(default=False)

    @property
    def final_loss(self) -> float:
        return float(self.losses[-1])


def compute_trajectory(settings: RunSettings) -> Run:
    """Run one optimizer on one test function.

    Divergence (a point or loss that is infinite, NaN or huge) is not an
    error: the run is cut at the last finite point and marked ``diverged``,
    because "what happens when the learning rate is too large" is one of the
    lessons.

    Examples
    --------
    >>> run = compute_trajectory(RunSettings("quadratic", "SGD", lr=0.05, steps=50))
    >>> run.trajectory.shape
    (51, 2)
    """
    fn = landscapes.get_landscape(settings.function)
    cls, kwargs = optimizer_spec(settings.optimizer, settings.lr, settings.beta)
    traj, losses, info = landscapes.run_optimizer(fn, cls, settings.start, settings.steps, return_info=True,
                                                  **kwargs)
    keep = info["steps_taken"] + 1
    return Run(settings, np.asarray(traj[:keep], dtype=np.float64), np.asarray(losses[:keep], dtype=np.float64),
               bool(info["diverged"]))


def compute_trajectories(settings: Sequence[RunSettings]) -> list[Run]:
    """:func:`compute_trajectory` for each of several settings (e.g. one per optimizer)."""
    return [compute_trajectory(s) for s in settings]


def draw_runs(function: str, runs: Sequence[Run], title: str | None = None) -> Figure:
    """Contour plot of ``function`` with each run's path, and the loss per step beside it.

    Parameters
    ----------
    function : str
        Name of the test function in :mod:`nnedu.landscapes`.
    runs : sequence of Run
        Drawn in order, each in its own colour; the last is drawn boldest.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fn = landscapes.get_landscape(function)
    f_min = fn.min_value
    fig = new_figure(8.0, 3.5)
    ax, ax_loss = fig.subplots(1, 2, width_ratios=[1.25, 1])
    X, Y, Z = fn.grid(160)
    shifted = Z - f_min
    if fn.log_contours:  # steep walls, flat floor: log-spaced levels show both
        levels = np.geomspace(max(float(np.percentile(shifted, 1)), 1e-2), float(np.percentile(shifted, 90)), 18)
    else:
        levels = np.linspace(0.0, float(np.percentile(shifted, 95)), 21)[1:]
    ax.contour(X, Y, shifted, levels=levels, cmap="viridis", linewidths=0.7)
    for xy in fn.minima:
        ax.plot(*xy, marker="*", color="gold", markersize=14, markeredgecolor="k", zorder=5)
    for i, run in enumerate(runs):
        color = COLORS[i % len(COLORS)]
        bold = i == len(runs) - 1
        t = run.trajectory
        label = run.settings.label + (" diverged" if run.diverged else "")
        ax.plot(t[:, 0], t[:, 1], "-o", color=color, markersize=2.5 if bold else 1.5,
                linewidth=1.8 if bold else 1.1, label=label, alpha=1.0 if bold else 0.8)
        steps = np.arange(len(run.losses))
        y = np.maximum(run.losses - f_min, 1e-16)
        ax_loss.plot(steps, y, color=color, linewidth=1.8 if bold else 1.1, label=label)
    if runs:
        ax.plot(*runs[0].trajectory[0], "ks", markersize=6)
    ax.set_xlim(fn.xlim)
    ax.set_ylim(fn.ylim)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title(title or fn.title, fontsize=10)
    ax_loss.set_xlabel("step")
    ax_loss.set_yscale("log")
    ax_loss.set_ylabel("f(θ) − f*  (log scale)")
    ax_loss.grid(alpha=0.3)
    ax_loss.set_title("loss per step", fontsize=10)
    if runs:
        ax_loss.legend(fontsize=LEGEND_FONTSIZE, loc="best")
    return fig


class OptimizerPlayground:
    """Dropdowns and sliders that run an optimizer on a test function and draw its path.

    The controls are attributes (``function``, ``optimizer``, ``lr``, ``beta``,
    ``steps``, ``add_button``, ``clear_button``) and so are the results
    (``current``: the latest :class:`Run`; ``comparison``: the runs added with
    "add to comparison"; ``png``: the picture shown), so tests and notebook
    cells can drive the playground without a browser. Displayed in a cell, it
    shows the controls and, below them, the figure as an ordinary image output
    (see :mod:`nnedu.widgets._render`), which is stored with the notebook.

    Examples
    --------
    >>> pg = OptimizerPlayground()  # doctest: +SKIP
    >>> pg.lr.value = 0.01           # recomputes and redraws  # doctest: +SKIP
    >>> pg.current.final_loss        # doctest: +SKIP
    >>> pg                           # in a notebook cell: shows it  # doctest: +SKIP
    """

    def __init__(self, function: str | None = None, optimizer: str = "Momentum", lr: float | None = None,
                 beta: float = 0.9, steps: int = 100) -> None:
        names = list(landscapes.LANDSCAPES)
        function = function or names[0]
        style = {"description_width": "100px"}

        def slider() -> dict[str, Any]:  # a Layout per widget: a shared one would hide them all together
            return dict(continuous_update=False, style=style, layout=widgets.Layout(width="380px"))

        self.function = widgets.Dropdown(options=names, value=function, description="function", style=style)
        self.optimizer = widgets.Dropdown(options=OPTIMIZER_NAMES, value=optimizer, description="optimizer",
                                          style=style)
        self.lr = widgets.FloatLogSlider(value=lr or SUGGESTED_LR.get(function, 0.01), base=10, min=-4, max=0.5,
                                         step=0.05, description="learning rate", readout_format=".3g", **slider())
        self.lr.add_class("nnedu-lr-slider")
        self.beta = widgets.FloatSlider(value=beta, min=0.0, max=0.999, step=0.01, description="momentum / β",
                                        readout_format=".3f", **slider())
        self.steps = widgets.IntSlider(value=steps, min=10, max=500, step=10, description="steps", **slider())
        self.add_button = widgets.Button(description="add to comparison", icon="plus",
                                         layout=widgets.Layout(width="auto"))
        self.clear_button = widgets.Button(description="clear comparison", icon="trash",
                                           layout=widgets.Layout(width="auto"))
        self.status = widgets.HTML()
        self.figure = LiveFigure("optimizer playground: paths on the landscape and loss per step")
        self.comparison: list[Run] = []
        self.current: Run | None = None
        self.png: bytes = b""
        self.error: str | None = None
        self._hold = False
        for w in (self.optimizer, self.lr, self.beta, self.steps):
            w.observe(self.update, names="value")
        self.function.observe(self._function_changed, names="value")
        self.add_button.on_click(self.add_to_comparison)
        self.clear_button.on_click(self.clear_comparison)
        self.widget = widgets.VBox([
            widgets.HBox([widgets.VBox([self.function, self.optimizer, widgets.HBox([self.add_button,
                                                                                     self.clear_button])]),
                          widgets.VBox([self.lr, self.beta, self.steps])]),
            self.status,
        ])
        self.widget.add_class("nnedu-playground")
        self.update()

    def settings(self) -> RunSettings:
        """The controls' current values as :class:`RunSettings`."""
        return RunSettings(self.function.value, self.optimizer.value, float(self.lr.value),
                           float(self.beta.value), int(self.steps.value))

    def update(self, change: Any = None) -> None:
        """Recompute the current run from the controls and redraw (the widgets' callback)."""
        if self._hold:
            return
        self.beta.disabled = not BETA_USED[self.optimizer.value]
        try:
            self.current = compute_trajectory(self.settings())
        except ValueError as err:
            self.error = str(err)
            self.figure.show_message(self.error)
            return
        self.error = None
        run = self.current
        note = " — <b>diverged</b>: try a smaller learning rate" if run.diverged else ""
        self.status.value = (f"{run.settings.label}: final f = {run.final_loss:.4g} after "
                             f"{len(run.losses) - 1} steps{note}")
        pinned = any(r.settings == run.settings for r in self.comparison)   # already drawn: not twice
        fig = draw_runs(self.function.value, self.comparison + ([] if pinned else [run]))
        self.png = figure_to_png(fig)
        self.figure.show_png(self.png)

    def _function_changed(self, change: Any = None) -> None:
        # runs on another landscape cannot share the plot; start from a learning rate that suits it
        self.comparison.clear()
        self._hold = True
        try:
            self.lr.value = SUGGESTED_LR.get(self.function.value, self.lr.value)
        finally:
            self._hold = False
        self.update()

    def add_to_comparison(self, _: Any = None) -> None:
        """Pin the current run; later runs are drawn over it (the status line says what was pinned)."""
        pinned = self.current
        if pinned is not None and all(r.settings != pinned.settings for r in self.comparison):
            self.comparison.append(pinned)
        self.update()
        if pinned is not None:
            self.status.value = (f"Pinned <b>{html.escape(pinned.settings.label)}</b> "
                                 f"({len(self.comparison)} in the comparison): change a setting to draw "
                                 f"a new run beside it.")

    def clear_comparison(self, _: Any = None) -> None:
        """Forget the pinned runs (the status line says so)."""
        n = len(self.comparison)
        self.comparison.clear()
        self.update()
        self.status.value = f"Cleared {n} pinned run(s). " + self.status.value

    def _ipython_display_(self) -> None:
        display_widget(self.widget, self.figure, "Optimizer playground (function, optimizer, learning rate, β, steps)")
