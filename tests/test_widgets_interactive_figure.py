"""InteractiveFigure: a notebook's draw function with sliders, shown as a stored picture plus live controls."""
from __future__ import annotations

import base64
import doctest
import struct

import ipywidgets as widgets
import matplotlib.pyplot as plt
import pytest

from nnedu.plotting import plot_curves
from nnedu.widgets import InteractiveFigure, interactive_figure
from nnedu.widgets import _render as render

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def draw_line(slope, n=5):
    """A straight line"""
    if slope > 3:
        fig, _ = plt.subplots()               # a figure is open when the error happens: it must be closed too
        raise ValueError(f"slope {slope} is too steep")
    return plot_curves({f"slope {slope}": [slope * x for x in range(n)]}, "x", "y")


@pytest.fixture(autouse=True)
def no_figures_before():
    plt.close("all")
    yield
    plt.close("all")


def test_first_picture_is_drawn_with_the_initial_values_and_constants():
    view = InteractiveFigure(draw_line, slope=widgets.IntSlider(value=1, min=0, max=5), n=widgets.fixed(7))
    assert view.png.startswith(PNG_MAGIC) and view.error is None
    assert view.kwargs == {"slope": 1, "n": 7}
    assert list(view.controls) == ["slope"]                   # a constant is not a control
    assert view.figure.bundle["image/png"] == base64.b64encode(view.png).decode()
    assert plt.get_fignums() == [], "the drawing's pyplot figure stays open: the cell would show it twice"


def test_a_control_change_redraws():
    view = InteractiveFigure(draw_line, slope=widgets.IntSlider(value=1, min=0, max=5))
    first = view.png
    view.controls["slope"].value = 2
    assert view.kwargs == {"slope": 2} and view.png.startswith(PNG_MAGIC) and view.png != first
    assert view.figure.bundle["image/png"] == base64.b64encode(view.png).decode()
    assert plt.get_fignums() == []


def test_controls_are_named_and_draw_once_per_release():
    slider = widgets.FloatSlider(value=1.0)
    named = widgets.IntSlider(value=5, description="points")
    InteractiveFigure(draw_line, slope=slider, n=named)
    assert slider.description == "slope" and named.description == "points"
    assert not slider.continuous_update and not named.continuous_update


def test_an_error_after_a_change_replaces_the_picture_by_its_message_and_closes_its_figure():
    view = InteractiveFigure(draw_line, slope=widgets.IntSlider(value=1, min=0, max=5))
    good = view.png
    view.controls["slope"].value = 4                           # a callback: raising would go unseen
    assert view.error == "ValueError: slope 4 is too steep"
    message = view.figure.bundle["text/plain"]
    assert "image/png" not in view.figure.bundle and "slope 4 is too steep" in message
    assert "Run draw_line(slope=4) in a cell to see where" in message
    assert "too steep" in view.figure.bundle["text/html"]
    assert view.png == good                                    # the last picture is kept for code to read
    assert plt.get_fignums() == []
    view.controls["slope"].value = 2                           # a good value draws again
    assert view.error is None and "image/png" in view.figure.bundle


def test_an_error_in_the_first_drawing_raises_in_the_cell():
    with pytest.raises(ValueError, match="slope 4 is too steep"):       # with its traceback, where it happened
        InteractiveFigure(draw_line, slope=widgets.IntSlider(value=4, min=0, max=5))
    assert plt.get_fignums() == []


def test_a_draw_that_shows_instead_of_returning_is_told_what_to_do():
    def shows(a):
        plt.plot([0, a])
        plt.show()

    with pytest.raises(TypeError, match=r"shows must return a matplotlib Figure, got NoneType \(return the "
                                        r"figure instead of calling plt.show\(\)\)"):
        InteractiveFigure(shows, a=widgets.FloatSlider(value=1.0))
    assert plt.get_fignums() == []


def test_a_value_that_is_not_a_control_is_refused_with_its_name():
    with pytest.raises(TypeError, match=r"argument 'slope' of draw_line must be an ipywidgets control .*got 3"):
        InteractiveFigure(draw_line, slope=3)


def test_the_description_comes_from_the_docstring_unless_given():
    assert InteractiveFigure(draw_line, slope=widgets.fixed(1)).description == "A straight line"
    assert InteractiveFigure(draw_line, "lines", slope=widgets.fixed(1)).description == "lines"


def test_the_cell_stores_a_hint_and_a_picture_that_later_redraws_replace(monkeypatch):
    shown, updated = [], []
    monkeypatch.setattr(render, "display", lambda obj, raw=False, display_id=None: shown.append((obj, display_id)))
    monkeypatch.setattr(render, "update_display", lambda obj, raw=False, display_id=None: updated.append(
        (obj, display_id)))
    view = InteractiveFigure(draw_line, slope=widgets.IntSlider(value=1, min=0, max=5))
    assert shown == [] and updated == []
    view._ipython_display_()
    (controls, no_id), (picture, fig_id) = shown
    assert "application/vnd.jupyter.widget-view+json" in controls and no_id is None
    hint = controls["text/plain"]
    assert hint == ("A straight line (slope): run this cell to use the controls. "
                    "The figure below is from the stored run.")
    assert not any(raw in hint for raw in ("interactive(", "VBox(", "HBox(", "IntSlider("))
    assert picture["image/png"] == base64.b64encode(view.png).decode() and fig_id
    view.controls["slope"].value = 3
    assert updated == [({"image/png": base64.b64encode(view.png).decode(), "text/plain": "<A straight line>"},
                        fig_id)]


def _png_size(png: bytes) -> tuple[int, int]:
    return struct.unpack(">II", png[16:24])                     # width, height from the IHDR chunk


def test_the_picture_is_rendered_at_the_figures_own_dpi():
    sizes = {}

    def draw(dpi):
        fig = plot_curves({"a": [1, 2]}, "x", "y")
        fig.set_dpi(dpi)
        sizes[dpi] = fig.get_size_inches()[0] * dpi                # the figure's width in pixels
        return fig
    view = InteractiveFigure(draw, dpi=widgets.IntSlider(value=72, min=72, max=144))
    width, height = _png_size(view.png)
    view.controls["dpi"].value = 144
    width2, height2 = _png_size(view.png)
    assert abs(width2 - 2 * width) <= 4 and abs(height2 - 2 * height) <= 4
    assert 0.8 * sizes[144] <= width2 <= 1.05 * sizes[144]


def test_docstring_example_runs():
    result = doctest.testmod(interactive_figure, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 4 and result.failed == 0
