r"""``python -m nnedu exercises grade``: run every submission of a class and write what an instructor needs.

For each submission in a folder (a ``.zip`` from ``submit``, a folder, or a single notebook; the
student is named by its file name), :func:`grade_all`

1. copies it into a temporary folder (this becomes the kernel's working directory, so the
   submission's own ``workspace/`` is the one the later notebooks load);
2. matches each notebook with the instructor notebook of the same name in ``--source``, whose
   ``check_<name>(`` calls give the exercises, and puts the instructor's check cells back in
   place (a deleted exercise or check cell is reported, a modified check cell is restored);
3. runs it with nbclient in a fresh kernel: a time limit per notebook, quick mode unless
   ``quick=False``, and no network (a ``sitecustomize`` on the kernel's ``PYTHONPATH`` refuses
   Python socket connections and name lookups to anything but the loopback interface, over which
   the kernel talks to nbclient);
4. reads the verdict line of each check, ``^(PASS|FAIL|TODO)  (\w+)`` (SPEC.md), and maps it to
   ``pass``, ``fail``, ``not attempted``; no verdict (the notebook crashed, timed out, or lost the
   check cell) is ``error``. An exercise whose cell uses nnedu's own implementation
   (:data:`~nnedu.exercises.reimplements.REIMPLEMENTS`), or whose check says so ("calls nnedu's own"),
   is a ``fail``.

and writes to ``out``:

* ``gradebook.csv``: one row per student, one column per exercise, totals, and the problems found;
* ``feedback/<student>.md``: the checker messages and problems, for the student;
* ``answers/<notebook>_Q<N>.md``: one file per written question, every student's answer, for marking;
* ``gradescope/<student>/results.json``: Gradescope's autograder format (one test per exercise);
* ``executed/<student>/<notebook>.ipynb``: the notebooks as the grader ran them, to look into.

A broken submission (not a notebook, an infinite loop, a crash, deleted cells) is reported as
such and never stops the grading of the others.
"""
from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from nnedu.exercises.reimplements import leaky_names, matches
from nnedu.exercises.student import StudentCopyError, atomic_write_bytes, question_cells, read_notebook
from nnedu.exercises.submit import gather_answers

VERDICT = re.compile(r"^(PASS|FAIL|TODO)  (\w+)", re.MULTILINE)
OUTCOME = {"PASS": "pass", "FAIL": "fail", "TODO": "not attempted"}
_CHECK = re.compile(r"(?<!def )\bcheck_(\w+)\s*\(\s*([A-Za-z_]\w*)?")
#: Caps for unpacking a submitted .zip (a class's notebooks are a few MB each).
MAX_ZIP_BYTES = 200 * 2**20
MAX_ZIP_MEMBERS = 2000

_NO_NETWORK = '''\
"""Loaded by every grading kernel (nnedu exercises grade): no network but the loopback interface."""
import errno as _errno
import socket as _socket

_connect, _connect_ex, _sendto = _socket.socket.connect, _socket.socket.connect_ex, _socket.socket.sendto
_getaddrinfo = _socket.getaddrinfo
_LOCAL = ("localhost", "::1", "0.0.0.0", "")


def _local(host):
    host = host.decode() if isinstance(host, bytes) else str(host)
    return host in _LOCAL or host.startswith("127.") or host.startswith("::ffff:127.")


def _refuse(address):
    raise OSError(_errno.ENETUNREACH, f"network access is disabled while grading (tried {address!r})")


def _guard(self, address):
    if self.family in (_socket.AF_INET, _socket.AF_INET6) and not _local(address[0]):
        _refuse(address)


def connect(self, address):
    _guard(self, address)
    return _connect(self, address)


def connect_ex(self, address):
    _guard(self, address)
    return _connect_ex(self, address)


def sendto(self, data, *args):
    _guard(self, args[-1])
    return _sendto(self, data, *args)


def getaddrinfo(host, *args, **kwargs):
    if host is not None and not _local(host):
        _refuse(host)
    return _getaddrinfo(host, *args, **kwargs)


_socket.socket.connect, _socket.socket.connect_ex, _socket.socket.sendto = connect, connect_ex, sendto
_socket.getaddrinfo = getaddrinfo
'''


class GradeError(ValueError):
    """The grading cannot start (no submissions folder, no instructor notebooks, ...)."""


