"""Figures for the notebooks and the command line: training curves, confusion matrix, image and filter grids.

Every function takes an optional matplotlib ``ax`` (or ``axes``) to draw
into and returns the :class:`~matplotlib.figure.Figure`, so notebooks can
combine plots and scripts can ``fig.savefig(...)``.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np


def _plt():
    import matplotlib.pyplot as plt
    return plt


def _axes_grid(n: int, ncols: int, axes: Any, cell: float, extra_height: float = 0.0) -> np.ndarray:
    """Flat array of axes for ``n`` panels in rows of ``ncols`` (a new figure unless ``axes``), frames off."""
    ncols = max(1, min(ncols, n))
    nrows = max(1, -(-n // ncols))
    if axes is None:
        _, axes = _plt().subplots(nrows, ncols, figsize=(cell * ncols, cell * nrows + extra_height), squeeze=False)
    axes = np.asarray(axes).reshape(-1)
    for ax in axes:
        ax.axis("off")
    return axes


def _finish(fig: Any, title: str | None) -> Any:
    """Add the optional title, tighten the layout, return the figure."""
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_history(history: Any, axes: Sequence[Any] | None = None, label: str | None = None,
                 val_label: str = "validation", title: str | None = None) -> Any:
    """Loss and accuracy curves of a :class:`~nnedu.train.History`, side by side.

    Left: the loss of every mini-batch (thin line) and its moving average
    over a tenth of an epoch, the training loss per epoch (averaged over its
    batches) and the validation loss after each epoch. A dotted line marks
    the epoch whose weights :func:`~nnedu.train.fit` restored, if any.
    Right: training and validation accuracy per epoch, in percent.
    The x axis counts epochs from 0 (the start of training), with whole-epoch
    ticks; epoch ``e``'s averages are drawn at ``x = e``.

    Parameters
    ----------
    history : History
    axes : pair of matplotlib Axes, optional
        Draw into these (e.g. to overlay several runs); new figure otherwise.
    label : str, optional
        Prefix for the legend entries (to tell runs apart).
    val_label : str
        What the validation set is called in the legend (e.g. ``"test"``).
    title : str, optional
        Figure title.
    """
    plt = _plt()
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    ax_loss, ax_acc = axes
    fig = ax_loss.figure
    pre = f"{label} " if label else ""
    epochs = np.arange(1, history.epochs + 1)
    if history.step_loss and history.epochs:
        steps = len(history.step_loss) / history.epochs
        x = np.arange(1, len(history.step_loss) + 1) / steps
        raw = ax_loss.plot(x, history.step_loss, lw=0.5, alpha=0.25, label=f"{pre}batch loss")
        w = max(1, int(steps) // 10)  # moving average over a tenth of an epoch
        if len(history.step_loss) >= 2 * w > 2:
            smooth = np.convolve(history.step_loss, np.ones(w) / w, mode="valid")
            ax_loss.plot(x[w - 1:], smooth, lw=1.0, color=raw[0].get_color(),
                         label=f"{pre}batch loss, mean of {w}")
    lines = ax_loss.plot(epochs, history.train_loss, "o-", label=f"{pre}train loss")
    if history.val_loss:
        ax_loss.plot(epochs[:len(history.val_loss)], history.val_loss, "s--", color=lines[0].get_color(),
                     label=f"{pre}{val_label} loss")
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy loss", yscale="log")
    ax_loss.legend()
    lines = ax_acc.plot(epochs, 100 * np.asarray(history.train_acc), "o-", label=f"{pre}train")
    if history.val_acc:
        ax_acc.plot(epochs[:len(history.val_acc)], 100 * np.asarray(history.val_acc), "s--",
                    color=lines[0].get_color(), label=f"{pre}{val_label}")
    if getattr(history, "restored_best", False):
        ax_acc.axvline(history.best_epoch, color="grey", lw=0.8, ls=":", label=f"{pre}best (restored)")
    ax_acc.set(xlabel="epoch", ylabel="accuracy (%)")
    ax_acc.legend()
    from matplotlib.ticker import MaxNLocator
    for ax in axes:
        ax.grid(alpha=0.3)
        # the x axis runs from the start of training (0) to the last epoch, with whole-epoch ticks
        # (a single epoch would otherwise get an axis from 0.96 to 1.04)
        right = max(ax.get_xlim()[1], history.epochs * 1.05) if history.epochs else ax.get_xlim()[1]
        ax.set_xlim(0, right)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    return _finish(fig, title)


def plot_confusion_matrix(matrix: np.ndarray, class_names: Sequence[str] | None = None, ax: Any = None,
                          normalize: bool = False, title: str | None = None) -> Any:
    """Heat map of a confusion matrix (rows true class, columns predicted), counts written in the cells.

    Parameters
    ----------
    matrix : np.ndarray
        ``(C, C)`` counts from :func:`nnedu.metrics.confusion_matrix`.
    class_names : sequence of str, optional
        Tick labels (default ``0 .. C-1``).
    ax : matplotlib Axes, optional
    normalize : bool
        Colour by the fraction of each true class instead of raw counts.
    title : str, optional
    """
    plt = _plt()
    matrix = np.asarray(matrix)
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 5.5))
    c = matrix.shape[0]
    shown = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1) if normalize else matrix
    # square-root colour scale so that the few mistakes are visible beside the large diagonal
    colour = np.sqrt(shown)
    im = ax.imshow(colour, cmap="Blues")
    named = class_names is not None  # names are slanted, digits stand upright
    names = list(class_names) if named else [str(i) for i in range(c)]
    ax.set_xticks(range(c), names, rotation=45 if named else 0, ha="right" if named else "center")
    ax.set_yticks(range(c), names)
    ax.set(xlabel="predicted class", ylabel="true class", title=title or "Confusion matrix")
    top = colour.max() if colour.size else 1
    for i in range(c):
        for j in range(c):
            if matrix[i, j]:
                ax.text(j, i, f"{int(matrix[i, j])}", ha="center", va="center", fontsize=7,
                        color="white" if colour[i, j] > 0.6 * top else "black")
    ax.figure.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label=f"sqrt({'fraction' if normalize else 'count'})")
    return ax.figure


def plot_image_grid(images: np.ndarray, titles: Sequence[str] | None = None, ncols: int = 8,
                    cmap: str = "gray", axes: Any = None, figsize_per: float = 1.3,
                    title: str | None = None) -> Any:
    """Show images ``(N, H, W)`` or ``(N, 1, H, W)`` in a grid, each with an optional title.

    Used for digits (e.g. the most confidently wrong, titled ``"7 -> 1 (98%)"``)
    and feature maps.
    """
    images = np.asarray(images)
    if images.ndim == 4 and images.shape[1] == 1:
        images = images[:, 0]
    if images.ndim != 3:
        raise ValueError(f"plot_image_grid: expected images (N, H, W) or (N, 1, H, W), got {images.shape}")
    axes = _axes_grid(len(images), ncols, axes, figsize_per, extra_height=0.3 if titles is not None else 0.0)
    for k, (ax, image) in enumerate(zip(axes, images)):
        ax.imshow(image, cmap=cmap)
        if titles is not None:
            ax.set_title(titles[k], fontsize=8)
    return _finish(axes[0].figure, title)


def plot_filters(weight: np.ndarray, ncols: int = 8, cmap: str = "RdBu_r", axes: Any = None,
                 title: str | None = None) -> Any:
    """Show convolution filters ``(out, in, kh, kw)`` (all input channels of each, in a row) or ``(n, kh, kw)``.

    Each filter uses a colour scale symmetric around 0 (red positive, blue
    negative), so excitatory and inhibitory weights are told apart. For a
    first Linear layer, pass ``weight.T.reshape(-1, 28, 28)`` to see each
    hidden unit's weights as an image.
    """
    w = np.asarray(weight)
    if w.ndim == 4:
        out_c, in_c = w.shape[:2]
        if in_c == 1:
            w, ncols = w[:, 0], min(ncols, out_c)
        else:
            w, ncols = w.reshape(out_c * in_c, *w.shape[2:]), in_c
    if w.ndim != 3:
        raise ValueError(f"plot_filters: expected weights (out, in, kh, kw) or (n, kh, kw), got {np.shape(weight)}")
    axes = _axes_grid(len(w), ncols, axes, 1.1)
    for ax, filt in zip(axes, w):
        lim = float(np.abs(filt).max()) or 1.0
        ax.imshow(filt, cmap=cmap, vmin=-lim, vmax=lim)
    return _finish(axes[0].figure, title)


#: Okabe-Ito colours (distinguishable with the common colour-vision deficiencies), with a line style and a
#: marker for each, so that curves differ in more than colour.
CURVE_STYLES = [
    {"color": "#0072B2", "linestyle": "-", "marker": "o"},
    {"color": "#D55E00", "linestyle": "--", "marker": "s"},
    {"color": "#009E73", "linestyle": ":", "marker": "^"},
    {"color": "#CC79A7", "linestyle": "-.", "marker": "D"},
    {"color": "#E69F00", "linestyle": (0, (5, 1, 1, 1)), "marker": "v"},
    {"color": "#56B4E9", "linestyle": (0, (1, 1)), "marker": "x"},
    {"color": "#000000", "linestyle": (0, (3, 1, 1, 1, 1, 1)), "marker": "P"},
]


def plot_curves(curves: dict[str, Sequence[float]], xlabel: str, ylabel: str, ax: Any = None,
                logy: bool = False, x: Sequence[float] | None = None, title: str | None = None) -> Any:
    """Several named curves on one axis, each with its own colour, line style and marker.

    Parameters
    ----------
    curves : dict
        ``{label: values}``; values of one curve against ``x`` (default ``1, 2, ...``).
    xlabel, ylabel : str
        Axis labels.
    ax : matplotlib Axes, optional
    logy : bool
        Logarithmic y axis (for spreads that vanish or explode).
    x : sequence, optional
        Common x values; default ``1 .. len(values)`` for each curve.
    title : str, optional
    """
    plt = _plt()
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 4))
    integer_x = True
    for i, (label, values) in enumerate(curves.items()):
        xs = list(x) if x is not None else list(range(1, len(values) + 1))
        integer_x = integer_x and all(float(v).is_integer() for v in xs)
        ax.plot(xs, values, label=label, markersize=4, **CURVE_STYLES[i % len(CURVE_STYLES)])
    if integer_x:                                   # epochs, layers: no tick at 2.5
        from matplotlib.ticker import MaxNLocator
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if logy:
        ax.set_yscale("log")
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9)
    return ax.figure
