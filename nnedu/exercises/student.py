"""Student copies of the notebooks: every reference solution replaced by a stub, and no answer left behind.

The notebooks mark a reference solution the nbgrader way::

    def relu_backward(X, G):
        ### BEGIN SOLUTION
        return G * (X > 0)
        ### END SOLUTION

:func:`strip_solutions` turns the block (markers included) into::

    def relu_backward(X, G):
        # YOUR CODE HERE
        raise NotImplementedError

at the indentation of the ``BEGIN`` line. In markdown cells (the answer cells of the written
questions, ``**Answer N.**``) the block becomes ``YOUR ANSWER HERE``. Markers are read leniently
(``###BEGIN SOLUTION``, ``# begin solution`` ...: any number of ``#`` and spaces, any case); a line
that looks like a marker but is not one (``### BEGIN SOLUTIONS``, ``x = 1  ### END SOLUTION``) is an
error, so that no solution slips through a typo.

Outputs that would give the answer away, or that the instructor's reference earned in the
student's name, are cleared: those of the solution cells, of every later code cell that uses a
name the solution cells define (the checks) or anything computed from one, of cells that run the
student's code (a variable bound from ``workspace.load()`` or ``use_student_code(...)``, anything
computed with it, or a ``.whose(...)`` / ``.table(...)`` report: in the instructor's run these said
"yours (check passed)" and drew the reference's figures), of answer cells, and of cells that print
the source of an exercise's reference below its check (the student sees it by running the cell,
after trying); ``clear="all"`` clears every output instead.

Then the copy is searched for leaks (:func:`find_leaks`), and the generator refuses to write any
copy that has one:

* a line of a solution (ignoring whitespace; short or boilerplate lines excepted) that still appears
  in any cell's source or kept output;
* ``show_source(X)`` / ``inspect.getsource(X)`` / ``X??`` where ``X`` is an exercise function or the
  nnedu code it re-implements (:data:`nnedu.exercises.reimplements.REIMPLEMENTS`), above the exercise's
  check (below it, "compare yours with the library's" is fine);
* markdown that states an answer outside a solution block, e.g. ``(Answer: 32 pixels)``.

Usage::

    python -m nnedu exercises student notebooks/ my-course/

A notebook that already exists in the output folder is never overwritten (the student may have
edited it) unless ``force=True`` (``--force``); every file appears whole or not at all; nothing is
written unless every notebook converts cleanly. Only ``.ipynb`` files are copied: the jupytext
``.md`` twins of the instructor notebooks hold the solutions too.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import nbformat

from nnedu._atomic import atomic_write

from nnedu.exercises.reimplements import leaky_names, matches

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
CODE_STUB = ("# YOUR CODE HERE", "raise NotImplementedError")
MARKDOWN_STUB = "YOUR ANSWER HERE"
#: Notebooks larger than this are refused before they are read (a course notebook is a few MB).
MAX_NOTEBOOK_BYTES = 64 * 2**20

ClearMode = Literal["answers", "all", "none"]

_MARKER = re.compile(r"^\s*#+\s*(BEGIN|END)\s+SOLUTION\s*$", re.IGNORECASE)
_MARKER_LIKE = re.compile(r"(?i:^[\s#]*(?:begin|end)[\s_-]*solution)|(?:BEGIN|END)[\s_-]*SOLUTION")
_CHECK_CALL = re.compile(r"(?<!def )\bcheck_(\w+)\s*\(")
_QUESTION = re.compile(r"^\s*\*\*Question\s+(\d+)\.\*\*")
_ANSWER = re.compile(r"^\s*\*\*Answer\s+(\d+)\.\*\*")
_SHOW_SOURCE = re.compile(r"(?:\bshow_source|\bgetsource|%psource|%pinfo2)\s*\(?\s*([A-Za-z_][\w.]*)"
                          r"|([A-Za-z_][\w.]*)\s*\?\?")
_STATED_ANSWER = re.compile(r"\(\s*(?:answer|solution)s?\s*:|^\s*(?:\*\*|__)?(?:answer|solution)s?\s*:",
                            re.IGNORECASE | re.MULTILINE)
#: Solution lines too common to count as a leak when they appear elsewhere.
_BOILERPLATE = re.compile(
    r"^(return [\w\s,()\[\].]*|[\w\s,]+ = [\w.]+\.shape(\[[^\]]*\])?|for [\w\s,()]+ in (range|zip|enumerate)\(.*\):"
    r"|[\w.]+ = np\.(zeros|zeros_like|empty|empty_like|ones|ones_like)\(.*\)|(if|elif|else|try|except|with)\b.*:"
    r"|pass|continue|break)$")


class StudentCopyError(ValueError):
    """A notebook cannot be turned into a student copy (bad markers, a leak, not a notebook)."""


def parse_marker(line: str, where: str = "cell") -> str | None:
    """``"begin"`` or ``"end"`` for a solution marker line, ``None`` for an ordinary line.

    Raises
    ------
    StudentCopyError
        The line looks like a marker but is not one (a typo that would let a solution through).

    Examples
    --------
    >>> parse_marker("    ###BEGIN SOLUTION"), parse_marker("# end solution"), parse_marker("x = 1")
    ('begin', 'end', None)
    """
    m = _MARKER.match(line)
    if m:
        return m.group(1).lower()
    if _MARKER_LIKE.search(line):
        raise StudentCopyError(f"{where}: {line.strip()!r} looks like a solution marker but is not one "
                               f"(write '{BEGIN}' or '{END}' alone on the line)")
    return None


def strip_solutions(source: str, cell_type: str = "code", where: str = "cell") -> str:
    """Replace every solution block (``### BEGIN SOLUTION`` ... ``### END SOLUTION``) in ``source``.

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
    StudentCopyError
        A ``BEGIN`` without ``END``, an ``END`` without ``BEGIN``, nested blocks, or a line that looks
        like a marker but is not one. (A subclass of ``ValueError``.)

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
        marker = parse_marker(line, where=f"{where}, line {lineno}")
        if marker == "begin":
            if inside:
                raise StudentCopyError(f"{where}, line {lineno}: nested '{BEGIN}' (the previous block is "
                                       "not closed)")
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            stub = CODE_STUB if cell_type == "code" else (MARKDOWN_STUB,)
            out.extend(indent + s for s in stub)
        elif marker == "end":
            if not inside:
                raise StudentCopyError(f"{where}, line {lineno}: '{END}' without a matching '{BEGIN}'")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise StudentCopyError(f"{where}: '{BEGIN}' without a matching '{END}'")
    return "\n".join(out)


def solution_lines(source: str) -> list[tuple[int, str]]:
    """``(line number, line)`` of every line inside a solution block of ``source`` (markers excluded)."""
    lines, inside = [], False
    for lineno, line in enumerate(source.split("\n"), start=1):
        marker = _MARKER.match(line)
        if marker:
            inside = marker.group(1).lower() == "begin"
        elif inside:
            lines.append((lineno, line))
    return lines


def has_solution(source: str) -> bool:
    """Whether a cell's source contains a solution block."""
    return any(_MARKER.match(line) and _MARKER.match(line).group(1).lower() == "begin"  # type: ignore[union-attr]
               for line in source.split("\n"))


def exercise_names(nb: nbformat.NotebookNode) -> dict[str, int]:
    """The exercises of a notebook, ``{name: index of the first cell calling check_<name>(}``, in order."""
    found: dict[str, int] = {}
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            for name in _CHECK_CALL.findall(cell.source):
                found.setdefault(name, i)
    return found


def question_cells(nb: nbformat.NotebookNode, where: str = "notebook") -> dict[int, tuple[int, int]]:
    """The written questions, ``{N: (question cell index, answer cell index)}``.

    Raises
    ------
    StudentCopyError
        A ``**Question N.**`` cell not followed by its ``**Answer N.**`` cell, or a number used twice.
    """
    found: dict[int, tuple[int, int]] = {}
    for i, cell in enumerate(nb.cells):
        m = _QUESTION.match(cell.source) if cell.cell_type == "markdown" else None
        if not m:
            continue
        n = int(m.group(1))
        nxt = nb.cells[i + 1] if i + 1 < len(nb.cells) else None
        am = _ANSWER.match(nxt.source) if nxt is not None else None
        if am is None or int(am.group(1)) != n:
            raise StudentCopyError(f"{where}, cell {i}: **Question {n}.** must be followed by a markdown "
                                   f"cell starting with **Answer {n}.**")
        if n in found:
            raise StudentCopyError(f"{where}, cell {i}: a second **Question {n}.**")
        found[n] = (i, i + 1)
    return found


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


_STUDENT_CODE = re.compile(r"\bworkspace\.load\s*\(|\buse_student_code\s*\(")
_STUDENT_REPORT = re.compile(r"\.\s*(?:whose|table)\s*\(")
_MUTATORS = {"append", "extend", "insert", "update", "setdefault", "add"}


def _target_names(node: ast.AST) -> set[str]:
    """The variables a statement binds or changes: ``a``, ``a, b``, ``a[i]``, ``a.x`` all bind ``a``."""
    targets: list[ast.AST] = []
    if isinstance(node, ast.Assign):
        targets = list(node.targets)
    elif isinstance(node, (ast.AugAssign, ast.AnnAssign, ast.For, ast.AsyncFor)):
        targets = [node.target]
    elif isinstance(node, (ast.With, ast.AsyncWith)):
        targets = [item.optional_vars for item in node.items if item.optional_vars is not None]
    elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    elif (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
          and isinstance(node.value.func, ast.Attribute) and node.value.func.attr in _MUTATORS):
        targets = [node.value.func.value]                          # losses.append(x) changes losses
    names: set[str] = set()
    for t in targets:
        while isinstance(t, (ast.Subscript, ast.Attribute, ast.Starred)):
            t = t.value
        names.update(n.id for n in ast.walk(t) if isinstance(n, ast.Name))
    return names


def _loaded_names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _stored_names(node: ast.AST) -> set[str]:
    """Names bound anywhere inside ``node``: assignment targets, loop variables, arguments."""
    return ({n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
            | {a.arg for a in ast.walk(node) if isinstance(a, ast.arg)})


def _follow_student_code(source: str, tainted: set[str]) -> bool:
    """Whether a cell's output depends on the student's code; updates ``tainted`` (its variables).

    A variable is *tainted* when it holds the student's code or something computed with it: a
    function of a solution cell (the caller adds those), bound from ``workspace.load()`` or
    ``use_student_code(...)``, or assigned (changed, appended to) by a statement that reads a
    tainted variable. A variable assigned again from clean values is clean
    again. A cell that reads a tainted variable, or prints ``.whose(...)`` / ``.table(...)``, shows
    the student's code at work: in the instructor's run that is the reference, so its output would
    show a verdict ("yours (check passed)") or a figure that the student's stubs did not earn.
    """
    uses = bool(_STUDENT_REPORT.search(source))
    try:
        tree = ast.parse(source)
    except SyntaxError:  # IPython magics: judge by the text alone, bind nothing
        return uses or _uses(source, tainted) or bool(_STUDENT_CODE.search(source))
    for statement in tree.body:
        if isinstance(statement, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Expr, ast.Return)):
            read = _loaded_names(statement)        # x = x + 1 reads the old x
        else:                                      # a loop, with block or def: not the names it binds itself
            read = _loaded_names(statement) - _stored_names(statement)
            if isinstance(statement, (ast.For, ast.AsyncFor)):
                read |= _loaded_names(statement.iter)
        if read & tainted or _STUDENT_CODE.search(ast.unparse(statement)):
            uses = True
            for node in ast.walk(statement):       # a loop or a with block: everything it assigns
                if isinstance(node, ast.stmt):
                    tainted |= _target_names(node)
        elif isinstance(statement, (ast.For, ast.AsyncFor)) or (isinstance(statement, ast.Assign) and all(
                isinstance(n, (ast.Name, ast.Tuple, ast.List, ast.Starred, ast.Load, ast.Store))
                for t in statement.targets for n in ast.walk(t))):
            tainted -= _target_names(statement)    # x = ... from clean values: clean again (x[i] = ... is not)
    return uses


def _shows_source(source: str, names: set[str]) -> bool:
    """Whether a cell prints the source of one of ``names`` (its output is cleared in a student copy)."""
    return any(matches(m.group(1) or m.group(2), names) for m in _SHOW_SOURCE.finditer(source))


def _normalise(line: str) -> str:
    return " ".join(line.split())


def _significant(line: str, cell_type: str) -> str | None:
    """The normalised form of a solution line worth searching for, or ``None`` for trivial lines."""
    if cell_type == "code":
        line = line.split("  #")[0] if "  #" in line else line
        if line.lstrip().startswith("#"):
            return None
    norm = _normalise(line)
    if len(norm) < (8 if cell_type == "code" else 16) or (cell_type == "code" and _BOILERPLATE.match(norm)):
        return None
    return norm


def _output_text(output: nbformat.NotebookNode) -> str:
    if output.get("output_type") == "stream":
        return str(output.get("text", ""))
    data = output.get("data", {})
    parts = [data.get(k, "") for k in ("text/plain", "text/html", "text/markdown", "text/latex")]
    if output.get("output_type") == "error":
        parts.append("\n".join(output.get("traceback", [])))
    return "\n".join(p if isinstance(p, str) else "".join(p) for p in parts)


def find_leaks(instructor: nbformat.NotebookNode, student: nbformat.NotebookNode,
               name: str = "notebook") -> list[str]:
    """Every place where ``student`` (the copy of ``instructor``) would show a solution; one line each.

    See the module docstring for what counts as a leak.
    """
    leaks: list[str] = []
    # 1. solution lines that survive elsewhere, in sources or in kept outputs
    secrets: dict[str, str] = {}   # normalised line -> where it comes from
    for i, cell in enumerate(instructor.cells):
        for lineno, line in solution_lines(cell.source):
            norm = _significant(line, cell.cell_type)
            if norm:
                secrets.setdefault(norm, f"cell {i}, line {lineno}")
    if secrets:
        for j, cell in enumerate(student.cells):
            texts = [("source", cell.source)]
            texts += [("output", _output_text(o)) for o in cell.get("outputs", [])]
            for kind, text in texts:
                for k, line in enumerate(text.split("\n"), start=1):
                    norm = _normalise(line)
                    for secret, origin in secrets.items():
                        if secret in norm:
                            leaks.append(f"{name}, cell {j}, {kind} line {k}: repeats the solution line "
                                         f"{secret!r} ({origin} of the instructor notebook)")
    # 2. the source of an exercise function, or of the nnedu code it re-implements, above its check
    for exercise, check_cell in exercise_names(student).items():
        names = leaky_names(exercise)
        for j, cell in enumerate(student.cells[:check_cell]):
            if cell.cell_type != "code":
                continue
            for k, line in enumerate(cell.source.split("\n"), start=1):
                for m in _SHOW_SOURCE.finditer(line):
                    shown = m.group(1) or m.group(2)
                    if matches(shown, names):
                        leaks.append(f"{name}, cell {j}, line {k}: shows the source of {shown} above "
                                     f"check_{exercise} (cell {check_cell}); move it below the check")
    # 3. markdown that states an answer outside a solution block
    for j, cell in enumerate(student.cells):
        if cell.cell_type == "markdown":
            for k, line in enumerate(cell.source.split("\n"), start=1):
                if _STATED_ANSWER.search(line):
                    leaks.append(f"{name}, cell {j}, line {k}: states an answer outside a solution block: "
                                 f"{line.strip()[:60]!r} (put it between '{BEGIN}' and '{END}')")
    return leaks


def make_student_notebook(nb: nbformat.NotebookNode, clear: ClearMode = "answers",
                          name: str = "notebook", check_leaks: bool = True
                          ) -> tuple[nbformat.NotebookNode, int]:
    """Return a student copy of ``nb`` and the number of solutions removed.

    Parameters
    ----------
    nb : NotebookNode
        The instructor notebook (not modified).
    clear : {"answers", "all", "none"}
        Which outputs to clear: ``"answers"`` (default) clears the outputs of the solution cells,
        of later code cells that use what they define (the checks) and of answer cells, so the
        figures of the lesson stay; ``"all"`` clears every output.
    name : str
        Used in error messages.
    check_leaks : bool
        Refuse a copy that would still show a solution (:func:`find_leaks`).

    Raises
    ------
    StudentCopyError
        Bad markers, a question without its answer cell, an answer cell without a solution block,
        or (with ``check_leaks``) every leak found, one per line.
    """
    questions = question_cells(nb, where=name)
    answer_cells = {a for _, a in questions.values()}
    for n, (_, a) in questions.items():
        if not has_solution(nb.cells[a].source):
            raise StudentCopyError(f"{name}, cell {a}: the answer cell of Question {n} has no "
                                   f"'{BEGIN}' ... '{END}' block: its model answer would reach students")
    student = nbformat.from_dict(nb)  # a deep copy
    # Saved widget state holds the last picture and text every widget showed (JupyterLab redraws it on
    # open, whatever the cleared outputs say), and execution timestamps say nothing useful to a student.
    student.metadata.pop("widgets", None)
    for cell in student.cells:
        cell.metadata.pop("execution", None)
    reference_names = set().union(*(leaky_names(ex) for ex in exercise_names(nb)))
    solution_names: set[str] = set()
    student_names: set[str] = set()   # variables holding the student's code (or a solution) or its results
    removed = 0
    for i, cell in enumerate(student.cells):
        where = f"{name}, cell {i}"
        is_solution = has_solution(cell.source)
        if is_solution:
            removed += sum(1 for line in cell.source.split("\n")
                           if (m := _MARKER.match(line)) and m.group(1).lower() == "begin")
            if cell.cell_type == "code":
                solution_names |= _defined_names(cell.source)
        cell.source = strip_solutions(cell.source, cell.cell_type, where=where)  # also rejects bad markers
        if i in answer_cells:
            cell.pop("attachments", None)
        if cell.cell_type != "code":
            continue
        uses_solution = bool(solution_names and _uses(cell.source, solution_names))
        # what a cell computes from a solution or the student's code is an answer too: followed
        # statement by statement, so that a clean variable of the same cell stays clean
        runs_student_code = _follow_student_code(cell.source, student_names)
        if is_solution:
            student_names |= _defined_names(cell.source)
        answer = (is_solution or i in answer_cells or uses_solution or runs_student_code
                  or _shows_source(cell.source, reference_names))
        if clear == "all" or (clear == "answers" and answer):
            cell.outputs = []
            cell.execution_count = None
    if check_leaks:
        leaks = find_leaks(nb, student, name=name)
        if leaks:
            raise StudentCopyError("\n".join(leaks))
    return student, removed


@dataclass
class _Planned:
    source: Path
    target: Path
    notebook: nbformat.NotebookNode
    removed: int


def read_notebook(path: Path) -> nbformat.NotebookNode:
    """Read and validate a notebook; one-line :class:`StudentCopyError` naming the file otherwise."""
    try:
        size = path.stat().st_size
        if size > MAX_NOTEBOOK_BYTES:
            raise StudentCopyError(f"{path}: {size / 2**20:.0f} MiB is too large for a notebook "
                                   f"(limit {MAX_NOTEBOOK_BYTES // 2**20} MiB)")
        text = path.read_text(encoding="utf-8")
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
    except StudentCopyError:
        raise
    except (OSError, UnicodeDecodeError) as e:
        raise StudentCopyError(f"{path}: cannot read it ({e})") from None
    except Exception as e:  # NotJSONError, ValidationError, ... from nbformat
        first = str(e).strip().split("\n")[0][:120]
        raise StudentCopyError(f"{path}: not a valid Jupyter notebook ({type(e).__name__}: {first})") from None
    return nb


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all, with ordinary permissions (:mod:`nnedu._atomic`)."""
    with atomic_write(path, "wb") as f:
        f.write(data)


def write_student_copies(src: str | Path, out: str | Path, clear: ClearMode = "answers",
                         verbose: bool = True, force: bool = False) -> list[Path]:
    """Write a student copy of every ``*.ipynb`` in ``src`` (or of the one notebook ``src``) into ``out``.

    Parameters
    ----------
    src : path
        A notebook or a directory of notebooks (not searched recursively; only ``*.ipynb``, never the
        jupytext ``.md`` twins).
    out : path
        Output directory, created if needed. It must not be ``src`` itself.
    clear : {"answers", "all", "none"}
        Which outputs to clear, see :func:`make_student_notebook`.
    verbose : bool
        Print one line per notebook (written, or kept because it exists).
    force : bool
        Overwrite notebooks that already exist in ``out``. Without it they are kept untouched (a
        student may have edited them), so the command can be re-run to add new notebooks.

    Returns
    -------
    list of Path
        The notebooks written (not those kept).

    Raises
    ------
    StudentCopyError
        Before anything is written: a notebook that is malformed, has bad markers or would leak a
        solution (all problems of all notebooks, one per line).
    """
    src, out = Path(src), Path(out)
    if src.is_dir():
        paths = sorted(p for p in src.glob("*.ipynb") if not p.name.startswith("."))
    elif src.suffix == ".ipynb" and src.is_file():
        paths = [src]
    elif src.suffix == ".md" and src.is_file():
        raise StudentCopyError(f"{src} is a text source with the solutions in it; give the .ipynb (or its folder)")
    elif not src.exists():
        raise StudentCopyError(f"{src} does not exist (run this from the nnedu folder, or give SRC)")
    else:
        raise StudentCopyError(f"{src} is neither a notebook nor a folder of notebooks")
    if not paths:
        raise StudentCopyError(f"no .ipynb files in {src}")
    if out.resolve() == (src if src.is_dir() else src.parent).resolve():
        raise StudentCopyError("OUT must differ from the source folder (the instructor notebooks would be "
                               "overwritten)")
    if out.exists() and not out.is_dir():
        raise StudentCopyError(f"{out} exists and is not a folder")

    planned: list[_Planned] = []
    problems: list[str] = []
    for path in paths:                       # 1. convert and check everything, write nothing
        try:
            nb = read_notebook(path)
            student, removed = make_student_notebook(nb, clear=clear, name=path.name)
        except StudentCopyError as e:
            problems.append(str(e))
            continue
        planned.append(_Planned(path, out / path.name, student, removed))
    if problems:
        raise StudentCopyError("\n".join(problems))

    out.mkdir(parents=True, exist_ok=True)   # 2. write, each file whole or not at all
    written = []
    for p in planned:
        if p.target.exists() and not force:
            if verbose:
                print(f"{p.source.name}: kept {p.target} (it exists and may hold your work; --force overwrites)")
            continue
        atomic_write_bytes(p.target, (nbformat.writes(p.notebook) + "\n").encode("utf-8"))
        written.append(p.target)
        if verbose:
            print(f"{p.source.name}: {p.removed} solution(s) removed -> {p.target}")
    return written
