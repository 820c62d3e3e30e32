"""Shared drawing helpers for the widgets: matplotlib figures rendered to PNG.

The widgets never touch pyplot's global state: each draw builds a
:class:`matplotlib.figure.Figure`, renders it with the Agg canvas to PNG bytes
and shows those bytes in an :class:`ipywidgets.Output`. That works the same in
JupyterLab, in classic Notebook, under ``nbconvert`` and in headless tests,
whatever matplotlib backend is active, and leaves no open figures behind.
"""
from __future__ import annotations

import html
import io

import ipywidgets as widgets
from IPython.display import HTML, Image, display
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

#: Line colours for runs drawn side by side (matplotlib's tab10, in a fixed order).
COLORS: tuple[str, ...] = ("#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
                           "#17becf", "#7f7f7f", "#bcbd22")


def new_figure(width: float, height: float) -> Figure:
    """A pyplot-free figure with an Agg canvas attached."""
    fig = Figure(figsize=(width, height), dpi=80, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def figure_to_png(fig: Figure, dpi: int = 80) -> bytes:
    """Render ``fig`` to PNG bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def show_png(output: widgets.Output, png: bytes) -> None:
    """Replace what ``output`` shows by the image ``png`` (no flicker: ``wait=True``)."""
    with output:
        output.clear_output(wait=True)
        display(Image(data=png, format="png"))


def show_message(output: widgets.Output, text: str) -> None:
    """Replace what ``output`` shows by a short HTML message (used for errors in callbacks)."""
    with output:
        output.clear_output(wait=True)
        display(HTML(f"<p style='color:#b00020'>{html.escape(text)}</p>"))
