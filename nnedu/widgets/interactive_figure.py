"""A figure that follows its controls: ``ipywidgets.interact`` for a function that returns a figure.

``ipywidgets.interact(f, p=slider)`` shows ``f``'s pyplot output inside an
Output widget: before the cell runs (a stored notebook opened fresh, the course
website) that cell shows only the widget's text representation
(``interactive(...)`` and the settings of its sliders) and no picture.
:class:`InteractiveFigure` takes a ``draw`` function that *returns* a
:class:`matplotlib.figure.Figure` instead, and shows, like every nnedu widget,

1. the controls (the live widgets; without a kernel, one line saying to run
   the cell), and
2. the latest drawing as an ordinary ``image/png`` output
   (:class:`~nnedu.widgets._render.LiveFigure`), stored with the notebook and
   replaced in place whenever a control changes.

Each drawing is rendered to PNG as the inline backend would render it, and
every pyplot figure the drawing opened is closed, so the figure is not shown a
second time at the end of the cell and no figures pile up while a student drags
a slider. An exception in ``draw`` raises when the cell runs (with its traceback);
after a control's change it replaces the picture by its message.
"""
from __future__ import annotations

import sys
from typing import Any, Callable

import ipywidgets as widgets
from matplotlib.figure import Figure

from nnedu.widgets._render import LiveFigure, display_widget, figure_to_png


def _pyplot_figures() -> set[int]:
    """Numbers of the open pyplot figures (none if pyplot was never imported: then there are none)."""
    plt = sys.modules.get("matplotlib.pyplot")
    return set(plt.get_fignums()) if plt is not None else set()


def _close_pyplot(numbers: set[int], fig: Any) -> None:
    """Close the pyplot figures ``numbers`` and ``fig`` (if pyplot manages it), so no cell shows them again."""
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is None:
        return
    for number in numbers:
        plt.close(number)
    if isinstance(fig, Figure):
        plt.close(fig)


class InteractiveFigure:
    """Controls and the figure ``draw(**values)`` returns for their values, redrawn on every change.

    Parameters
    ----------
    draw : callable
        ``draw(**values) -> matplotlib.figure.Figure``. It builds and *returns* the figure (with
        ``plt.subplots`` or an nnedu.plotting function) and does not call ``plt.show()`` or print:
        numbers worth reading belong in the figure's title or legend.
    description : str, optional
        What the figure shows, in a few words; the first line of ``draw``'s docstring by default.
        Shown where no kernel runs the controls: ``"<description>: run this cell to use the controls"``.
    **controls : ipywidgets.ValueWidget or ipywidgets.fixed
        One per argument of ``draw``: a widget (slider, dropdown, ...) whose ``value`` is passed, or
        ``widgets.fixed(value)`` for a constant, as in :func:`ipywidgets.interact`. A widget without a
        description gets the argument's name; sliders get ``continuous_update=False``, so that
        dragging draws once, when the slider is released.

    Attributes
    ----------
    controls : dict of str to ipywidgets.ValueWidget
        The live controls, by argument name (set ``.value`` to redraw from code).
    kwargs : dict
        The arguments of the latest drawing (constants included).
    png : bytes
        The latest picture; unchanged when a drawing fails.
    error : str or None
        ``"ExceptionType: message"`` when the drawing after the latest change raised (its message is
        shown instead of the picture), else None.
    figure : LiveFigure
        The image output (``figure.bundle`` is what the cell shows).
    widget : ipywidgets.VBox
        The controls as one widget (CSS class ``nnedu-interactive-figure``).

    Raises
    ------
    TypeError
        If a control is neither a widget nor ``widgets.fixed``.
    Exception
        Whatever the first drawing (for the initial values) raises, or TypeError if it returns no figure.

    Examples
    --------
    >>> import ipywidgets as widgets
    >>> from nnedu.plotting import plot_curves
    >>> def draw_powers(k, n):
    ...     '''x to the power k'''
    ...     return plot_curves({f"x^{k}": [x ** k for x in range(n)]}, "x", "y")
    >>> view = InteractiveFigure(draw_powers, k=widgets.IntSlider(value=2, min=1, max=4), n=widgets.fixed(10))
    >>> before = view.png
    >>> view.controls["k"].value = 3           # what a student's drag does: draws again
    >>> view.kwargs, view.png != before
    ({'k': 3, 'n': 10}, True)
    >>> view                                   # doctest: +SKIP
    """

    def __init__(self, draw: Callable[..., Figure], description: str | None = None, /,
                 **controls: widgets.ValueWidget | widgets.fixed) -> None:
        if not callable(draw):
            raise TypeError(f"InteractiveFigure: draw must be a function returning a matplotlib Figure, got {draw!r}")
        self.draw = draw
        self._name = name = getattr(draw, "__name__", "draw")
        doc = (getattr(draw, "__doc__", None) or "").strip()
        self.description = description or (doc.splitlines()[0].rstrip(".") if doc else name)
        self.fixed: dict[str, Any] = {}
        self.controls: dict[str, widgets.ValueWidget] = {}
        for arg, control in controls.items():
            if isinstance(control, widgets.fixed):
                self.fixed[arg] = control.value
            elif isinstance(control, widgets.ValueWidget):
                self.controls[arg] = control
            else:
                raise TypeError(f"InteractiveFigure: argument {arg!r} of {name} must be an ipywidgets control "
                                f"(e.g. widgets.FloatSlider(...)) or widgets.fixed(value), got {control!r}")
        for arg, control in self.controls.items():
            if not control.description:
                control.description = arg
            if hasattr(control, "continuous_update"):
                control.continuous_update = False
        self.kwargs: dict[str, Any] = {}
        self.png: bytes = b""
        self.error: str | None = None
        self.figure = LiveFigure(self.description)
        self.widget = widgets.VBox(list(self.controls.values()))
        self.widget.add_class("nnedu-interactive-figure")
        self.redraw()           # runs in the cell itself: an error raises here, with its traceback
        for control in self.controls.values():
            control.observe(self.update, names="value")

    def redraw(self) -> None:
        """Draw the figure for the controls' current values and show it; an exception in ``draw`` is raised."""
        self.kwargs = {arg: control.value for arg, control in self.controls.items()} | self.fixed
        opened_before = _pyplot_figures()
        fig = None
        try:
            fig = self.draw(**self.kwargs)
            if not isinstance(fig, Figure):
                raise TypeError(f"{self._name} must return a matplotlib Figure, got {type(fig).__name__} "
                                "(return the figure instead of calling plt.show())")
            self.png = figure_to_png(fig, dpi=fig.dpi, bbox_inches="tight")   # as the inline backend
        finally:
            _close_pyplot(_pyplot_figures() - opened_before, fig)
        self.error = None
        self.figure.show_png(self.png)

    def update(self, _change: Any = None) -> None:
        """The controls' callback: :meth:`redraw`, with an exception's message where the picture was.

        (An exception raised in a callback would go to the kernel's log, unseen by the student.)
        """
        try:
            self.redraw()
        except Exception as err:
            self.error = f"{type(err).__name__}: {err}"
            call = ", ".join(f"{arg}={value!r}" for arg, value in self.kwargs.items())
            self.figure.show_message(f"Could not draw {self.description}: {self.error}. "
                                     f"Run {self._name}({call}) in a cell to see where.")

    def _ipython_display_(self) -> None:
        names = ", ".join(self.controls) or "no controls"
        display_widget(self.widget, self.figure, f"{self.description} ({names})")
