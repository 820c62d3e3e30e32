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
