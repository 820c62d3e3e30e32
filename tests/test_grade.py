"""Submitting and grading: fabricated submissions of a tiny two-exercise notebook, one of each kind of trouble."""
from __future__ import annotations

import csv
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from nnedu.exercises.grade import GradeError, grade_all, uses_reference
from nnedu.exercises.reimplements import REIMPLEMENTS
from nnedu.exercises.student import make_student_notebook
from nnedu.exercises.submit import SubmitError, gather_answers, make_submission, run_order_problem

pytest.importorskip("nbclient")
ROOT = Path(__file__).resolve().parents[1]
new_code, new_md = nbformat.v4.new_code_cell, nbformat.v4.new_markdown_cell

#: A fake check following SPEC.md's verdict lines, so the tests do not depend on the real checkers.
SETUP = '''\
def _check(name, fn, cases):
    if "nnedu" in getattr(getattr(fn, "__code__", None), "co_names", ()):
        print(f"FAIL  {name}: your function calls nnedu's own implementation.")
        return
    try:
        wrong = [x for x, y in cases if fn(x) != y]
    except NotImplementedError:
        print(f"TODO  {name}: not implemented yet.")
        return
    except Exception as e:
        print(f"FAIL  {name}\\n  your function raised {type(e).__name__}: {e}")
        return
    print(f"FAIL  {name}\\n  wrong for x = {wrong[0]}" if wrong else f"PASS  {name}: {len(cases)} cases.")


def check_double(fn):
    _check("double", fn, [(1, 2), (2, 4), (-3, -6)])


def check_square(fn):
    _check("square", fn, [(1, 1), (2, 4), (-3, 9)])'''


def source_notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        new_md("# Tiny course"),
        new_code(SETUP),
        new_code("def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION"),
        new_code("check_double(double)"),
        new_code("def square(x):\n    ### BEGIN SOLUTION\n    return x ** 2\n    ### END SOLUTION"),
        new_code("check_square(square)"),
        new_md("**Question 1.** Why is square(-3) positive?"),
        new_md("**Answer 1.**\n### BEGIN SOLUTION\nA product of two negatives.\n### END SOLUTION"),
    ]
    return nb


