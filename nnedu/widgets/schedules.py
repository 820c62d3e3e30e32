r"""Scheduler explorer: pick a learning-rate schedule, set its knobs, see lr against epoch.

The curve is not drawn from a formula written here: :func:`scheduler_lrs`
builds the real :mod:`nnedu.optim.lr_scheduler` object on a one-parameter SGD
optimizer and records ``optimizer.param_groups[0]["lr"]`` before each
``scheduler.step()``, exactly as a training loop would see it. So the
explorer shows what ``fit`` will do, warts and all.

Schedules (epoch :math:`t`, initial rate :math:`\eta_0`):

- ``StepLR``: :math:`\eta_t = \eta_0\,\gamma^{\lfloor t / s \rfloor}`
- ``MultiStepLR``: :math:`\eta_t = \eta_0\,\gamma^{\#\{m \in M : m \le t\}}`
- ``ExponentialLR``: :math:`\eta_t = \eta_0\,\gamma^{t}`
- ``CosineAnnealingLR``: :math:`\eta_t = \eta_{min} + \tfrac12(\eta_0 - \eta_{min})(1 + \cos(\pi t / T_{max}))`
- ``Constant``: :math:`\eta_t = \eta_0`

Any of them can be preceded by a linear warm-up of :math:`w` epochs
(``LinearLR`` from ``start_factor`` to 1, chained with ``SequentialLR``).
"""
from __future__ import annotations

import html
from typing import Any, Sequence

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from nnedu.nn.parameter import Parameter
from nnedu.optim import SGD
from nnedu.optim import lr_scheduler as lrs
from nnedu.widgets._render import LEGEND_FONTSIZE, LiveFigure, display_widget, figure_to_png, new_figure

