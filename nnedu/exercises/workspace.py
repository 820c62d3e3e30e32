"""Your code, kept: the functions you write in one notebook, run again by the later ones.

Each exercise check (``check_relu_backward(relu_backward)``, ...) copies the source
of the function it was given into the *workspace*, a folder of plain Python files
next to your notebooks::

    workspace/relu_backward.py     your function, with a comment saying where it came from
    workspace/status.json          the last verdict of each check

(``$NNEDU_WORKSPACE`` names another folder.) When notebook 07 trains an MLP and
notebook 08 a LeNet-5, :func:`load` reads that folder back, and the layers, the
loss, the optimizer, the schedule and the training loop call *your* functions.
Whatever you have not written yet comes from :mod:`nnedu.exercises.reference`
instead, and :meth:`StudentCode.table` says which is which.

Your functions may use ``np`` (NumPy) and each other, nothing else from the notebook:
each file is run on its own with ``import numpy as np`` in front of it.
"""
from __future__ import annotations

import inspect
import json
import os
import textwrap
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np

from nnedu._atomic import atomic_write
from nnedu.exercises import reference

#: Environment variable naming the workspace folder (default: ``workspace`` in the working directory).
ENV = "NNEDU_WORKSPACE"

#: Every exercise, in course order: the public functions of :mod:`nnedu.exercises.reference`.
EXERCISES: tuple[str, ...] = tuple(
    name for name, f in vars(reference).items()
    if inspect.isfunction(f) and f.__module__ == reference.__name__ and not name.startswith("_"))


def folder() -> Path:
    """The workspace folder: ``$NNEDU_WORKSPACE``, else ``./workspace``."""
    return Path(os.environ.get(ENV) or "workspace")


def _write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that the file appears whole or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path, "w", encoding="utf-8") as f:
        f.write(text)


def statuses(path: str | Path | None = None) -> dict[str, dict[str, str]]:
    """``{exercise: {"status": "pass" | "fail", "notebook": ...}}`` from ``status.json`` (empty if none)."""
    try:
        data = json.loads((Path(path or folder()) / "status.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def record(name: str, fn: Callable[..., Any], status: str, notebook: str = "") -> bool:
    """Copy the source of the student's ``fn`` into ``workspace/<name>.py`` and remember the verdict.

    Returns False (and records nothing) when there is no source to copy: a built-in or a lambda.
    """
    if getattr(fn, "__name__", "") == "<lambda>":
        return False
    try:
        source = textwrap.dedent(inspect.getsource(fn))
    except (OSError, TypeError):
        return False
    if getattr(fn, "__name__", name) != name:      # e.g. check_relu_backward(my_relu_backward)
        source += f"\n\n{name} = {fn.__name__}\n"
    where = f" in {notebook}" if notebook else ""
    header = (f"# {name}: written by you{where}; copied here by check_{name} (last check: {status.upper()}).\n"
              f"# Later notebooks run this code. Change it in the notebook and check it again:\n"
              f"# the check overwrites this file.\n\n")
    _write_atomically(folder() / f"{name}.py", header + source)
    table = statuses()
    table[name] = {"status": status, "notebook": notebook}
    _write_atomically(folder() / "status.json", json.dumps(table, indent=1, sort_keys=True) + "\n")
    return True


class StudentCode:
    """The exercise functions: the student's where the workspace has them, the reference elsewhere.

    ``code.relu_backward`` is the student's ``relu_backward`` if it was checked in some notebook
    (whatever its verdict: a wrong function is used, and the table says so), else the reference.
    """

    def __init__(self, path: str | Path | None = None) -> None:
        self.folder = Path(path) if path is not None else folder()
        self.problems: dict[str, str] = {}
        # The reference functions first, so that one of yours may call another you have not written yet.
        namespace: dict[str, Any] = {name: getattr(reference, name) for name in EXERCISES}
        namespace.update(np=np, __name__="workspace")
        for file in sorted(self.folder.glob("*.py")) if self.folder.is_dir() else []:
            try:
                exec(compile(file.read_text(encoding="utf-8"), str(file), "exec"), namespace)
            except Exception as e:  # noqa: BLE001 - a broken file falls back to the reference, said why
                self.problems[file.stem] = f"{type(e).__name__}: {e}"
        self.status = statuses(self.folder)
        self.functions: dict[str, Callable[..., Any]] = {}
        self.yours: set[str] = set()
        for name in EXERCISES:
            fn = namespace.get(name)
            if callable(fn) and name not in self.problems and getattr(fn, "__module__", "") == "workspace":
                self.functions[name] = fn
                self.yours.add(name)
            else:
                self.functions[name] = getattr(reference, name)

    def __getattr__(self, name: str) -> Callable[..., Any]:
        functions = self.__dict__.get("functions", {})
        if name in functions:
            return functions[name]
        raise AttributeError(f"StudentCode: no exercise named {name!r}; the exercises are {', '.join(EXERCISES)}")

    def whose(self, name: str) -> str:
        """'yours (check passed)', 'yours (check FAILED)' or 'reference (...)' for one exercise."""
        if name in self.yours:
            status = self.status.get(name, {}).get("status", "")
            return {"pass": "yours (check passed)", "fail": "yours (check FAILED)"}.get(status, "yours")
        if name in self.problems:
            return f"reference (yours does not load: {self.problems[name]})"
        return "reference (yours not written yet)"

    def table(self, parts: Iterable[tuple[str, str]]) -> str:
        """A table of ``(part of the network, exercise)`` rows with whose code runs each; also printed."""
        rows = [("part of the network", "function", "whose code")]
        rows += [(part, name, self.whose(name)) for part, name in parts]
        widths = [max(len(r[i]) for r in rows) for i in range(2)]
        lines = [f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c}" for a, b, c in rows]
        lines.insert(1, "-" * len(lines[0]))
        text = "\n".join(lines)
        print(text)
        return text


def load(path: str | Path | None = None) -> StudentCode:
    """Read the workspace: every exercise function, the student's where it exists.

    Parameters
    ----------
    path : path, optional
        The workspace folder; by default :func:`folder`.
    """
    return StudentCode(path)
