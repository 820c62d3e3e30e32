"""The exercise checks accept correct solutions, reject subtly wrong ones, and say "not implemented yet";
the student-copy generator strips solutions and its notebooks run top to bottom."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from helpers import environment

from nnedu import exercises as ex
from nnedu.exercises.student import make_student_notebook, strip_solutions, write_student_copies

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"


# --- the gradient-check report (the exercise checks themselves: tests/test_exercise_checkers.py) ---------

def test_gradcheck_report(capsys):
    # three bands, as in notebook 01's table: < 1e-7 pass (printed as its order of magnitude, stable
    # between machines), 1e-7..1e-3 grey zone (look closer), >= 1e-3 a bug (one digit)
    assert ex.gradcheck_report("Linear", 3.2e-11)
    assert "relative error ~1e-10  (rounding noise: below 1e-07)  PASS" in capsys.readouterr().out
    assert ex.gradcheck_report("Linear", 4.4e-11).message.endswith("~1e-10  (rounding noise: below 1e-07)  PASS")
    assert ex.gradcheck_report("Linear", 5e-8), "1e-8..1e-7 is still rounding noise"
    capsys.readouterr()
    result = ex.gradcheck_report("ReLU at a kink", 2.4e-5)
    assert not result and result.status == "grey zone"
    assert "relative error 2e-05  (grey zone 1e-07..1e-03" in capsys.readouterr().out
    assert result.message.endswith("LOOK CLOSER") and result.errors["gradcheck"] == 2.4e-5
    assert ex.gradcheck_report("Linear", 1e-7).status == "grey zone"
    assert ex.gradcheck_report("Linear", 1e-3).status == "fail"
    capsys.readouterr()
    assert not ex.gradcheck_report("Linear", 0.5)
    out = capsys.readouterr().out
    assert "relative error 5e-01  (1e-03 or more: a bug)  FAIL" in out and "FAIL  " not in out


# --- the student-copy generator --------------------------------------------------------------------

def test_strip_solutions_keeps_indentation_and_rest():
    src = ("def f(x):\n    \"\"\"Doc.\"\"\"\n    ### BEGIN SOLUTION\n    y = 2 * x\n    return y\n"
           "    ### END SOLUTION\n\nprint('kept')")
    out = strip_solutions(src)
    assert out == ("def f(x):\n    \"\"\"Doc.\"\"\"\n    # YOUR CODE HERE\n    raise NotImplementedError\n"
                   "\nprint('kept')")
    assert "2 * x" not in out
    two = "### BEGIN SOLUTION\na = 1\n### END SOLUTION\nb = 2\n        ### BEGIN SOLUTION\nc\n### END SOLUTION"
    assert strip_solutions(two) == ("# YOUR CODE HERE\nraise NotImplementedError\nb = 2\n"
                                    "        # YOUR CODE HERE\n        raise NotImplementedError")
    assert strip_solutions("no markers\n") == "no markers\n"
    assert strip_solutions("A\n### BEGIN SOLUTION\nsecret\n### END SOLUTION", "markdown") == "A\nYOUR ANSWER HERE"


@pytest.mark.parametrize("bad", ["### BEGIN SOLUTION\nx", "x\n### END SOLUTION",
                                 "### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION"])
def test_strip_solutions_rejects_unbalanced_markers(bad):
    with pytest.raises(ValueError, match="SOLUTION"):
        strip_solutions(bad, where="nb.ipynb, cell 3")


def _toy_notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    out = nbformat.v4.new_output("stream", name="stdout", text="figure stays\n")
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Title"),
        nbformat.v4.new_code_cell("print('lesson')", outputs=[out], execution_count=1),
        nbformat.v4.new_code_cell("def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION",
                                  execution_count=2),
        nbformat.v4.new_code_cell("print(double(2))", outputs=[nbformat.v4.new_output(
            "stream", name="stdout", text="4\n")], execution_count=3),
        nbformat.v4.new_code_cell("print('later lesson')", outputs=[out], execution_count=4),
    ]
    return nb


def test_make_student_notebook_clears_only_answers():
    nb = _toy_notebook()
    student, removed = make_student_notebook(nb)
    assert removed == 1
    assert "return 2 * x" in nb.cells[2].source, "the instructor notebook must not be modified"
    assert "raise NotImplementedError" in student.cells[2].source
    assert student.cells[1].outputs and student.cells[4].outputs      # lesson outputs stay
    assert student.cells[3].outputs == [] and student.cells[3].execution_count is None  # the check's
    all_cleared, _ = make_student_notebook(nb, clear="all")
    assert all(not c.get("outputs") for c in all_cleared.cells if c.cell_type == "code")


def test_cli_writes_student_copies(tmp_path):
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    nbformat.write(_toy_notebook(), src / "toy.ipynb")
    proc = subprocess.run([sys.executable, "-m", "nnedu", "exercises", "student", str(src), str(out)],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert "1 solution(s) removed" in proc.stdout
    student = nbformat.read(out / "toy.ipynb", as_version=4)
    assert "return 2 * x" not in "".join(c.source for c in student.cells)
    bad = subprocess.run([sys.executable, "-m", "nnedu", "exercises", "student", str(src), str(src)],
                         capture_output=True, text=True, cwd=ROOT)
    assert bad.returncode != 0 and "OUT must differ" in bad.stderr


# --- the generator on the real notebooks ---------------------------------------------------------------

#: Notebooks whose student copies are executed here (quick mode, a few seconds each).
EXECUTED = sorted(p.name for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))   # every lesson, 00 included


def _all_notebooks() -> list[Path]:
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def test_generator_strips_every_notebook(tmp_path):
    notebooks = _all_notebooks()
    assert {p.name for p in notebooks} >= set(EXECUTED)
    written = write_student_copies(NOTEBOOKS, tmp_path, verbose=False)
    assert sorted(p.name for p in written) == [p.name for p in notebooks]
    for original, copy in zip(notebooks, sorted(written)):
        source_nb = nbformat.read(original, as_version=4)
        student = nbformat.read(copy, as_version=4)
        n_solutions = sum(c.source.count("### BEGIN SOLUTION") for c in source_nb.cells)
        text = "\n".join(c.source for c in student.cells)
        assert "### BEGIN SOLUTION" not in text and "### END SOLUTION" not in text
        assert text.count("raise NotImplementedError") + text.count("YOUR ANSWER HERE") >= n_solutions
        assert len(student.cells) == len(source_nb.cells)
        for a, b in zip(source_nb.cells, student.cells):   # everything without a solution is kept verbatim
            if "### BEGIN SOLUTION" not in a.source:
                assert a.source == b.source
        assert n_solutions >= 1, f"{original.name} has no exercise and no written question"


@pytest.mark.parametrize("name", EXECUTED)
def test_student_notebook_runs_top_to_bottom(name, tmp_path):
    """The student copy executes without errors in quick mode; its checks say "not implemented yet"."""
    nbclient = pytest.importorskip("nbclient")
    student, removed = make_student_notebook(nbformat.read(NOTEBOOKS / name, as_version=4), name=name)
    assert removed >= 1, f"{name} has no exercise or written question with solution markers"
    # The kernel inherits the environment: quick mode, and one BLAS thread (on a busy 2-core machine a
    # multi-threaded OpenBLAS makes the small matrix products of quick mode many times slower).
    with environment(NNEDU_QUICK="1", OPENBLAS_NUM_THREADS="1", NNEDU_WORKSPACE=str(tmp_path / "workspace")):
        nbclient.NotebookClient(student, timeout=120, kernel_name="python3",
                                resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    outputs = [o for c in student.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    printed = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    stubs = sum(c.source.count("raise NotImplementedError") for c in student.cells if c.cell_type == "code")
    assert printed.count("not implemented yet") == stubs      # (removed also counts written answers)
    assert "FAIL  " not in printed                         # no check fails (the BuggyLinear demo prints "bug)  FAIL")
