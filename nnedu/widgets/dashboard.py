r"""Training dashboard: train a small MLP on MNIST digits with the lr and momentum from sliders.

Press "train": :func:`train_run` trains a fresh ``784-hidden-10`` MLP with
SGD (learning rate :math:`\eta`, momentum :math:`\mu`) on a stratified subset
of the MNIST training images and evaluates it after every epoch on held-out
training images (the last 10,000, the classic validation split: the test set
stays untouched). The loss and the accuracy are drawn live while it trains,
and every earlier run stays on the plot, so the student can see what a
10 times larger learning rate, or no momentum, does.

:func:`train_run` is a plain function; :class:`TrainingDashboard` wires it to
widgets and keeps the runs.
"""
from __future__ import annotations

import functools
import html
import time
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from nnedu.data import DataLoader, load_mnist, stratified_subset
from nnedu.models import MLP
from nnedu.nn import CrossEntropyLoss
from nnedu.optim import SGD
from nnedu.train import History, TrainingDivergedError, fit
from nnedu.widgets._render import (COLORS, LEGEND_FONTSIZE, LiveFigure, busy, display_widget, figure_to_png,
                                   new_figure)

#: The first 50,000 training images are for training, the last 10,000 for validation.
VALIDATION_START = 50_000

#: Clicks handled less than this many seconds after a run ended were made while it ran (the kernel
#: queues them until the callback returns) and are ignored: a double-click trains once.
CLICK_GUARD_SECONDS = 0.5


@functools.lru_cache(maxsize=None)
def _mnist_train() -> tuple[np.ndarray, np.ndarray]:
    return load_mnist("train", normalize=True)


@functools.lru_cache(maxsize=8)
def dashboard_data(n_train: int, n_val: int, seed: int = 0) -> tuple[tuple[np.ndarray, np.ndarray],
                                                                      tuple[np.ndarray, np.ndarray]]:
    """Stratified training and validation subsets of MNIST's training split (disjoint).

    Returns
    -------
    ((x_train, y_train), (x_val, y_val))
        float32 images ``(n, 1, 28, 28)`` in [0, 1] and int64 labels.
    """
    x, y = _mnist_train()
    train = stratified_subset(x[:VALIDATION_START], y[:VALIDATION_START], n_train, seed=seed)
    val = stratified_subset(x[VALIDATION_START:], y[VALIDATION_START:], n_val, seed=seed)
    return train, val


@dataclass
class DashboardRun:
    """One run: its settings, its History and, if the loss blew up, the message saying so."""

    lr: float
    momentum: float
    hidden: int
    epochs: int
    history: History
    diverged: str | None = None

    @property
    def label(self) -> str:
        return f"lr={self.lr:.3g}, μ={self.momentum:.2f}, hidden={self.hidden}"

    @property
    def final_val_acc(self) -> float | None:
        return self.history.val_acc[-1] if self.history.val_acc else None


def train_run(lr: float, momentum: float = 0.9, epochs: int = 3, hidden: int = 64, n_train: int = 3000,
              n_val: int = 1000, batch_size: int = 64, seed: int = 0,
              on_step: Callable[[History], Any] | None = None,
              on_epoch_end: Callable[[History], Any] | None = None) -> DashboardRun:
    """Train a fresh ``784-hidden-10`` ReLU MLP with SGD + momentum on an MNIST subset.

    Parameters
    ----------
    lr : float
        Learning rate :math:`\\eta`.
    momentum : float
        Momentum :math:`\\mu` (0 gives plain SGD).
    epochs, hidden, n_train, n_val, batch_size : int
        Run length, hidden width, subset sizes and mini-batch size.
    seed : int
        Seeds the weights, the subsets and the batch order: the same settings
        give the same run.
    on_step, on_epoch_end : callable, optional
        Passed to :func:`nnedu.train.fit` (the dashboard draws from them).

    Returns
    -------
    DashboardRun
        With the :class:`~nnedu.train.History`. A loss that becomes NaN or
        infinite does not raise: the run keeps the history up to that point and
        ``diverged`` holds the explanation.
    """
    (xt, yt), (xv, yv) = dashboard_data(n_train, n_val, seed)
    model = MLP(sizes=(784, hidden, 10), rng=seed)
    optimizer = SGD(model.parameters(), lr=lr, momentum=momentum)
    loader = DataLoader(xt, yt, batch_size=batch_size, shuffle=True, seed=seed)
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            history = fit(model, CrossEntropyLoss(), optimizer, loader, epochs, val_loader=(xv, yv),
                          progress=False, restore_best=False, on_step=on_step, on_epoch_end=on_epoch_end)
    except TrainingDivergedError as err:
        return DashboardRun(lr, momentum, hidden, epochs, err.history, diverged=str(err).split("\n")[0])
    return DashboardRun(lr, momentum, hidden, epochs, history)


