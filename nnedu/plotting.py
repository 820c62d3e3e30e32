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
                ax.text(j, i, f"{int(matrix[i, j])}", ha="center", va="center", fontsize=9,
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
            ax.set_title(titles[k], fontsize=9)
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


#: Okabe-Ito colours (distinguishable with the common colour-vision deficiencies), and one marker per class.
OKABE_ITO = ("#E69F00", "#0072B2", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
CLASS_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


#: Hatching of the decision regions of classes 0, 1, ...: a region is told by its pattern, not only its tint.
REGION_HATCHES = ("", "//", "..", "\\\\", "xx", "--", "||", "++")


def plot_decision_regions(ax: Any, xx: np.ndarray, yy: np.ndarray, regions: np.ndarray, X: np.ndarray,
                          y: np.ndarray, class_names: Sequence[str] | None = None, legend: bool = True,
                          markersize: float = 12) -> Any:
    """The predicted class of every point of a 2-D grid as pale regions, the data on top, one marker per class.

    The meaning never rests on colour alone: each class has its own marker (circle, square,
    triangle, ...) and a legend; the regions use light tints of the same colour-blind-safe
    colours (:data:`OKABE_ITO`), each with its own grey hatching (:data:`REGION_HATCHES`; class 0
    plain), and the class boundaries are drawn as black lines. A point on the wrong side of a
    boundary is a marker sitting in another class's region.

    Parameters
    ----------
    ax : matplotlib Axes
    xx, yy : np.ndarray
        ``(H, W)`` grid coordinates, e.g. from ``np.meshgrid``.
    regions : np.ndarray
        ``(H, W)`` integer predicted class at each grid point.
    X : np.ndarray
        ``(N, 2)`` data points.
    y : np.ndarray
        ``(N,)`` integer labels, ``0 .. C-1`` with ``C <= 8``.
    class_names : sequence of str, optional
        Legend labels (default ``"class 0"``, ...).
    legend : bool
        Draw the legend (turn off for all but one panel of a grid).
    markersize : float
        Marker area, as in ``scatter``.
    """
    import matplotlib as mpl
    from matplotlib.colors import ListedColormap, to_rgb
    from matplotlib.legend_handler import HandlerTuple
    from matplotlib.patches import Patch

    y = np.asarray(y)
    C = int(max(y.max(), np.max(regions))) + 1
    if C > len(OKABE_ITO):
        raise ValueError(f"plot_decision_regions: at most {len(OKABE_ITO)} classes, got {C}")
    tints = [tuple(0.72 + 0.28 * np.array(to_rgb(c))) for c in OKABE_ITO[:C]]     # pale versions
    with mpl.rc_context({"hatch.color": "0.6"}):
        ax.contourf(xx, yy, regions, levels=np.arange(C + 1) - 0.5, cmap=ListedColormap(tints),
                    hatches=list(REGION_HATCHES[:C]))
    for k in np.unique(regions):                      # the edge of each class's region: the boundaries
        ax.contour(xx, yy, (regions == k).astype(float), levels=[0.5], colors="k", linewidths=0.8)
    names = list(class_names) if class_names is not None else [f"class {k}" for k in range(C)]
    handles = []
    for k in range(C):
        points = ax.scatter(*np.asarray(X)[y == k].T, s=markersize, marker=CLASS_MARKERS[k],
                            color=OKABE_ITO[k], edgecolors="k", linewidths=0.4, label=names[k])
        handles.append((Patch(facecolor=tints[k], edgecolor="0.6", hatch=REGION_HATCHES[k], lw=0), points))
    if legend:                                        # each entry: the region's hatching, the class's marker
        ax.legend(handles, names, handler_map={tuple: HandlerTuple(ndivide=None)}, fontsize=9,
                  loc="upper right", framealpha=0.9)
    ax.set_aspect("equal")


def plot_maps(maps: np.ndarray | Sequence[np.ndarray], titles: Sequence[str] | None = None, ncols: int = 8,
              cmap: str = "viridis", symmetric: bool = False, label: str = "value", axes: Any = None,
              cell: float = 1.3, title: str | None = None, row_labels: Sequence[str] | None = None,
              col_labels: Sequence[str] | None = None, vmin: float | None = None, vmax: float | None = None) -> Any:
    """Show 2-D maps ``(n, H, W)`` (feature maps, filters) on ONE shared colour scale, with a colour bar.

    Sharing the scale makes the panels comparable (a pale map is a weak response, not a
    rescaled strong one), and the colour bar says what the colours mean.

    Parameters
    ----------
    maps : np.ndarray or sequence of np.ndarray
        ``(n, H, W)``; ``(n, 1, H, W)`` is accepted too, and so is a list of 2-D maps of different
        sizes (an image and its pooled versions: each fills a panel of the same size).
    titles : sequence of str, optional
        One per map.
    ncols : int
        Panels per row.
    cmap : str
        A perceptually uniform map ("viridis", "cividis") for activations; a diverging one
        ("RdBu_r") with ``symmetric=True`` for signed values such as filter weights.
    symmetric : bool
        Scale from ``-max|v|`` to ``+max|v|`` (0 in the middle of the colour map), else from min to max.
    label : str
        The colour bar's label.
    axes : array of Axes, optional
        Draw into these (at least ``n``); by default a new figure.
    cell : float
        Size of one panel in inches; a single row is drawn at least 1.5 inches high, so that its colour
        bar stays readable.
    title : str, optional
        Figure title.
    row_labels, col_labels : sequence of str, optional
        Labels left of each row and above each column of the grid (e.g. "filter f", "input map c").
    vmin, vmax : float, optional
        The ends of the colour scale, e.g. 0 and 1 for pixel values (default: from the maps, as above).
    """
    if isinstance(maps, (list, tuple)) and maps and all(np.ndim(a) == 2 for a in maps):
        m = [np.asarray(a, dtype=np.float64) for a in maps]
    else:
        m = np.asarray(maps, dtype=np.float64)
        if m.ndim == 4 and m.shape[1] == 1:
            m = m[:, 0]
        if m.ndim != 3 or len(m) == 0:
            raise ValueError(f"plot_maps: expected maps of shape (n, H, W) with n >= 1, or a list of 2-D maps, "
                             f"got {np.shape(maps) if isinstance(maps, np.ndarray) else type(maps).__name__}")
    low, high = min(float(a.min()) for a in m), max(float(a.max()) for a in m)
    if symmetric:
        high = max(abs(low), abs(high)) or 1.0
        low = -high
    high = high if high > low else low + 1.0
    vmin = low if vmin is None else vmin
    vmax = high if vmax is None else vmax
    ncols = max(1, min(ncols, len(m)))
    nrows = -(-len(m) // ncols)
    if nrows == 1:
        cell = max(cell, 1.5)
    has_titles = titles is not None or col_labels is not None
    axes = _axes_grid(len(m), ncols, axes, cell, extra_height=0.3 if has_titles else 0.0)
    for k, (ax, a) in enumerate(zip(axes, m)):
        image = ax.imshow(a, cmap=cmap, vmin=vmin, vmax=vmax)
        if titles is not None:
            ax.set_title(titles[k], fontsize=9)
        elif col_labels is not None and k < ncols:
            ax.set_title(col_labels[k], fontsize=9)
        if row_labels is not None and k % ncols == 0:
            ax.text(-0.08, 0.5, row_labels[k // ncols], transform=ax.transAxes, ha="right", va="center",
                    fontsize=9)
    fig = axes[0].figure
    fig = _finish(fig, title)
    # a bar about as long as the grid is high, and thick enough to read on a single row
    fig.colorbar(image, ax=list(axes), shrink=0.9 if nrows > 1 else 1.0, aspect=max(8, 10 * nrows),
                 fraction=0.05, pad=0.02, label=label)
    return fig


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
                logy: bool = False, x: Sequence[float] | None = None, title: str | None = None,
                legend: bool = True, markers: int | None = None) -> Any:
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
    legend : bool
        Draw the legend (9 pt); False for all but one of several panels showing the same curves.
    markers : int, optional
        About this many markers per curve, for long curves (default: a marker on every point).
    """
    plt = _plt()
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 4))
    integer_x = True
    for i, (label, values) in enumerate(curves.items()):
        xs = list(x) if x is not None else list(range(1, len(values) + 1))
        integer_x = integer_x and all(float(v).is_integer() for v in xs)
        every = max(1, len(xs) // markers) if markers else None
        ax.plot(xs, values, label=label, markersize=4, markevery=every, **CURVE_STYLES[i % len(CURVE_STYLES)])
    if integer_x:                                   # epochs, layers: no tick at 2.5
        from matplotlib.ticker import MaxNLocator
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if logy:
        ax.set_yscale("log")
        values = np.concatenate([np.ravel(np.asarray(v, dtype=float)) for v in curves.values()])
        values = values[np.isfinite(values) & (values > 0)]
        if values.size and values.max() < 10 * values.min():     # within one decade: 1.5, not 1.5x10^0
            from matplotlib.ticker import FuncFormatter
            plain = FuncFormatter(lambda v, _: f"{v:g}")
            ax.yaxis.set_major_formatter(plain)
            ax.yaxis.set_minor_formatter(plain)
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    ax.grid(alpha=0.3)
    if legend:
        ax.legend(fontsize=9)
    return ax.figure
#: (line style, colour) pairs of :data:`CURVE_STYLES` that tell highlighted edges or windows apart without colour.
_STYLES = tuple((style["linestyle"], style["color"]) for style in CURVE_STYLES[:4])


def plot_computational_graph(nodes: dict[str, tuple[float, float, str]], edges: Sequence[tuple[str, str]],
                             paths: dict[tuple[str, str], str] | None = None, ax: Any = None,
                             title: str | None = None, highlight: Sequence[str] = ()) -> Any:
    """Draw a small computational graph: labelled boxes joined by arrows (forward direction).

    Parameters
    ----------
    nodes : dict
        ``name -> (x, y, label)``: the box's centre and its (LaTeX) text.
    edges : sequence of (str, str)
        Arrows ``(from, to)``.
    paths : dict, optional
        ``(from, to) -> description`` for edges to tell apart, e.g. the paths along which an input
        reaches the output. Each gets its own line style *and* colour, a letter (a, b, c, ...; nodes are
        often numbered) at the arrow's middle and a legend entry, so the figure reads without colour.
    ax : matplotlib Axes, optional
        Where to draw (a new figure otherwise).
    title : str, optional
    highlight : sequence of str
        Nodes drawn in a second box colour (e.g. the input and the output).

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.lines import Line2D

    plt = _plt()
    if ax is None:
        _, ax = plt.subplots(figsize=(12, 3.6))
    paths = dict(paths or {})
    style = {edge: _STYLES[i % len(_STYLES)] for i, edge in enumerate(paths)}
    boxes = {name: ax.text(x, y, label, ha="center", va="center", fontsize=10, zorder=3,
                           bbox=dict(boxstyle="round,pad=0.4", fc="#fde9c9" if name in highlight else "#eef3fb",
                                     ec="0.5"))
             for name, (x, y, label) in nodes.items()}
    for a, b in edges:                      # arrows clipped at the boxes' outlines, whatever their size
        (x0, y0, _), (x1, y1, _) = nodes[a], nodes[b]
        ls, colour = style.get((a, b), ("-", "0.45"))
        ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                    arrowprops=dict(arrowstyle="-|>", lw=2.4 if (a, b) in style else 1.4, color=colour,
                                    linestyle=ls, patchA=boxes[a].get_bbox_patch(),
                                    patchB=boxes[b].get_bbox_patch(), shrinkA=2, shrinkB=2, mutation_scale=14))
    letters = "abcdefghijklmnopqrstuvwxyz"
    for i, (a, b) in enumerate(paths):
        (x0, y0, _), (x1, y1, _) = nodes[a], nodes[b]
        ax.text((x0 + x1) / 2, (y0 + y1) / 2, letters[i % 26], ha="center", va="center", fontsize=9, zorder=4,
                bbox=dict(boxstyle="circle,pad=0.2", fc="white", ec=style[(a, b)][1]))
    if paths:
        handles = [Line2D([], [], ls=style[e][0], color=style[e][1], lw=2.4, label=f"{letters[i % 26]}: {text}")
                   for i, (e, text) in enumerate(paths.items())]
        ax.legend(handles=handles, loc="lower left", fontsize=9, frameon=False)
    xs = [x for x, _, _ in nodes.values()]
    ys = [y for _, y, _ in nodes.values()]
    ax.set_xlim(min(xs) - 0.8, max(xs) + 1.0)
    ax.set_ylim(min(ys) - 1.4, max(ys) + 0.6)
    ax.axis("off")
    if title:
        ax.set_title(title)
    return ax.figure


def plot_pool_windows(values: np.ndarray, ax: Any = None, windows: Sequence[tuple[int, int]] = (), k: int = 2,
                      tie: Sequence[tuple[int, int]] = (), fmt: str = "{:.0f}", cmap: str = "Blues",
                      title: str | None = None, colorbar_label: str = "value") -> Any:
    """Show a small 2-D array cell by cell (values written in), with pooling windows outlined.

    Parameters
    ----------
    values : np.ndarray
        ``(H, W)``.
    ax : matplotlib Axes, optional
    windows : sequence of (int, int)
        Top-left corners of ``k x k`` windows to outline; each gets its own line style and a number.
    k : int
        Window size.
    tie : sequence of (int, int)
        Windows (top-left corners) that hold a tie: outlined thicker, hatched and labelled "tie".
    fmt : str
        Format of the numbers written in the cells.
    cmap : str
        Colour map of the cells (a colour bar is drawn with ``colorbar_label``).
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.patches import Rectangle

    plt = _plt()
    if ax is None:
        _, ax = plt.subplots(figsize=(3.5, 3.5))
    values = np.asarray(values, dtype=float)
    low, high = min(0.0, float(values.min())), float(values.max())
    high = high if high > low else low + 1.0
    im = ax.imshow(values, cmap=cmap, vmin=low, vmax=high)
    for (r, c), v in np.ndenumerate(values):           # white text on the darker cells
        ax.text(c, r, fmt.format(v), ha="center", va="center", fontsize=11,
                color="white" if (v - low) / (high - low) > 0.6 else "black")
    for i, (r, c) in enumerate(windows):
        ls, colour = _STYLES[i % len(_STYLES)]
        is_tie = (r, c) in set(map(tuple, tie))
        ax.add_patch(Rectangle((c - 0.45, r - 0.45), k - 0.1, k - 0.1, fill=False, ls=ls, ec=colour,
                               lw=4.0 if is_tie else 2.2, hatch="//" if is_tie else None))
        ax.text(c - 0.42, r - 0.42, f"{i + 1}: tie" if is_tie else str(i + 1), ha="left", va="top", fontsize=9,
                color=colour, fontweight="bold", bbox=dict(boxstyle="square,pad=0.1", fc="white", ec="none"))
    ax.figure.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label=colorbar_label)
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=10)
    return ax.figure
