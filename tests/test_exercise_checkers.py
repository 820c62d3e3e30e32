"""Every exercise checker: correct float64 and float32 work passes, every known bug is diagnosed as
itself, every convention is accepted with its note, and calling nnedu's own version is caught.

The bug signatures are wrong implementations written into the checkers themselves
(:class:`nnedu.exercises.checker.Bug`); running each one through its own checker proves that the
cases tell it apart from the reference and from the bugs listed before it.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nnedu.exercises import EXERCISES, checker


@pytest.fixture(autouse=True)
def _workspace(tmp_path, monkeypatch):
    monkeypatch.setenv("NNEDU_WORKSPACE", str(tmp_path / "workspace"))
    checker._failures.clear()


def _float32(value):
    if isinstance(value, np.ndarray) and np.issubdtype(value.dtype, np.floating):
        return value.astype(np.float32)
    if isinstance(value, tuple):
        return tuple(_float32(v) for v in value)
    return value


BUGS = [(name, i) for name, make in EXERCISES.items() for i in range(len(make().bugs))]
CONVENTIONS = [(name, i) for name, make in EXERCISES.items() for i in range(len(make().conventions))]


def _notebook_solutions() -> dict[str, object]:
    """The reference solutions as the instructor notebooks write them (the cells with a solution block).

    Each notebook's solution cells run, in order, in one namespace with ``np``; an exercise cell holds
    the function definition only (its check is in the next cell).
    """
    import jupytext

    found: dict[str, object] = {}
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.md")):
        namespace: dict[str, object] = {"np": np}
        for cell in jupytext.read(path).cells:
            if cell.cell_type == "code" and "### BEGIN SOLUTION" in cell.source:
                exec(compile(cell.source, f"{path.name}", "exec"), namespace)
        found.update({k: v for k, v in namespace.items() if k in EXERCISES})
    return found


NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
SOLUTIONS = _notebook_solutions()


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_the_notebook_solution_passes_in_float64(name):
    assert name in SOLUTIONS, f"no notebook has a solution cell defining {name}"
    result = checker.check(EXERCISES[name](), SOLUTIONS[name], verbose=False)
    assert result.status == "pass", result.message


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_the_notebook_solution_passes_in_float32(name):
    ex = EXERCISES[name]()
    if ex.exact:
        pytest.skip("integer answers: no float32 version")
    assert name in SOLUTIONS, f"no notebook has a solution cell defining {name}"
    solution = SOLUTIONS[name]

    def in_float32(*args, **kwargs):
        args32 = _float32(args)
        result = _float32(solution(*args32, **kwargs))
        for i in ex.updates:                              # arguments updated in place (running statistics)
            args[i][...] = args32[i]
        return result

    result = checker.check(ex, in_float32, verbose=False)
    assert result.status == "pass", result.message


@pytest.mark.parametrize("name,i", BUGS)
def test_each_bug_is_named(name, i):
    ex = EXERCISES[name]()
    bug = ex.bugs[i]
    result = checker.check(ex, bug.fn, verbose=False, watch_library=False)
    assert result.status == "fail"
    assert bug.message in result.message, f"expected the diagnosis {bug.message!r}, got:\n{result.message}"
    assert "formula:" not in result.message          # not on the first failure


@pytest.mark.parametrize("name,i", CONVENTIONS)
def test_each_convention_is_accepted_with_its_note(name, i):
    ex = EXERCISES[name]()
    convention = ex.conventions[i]
    result = checker.check(ex, convention.fn, verbose=False, watch_library=False)
    assert result.status == "pass", result.message
    assert convention.message in result.message


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_calling_the_library_is_reported(name):
    ex = EXERCISES[name]()
    result = checker.check(ex, ex.reference, verbose=False)
    assert result.status == "fail" and "calls nnedu's own" in result.message


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_a_stub_is_not_implemented_and_records_nothing(name, tmp_path):
    def stub(*args, **kwargs):
        raise NotImplementedError

    result = checker.check(EXERCISES[name](), stub, verbose=False)
    assert result.status == "not implemented" and result.message.startswith(f"TODO  {name}:")
    assert not (tmp_path / "workspace" / f"{name}.py").exists()

