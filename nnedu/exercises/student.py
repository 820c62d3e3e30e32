"""Student copies of the notebooks: every reference solution replaced by ``raise NotImplementedError``.

The notebooks mark a reference solution the nbgrader way::

    def relu_backward(X, G):
        ### BEGIN SOLUTION
        return G * (X > 0)
        ### END SOLUTION

:func:`strip_solutions` turns the block (markers included) into::

    def relu_backward(X, G):
        # YOUR CODE HERE
        raise NotImplementedError

at the indentation of the ``### BEGIN SOLUTION`` line. In markdown cells the
block becomes ``YOUR ANSWER HERE``. Everything else is kept. Outputs that would
give the answer away are cleared: those of the solution cells and of every
later code cell that uses a name the solution cells define (the check cells);
``clear="all"`` clears every output instead.

Usage::

    python -m nnedu exercises student notebooks/ student_notebooks/
"""
from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Literal

import nbformat

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
CODE_STUB = ("# YOUR CODE HERE", "raise NotImplementedError")
MARKDOWN_STUB = "YOUR ANSWER HERE"

ClearMode = Literal["answers", "all", "none"]


def strip_solutions(source: str, cell_type: str = "code", where: str = "cell") -> str:
    """Replace every ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` block in ``source``.

    Parameters
    ----------
    source : str
        A cell's source.
    cell_type : {"code", "markdown"}
        Code blocks become ``raise NotImplementedError``, markdown blocks ``YOUR ANSWER HERE``.
    where : str
        Names the cell in error messages, e.g. ``"01_linear_relu.ipynb, cell 12"``.

    Returns
    -------
    str
        The source without solutions (unchanged if it has no markers).

    Raises
    ------
    ValueError
        A ``BEGIN`` without ``END``, an ``END`` without ``BEGIN``, or nested blocks.

    Examples
    --------
    >>> print(strip_solutions("def f(x):\\n    ### BEGIN SOLUTION\\n    return 2 * x\\n    ### END SOLUTION"))
    def f(x):
        # YOUR CODE HERE
        raise NotImplementedError
    """
    out: list[str] = []
    inside = False
    for lineno, line in enumerate(source.split("\n"), start=1):
        stripped = line.strip()
        if stripped.startswith(BEGIN):
            if inside:
                raise ValueError(f"{where}, line {lineno}: nested '{BEGIN}' (the previous block is not closed)")
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            stub = CODE_STUB if cell_type == "code" else (MARKDOWN_STUB,)
            out.extend(indent + s for s in stub)
        elif stripped.startswith(END):
            if not inside:
                raise ValueError(f"{where}, line {lineno}: '{END}' without a matching '{BEGIN}'")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"{where}: '{BEGIN}' without a matching '{END}'")
    return "\n".join(out)


def has_solution(source: str) -> bool:
    """Whether a cell's source contains a solution block."""
    return any(line.strip().startswith(BEGIN) for line in source.split("\n"))


def _defined_names(source: str) -> set[str]:
    """Names a code cell defines at top level (functions, classes, assignments)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:  # IPython magics etc.: fall back to a regular expression
        return set(re.findall(r"^(?:def|class)\s+(\w+)", source, flags=re.M))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                names.update(n.id for n in ast.walk(t) if isinstance(n, ast.Name))
    return names


def _uses(source: str, names: set[str]) -> bool:
    return any(re.search(rf"\b{re.escape(n)}\b", source) for n in names)


def make_student_notebook(nb: nbformat.NotebookNode, clear: ClearMode = "answers",
                          name: str = "notebook") -> tuple[nbformat.NotebookNode, int]:
    """Return a student copy of ``nb`` and the number of solutions removed.

    Parameters
    ----------
    nb : NotebookNode
        The instructor notebook (not modified).
    clear : {"answers", "all", "none"}
        Which outputs to clear: ``"answers"`` (default) clears the outputs of the
        solution cells and of later code cells that use what they define (the
        checks), so figures of the lesson stay; ``"all"`` clears every output.
    name : str
        Used in error messages.
    """
    nb = nbformat.from_dict(nb)  # a deep copy
    solution_names: set[str] = set()
    removed = 0
    for i, cell in enumerate(nb.cells):
        is_solution = has_solution(cell.source)
        if is_solution:
            removed += sum(1 for line in cell.source.split("\n") if line.strip().startswith(BEGIN))
            if cell.cell_type == "code":
                solution_names |= _defined_names(cell.source)
            cell.source = strip_solutions(cell.source, cell.cell_type, where=f"{name}, cell {i}")
        if cell.cell_type != "code":
            continue
        answer = is_solution or (solution_names and _uses(cell.source, solution_names))
        if clear == "all" or (clear == "answers" and answer):
            cell.outputs = []
            cell.execution_count = None
    return nb, removed


def write_student_copies(src: str | Path, out: str | Path, clear: ClearMode = "answers",
                         verbose: bool = True) -> list[Path]:
    """Write a student copy of every ``*.ipynb`` in ``src`` (or of the one notebook ``src``) into ``out``.

    Parameters
    ----------
    src : path
        A notebook or a directory of notebooks (not searched recursively; checkpoints are skipped).
    out : path
        Output directory, created if needed. It must not be ``src`` itself.
    clear : {"answers", "all", "none"}
        Which outputs to clear, see :func:`make_student_notebook`.
    verbose : bool
        Print one line per notebook.

    Returns
    -------
    list of Path
        The notebooks written.
    """
    src, out = Path(src), Path(out)
    if src.is_dir():
        paths = sorted(p for p in src.glob("*.ipynb") if not p.name.startswith("."))
    elif src.suffix == ".ipynb" and src.exists():
        paths = [src]
    else:
        raise FileNotFoundError(f"exercises student: {src} is neither a notebook nor a directory")
    if not paths:
        raise FileNotFoundError(f"exercises student: no .ipynb files in {src}")
    if out.resolve() == (src if src.is_dir() else src.parent).resolve():
        raise ValueError("exercises student: OUT must differ from the source directory "
                         "(the instructor notebooks would be overwritten)")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        student, removed = make_student_notebook(nb, clear=clear, name=path.name)
        target = out / path.name
        nbformat.write(student, target)
        written.append(target)
        if verbose:
            print(f"{path.name}: {removed} solution(s) removed -> {target}")
    return written