@dataclass
class SourceNotebook:
    """What an instructor notebook asks for."""

    name: str                                  # "01_linear_relu.ipynb"
    exercises: list[str]                       # in order of their checks
    check_source: dict[str, str]               # exercise -> the instructor's check cell
    function: dict[str, str]                   # exercise -> the name of the student's function
    questions: dict[int, str]                  # N -> the question's text

    @property
    def stem(self) -> str:
        return Path(self.name).stem


@dataclass
class Outcome:
    """One exercise of one student."""

    status: str                                # pass, fail, error, not attempted
    message: str = ""


@dataclass
class NotebookReport:
    """One notebook of one student."""

    name: str
    run: str = "not run"                       # "ran to the end", "timeout ...", "kernel died ...", ...
    problems: list[str] = field(default_factory=list)
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    executed: nbformat.NotebookNode | None = None   # the notebook with the outputs of the grading run


@dataclass
class StudentReport:
    """Everything graded for one student."""

    student: str
    problem: str = ""                          # the submission as a whole is unusable
    notebooks: dict[str, NotebookReport] = field(default_factory=dict)
    answers: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    def outcome(self, notebook: str, exercise: str) -> Outcome:
        report = self.notebooks.get(notebook)
        if report is None or exercise not in report.outcomes:
            return Outcome("error", self.problem) if self.problem else Outcome(
                "not attempted", "the notebook is not in the submission")
        return report.outcomes[exercise]


def read_source(source: str | Path) -> list[SourceNotebook]:
    """The exercises and questions of every instructor notebook in ``source`` (those with checks or questions)."""
    source = Path(source)
    paths = sorted(source.glob("*.ipynb")) if source.is_dir() else []
    if not paths:
        raise GradeError(f"no instructor notebooks (.ipynb) in {source} (give them with --source)")
    notebooks = []
    for path in paths:
        try:
            nb = read_notebook(path)
            questions = question_cells(nb, where=path.name)
        except StudentCopyError as e:
            raise GradeError(str(e)) from None
        exercises, check_source, function = [], {}, {}
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            for name, fn in _CHECK.findall(cell.source):
                if name not in check_source:
                    exercises.append(name)
                    check_source[name] = cell.source
                    function[name] = fn or name
        texts = {n: nb.cells[q].source.strip() for n, (q, _) in questions.items()}
        if exercises or texts:
            notebooks.append(SourceNotebook(path.name, exercises, check_source, function, texts))
    return notebooks


def _first_code_cell(nb: nbformat.NotebookNode, pattern: str) -> int | None:
    rx = re.compile(pattern, re.MULTILINE)
    return next((i for i, c in enumerate(nb.cells) if c.cell_type == "code" and rx.search(c.source)), None)


_NNEDU_MODULES = {"nn", "functional", "optim", "metrics", "train", "data", "models", "checking", "conv",
                  "pooling", "batchnorm", "activation", "lr_scheduler", "loss", "linear", "exercises",
                  "reference", "workspace", "student_nn"}


def _nnedu_aliases(nb: nbformat.NotebookNode) -> tuple[set[str], set[str]]:
    """Names bound to nnedu modules (``nnedu``, ``nn``, ``F``, ...) and other names imported from nnedu."""
    modules, names = set(), set()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for m in re.finditer(r"^\s*import\s+(nnedu[\w.]*)(?:\s+as\s+(\w+))?", cell.source, re.M):
            modules.add(m.group(2) or m.group(1).split(".")[0])
        for m in re.finditer(r"^\s*from\s+(nnedu[\w.]*)\s+import\s+\(?([\w\s,]+)\)?", cell.source, re.M):
            for part in m.group(2).split(","):
                words = part.split()
                if words:
                    (modules if words[0] in _NNEDU_MODULES else names).add(words[-1])
    return modules, names


def uses_reference(cell_source: str, exercise: str, modules: set[str], imported: set[str]) -> str | None:
    """The nnedu implementation of ``exercise`` that a student's cell uses, or ``None``.

    Flags an import inside the cell of a name that re-implements the exercise, and an attribute chain
    on an nnedu module (``nn.ReLU``, ``nnedu.metrics.accuracy``) or a name imported from nnedu that
    ends with one (see :func:`nnedu.exercises.reimplements.leaky_names`).
    """
    names = leaky_names(exercise, include_exercise=False)
    code = "\n".join(line.split("#")[0] for line in cell_source.split("\n"))
    code = re.sub(r"\bdef\s+\w+", "def", code)
    for m in re.finditer(r"^\s*from\s+nnedu[\w.]*\s+import\s+\(?([\w\s,]+)\)?", code, re.M):
        for part in m.group(1).split(","):
            words = part.split()
            if words and matches(words[0], names):
                return f"from nnedu ... import {words[0]}"
    for m in re.finditer(r"(?<![\w.])([A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)*)", code):
        dotted = m.group(1)
        head = dotted.split(".")[0]
        if (head in modules and "." in dotted) or head in imported:
            if matches(dotted, names):
                return dotted
    return None