def _smooth(values: Sequence[float], window: int = 10) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64)
    if len(v) < window:
        return v
    c = np.cumsum(np.insert(v, 0, 0.0))
    head = c[1:window] / np.arange(1, window)
    return np.concatenate([head, (c[window:] - c[:-window]) / window])


def draw_dashboard(runs: Sequence[DashboardRun], live: History | None = None, live_label: str = "") -> Figure:
    """Loss per step (smoothed) and validation accuracy per epoch for every run; returns the Figure."""
    fig = new_figure(8.0, 3.2)
    ax_loss, ax_acc = fig.subplots(1, 2)
    entries = [(r.history, r.label + (" (diverged)" if r.diverged else "")) for r in runs]
    if live is not None:
        entries.append((live, live_label + " (training…)"))
    for i, (h, label) in enumerate(entries):
        color = COLORS[i % len(COLORS)]
        if h.step_loss:
            ax_loss.plot(np.arange(1, len(h.step_loss) + 1), _smooth(h.step_loss), color=color, lw=1.3,
                         label=label)
        if h.val_acc:
            ax_acc.plot(np.arange(1, len(h.val_acc) + 1), np.asarray(h.val_acc) * 100, "-o", color=color,
                        ms=4, label=label)
    ax_loss.set_xlabel("step (mini-batch)")
    ax_loss.set_ylabel("training loss (running mean of 10)")
    ax_loss.set_yscale("log")
    ax_loss.grid(alpha=0.3)
    ax_acc.set_xlabel("epoch")
    ax_acc.set_ylabel("validation accuracy (%)")
    ax_acc.grid(alpha=0.3)
    if any(h.val_acc for h, _ in entries):
        ax_acc.legend(fontsize=LEGEND_FONTSIZE, loc="lower right")
    elif entries:
        ax_loss.legend(fontsize=LEGEND_FONTSIZE, loc="upper right")
    ax_acc.xaxis.get_major_locator().set_params(integer=True)
    return fig