SCHEDULER_KINDS: tuple[str, ...] = ("StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "Constant")


def parse_milestones(text: str | Sequence[int]) -> list[int]:
    """Turn ``"30, 60, 80"`` (or a sequence of ints) into ``[30, 60, 80]``.

    Raises
    ------
    ValueError
        If an entry is not an integer.
    """
    if not isinstance(text, str):
        return [int(m) for m in text]
    parts = [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]
    try:
        return [int(p) for p in parts]
    except ValueError:
        raise ValueError(f"milestones must be integers separated by commas, got {text!r}") from None


def make_scheduler(kind: str, optimizer: Any, epochs: int, *, step_size: int = 10, gamma: float = 0.5,
                   milestones: str | Sequence[int] = (30, 60), T_max: int | None = None,
                   eta_min: float = 0.0, warmup_epochs: int = 0, warmup_start_factor: float = 0.1) -> Any:
    """Build the :mod:`nnedu.optim.lr_scheduler` object the explorer shows.

    Parameters
    ----------
    kind : {"StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "Constant"}
        The main schedule.
    optimizer : nnedu.optim.Optimizer
        The optimizer whose ``param_groups`` the scheduler drives.
    epochs : int
        Length of the whole run (used for the default ``T_max``).
    step_size, gamma, milestones, T_max, eta_min
        The main schedule's settings, with PyTorch's meaning. ``T_max`` defaults
        to the epochs left after the warm-up.
    warmup_epochs : int
        If positive, a ``LinearLR`` warm-up from ``warmup_start_factor * lr`` to
        ``lr`` over this many epochs comes first (chained by ``SequentialLR``).
    warmup_start_factor : float
        The warm-up's first multiplier.

    Returns
    -------
    scheduler
        An object with ``step()`` and ``get_last_lr()``.
    """
    if kind not in SCHEDULER_KINDS:
        raise ValueError(f"unknown scheduler kind {kind!r}; choose one of {', '.join(SCHEDULER_KINDS)}")
    if epochs < 1:
        raise ValueError(f"epochs must be at least 1, got {epochs}")
    if not 0 <= warmup_epochs < epochs:
        raise ValueError(f"warmup_epochs must be in [0, epochs), got {warmup_epochs} with epochs={epochs}")
    main_len = epochs - warmup_epochs
    if kind == "StepLR":
        main = lrs.StepLR(optimizer, step_size=step_size, gamma=gamma)
    elif kind == "MultiStepLR":
        main = lrs.MultiStepLR(optimizer, milestones=parse_milestones(milestones), gamma=gamma)
    elif kind == "ExponentialLR":
        main = lrs.ExponentialLR(optimizer, gamma=gamma)
    elif kind == "CosineAnnealingLR":
        main = lrs.CosineAnnealingLR(optimizer, T_max=T_max if T_max else max(main_len, 1), eta_min=eta_min)
    else:  # Constant
        main = lrs.StepLR(optimizer, step_size=max(epochs, 1), gamma=1.0)
    if warmup_epochs == 0:
        return main
    warm = lrs.LinearLR(optimizer, start_factor=warmup_start_factor, end_factor=1.0, total_iters=warmup_epochs)
    return lrs.SequentialLR(optimizer, schedulers=[warm, main], milestones=[warmup_epochs])


def scheduler_lrs(kind: str, epochs: int, lr: float = 0.1, **settings: Any) -> list[float]:
    """The learning rate used in each of ``epochs`` epochs under a schedule.

    Parameters
    ----------
    kind : str
        One of :data:`SCHEDULER_KINDS`.
    epochs : int
        How many epochs to record.
    lr : float
        The optimizer's initial learning rate :math:`\\eta_0`.
    **settings
        Passed to :func:`make_scheduler` (``step_size``, ``gamma``,
        ``milestones``, ``T_max``, ``eta_min``, ``warmup_epochs``,
        ``warmup_start_factor``).

    Returns
    -------
    list of float
        ``lrs[t]`` is the rate during epoch ``t`` (``scheduler.step()`` is
        called at the end of each epoch, as in PyTorch).

    Examples
    --------
    >>> scheduler_lrs("StepLR", 6, lr=1.0, step_size=2, gamma=0.5)
    [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    """
    p = Parameter(np.zeros(1))
    opt = SGD([p], lr=lr)
    sched = make_scheduler(kind, opt, epochs, **settings)
    out = []
    for _ in range(epochs):
        out.append(float(opt.param_groups[0]["lr"]))
        sched.step()
    return out


def draw_schedules(curves: dict[str, list[float]], log_y: bool = False, kept: Sequence[str] = ()) -> Figure:
    """Plot several lr curves (label -> list of rates) against epoch; returns the Figure.

    Curves whose label is in ``kept`` are drawn dashed and marked "(kept)" in the legend.
    """
    fig = new_figure(6.4, 3.4)
    ax = fig.add_subplot()
    for label, lrs_ in curves.items():
        pinned = label in kept
        ax.plot(np.arange(len(lrs_)), lrs_, "--" if pinned else "-", marker=".", markersize=3,
                label=label + (" (kept)" if pinned else ""))
    ax.set_xlabel("epoch")
    ax.set_ylabel("learning rate")
    if log_y:
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    fig.legend(fontsize=LEGEND_FONTSIZE, loc="outside lower center")   # below the axes: never over a curve
    return fig


class SchedulerExplorer:
    """Widgets to choose a schedule and its settings, and a plot of lr against epoch.

    Every control is an attribute, so code (and tests) can set values and read
    the result: after ``ex.kind.value = "StepLR"`` the list ``ex.lrs`` holds the
    new rates and ``ex.png`` the new picture. "Keep" pins the current curve so
    that the next one is drawn beside it.

    Examples
    --------
    >>> ex = SchedulerExplorer()
    >>> ex.kind.value = "ExponentialLR"
    >>> ex.gamma.value = 0.9
    >>> round(ex.lrs[1] / ex.lrs[0], 6)
    0.9
    >>> ex  # in a notebook cell: shows the widgets  # doctest: +SKIP
    """

    def __init__(self, kind: str = "CosineAnnealingLR", epochs: int = 50, lr: float = 0.1) -> None:
        style = {"description_width": "110px"}

        def slider() -> dict[str, Any]:  # a Layout per widget: a shared one would hide them all together
            return dict(continuous_update=False, style=style, layout=widgets.Layout(width="360px"))

        self.kind = widgets.Dropdown(options=SCHEDULER_KINDS, value=kind, description="scheduler", style=style)
        self.epochs = widgets.IntSlider(value=epochs, min=5, max=200, description="epochs", **slider())
        self.lr = widgets.FloatLogSlider(value=lr, base=10, min=-4, max=0, step=0.1, description="initial lr",
                                         readout_format=".2g", **slider())
        self.step_size = widgets.IntSlider(value=10, min=1, max=100, description="step_size", **slider())
        self.gamma = widgets.FloatSlider(value=0.5, min=0.05, max=1.0, step=0.01, description="gamma", **slider())
        self.milestones = widgets.Text(value="20, 35, 45", description="milestones", continuous_update=False,
                                       style=style)
        self.T_max = widgets.IntSlider(value=0, min=0, max=200, description="T_max (0=auto)", **slider())
        self.eta_min = widgets.FloatLogSlider(value=1e-4, base=10, min=-6, max=-1, step=0.1,
                                              description="eta_min", readout_format=".1e", **slider())
        self.warmup_epochs = widgets.IntSlider(value=0, min=0, max=30, description="warm-up epochs", **slider())
        self.log_y = widgets.Checkbox(value=False, description="log-scale y axis")
        self.keep_button = widgets.Button(description="keep this curve", icon="thumb-tack",
                                          layout=widgets.Layout(width="auto"))
        self.clear_button = widgets.Button(description="clear kept", icon="trash", layout=widgets.Layout(width="auto"))
        self.status = widgets.HTML()
        self.figure = LiveFigure("scheduler explorer: learning rate against epoch")
        self.kept: dict[str, list[float]] = {}
        self.lrs: list[float] = []
        self.label: str = ""
        self.png: bytes = b""
        self.error: str | None = None
        for w in (self.kind, self.epochs, self.lr, self.step_size, self.gamma, self.milestones, self.T_max,
                  self.eta_min, self.warmup_epochs, self.log_y):
            w.observe(self.update, names="value")
        self.keep_button.on_click(self.keep)
        self.clear_button.on_click(self.clear)
        self.widget = widgets.VBox([
            widgets.HBox([self.kind, self.keep_button, self.clear_button]),
            widgets.HBox([widgets.VBox([self.epochs, self.lr, self.warmup_epochs, self.log_y]),
                          widgets.VBox([self.step_size, self.gamma, self.milestones, self.T_max, self.eta_min])]),
            self.status,
        ])
        self.widget.add_class("nnedu-explorer")
        self.update()

    # which settings each kind reads; the others are hidden
    _USES = {
        "StepLR": ("step_size", "gamma"),
        "MultiStepLR": ("milestones", "gamma"),
        "ExponentialLR": ("gamma",),
        "CosineAnnealingLR": ("T_max", "eta_min"),
        "Constant": (),
    }

    def settings(self) -> dict[str, Any]:
        """The current settings as keyword arguments for :func:`scheduler_lrs`."""
        return dict(kind=self.kind.value, epochs=self.epochs.value, lr=self.lr.value,
                    step_size=self.step_size.value, gamma=self.gamma.value, milestones=self.milestones.value,
                    T_max=self.T_max.value or None, eta_min=self.eta_min.value,
                    warmup_epochs=min(self.warmup_epochs.value, self.epochs.value - 1))

    def _describe(self, s: dict[str, Any]) -> str:
        parts = [f"{k}={'auto' if s[k] is None else s[k]}" for k in self._USES[s["kind"]]]
        if s["warmup_epochs"]:
            parts.append(f"warm-up {s['warmup_epochs']}")
        return f"{s['kind']}(" + ", ".join(parts) + f"), lr={s['lr']:.2g}"

    def update(self, change: Any = None) -> None:
        """Recompute the rates from the controls and redraw (the widgets' callback)."""
        for name in ("step_size", "gamma", "milestones", "T_max", "eta_min"):
            visible = name in self._USES[self.kind.value]
            getattr(self, name).layout.display = None if visible else "none"
        s = self.settings()
        try:
            self.lrs = scheduler_lrs(**s)
        except ValueError as err:
            self.error = str(err)
            self.status.value = f"<span style='color:#b00020'>{html.escape(self.error)}</span>"
            self.figure.show_message(self.error)
            return
        self.error = None
        self.label = self._describe(s)
        curves = dict(self.kept)
        curves.setdefault(self.label, self.lrs)      # a kept curve equal to the current one is drawn once
        fig = draw_schedules(curves, log_y=self.log_y.value, kept=list(self.kept))
        self.png = figure_to_png(fig)
        self.figure.show_png(self.png)
        self.status.value = f"{html.escape(self.label)}: final lr {self.lrs[-1]:.3g}" + (
            f"; {len(self.kept)} kept curve(s), dashed" if self.kept else "")

    def keep(self, _: Any = None) -> None:
        """Pin the current curve so later curves are drawn beside it (dashed, "(kept)" in the legend)."""
        if self.lrs:
            self.kept[self.label] = list(self.lrs)
        self.update()
        if self.lrs:
            self.status.value = (f"Kept <b>{html.escape(self.label)}</b> ({len(self.kept)} kept, dashed): "
                                 "change a setting to draw a new curve beside it.")

    def clear(self, _: Any = None) -> None:
        """Forget all pinned curves."""
        n = len(self.kept)
        self.kept.clear()
        self.update()
        self.status.value = f"Cleared {n} kept curve(s). " + self.status.value

    def _ipython_display_(self) -> None:
        display_widget(self.widget, self.figure,
                       "Scheduler explorer (schedule, epochs, initial lr, step size, gamma, ...)")