def _cell_text(cell: nbformat.NotebookNode) -> tuple[str, str]:
    """(stdout text, error text) of an executed cell."""
    out, err = [], []
    for o in cell.get("outputs", []):
        if o.output_type == "stream" and o.name == "stdout":
            out.append(o.text)
        elif o.output_type == "error":
            err.append(f"{o.ename}: {o.evalue}")
    return "".join(out), "\n".join(err)


def _verdict(text: str, exercise: str) -> tuple[str, str] | None:
    """The last verdict line for ``exercise`` in ``text`` and its message (up to the next verdict)."""
    found = [m for m in VERDICT.finditer(text) if m.group(2) == exercise]
    if not found:
        return None
    m = found[-1]
    nxt = VERDICT.search(text, m.end())
    return m.group(1), text[m.start(): nxt.start() if nxt else len(text)].strip()


def _kernel_env(workdir: Path, nonet: Path, quick: bool) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(nonet)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    env["NNEDU_WORKSPACE"] = str(workdir / "workspace")
    if quick:
        env["NNEDU_QUICK"] = "1"
    else:
        env.pop("NNEDU_QUICK", None)
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    return env


def run_notebook(nb: nbformat.NotebookNode, workdir: Path, timeout: float, env: dict[str, str]) -> str:
    """Execute ``nb`` in place in a fresh kernel; returns how the run ended, in words.

    Errors in cells do not stop the run (later checks still run); the run stops at the time limit
    (for the whole notebook) or when the kernel dies.
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    client = NotebookClient(nb, kernel_name="python3", allow_errors=True, timeout=max(1, math.ceil(timeout)),
                            startup_timeout=120, resources={"metadata": {"path": str(workdir)}})
    def where(i: int) -> str:
        first = nb.cells[i].source.strip().split("\n")[0][:60]
        return f"cell {i} (`{first}`"

    with client.setup_kernel(env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL):
        deadline = time.monotonic() + timeout
        for i, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return f"stopped at the time limit ({timeout:g} s) before cell {i}"
            client.timeout = max(1, math.ceil(remaining))
            try:
                client.execute_cell(cell, i)
            except CellTimeoutError:
                return f"stopped at the time limit ({timeout:g} s) in {where(i)}; an infinite loop?)"
            except DeadKernelError:
                return f"the kernel died in {where(i)}; out of memory, or the code exited Python)"
    return "ran to the end"


def grade_notebook(nb: nbformat.NotebookNode, src: SourceNotebook, workdir: Path, timeout: float,
                   env: dict[str, str]) -> NotebookReport:
    """Restore the checks of ``nb`` from ``src``, run it, and read the verdict of every exercise."""
    report = NotebookReport(src.name)
    modules, imported = _nnedu_aliases(nb)
    check_cell, cheats = {}, {}
    for ex in src.exercises:
        fn = src.function[ex]
        def_cell = _first_code_cell(nb, rf"^\s*def\s+{re.escape(fn)}\s*\(")
        if def_cell is None:
            report.problems.append(f"the cell defining {fn} (exercise {ex}) was deleted")
        else:
            used = uses_reference(nb.cells[def_cell].source, ex, modules, imported)
            if used:
                cheats[ex] = f"the cell defining {fn} uses nnedu's own implementation ({used})"
                report.problems.append(f"{ex}: {cheats[ex]}")
        i = _first_code_cell(nb, rf"(?<!def )\bcheck_{re.escape(ex)}\s*\(")
        if i is None:
            report.problems.append(f"the check cell of {ex} (check_{ex}) was deleted")
            continue
        if " ".join(nb.cells[i].source.split()) != " ".join(src.check_source[ex].split()):
            report.problems.append(f"the check cell of {ex} was modified; the original check was run")
            nb.cells[i].source = src.check_source[ex]
        check_cell[ex] = i
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    report.run = run_notebook(nb, workdir, timeout, env)
    report.executed = nb
    errors = [(i, _cell_text(c)[1]) for i, c in enumerate(nb.cells) if c.cell_type == "code" and _cell_text(c)[1]
              and not _cell_text(c)[1].startswith("KeyboardInterrupt")]   # the interrupt at the time limit
    if errors:
        i, text = errors[0]
        first = nb.cells[i].source.strip().split("\n")[0][:60]
        report.problems.append(f"cell {i} (`{first}`) raised {text.splitlines()[0]}"
                               + (f" (and {len(errors) - 1} more cell(s) raised)" if len(errors) > 1 else ""))
    for ex in src.exercises:
        if ex not in check_cell:
            report.outcomes[ex] = Outcome("error", f"the check cell of {ex} was deleted")
            continue
        out, err = _cell_text(nb.cells[check_cell[ex]])
        verdict = _verdict(out, ex)
        if verdict is None:
            if err.startswith("KeyboardInterrupt") or (not err and report.run != "ran to the end"):
                why = "the check did not finish: " + report.run
            elif err:
                why = f"the check raised {err.splitlines()[0]}"
            else:
                why = "the check printed no verdict"
            report.outcomes[ex] = Outcome("error", why)
            continue
        status, message = verdict
        outcome = Outcome(OUTCOME[status], message)
        if "calls nnedu's own" in message or ex in cheats:
            outcome = Outcome("fail", message + ("\n" + cheats[ex] if ex in cheats else ""))
            if ex not in cheats:
                report.problems.append(f"{ex}: the function calls nnedu's own implementation")
        report.outcomes[ex] = outcome
    return report


def _safe_extract(archive: Path, dest: Path) -> None:
    try:
        with zipfile.ZipFile(archive) as z:
            members = z.infolist()
            if len(members) > MAX_ZIP_MEMBERS:
                raise GradeError(f"{len(members)} files in the archive (limit {MAX_ZIP_MEMBERS})")
            budget = MAX_ZIP_BYTES
            for info in members:
                parts = Path(info.filename).parts
                if info.filename.startswith(("/", "\\")) or ".." in parts or (parts and ":" in parts[0]):
                    raise GradeError(f"unsafe path in the archive: {info.filename!r}")
                target = dest.joinpath(*parts) if parts else dest
                if info.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                with z.open(info) as src, open(target, "wb") as dst:
                    while chunk := src.read(2**20):
                        budget -= len(chunk)
                        if budget < 0:
                            raise GradeError(f"the archive unpacks to more than {MAX_ZIP_BYTES // 2**20} MiB")
                        dst.write(chunk)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, NotImplementedError) as e:
        raise GradeError(f"not a valid .zip ({e})") from None


def _unpack(entry: Path, dest: Path, sources: list[SourceNotebook]) -> Path:
    """Copy the submission ``entry`` into ``dest``; returns the folder holding its notebooks."""
    if entry.is_dir():
        def skipped(folder: str, names: list[str]) -> set[str]:   # checkpoints, and links (they may loop)
            return {n for n in names if n == ".ipynb_checkpoints" or os.path.islink(os.path.join(folder, n))}

        shutil.copytree(entry, dest, ignore=skipped, dirs_exist_ok=True)
    elif entry.suffix.lower() == ".zip":
        _safe_extract(entry, dest)
    elif entry.suffix.lower() == ".ipynb":             # one notebook: named after the course notebook it is
        try:
            nb = read_notebook(entry)
        except StudentCopyError as e:
            raise GradeError(str(e).replace(str(entry), entry.name)) from None
        text = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
        name = next((s.name for s in sources if s.name == entry.name), None) or next(
            (s.name for s in sources if s.exercises and all(f"check_{ex}" in text for ex in s.exercises)), None)
        if name is None:
            raise GradeError(f"{entry.name} is none of the course notebooks (no check of theirs in it)")
        shutil.copy(entry, dest / name)
    else:
        raise GradeError("not a notebook (.ipynb), a .zip from `nnedu exercises submit`, or a folder")
    root = dest
    if not list(root.glob("*.ipynb")):            # a zip of the whole course folder: one level down
        subdirs = [d for d in root.iterdir() if d.is_dir() and list(d.glob("*.ipynb"))]
        if len(subdirs) == 1:
            root = subdirs[0]
    if not list(root.glob("*.ipynb")):
        raise GradeError("no notebooks (.ipynb) in the submission")
    return root


def _rename_by_content(workdir: Path, sources: list[SourceNotebook]) -> None:
    """Give a renamed notebook (``01_linear_relu (1).ipynb``) its course name, found by its check calls."""
    names = {s.name for s in sources}
    strays = [p for p in sorted(workdir.glob("*.ipynb")) if p.name not in names]
    for src in sources:
        if (workdir / src.name).exists() or not src.exercises:
            continue
        for p in strays:
            try:
                text = p.read_text(encoding="utf-8", errors="replace")[:MAX_ZIP_BYTES]
            except OSError:
                continue
            if all(f"check_{ex}" in text for ex in src.exercises):
                p.rename(workdir / src.name)
                strays.remove(p)
                break


def grade_submission(entry: Path, sources: list[SourceNotebook], timeout: float, quick: bool,
                     nonet: Path, verbose: bool = True) -> StudentReport:
    """Grade one submission; never raises (problems are in the report)."""
    report = StudentReport(entry.stem if not entry.is_dir() else entry.name)
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="nnedu-grade-") as tmp:
        try:
            workdir = _unpack(entry, Path(tmp), sources)
        except GradeError as e:
            report.problem = str(e)
            return report
        env = _kernel_env(workdir, nonet, quick)
        _rename_by_content(workdir, sources)
        for src in sources:
            path = workdir / src.name
            if not path.exists():
                continue
            try:
                nb = read_notebook(path)
            except StudentCopyError as e:
                report.notebooks[src.name] = NotebookReport(src.name, run="not a notebook",
                                                            problems=[str(e).replace(str(workdir) + os.sep, "")])
                report.notebooks[src.name].outcomes = {ex: Outcome("error", "not a valid notebook")
                                                       for ex in src.exercises}
                continue
            report.answers.update(gather_answers(nb, src.stem))
            try:
                report.notebooks[src.name] = grade_notebook(nb, src, workdir, timeout, env)
            except Exception as e:  # the kernel would not start, ...: report it, grade the others
                report.notebooks[src.name] = NotebookReport(src.name, run=f"could not run: {type(e).__name__}: {e}")
                report.notebooks[src.name].outcomes = {ex: Outcome("error", "the notebook could not be run")
                                                       for ex in src.exercises}
        if not report.notebooks and not report.problem:
            report.problem = "none of the course notebooks is in the submission"
    report.seconds = time.monotonic() - start
    return report


def _columns(sources: list[SourceNotebook]) -> list[tuple[str, str, str]]:
    """(notebook name, exercise, column title); the title is the exercise name unless two notebooks share it."""
    all_ex = [ex for s in sources for ex in s.exercises]
    return [(s.name, ex, ex if all_ex.count(ex) == 1 else f"{s.stem}/{ex}") for s in sources for ex in s.exercises]


def _problems(report: StudentReport) -> list[str]:
    lines = [report.problem] if report.problem else []
    for nbr in report.notebooks.values():
        if nbr.run != "ran to the end":
            lines.append(f"{nbr.name}: {nbr.run}")
        lines += [f"{nbr.name}: {p}" for p in nbr.problems]
    return lines


def gradebook_csv(reports: list[StudentReport], sources: list[SourceNotebook]) -> str:
    """The gradebook: one row per student, one column per exercise, totals, problems."""
    cols = _columns(sources)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["student"] + [c[2] for c in cols] + ["passed", "failed", "errors", "not attempted", "total",
                                                     "problems"])
    for r in reports:
        statuses = [r.outcome(nb, ex).status for nb, ex, _ in cols]
        w.writerow([r.student] + statuses + [statuses.count(s) for s in ("pass", "fail", "error", "not attempted")]
                   + [len(cols), "; ".join(_problems(r))])
    return buf.getvalue()


def feedback_markdown(report: StudentReport, sources: list[SourceNotebook]) -> str:
    """The feedback for one student: a summary, the problems, every checker message."""
    cols = _columns(sources)
    passed = sum(report.outcome(nb, ex).status == "pass" for nb, ex, _ in cols)
    lines = [f"# Feedback for {report.student}", "", f"{passed} of {len(cols)} exercises pass.", ""]
    problems = _problems(report)
    if problems:
        lines += ["## Problems with the submission", ""] + [f"- {p}" for p in problems] + [""]
    for src in sources:
        if not src.exercises:
            continue
        lines += [f"## {src.stem}", ""]
        for ex in src.exercises:
            o = report.outcome(src.name, ex)
            lines += [f"### {ex}: {o.status}", ""]
            if o.message:
                lines += ["```text", o.message, "```", ""]
    return "\n".join(lines)


def answers_markdown(src: SourceNotebook, n: int, reports: list[StudentReport]) -> str:
    """Every student's answer to one written question, for marking by hand."""
    qid = f"{src.stem}/Q{n}"
    lines = [f"# {qid}", "", src.questions[n], ""]
    for r in reports:
        answer = r.answers.get(qid)
        lines += [f"## {r.student}", "", answer if answer else "*(no answer)*", ""]
    return "\n".join(lines)