class TrainingDashboard:
    """Sliders for lr and momentum, a train button, and live curves of every run so far.

    Controls and results are attributes: ``lr``, ``momentum``, ``epochs``,
    ``hidden``, ``train_button``, ``clear_button``; ``runs`` (a list of
    :class:`DashboardRun`) and ``png`` (the picture shown). ``train()`` does
    what the button does, so a test or a notebook cell can start a run.

    Clicks on the buttons while a run is in progress are ignored (also those
    that the kernel delivers only after the run: see :data:`CLICK_GUARD_SECONDS`),
    so a double-click trains once; the train button says "training…" meanwhile.

    Parameters
    ----------
    n_train, n_val : int
        Subset sizes (the notebook passes smaller ones in quick mode).
    batch_size, seed : int
        As in :func:`train_run`.
    redraw_seconds : float
        Redraw the live plot at most this often while training.
    click_guard_seconds : float
        Clicks handled this soon after a run ended are ignored (default :data:`CLICK_GUARD_SECONDS`).
    """

    def __init__(self, n_train: int = 3000, n_val: int = 1000, batch_size: int = 64, seed: int = 0,
                 lr: float = 0.05, momentum: float = 0.9, epochs: int = 3, hidden: int = 64,
                 redraw_seconds: float = 0.5, click_guard_seconds: float = CLICK_GUARD_SECONDS) -> None:
        self.n_train, self.n_val, self.batch_size, self.seed = n_train, n_val, batch_size, seed
        self.redraw_seconds, self.click_guard_seconds = redraw_seconds, click_guard_seconds
        style = {"description_width": "100px"}

        def slider() -> dict[str, Any]:  # a Layout per widget: a shared one would hide them all together
            return dict(continuous_update=False, style=style, layout=widgets.Layout(width="360px"))

        self.lr = widgets.FloatLogSlider(value=lr, base=10, min=-3, max=0.5, step=0.05, description="learning rate",
                                         readout_format=".3g", **slider())
        self.momentum = widgets.FloatSlider(value=momentum, min=0.0, max=0.99, step=0.01, description="momentum",
                                            **slider())
        self.epochs = widgets.IntSlider(value=epochs, min=1, max=10, description="epochs", **slider())
        self.hidden = widgets.Dropdown(options=[16, 32, 64, 128, 256], value=hidden, description="hidden units",
                                       style=style)
        self.train_button = widgets.Button(description="train", icon="play", button_style="primary")
        self.clear_button = widgets.Button(description="clear runs", icon="trash")
        self.status = widgets.HTML(value=f"Press <b>train</b> to train on {n_train:,} digits "
                                         f"(validation: {n_val:,} held-out digits).")
        self.figure = LiveFigure("training dashboard: loss per step and validation accuracy per epoch")
        self.runs: list[DashboardRun] = []
        self.png: bytes = b""
        self.running = False
        self.ignored_clicks = 0
        self._ended = -float("inf")
        self.train_button.on_click(lambda _: self._click(self.train))
        self.clear_button.on_click(lambda _: self._click(self.clear))
        self.widget = widgets.VBox([
            widgets.HBox([widgets.VBox([self.lr, self.momentum, self.epochs]),
                          widgets.VBox([self.hidden, widgets.HBox([self.train_button, self.clear_button])])]),
            self.status,
        ])
        self.widget.add_class("nnedu-dashboard")
        self._draw()

    def _draw(self, live: History | None = None, live_label: str = "") -> None:
        self.png = figure_to_png(draw_dashboard(self.runs, live, live_label))
        self.figure.show_png(self.png)

    def _click(self, action: Callable[[], Any]) -> None:
        """A button's callback: ``action()``, unless the click was made while a run was in progress."""
        if self.running or time.monotonic() - self._ended < self.click_guard_seconds:
            self.ignored_clicks += 1
            return
        action()

    def train(self, _: Any = None) -> DashboardRun:
        """Train one run with the current slider values, drawing live; returns it (also kept in ``runs``)."""
        lr, mu, epochs, hidden = float(self.lr.value), float(self.momentum.value), int(self.epochs.value), \
            int(self.hidden.value)
        label = f"lr={lr:.3g}, μ={mu:.2f}, hidden={hidden}"
        last = [time.monotonic()]

        def on_step(h: History) -> None:
            if time.monotonic() - last[0] >= self.redraw_seconds:
                self._draw(h, label)
                last[0] = time.monotonic()

        def on_epoch_end(h: History) -> None:
            self.status.value = (f"training {label}: epoch {h.epochs}/{epochs}, validation accuracy "
                                 f"{h.val_acc[-1]:.2%}")
            self._draw(h, label)
            last[0] = time.monotonic()

        self.status.value = f"training {label} …"
        self.running = True
        try:
            with busy(self.train_button, "training…"), busy(self.clear_button, self.clear_button.description):
                run = train_run(lr, mu, epochs, hidden, self.n_train, self.n_val, self.batch_size, self.seed,
                                on_step=on_step, on_epoch_end=on_epoch_end)
        finally:
            self.running = False
            self._ended = time.monotonic()
        self.runs.append(run)
        if run.diverged:
            self.status.value = f"<b>{label} diverged</b>: {html.escape(run.diverged)}"
        else:
            self.status.value = f"{label}: validation accuracy {run.final_val_acc:.2%} after {epochs} epoch(s)"
        self._draw()
        return run

    def clear(self, _: Any = None) -> None:
        """Forget all runs (the status line says how many)."""
        n = len(self.runs)
        self.runs.clear()
        self._draw()
        self.status.value = f"Cleared {n} run(s). Press <b>train</b> to start again."

    def _ipython_display_(self) -> None:
        display_widget(self.widget, self.figure,
                       "Training dashboard (learning rate, momentum, epochs, hidden units, train)")
