"""``python -m nnedu exercises submit``: bundle a student's work into one archive to hand in.

The archive (a ``.zip``) holds, at its top level:

* every notebook of the student's course folder (``*.ipynb``);
* ``workspace/``, the folder where the checks record the student's functions (``$NNEDU_WORKSPACE``
  if set, else ``workspace/`` in the course folder), which the later notebooks train with;
* ``answers.json``, the answers to the written questions, ``{"01_linear_relu/Q2": "...", ...}``;
* ``submission.json``: nnedu version, time, and for each notebook whether it ran top to bottom.

A notebook counts as run top to bottom when every code cell that has code was executed and the
execution counts go 1, 2, 3, ... down the page (what *Kernel > Restart Kernel and Run All Cells*
gives). Anything else (cells run out of order, a cell never run, a kernel not restarted) makes the
stored outputs untrustworthy, so the archive is refused unless ``force=True``; a notebook never run
at all is bundled with a warning. The grader runs every notebook again in any case.
"""
from __future__ import annotations

import datetime
import io
import json
import os
import re
import zipfile
from pathlib import Path

import nbformat

import nnedu
from nnedu.exercises.student import StudentCopyError, atomic_write_bytes, read_notebook

#: The workspace is meant for a few small .py files; refuse to bundle more than this.
MAX_WORKSPACE_BYTES = 20 * 2**20
_ANSWER = re.compile(r"^\s*\*\*Answer\s+(\d+)\.\*\*[ \t]*\n?", re.MULTILINE)
UNANSWERED = "YOUR ANSWER HERE"


class SubmitError(ValueError):
    """The submission cannot be bundled (no notebooks, notebooks not run top to bottom, ...)."""


def run_order_problem(nb: nbformat.NotebookNode) -> str | None:
    """``None`` if ``nb`` was run top to bottom in a fresh kernel, else what is wrong, in words.

    Examples
    --------
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("a = 1", execution_count=1),
    ...                                      nbformat.v4.new_code_cell("b = 2", execution_count=3)])
    >>> run_order_problem(nb)
    'cell 1 ran as [3] right after [1] (out of order, or an earlier run of it); restart the kernel and run all cells'
    """
    cells = [(i, c.execution_count) for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.source.strip()]
    if not cells:
        return None
    if all(count is None for _, count in cells):
        return "never run"
    expected = 1
    for i, count in cells:
        if count is None:
            return f"cell {i} was not run; restart the kernel and run all cells"
        if count != expected:
            if expected == 1:
                return (f"the first code cell (cell {i}) ran as [{count}], not [1]: the kernel was not "
                        "restarted; restart the kernel and run all cells")
            return (f"cell {i} ran as [{count}] right after [{expected - 1}] (out of order, or an earlier "
                    "run of it); restart the kernel and run all cells")
        expected += 1
    return None


def gather_answers(nb: nbformat.NotebookNode, stem: str) -> dict[str, str]:
    """The written answers of a notebook, ``{"<stem>/Q<N>": text}`` (``""`` when not answered)."""
    answers: dict[str, str] = {}
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        m = _ANSWER.match(cell.source)
        if m:
            text = cell.source[m.end():].strip()
            answers[f"{stem}/Q{int(m.group(1))}"] = "" if text in ("", UNANSWERED) else text
    return answers


def workspace_dir(folder: Path) -> Path:
    """Where the checks record the student's functions: ``$NNEDU_WORKSPACE`` or ``FOLDER/workspace``."""
    env = os.environ.get("NNEDU_WORKSPACE")
    return Path(env) if env else folder / "workspace"


def _workspace_files(ws: Path) -> list[Path]:
    if not ws.is_dir():
        return []
    files = sorted(p for p in ws.rglob("*") if p.is_file() and not p.is_symlink()
                   and "__pycache__" not in p.parts and ".ipynb_checkpoints" not in p.parts)
    total = sum(p.stat().st_size for p in files)
    if total > MAX_WORKSPACE_BYTES:
        raise SubmitError(f"{ws} holds {total / 2**20:.0f} MiB; the workspace should hold only your "
                          f"functions (limit {MAX_WORKSPACE_BYTES // 2**20} MiB)")
    return files


def make_submission(folder: str | Path, out: str | Path, force: bool = False, verbose: bool = True) -> Path:
    """Write the archive ``out`` (a ``.zip``) of the course folder ``folder``; see the module docstring.

    Raises
    ------
    SubmitError
        No notebooks, a malformed notebook, a notebook not run top to bottom (unless ``force``),
        or ``out`` not ending in ``.zip``. Nothing is written then.
    """
    folder, out = Path(folder), Path(out)
    if out.suffix.lower() != ".zip":
        raise SubmitError(f"--out must be a .zip file, got {out}")
    if not folder.is_dir():
        raise SubmitError(f"{folder} is not a folder (give your course folder, e.g. my-course)")
    paths = sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith("."))
    if not paths:
        raise SubmitError(f"no notebooks (.ipynb) in {folder}")
    notebooks, answers, status, refused, notes = {}, {}, {}, [], []
    for path in paths:
        try:
            nb = read_notebook(path)
        except StudentCopyError as e:
            raise SubmitError(str(e)) from None
        problem = run_order_problem(nb)
        status[path.name] = problem or "run top to bottom"
        if problem == "never run":
            notes.append(f"{path.name}: never run; bundled as it is (the grader runs it)")
        elif problem:
            refused.append(f"{path.name}: not run top to bottom: {problem}")
        notebooks[path.name] = path.read_bytes()
        answers.update(gather_answers(nb, path.stem))
    if refused and not force:
        raise SubmitError("\n".join(refused + ["(in JupyterLab: Kernel > Restart Kernel and Run All Cells, "
                                               "save, then submit again; --force bundles them anyway)"]))
    ws = workspace_dir(folder)
    ws_files = _workspace_files(ws)
    manifest = {
        "nnedu_version": nnedu.__version__,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "notebooks": status,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, data in notebooks.items():
            z.writestr(name, data)
        for p in ws_files:
            z.write(p, "workspace/" + p.relative_to(ws).as_posix())
        z.writestr("answers.json", json.dumps(answers, indent=1, ensure_ascii=False) + "\n")
        z.writestr("submission.json", json.dumps(manifest, indent=1) + "\n")
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(out, buffer.getvalue())
    if verbose:
        for line in refused + notes:
            print(f"warning: {line}")
        answered = sum(1 for a in answers.values() if a)
        print(f"wrote {out}: {len(notebooks)} notebook(s), {len(ws_files)} workspace file(s), "
              f"{answered} of {len(answers)} written question(s) answered")
    return out