def gradescope_results(report: StudentReport, sources: list[SourceNotebook]) -> dict:
    """Gradescope's autograder ``results.json``: one test per exercise, 1 point each."""
    tests = []
    for nb, ex, title in _columns(sources):
        o = report.outcome(nb, ex)
        tests.append({"name": f"{Path(nb).stem}/{ex}", "score": 1.0 if o.status == "pass" else 0.0,
                      "max_score": 1.0, "status": "passed" if o.status == "pass" else "failed",
                      "output": f"{o.status}\n{o.message}".strip()})
    problems = _problems(report)
    return {"score": sum(t["score"] for t in tests), "tests": tests,
            "output": "\n".join(problems) if problems else "All notebooks ran to the end."}


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, text.encode("utf-8"))


def _safe_name(name: str) -> str:
    return re.sub(r"[^\w.-]", "_", name) or "_"


def grade_all(submissions: str | Path, out: str | Path, source: str | Path = "notebooks",
              timeout: float = 120.0, quick: bool = True, verbose: bool = True) -> list[StudentReport]:
    """Grade every entry of ``submissions`` and write the gradebook, feedback, answers and Gradescope files.

    Parameters
    ----------
    submissions : path
        A folder whose entries are the submissions (``.zip``, folders, or single notebooks).
    out : path
        Output folder (created).
    source : path
        The instructor notebooks, which say which exercises and questions each notebook has.
    timeout : float
        Seconds each notebook may run.
    quick : bool
        Run in quick mode (``NNEDU_QUICK=1``: small data, one epoch); the checks are the same.
    """
    submissions, out = Path(submissions), Path(out)
    if not submissions.is_dir():
        raise GradeError(f"{submissions} is not a folder of submissions")
    sources = read_source(source)
    entries = sorted(p for p in submissions.iterdir() if not p.name.startswith("."))
    if not entries:
        raise GradeError(f"no submissions in {submissions}")
    if out.resolve() in [e.resolve() for e in entries]:
        raise GradeError(f"--out {out} is inside the submissions folder")
    out.mkdir(parents=True, exist_ok=True)
    reports = []
    with tempfile.TemporaryDirectory(prefix="nnedu-nonet-") as nonet:
        (Path(nonet) / "sitecustomize.py").write_text(_NO_NETWORK)
        for entry in entries:
            r = grade_submission(entry, sources, timeout, quick, Path(nonet))
            reports.append(r)
            if verbose:
                cols = _columns(sources)
                counts = [r.outcome(nb, ex).status for nb, ex, _ in cols]
                extra = f" ({r.problem})" if r.problem else ""
                print(f"{r.student}: {counts.count('pass')} pass, {counts.count('fail')} fail, "
                      f"{counts.count('error')} error, {counts.count('not attempted')} not attempted"
                      f"{extra} [{r.seconds:.0f} s]", file=sys.stdout, flush=True)
    names: list[str] = []
    for r in reports:                            # alice.zip and alice/ get distinct files
        name, k = _safe_name(r.student), 2
        while name in names:
            name, k = f"{_safe_name(r.student)}-{k}", k + 1
        names.append(name)
    _write(out / "gradebook.csv", gradebook_csv(reports, sources))
    for r, name in zip(reports, names):
        _write(out / "feedback" / f"{name}.md", feedback_markdown(r, sources))
        _write(out / "gradescope" / name / "results.json",
               json.dumps(gradescope_results(r, sources), indent=1, ensure_ascii=False) + "\n")
        for nbr in r.notebooks.values():
            if nbr.executed is not None:
                _write(out / "executed" / name / nbr.name, nbformat.writes(nbr.executed) + "\n")
    for src in sources:
        for n in src.questions:
            _write(out / "answers" / f"{src.stem}_Q{n}.md", answers_markdown(src, n, reports))
    if verbose:
        print(f"wrote gradebook.csv, feedback/, answers/, gradescope/ and executed/ to {out}")
    return reports
