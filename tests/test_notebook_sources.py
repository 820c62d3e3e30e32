"""The notebooks' text sources: every notebook is a jupytext pair, in step, and passes a small lint.

``notebooks/NN_name.md`` (MyST Markdown) holds the cells a person edits and reviews;
``notebooks/NN_name.ipynb`` holds the same cells with the stored outputs of a full run.
Editing one without the other (or without ``jupytext --sync``) fails here.
"""
from __future__ import annotations

import ast
from pathlib import Path

import jupytext
import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
PAIRS = sorted(p.stem for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))

#: Calls whose value is None (or hidden by nnedu), so a trailing ';' after them changes nothing.
QUIET_CALLS = {"tight_layout", "show", "print", "show_source", "gradcheck_report", "display"}


def _cells(nb: nbformat.NotebookNode) -> list[tuple[str, str]]:
    return [(c.cell_type, c.source.strip()) for c in nb.cells]


def test_every_notebook_has_its_text_source_and_back():
    ipynb = {p.stem for p in NOTEBOOKS.glob("*.ipynb")}
    md = {p.stem for p in NOTEBOOKS.glob("*.md")} - {"README"}
    assert PAIRS, "no notebooks found"
    assert ipynb - md == set(), f"notebooks without a .md text source: {sorted(ipynb - md)}"
    assert md - ipynb == set(), f".md sources without their notebook: {sorted(md - ipynb)}"


@pytest.mark.parametrize("stem", PAIRS)
def test_pair_is_in_sync(stem):
    text = jupytext.read(NOTEBOOKS / f"{stem}.md")
    stored = nbformat.read(NOTEBOOKS / f"{stem}.ipynb", as_version=4)
    a, b = _cells(text), _cells(stored)
    for i, (x, y) in enumerate(zip(a, b)):
        assert x == y, (f"{stem}: cell {i} differs between the .md and the .ipynb; edit the .md, then "
                        f"`jupytext --sync notebooks/{stem}.md` and re-execute the notebook.\n"
                        f".md:    {x[1][:300]!r}\n.ipynb: {y[1][:300]!r}")
    assert len(a) == len(b), f"{stem}: {len(a)} cells in the .md, {len(b)} in the .ipynb: run jupytext --sync"


@pytest.mark.parametrize("stem", PAIRS)
def test_stored_outputs_come_from_one_top_to_bottom_run(stem):
    nb = nbformat.read(NOTEBOOKS / f"{stem}.ipynb", as_version=4)
    counts = [c.execution_count for c in nb.cells if c.cell_type == "code"]
    assert None not in counts, f"{stem}: a code cell was never executed; re-execute the whole notebook"
    assert counts == list(range(1, len(counts) + 1)), (
        f"{stem}: execution counts {counts[:12]}... are not 1, 2, 3, ...: re-execute top to bottom "
        "with a fresh kernel")


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
#: How a widget's own text looks (ipywidgets' repr): what a stored notebook shows until its cell runs again.
WIDGET_REPRS = ("interactive(", "VBox(", "HBox(", "Output(")


def _widget_cell_problems(nb: nbformat.NotebookNode) -> list[str]:
    """Why cells would show a widget's repr (or no picture) when the stored notebook is opened, if they would."""
    problems = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        data = [o.get("data", {}) for o in cell.outputs]
        for d in data:
            text = str(d.get("text/plain", ""))
            if text.startswith(WIDGET_REPRS):
                problems.append(f"cell {i} stores a widget's repr as its text: {text[:60]!r}")
        if any(WIDGET_VIEW in d for d in data):
            hints = [str(d.get("text/plain", "")) for d in data if WIDGET_VIEW in d]
            if not all("run this cell" in h for h in hints):
                problems.append(f"cell {i}: a widget whose text fallback does not say to run the cell: {hints}")
            if not any("image/png" in d for d in data):
                problems.append(f"cell {i}: a widget cell without a picture of its figure")
    return problems


@pytest.mark.parametrize("stem", PAIRS)
def test_widget_cells_store_a_hint_and_a_picture(stem):
    """Opened as stored (GitHub, the course website, JupyterLab before a run): a picture, never VBox(...).

    ``nnedu.widgets`` widgets (and :class:`~nnedu.widgets.InteractiveFigure` in place of
    ``ipywidgets.interact``) store the figure as an ordinary image and a one-line hint as the controls' text.
    """
    problems = _widget_cell_problems(nbformat.read(NOTEBOOKS / f"{stem}.ipynb", as_version=4))
    assert not problems, f"{stem}: " + "; ".join(problems)


def test_widget_cell_rule_catches_interact_and_a_missing_picture():
    def nb(*outputs):
        return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x", outputs=list(outputs))])

    view = {WIDGET_VIEW: {"model_id": "m"}}
    interact = nbformat.v4.new_output("display_data", {"text/plain": "interactive(children=(FloatSlider(", **view})
    hint = nbformat.v4.new_output("display_data", {"text/plain": "sliders: run this cell to use the controls", **view})
    picture = nbformat.v4.new_output("display_data", {"image/png": "iVBOR", "text/plain": "<figure>"})
    assert len(_widget_cell_problems(nb(interact))) == 3
    assert _widget_cell_problems(nb(hint)) == ["cell 0: a widget cell without a picture of its figure"]
    assert _widget_cell_problems(nb(hint, picture)) == []
    assert _widget_cell_problems(nb(nbformat.v4.new_output("execute_result", {"text/plain": "VBox(children=()"})))


def _trailing_semicolon_problem(source: str) -> str:
    """Why a cell ending in ';' would show a different output under nbval, or '' if it is fine.

    IPython ignores ';' when a cell runs with ``store_history=False``, which is how nbval runs
    cells, so ``ax.legend();`` shows ``<matplotlib.legend.Legend at 0x...>`` under nbval and
    nothing in the stored output. End figure cells with ``plt.show()`` instead.
    """
    src = source.rstrip()
    if not src.endswith(";"):
        return ""
    try:
        last = ast.parse(src).body[-1]
    except SyntaxError:
        return ""
    if not isinstance(last, ast.Expr):
        return ""  # IPython shows only a last top-level expression; a block ending in ';' shows nothing
    if not isinstance(last.value, ast.Call):
        return "ends with ';' after an expression whose value nbval would show"
    func = last.value.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    if name in QUIET_CALLS or name.startswith("check_"):
        return ""
    return f"ends with '{name}(...);', whose value nbval would show (end figure cells with plt.show())"


@pytest.mark.parametrize("stem", PAIRS)
def test_no_cell_relies_on_a_trailing_semicolon(stem):
    nb = jupytext.read(NOTEBOOKS / f"{stem}.md")
    problems = [f"cell {i}: {why}" for i, c in enumerate(nb.cells)
                if c.cell_type == "code" and (why := _trailing_semicolon_problem(c.source))]
    assert not problems, f"{stem}.md: " + "; ".join(problems)


def test_lint_catches_a_trailing_semicolon():
    assert _trailing_semicolon_problem("fig, ax = plt.subplots()\nax.legend();")
    assert not _trailing_semicolon_problem("plt.show();")
    assert _trailing_semicolon_problem("x;")
    assert not _trailing_semicolon_problem("x = 1")
    assert not _trailing_semicolon_problem("if x:\n    plt.show();")
