"""Shared drawing helpers for the widgets: matplotlib figures rendered to PNG, shown as ordinary outputs.

The widgets never touch pyplot's global state: each draw builds a
:class:`matplotlib.figure.Figure` and renders it with the Agg canvas to PNG
bytes, whatever matplotlib backend is active, leaving no open figures behind.

The picture is **not** inside the widget. A widget cell shows two outputs:

1. the controls (sliders, buttons: the live widget). Where no kernel runs
   them (a stored notebook opened fresh, a static web page) they fall back to
   one line of text saying to run the cell, never ``VBox(children=...)``;
2. the figure, an ordinary ``image/png`` output (:class:`LiveFigure`). It is
   stored in the notebook like any plot, so it shows before the cell runs, on
   GitHub and on the course website; while the kernel runs, every redraw
   replaces it in place (``update_display`` with the same ``display_id``).
"""
from __future__ import annotations

import base64
import html
import io
import uuid
from typing import Any

import ipywidgets as widgets
from IPython.display import display, update_display
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

#: Line colours for runs drawn side by side (matplotlib's tab10, in a fixed order).
COLORS: tuple[str, ...] = ("#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
                           "#17becf", "#7f7f7f", "#bcbd22")

#: Font size of the legends in widget figures, in points (the course's minimum for readable figures).
LEGEND_FONTSIZE = 9
#: Widget figures are rendered at 100 dpi, so a point of text is 1.4 pixels (9 pt: 12.5 px) and an
#: 8-inch figure is 800 pixels wide, the width of a notebook's output area.
DPI = 100


def new_figure(width: float, height: float) -> Figure:
    """A pyplot-free figure with an Agg canvas attached (``width`` x ``height`` inches at :data:`DPI`)."""
    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def figure_to_png(fig: Figure, dpi: float = DPI, bbox_inches: str | None = None) -> bytes:
    """Render ``fig`` to PNG bytes (``bbox_inches="tight"`` crops to the drawing, as the inline backend does)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches=bbox_inches)
    return buf.getvalue()


class LiveFigure:
    """One notebook output that shows the latest picture (or message) and is replaced in place by the next.

    ``show_png`` / ``show_message`` record what to show; once :meth:`display`
    has put the output into a cell, they also update it there (in every cell
    that displayed it).
    """

    def __init__(self, description: str) -> None:
        self.display_id = f"nnedu-{uuid.uuid4().hex}"
        self.description = description
        self.bundle: dict[str, Any] = {"text/plain": description}
        self.displayed = False

    def show_png(self, png: bytes) -> None:
        """Show the PNG image ``png``."""
        self._set({"image/png": base64.b64encode(png).decode("ascii"), "text/plain": f"<{self.description}>"})

    def show_message(self, text: str) -> None:
        """Show a short message instead of the picture (used for errors in callbacks)."""
        self._set({"text/html": f"<p style='color:#b00020'>{html.escape(text)}</p>", "text/plain": text})

    def _set(self, bundle: dict[str, Any]) -> None:
        self.bundle = bundle
        if self.displayed:
            update_display(bundle, raw=True, display_id=self.display_id)

    def display(self) -> None:
        """Put the figure into the current cell's output (later changes replace it in place)."""
        display(self.bundle, raw=True, display_id=self.display_id)
        self.displayed = True


def display_widget(widget: widgets.Widget, figure: LiveFigure, what: str) -> None:
    """Display a widget cell's two outputs: the live ``widget``, then ``figure``.

    Where no kernel runs the controls (a stored notebook opened fresh, a static
    page), the controls' text fallback is one line, ``"<what>: run this cell to
    use the controls. The figure below is from the stored run."``, never the
    widget's repr; ``what`` names the widget and its controls.
    """
    bundle = widget._repr_mimebundle_()
    bundle["text/plain"] = f"{what}: run this cell to use the controls. The figure below is from the stored run."
    display(bundle, raw=True)
    figure.display()


def busy(button: widgets.Button, description: str) -> Any:
    """Context manager: the button is disabled and says ``description`` while the block runs."""
    return _Busy(button, description)


class _Busy:
    def __init__(self, button: widgets.Button, description: str) -> None:
        self.button, self.description = button, description

    def __enter__(self) -> None:
        self.saved = self.button.description
        self.button.disabled = True
        self.button.description = self.description

    def __exit__(self, *exc: Any) -> None:
        self.button.description = self.saved
        self.button.disabled = False