def student_copy(double: str | None = "return 2 * x", square: str | None = "return x ** 2",
                 answer: str | None = None) -> nbformat.NotebookNode:
    """The student copy, with the stubs replaced by the given bodies, run top to bottom (execution counts)."""
    nb, _ = make_student_notebook(source_notebook(), name="tiny.ipynb")
    for i, body in ((2, double), (4, square)):
        if body is not None:
            nb.cells[i].source = nb.cells[i].source.replace("# YOUR CODE HERE\n    raise NotImplementedError", body)
    if answer is not None:
        nb.cells[7].source = f"**Answer 1.**\n{answer}"
    count = 0
    for cell in nb.cells:
        if cell.cell_type == "code":
            count += 1
            cell.execution_count = count
    return nb


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Grade a folder with one submission of each kind; returns (output folder, reports)."""
    tmp = tmp_path_factory.mktemp("grade")
    src = tmp / "notebooks"
    src.mkdir()
    nbformat.write(source_notebook(), src / "01_tiny.ipynb")
    (src / "01_tiny.md").write_text("a jupytext twin is ignored")
    subs = tmp / "submissions"
    subs.mkdir()

    alice = tmp / "alice-course"             # all correct, via `submit`; also tries the network
    alice.mkdir()
    nb = student_copy(answer="Minus times minus is plus.")
    nb.cells.insert(1, new_code("import socket\ntry:\n    socket.create_connection(('192.0.2.1', 80), timeout=3)\n"
                                "except OSError as e:\n    print('network:', e)", execution_count=1))
    for k, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        cell.execution_count = k + 1
    nbformat.write(nb, alice / "01_tiny.ipynb")
    (alice / "workspace").mkdir()
    (alice / "workspace" / "double.py").write_text("def double(x):\n    return 2 * x\n")
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("NNEDU_WORKSPACE", raising=False)
        make_submission(alice, subs / "alice.zip", verbose=False)

    bob = subs / "bob"                        # partly wrong: double not attempted, square wrong; renamed
    bob.mkdir()
    nbformat.write(student_copy(double=None, square="return 2 * x"), bob / "01_tiny (1).ipynb")

    carol = subs / "carol"                    # an infinite loop in the second exercise
    carol.mkdir()
    nbformat.write(student_copy(square="while True:\n        pass"), carol / "01_tiny.ipynb")

    dave = subs / "dave"                      # raises at import, in the first cell
    dave.mkdir()
    nb = student_copy()
    nb.cells[1].source = "import numpy_but_misspelled\n" + nb.cells[1].source
    nbformat.write(nb, dave / "01_tiny.ipynb")

    erin = subs / "erin"                      # deleted the cell defining double and the check of square
    erin.mkdir()
    nb = student_copy()
    nb.cells[3].source = "check_double(lambda x: 2 * x)"      # a modified check is put back
    del nb.cells[5], nb.cells[2]
    nbformat.write(nb, erin / "01_tiny.ipynb")

    (subs / "frank.txt").write_text("my homework is attached")                    # not a notebook
    (subs / "gina.zip").write_bytes(b"PK\x03\x04 definitely not a zip")         # a broken archive
    (subs / "hugo.ipynb").write_text('{"cells": "no"}')                         # a broken notebook alone

    ivan = subs / "ivan"                      # uses the library: at run time, and imported in the cell
    ivan.mkdir()
    nbformat.write(student_copy(double="import nnedu\n    return 2 * x if nnedu else 0",
                                square="return x * x"), ivan / "01_tiny.ipynb")
    nb = nbformat.read(ivan / "01_tiny.ipynb", as_version=4)
    nb.cells[4].source = "from nnedu.functional import relu\n\n" + nb.cells[4].source
    nbformat.write(nb, ivan / "01_tiny.ipynb")

    out = tmp / "graded"
    with pytest.MonkeyPatch.context() as mp:       # pretend square re-implements nnedu's relu
        mp.setitem(REIMPLEMENTS, "square", ("nnedu.functional.activation.relu",))
        reports = grade_all(subs, out, source=src, timeout=5, verbose=False)
    return out, {r.student: r for r in reports}


def _rows(out: Path) -> dict[str, dict[str, str]]:
    with open(out / "gradebook.csv", newline="") as f:
        return {row["student"]: row for row in csv.DictReader(f)}


def test_gradebook(graded):
    out, _ = graded
    rows = _rows(out)
    assert list(rows) == ["alice", "bob", "carol", "dave", "erin", "frank", "gina", "hugo", "ivan"]
    got = {s: (r["double"], r["square"], r["passed"], r["total"]) for s, r in rows.items()}
    assert got == {
        "alice": ("pass", "pass", "2", "2"),
        "bob": ("not attempted", "fail", "0", "2"),
        "carol": ("pass", "error", "1", "2"),
        "dave": ("error", "error", "0", "2"),
        "erin": ("error", "error", "0", "2"),
        "frank": ("error", "error", "0", "2"),
        "gina": ("error", "error", "0", "2"),
        "hugo": ("error", "error", "0", "2"),
        "ivan": ("fail", "fail", "0", "2"),
    }
    assert "double: the function calls nnedu's own implementation" in rows["ivan"]["problems"]
    assert ("square: the cell defining square uses nnedu's own implementation (from nnedu ... import relu)"
            in rows["ivan"]["problems"])
    assert rows["alice"]["problems"] == ""
    assert "stopped at the time limit (5 s) in cell 5 (`check_square(square)`; an infinite loop?)" in rows["carol"]["problems"]
    assert "raised ModuleNotFoundError: No module named 'numpy_but_misspelled'" in rows["dave"]["problems"]
    assert "the cell defining double (exercise double) was deleted" in rows["erin"]["problems"]
    assert "the check cell of square (check_square) was deleted" in rows["erin"]["problems"]
    assert "the check cell of double was modified; the original check was run" in rows["erin"]["problems"]
    assert rows["frank"]["problems"].startswith("not a notebook (.ipynb), a .zip")
    assert rows["gina"]["problems"].startswith("not a valid .zip")
    assert "not a valid Jupyter notebook" in rows["hugo"]["problems"]


def test_feedback_names_what_to_look_at(graded):
    out, _ = graded
    fb = {p.stem: p.read_text() for p in (out / "feedback").glob("*.md")}
    assert "2 of 2 exercises pass." in fb["alice"] and "PASS  double: 3 cases." in fb["alice"]
    assert "### square: fail" in fb["bob"] and "wrong for x = 1" in fb["bob"]
    assert "### double: not attempted" in fb["bob"] and "TODO  double: not implemented yet." in fb["bob"]
    assert "the check did not finish: stopped at the time limit" in fb["carol"]
    assert "KeyboardInterrupt" not in fb["carol"]
    assert "the check raised NameError: name 'check_double' is not defined" in fb["dave"]
    assert "### square: error" in fb["erin"] and "the check cell of square was deleted" in fb["erin"]
    assert "Problems with the submission" in fb["frank"]


def test_answers_gradescope_and_network(graded):
    out, _ = graded
    assert sorted(p.name for p in (out / "answers").iterdir()) == ["01_tiny_Q1.md"]
    answers = (out / "answers" / "01_tiny_Q1.md").read_text()
    assert answers.startswith("# 01_tiny/Q1\n\n**Question 1.** Why is square(-3) positive?")
    assert "## alice\n\nMinus times minus is plus." in answers and "## bob\n\n*(no answer)*" in answers
    results = json.loads((out / "gradescope" / "bob" / "results.json").read_text())
    assert results["score"] == 0 and [t["name"] for t in results["tests"]] == ["01_tiny/double", "01_tiny/square"]
    assert results["tests"][1]["max_score"] == 1 and results["tests"][1]["output"].startswith("fail\nFAIL  square")
    assert json.loads((out / "gradescope" / "alice" / "results.json").read_text())["score"] == 2
    ran = nbformat.read(out / "executed" / "alice" / "01_tiny.ipynb", as_version=4)
    assert "network: [Errno 101] network access is disabled while grading" in ran.cells[1].outputs[0].text


def test_submit_bundles_and_refuses_notebooks_not_run_in_order(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("NNEDU_WORKSPACE", raising=False)     # the student's workspace: my-course/workspace
    folder = tmp_path / "my-course"
    folder.mkdir()
    nbformat.write(student_copy(answer="Because."), folder / "01_tiny.ipynb")
    (folder / "workspace").mkdir()
    (folder / "workspace" / "status.json").write_text("{}")
    (folder / "01_tiny.md").write_text("not bundled")
    out = make_submission(folder, tmp_path / "alice.zip")
    assert "1 notebook(s), 1 workspace file(s), 1 of 1 written question(s) answered" in capsys.readouterr().out
    with zipfile.ZipFile(out) as z:
        assert sorted(z.namelist()) == ["01_tiny.ipynb", "answers.json", "submission.json", "workspace/status.json"]
        assert json.loads(z.read("answers.json")) == {"01_tiny/Q1": "Because."}
        assert json.loads(z.read("submission.json"))["notebooks"] == {"01_tiny.ipynb": "run top to bottom"}
    nb = student_copy()
    nb.cells[3].execution_count = 7                                    # ran again later
    nbformat.write(nb, folder / "01_tiny.ipynb")
    with pytest.raises(SubmitError, match=r"01_tiny.ipynb: not run top to bottom: cell 3 ran as \[7\] right "
                                          r"after \[2\]"):
        make_submission(folder, tmp_path / "again.zip")
    assert not (tmp_path / "again.zip").exists()
    make_submission(folder, tmp_path / "again.zip", force=True, verbose=False)
    proc = subprocess.run([sys.executable, "-m", "nnedu", "exercises", "submit", str(folder), "--out",
                           str(tmp_path / "cli.zip")], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("nnedu exercises submit: error: 01_tiny.ipynb: not run top to bottom")


def test_run_order_and_answers():
    nb = student_copy()
    assert run_order_problem(nb) is None
    nb.cells[1].execution_count = 4
    assert "not [1]: the kernel was not restarted" in run_order_problem(nb)
    nb.cells[1].execution_count = 1
    nb.cells[3].execution_count = None
    assert run_order_problem(nb).startswith("cell 3 was not run")
    for c in nb.cells:
        if c.cell_type == "code":
            c.execution_count = None
    assert run_order_problem(nb) == "never run"
    assert gather_answers(student_copy(), "01_tiny") == {"01_tiny/Q1": ""}


def test_uses_reference_flags_the_library_inside_an_exercise():
    modules, imported = {"nnedu", "nn"}, {"conv2d_naive"}
    assert uses_reference("def relu_backward(X, G):\n    r = nn.ReLU()\n    r(X)\n    return r.backward(G)",
                          "relu_backward", modules, imported) == "nn.ReLU"
    assert uses_reference("def relu_backward(X, G):\n    from nnedu.nn import ReLU\n", "relu_backward",
                          set(), set()) == "from nnedu ... import ReLU"
    assert uses_reference("def conv2d_naive(x, w, b):\n    return conv2d_naive(x, w, b)", "conv2d_naive",
                          modules, imported) == "conv2d_naive"
    assert uses_reference("def relu_backward(X, G):\n    return G * (X > 0)  # not nn.ReLU", "relu_backward",
                          modules, {"ReLU"}) is None


def test_cli_grade(tmp_path):
    subs, src = tmp_path / "subs", tmp_path / "notebooks"
    subs.mkdir()
    src.mkdir()
    nbformat.write(source_notebook(), src / "01_tiny.ipynb")
    (subs / "zoe.pdf").write_bytes(b"%PDF-1.4")
    run = lambda *a: subprocess.run([sys.executable, "-m", "nnedu", "exercises", "grade", *a],  # noqa: E731
                                    capture_output=True, text=True, cwd=tmp_path)
    proc = run("subs", "--out", "out", "--timeout", "5")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("zoe: 0 pass, 0 fail, 2 error, 0 not attempted (not a notebook")
    assert _rows(tmp_path / "out")["zoe"]["double"] == "error"
    bad = run("subs", "--out", "o", "--timeout", "inf")
    assert bad.returncode == 2 and bad.stderr == ("nnedu exercises grade: error: --timeout must be a positive "
                                                  "number of seconds, got inf\n")
    with pytest.raises(GradeError, match="nowhere is not a folder of submissions"):
        grade_all(tmp_path / "nowhere", tmp_path / "o", source=src)
    with pytest.raises(GradeError, match="no instructor notebooks .* in .*subs"):
        grade_all(subs, tmp_path / "o", source=subs)


def test_grade_a_real_student_copy_of_notebook_01(tmp_path):
    """The student copy of 01 with its stubs filled from the instructor copy passes both checks when graded."""
    notebooks = ROOT / "notebooks"
    instructor = nbformat.read(notebooks / "01_linear_relu.ipynb", as_version=4)
    student, removed = make_student_notebook(instructor, name="01_linear_relu.ipynb", check_leaks=False)
    assert removed >= 2
    for mine, ref in zip(student.cells, instructor.cells):
        if mine.source != ref.source and mine.cell_type == "code":
            mine.source = "\n".join(line for line in ref.source.split("\n") if "SOLUTION" not in line)
    (tmp_path / "subs" / "ann").mkdir(parents=True)
    nbformat.write(student, tmp_path / "subs" / "ann" / "01_linear_relu.ipynb")
    reports = grade_all(tmp_path / "subs", tmp_path / "out", source=notebooks, timeout=300, verbose=False)
    nb01 = reports[0].notebooks["01_linear_relu.ipynb"]
    assert nb01.run == "ran to the end" and nb01.problems == []
    assert nb01.outcomes and all(o.status == "pass" for o in nb01.outcomes.values()), nb01.outcomes
    row = _rows(tmp_path / "out")["ann"]
    assert row["relu_backward"] == row["linear_backward"] == "pass"
    assert row["accuracy"] == "not attempted"                        # notebook 07 was not handed in


def test_unpacking_refuses_hostile_archives(tmp_path, monkeypatch):
    from nnedu.exercises import grade

    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as z:
        z.writestr("../outside.ipynb", "{}")
    (tmp_path / "dest").mkdir()
    with pytest.raises(grade.GradeError, match=r"unsafe path in the archive: '../outside.ipynb'"):
        grade._unpack(evil, tmp_path / "dest", [])
    assert not (tmp_path / "outside.ipynb").exists()
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("01_tiny.ipynb", b"\0" * 3_000_000)            # 3 MB that compress to a few KB
    monkeypatch.setattr(grade, "MAX_ZIP_BYTES", 2**20)
    (tmp_path / "dest2").mkdir()
    with pytest.raises(grade.GradeError, match="unpacks to more than 1 MiB"):
        grade._unpack(bomb, tmp_path / "dest2", [])
