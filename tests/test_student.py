"""The student-copy generator: lenient markers, no answer left behind, a student's work never overwritten."""
from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from nnedu.exercises.reimplements import REIMPLEMENTS, leaky_names, matches
from nnedu.exercises.student import (StudentCopyError, find_leaks, make_student_notebook, strip_solutions,
                                     write_student_copies)

ROOT = Path(__file__).resolve().parents[1]
new_code, new_md = nbformat.v4.new_code_cell, nbformat.v4.new_markdown_cell


def _stdout(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_output("stream", name="stdout", text=text)


def _course_notebook() -> nbformat.NotebookNode:
    """An instructor notebook following SPEC.md: one exercise, its check, one written question."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        new_md("# Tiny"),
        new_code("from nnedu import nn\nimport inspect"),
        new_code("def relu_backward(X, G):\n    ### BEGIN SOLUTION\n    return G * (X > 0)\n    ### END SOLUTION"),
        new_code("check_relu_backward(relu_backward)", outputs=[_stdout("PASS  relu_backward: 3 cases\n")],
                 execution_count=3),
        new_code("print(inspect.getsource(nn.ReLU.backward))", outputs=[_stdout("def backward...\n")]),
        new_md("**Question 1.** Why is the gradient zero for negative inputs?"),
        new_md("**Answer 1.**\n\n### BEGIN SOLUTION\nBecause max(x, 0) is flat there.\n### END SOLUTION"),
    ]
    return nb


@pytest.mark.parametrize("begin,end", [("###BEGIN SOLUTION", "###END SOLUTION"),
                                       ("# begin solution", "# End Solution"),
                                       ("#   BEGIN   SOLUTION  ", "  ##  END SOLUTION"),
                                       ("## BEGIN SOLUTION", "#### END SOLUTION")])
def test_marker_variants_are_all_stripped(begin, end):
    src = f"def f(x):\n    {begin}\n    return 2 * x\n    {end}"
    assert strip_solutions(src) == "def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError"


@pytest.mark.parametrize("bad", ["### BEGIN SOLUTIONS\nx\n### END SOLUTION",
                                 "### BEGIN SOLUTION\nx = 1  ### END SOLUTION",
                                 "# BEGINSOLUTION\nx\n### END SOLUTION",
                                 "<!-- BEGIN SOLUTION -->\nx"])
def test_marker_like_lines_are_errors(bad):
    with pytest.raises(StudentCopyError, match=r"nb.ipynb, cell 4, line \d: .* looks like a solution marker"):
        strip_solutions(bad, where="nb.ipynb, cell 4")


def test_course_notebook_student_copy():
    nb = _course_notebook()
    student, removed = make_student_notebook(nb, name="tiny.ipynb")
    assert removed == 2                                             # the code block and the model answer
    assert student.cells[6].source == "**Answer 1.**\n\nYOUR ANSWER HERE"
    assert "raise NotImplementedError" in student.cells[2].source
    assert student.cells[3].outputs == [] and student.cells[3].execution_count is None
    assert student.cells[4].source == nb.cells[4].source, "the library's source may be shown after the check"
    assert student.cells[4].outputs == [], "... when the student runs the cell, not in a stored output"
    assert student.cells[0].source == "# Tiny"
    assert "Because max" in nb.cells[6].source, "the instructor notebook is not modified"


def test_outputs_made_by_the_students_code_are_cleared():
    """The instructor's run used the reference in place of the stubs: its verdicts and figures are not the student's."""
    figure = [nbformat.v4.new_output("display_data", data={"text/plain": "<Figure>"})]
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        new_code("mine = workspace.load()\nprint(mine.whose('relu_forward'))",
                 outputs=[_stdout("yours (check passed)\n")]),                       # 0: a false verdict
        new_code("x = np.linspace(-1, 1, 5)\nprint(x)", outputs=[_stdout("[-1. ...]\n")]),  # 1: clean
        new_code("y = mine.relu_forward(x)\nplt.plot(x, y)", outputs=figure),         # 2: uses mine
        new_code("model = use_student_code(nn.Sequential(nn.ReLU()), code)", outputs=[]),
        new_code("losses = []\nfor step in range(3):\n    losses.append(float(model(x).sum()))",
                 outputs=[_stdout("done\n")]),                                      # 4: trains the model
        new_code("plt.plot(losses)", outputs=figure),                                # 5: computed with it
        new_code("losses = [1.0, 0.5]\nplt.plot(losses)", outputs=figure),          # 6: clean again
        new_code("code.table(parts)", outputs=[_stdout("relu_forward  yours\n")]),    # 7: .table(
        new_code("for name in ('a', 'b'):\n    print(name, x.sum())", outputs=[_stdout("a 0.0\n")]),  # 8
    ]
    student, _ = make_student_notebook(nb, name="tiny.ipynb")
    cleared = [i for i, c in enumerate(student.cells) if nb.cells[i].outputs and not c.outputs]
    assert cleared == [0, 2, 4, 5, 7]
    assert make_student_notebook(nb, clear="none")[0].cells[0].outputs, "clear='none' keeps everything"


def test_show_source_above_the_check_is_a_leak():
    nb = _course_notebook()
    nb.cells.insert(2, new_code("show_source(nn.ReLU)"))            # the class, above check_relu_backward
    with pytest.raises(StudentCopyError, match=r"tiny.ipynb, cell 2, line 1: shows the source of nn.ReLU "
                                               r"above check_relu_backward \(cell 4\)"):
        make_student_notebook(nb, name="tiny.ipynb")
    nb.cells[2].source = "x = 1\nrelu_backward??"
    with pytest.raises(StudentCopyError, match="cell 2, line 2: shows the source of relu_backward"):
        make_student_notebook(nb, name="tiny.ipynb")
    nb.cells[2].source = "show_source(nn.Linear.backward)"         # not this notebook's exercise
    make_student_notebook(nb, name="tiny.ipynb")


def test_solution_line_elsewhere_is_a_leak():
    nb = _course_notebook()
    nb.cells.insert(1, new_code("# the answer:\nif True:   return   G * (X > 0)"))     # whitespace does not hide it
    with pytest.raises(StudentCopyError, match=r"cell 1, source line 2: repeats the solution line "
                                               r"'return G \* \(X > 0\)'"):
        make_student_notebook(nb, name="tiny.ipynb")
    nb = _course_notebook()
    nb.cells[1].outputs = [_stdout("hint: the model says Because max(x, 0) is flat there.\n")]
    with pytest.raises(StudentCopyError, match="cell 1, output line 1: repeats the solution line "
                                               "'Because max"):
        make_student_notebook(nb, name="tiny.ipynb")
    # ... but not in an output the generator clears anyway, and not a boilerplate line
    nb = _course_notebook()
    nb.cells[3].outputs = [_stdout("return G * (X > 0)\n")]
    nb.cells[2].source = nb.cells[2].source.replace("    return G", "    N = X.shape[0]\n    return G")
    nb.cells.insert(1, new_code("N = X.shape[0]"))
    make_student_notebook(nb, name="tiny.ipynb")


def test_stated_answer_in_markdown_is_a_leak():
    nb = _course_notebook()
    nb.cells.append(new_md("Try it.\n(Answer: the receptive field is 32 pixels.)"))
    with pytest.raises(StudentCopyError, match=r"cell 7, line 2: states an answer outside a solution block"):
        make_student_notebook(nb, name="tiny.ipynb")


def test_questions_need_their_answer_cells_with_markers():
    nb = _course_notebook()
    nb.cells[6].source = "**Answer 1.** Because max(x, 0) is flat there."
    with pytest.raises(StudentCopyError, match=r"cell 6: the answer cell of Question 1 has no"):
        make_student_notebook(nb, name="tiny.ipynb")
    nb = _course_notebook()
    del nb.cells[6]
    with pytest.raises(StudentCopyError, match=r"cell 5: \*\*Question 1.\*\* must be followed by"):
        make_student_notebook(nb, name="tiny.ipynb")


def test_never_overwrites_and_adds_new_notebooks(tmp_path, capsys):
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    nbformat.write(_course_notebook(), src / "01_a.ipynb")
    (src / "01_a.md").write_text("solutions in here: return G * (X > 0)")   # jupytext twin: never copied
    assert [p.name for p in write_student_copies(src, out)] == ["01_a.ipynb"]
    assert sorted(p.name for p in out.iterdir()) == ["01_a.ipynb"]
    edited = nbformat.read(out / "01_a.ipynb", as_version=4)
    edited.cells[2].source = "def relu_backward(X, G):\n    return my work"
    nbformat.write(edited, out / "01_a.ipynb")
    nbformat.write(_course_notebook(), src / "02_b.ipynb")
    capsys.readouterr()
    assert [p.name for p in write_student_copies(src, out)] == ["02_b.ipynb"]
    assert "01_a.ipynb: kept" in capsys.readouterr().out
    assert "my work" in (out / "01_a.ipynb").read_text()
    write_student_copies(src, out, force=True)
    assert "my work" not in (out / "01_a.ipynb").read_text()
    assert not list(out.glob(".*.tmp"))


def test_nothing_written_after_an_error(tmp_path):
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    nbformat.write(_course_notebook(), src / "01_good.ipynb")
    leaky = _course_notebook()
    leaky.cells.append(new_md("(Answer: 42)"))
    nbformat.write(leaky, src / "02_leaky.ipynb")
    (src / "03_broken.ipynb").write_text('{"cells": [')
    with pytest.raises(StudentCopyError) as info:
        write_student_copies(src, out)
    lines = str(info.value).split("\n")
    assert any(line.startswith("02_leaky.ipynb, cell 7") for line in lines)
    assert any("03_broken.ipynb: not a valid Jupyter notebook" in line for line in lines)
    assert not out.exists()


def test_cli_defaults_and_one_line_errors(tmp_path):
    (tmp_path / "notebooks").mkdir()
    nbformat.write(_course_notebook(), tmp_path / "notebooks" / "01_a.ipynb")
    run = lambda *a: subprocess.run([sys.executable, "-m", "nnedu", "exercises", "student", *a],  # noqa: E731
                                    capture_output=True, text=True, cwd=tmp_path)
    proc = run()
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "my-course" / "01_a.ipynb").exists()
    again = run()
    assert again.returncode == 0 and "kept" in again.stdout
    (tmp_path / "notebooks" / "02_bad.ipynb").write_text("not json")
    bad = run("notebooks", "elsewhere")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert bad.stderr.startswith("nnedu exercises student: error: notebooks/02_bad.ipynb: not a valid")
    assert not (tmp_path / "elsewhere").exists()


def test_reference_table_names_real_code():
    spec = ("linear_forward linear_backward relu_forward relu_backward softmax cross_entropy "
            "softmax_ce_backward batchnorm_forward batchnorm_backward dropout_forward dropout_backward "
            "conv2d_naive conv2d_naive_backward im2col col2im conv2d_forward conv2d_backward maxpool_forward "
            "maxpool_backward avgpool_forward avgpool_backward pad_forward pad_backward sgd_step adagrad_step "
            "rmsprop_step adam_step step_lr multistep_lr exponential_lr cosine_lr train_one_epoch evaluate "
            "accuracy confusion_matrix conv2d_param_count receptive_field").split()
    assert set(REIMPLEMENTS) >= set(spec)
    for refs in REIMPLEMENTS.values():
        for ref in refs:
            parts = ref.split(".")
            for k in range(len(parts), 0, -1):       # the longest importable module prefix
                try:
                    obj = importlib.import_module(".".join(parts[:k]))
                    break
                except ImportError:
                    continue
            for attr in parts[k:]:
                obj = getattr(obj, attr)
            assert callable(obj), ref
    assert matches("nn.ReLU", leaky_names("relu_backward")) == "ReLU"
    assert matches("F.conv2d_naive", leaky_names("conv2d_naive")) == "conv2d_naive"
    assert matches("nn.ReLU.forward", leaky_names("relu_backward")) is None


def test_find_leaks_reports_every_leak():
    nb = _course_notebook()
    nb.cells.insert(2, new_code("show_source(nn.ReLU.backward)\nprint('return G * (X > 0)')"))
    nb.cells.append(new_md("(Solution: flat)"))
    student, _ = make_student_notebook(nb, check_leaks=False)
    leaks = find_leaks(nb, student, name="t")
    assert len(leaks) == 3 and all(leak.startswith("t, cell ") for leak in leaks)


def test_a_failed_write_leaves_no_file(tmp_path, monkeypatch):
    """A write that fails (full disk, ...) leaves neither a partial notebook nor a temporary file."""
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    nbformat.write(_course_notebook(), src / "01_a.ipynb")

    def full_disk(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("nnedu._atomic.os.replace", full_disk)
    with pytest.raises(OSError, match="No space left"):
        write_student_copies(src, out)
    assert list(out.iterdir()) == []


def test_reimplements_table_agrees_with_the_checkers():
    """Every nnedu function a checker refuses to see called is in the table the generator and grader read."""
    from nnedu.exercises import EXERCISES

    for name, make in EXERCISES.items():
        assert name in REIMPLEMENTS, f"add {name} to nnedu/exercises/reimplements.py"
        names = leaky_names(name, include_exercise=False)
        for f in make().library:
            assert matches(f"{f.__module__}.{f.__qualname__}", names), (name, f.__qualname__)


def test_student_copy_drops_saved_widget_state_and_timestamps():
    import nbformat
    from nnedu.exercises.student import make_student_notebook
    nb = nbformat.v4.new_notebook()
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {"a": {"png": "..."}}}}
    cell = nbformat.v4.new_code_cell("x = 1")
    cell.metadata["execution"] = {"iopub.execute_input": "2026-11-30T00:00:00Z"}
    nb.cells = [cell]
    student, _ = make_student_notebook(nb, name="t")
    assert "widgets" not in student.metadata and "execution" not in student.cells[0].metadata
    assert "widgets" in nb.metadata                      # the instructor notebook is not changed


def test_outputs_computed_from_a_solution_are_cleared_downstream():
    import nbformat
    from nnedu.exercises.student import make_student_notebook
    nb = nbformat.v4.new_notebook()
    cells = ["def f(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION",
             "grads = f(3)", "print(grads)", "print('lesson figure')"]
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    for c in nb.cells:
        c.outputs = [nbformat.v4.new_output("stream", text="6\n")]
    student, _ = make_student_notebook(nb, name="t", check_leaks=False)
    assert [bool(c.outputs) for c in student.cells] == [False, False, False, True]
