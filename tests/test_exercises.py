"""The exercise checks accept correct solutions, reject subtly wrong ones, and say "not implemented yet";
the student-copy generator strips solutions and its notebooks run top to bottom."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

from nnedu import exercises as ex
from nnedu.exercises.student import make_student_notebook, strip_solutions, write_student_copies

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"


# --- correct solutions and subtly wrong variants -------------------------------------------------

def softmax(Z):
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


def softmax_global_max(Z):             # stable only when all rows have a similar scale
    E = np.exp(Z - Z.max())
    return E / E.sum(axis=1, keepdims=True)


def softmax_ce_backward(Z, y):
    P = softmax(Z)
    P[np.arange(len(y)), y] -= 1
    return P / len(y)


def softmax_ce_backward_no_mean(Z, y):  # forgets the 1/N
    P = softmax(Z)
    P[np.arange(len(y)), y] -= 1
    return P


def batchnorm_backward(X, gamma, G, eps):
    N = X.shape[0]
    xhat = (X - X.mean(0)) / np.sqrt(X.var(0) + eps)
    dgamma, dbeta = (G * xhat).sum(0), G.sum(0)
    return gamma / (N * np.sqrt(X.var(0) + eps)) * (N * G - dbeta - xhat * dgamma), dgamma, dbeta


def batchnorm_backward_no_eps(X, gamma, G, eps):  # ignores eps: wrong only where the variance is tiny
    return batchnorm_backward(X, gamma, G, 0.0)


def conv2d_naive(x, w, b, stride, padding):
    N, C, H, W = x.shape
    F, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    Ho, Wo = (H + 2 * padding - kh) // stride + 1, (W + 2 * padding - kw) // stride + 1
    y = np.zeros((N, F, Ho, Wo))
    for n in range(N):
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    win = xp[n, :, i * stride:i * stride + kh, j * stride:j * stride + kw]
                    y[n, f, i, j] = b[f] + np.sum(w[f] * win)
    return y


def conv2d_naive_swapped_kernel_axes(x, w, b, stride, padding):  # right for square kernels only
    return conv2d_naive(x, np.ascontiguousarray(w.transpose(0, 1, 3, 2)).reshape(w.shape), b, stride, padding)


def _maxpool_backward(X, G, k, s, accumulate=True, last_tie=False):
    dX = np.zeros_like(X)
    N, C, Ho, Wo = G.shape
    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    win = X[n, c, i * s:i * s + k, j * s:j * s + k].ravel()
                    idx = len(win) - 1 - np.argmax(win[::-1]) if last_tie else np.argmax(win)
                    p, q = divmod(int(idx), k)
                    if accumulate:
                        dX[n, c, i * s + p, j * s + q] += G[n, c, i, j]
                    else:
                        dX[n, c, i * s + p, j * s + q] = G[n, c, i, j]
    return dX


def maxpool_backward(X, G, k, s):
    return _maxpool_backward(X, G, k, s)


def maxpool_backward_overwrites(X, G, k, s):
    return _maxpool_backward(X, G, k, s, accumulate=False)


def maxpool_backward_last_tie(X, G, k, s):
    return _maxpool_backward(X, G, k, s, last_tie=True)


def avgpool_backward(X, G, k, s):
    dX = np.zeros_like(X)
    for i in range(G.shape[2]):
        for j in range(G.shape[3]):
            dX[:, :, i * s:i * s + k, j * s:j * s + k] += G[:, :, i:i + 1, j:j + 1] / k ** 2
    return dX


def avgpool_backward_divides_by_k(X, G, k, s):
    return avgpool_backward(X, G, k, s) * k


def not_implemented(*args):
    raise NotImplementedError


CHECKS = {
    "softmax": (ex.check_softmax, softmax, [softmax_global_max]),
    "softmax_ce": (ex.check_softmax_ce_backward, softmax_ce_backward, [softmax_ce_backward_no_mean]),
    "batchnorm": (ex.check_batchnorm_backward, batchnorm_backward, [batchnorm_backward_no_eps]),
    "conv": (ex.check_conv2d_naive, conv2d_naive, [conv2d_naive_swapped_kernel_axes]),
    "maxpool": (ex.check_maxpool_backward, maxpool_backward,
                [maxpool_backward_overwrites, maxpool_backward_last_tie]),
    "avgpool": (ex.check_avgpool_backward, avgpool_backward, [avgpool_backward_divides_by_k]),
}


@pytest.mark.parametrize("name", CHECKS)
def test_check_passes_reference(name, capsys):
    check, good, _ = CHECKS[name]
    result = check(good)
    out = capsys.readouterr().out
    assert result and result.status == "pass", out
    assert out.startswith("PASS"), out


@pytest.mark.parametrize("name", CHECKS)
def test_check_fails_subtly_wrong(name, capsys):
    check, _, bad_ones = CHECKS[name]
    for bad in bad_ones:
        result = check(bad)
        out = capsys.readouterr().out
        assert result is not None and not result and result.status == "fail", (bad.__name__, out)
        assert out.startswith("FAIL") and "hint:" in out and "case:" in out, out


@pytest.mark.parametrize("name", CHECKS)
def test_check_not_implemented(name, capsys):
    check = CHECKS[name][0]
    result = check(not_implemented)
    out = capsys.readouterr().out
    assert not result and result.status == "not implemented"
    assert "not implemented yet" in out and "Traceback" not in out


def test_check_restores_default_dtype():
    import nnedu
    before = nnedu.get_default_dtype()
    ex.check_batchnorm_backward(batchnorm_backward)
    ex.check_batchnorm_backward(not_implemented)
    assert nnedu.get_default_dtype() == before


def test_gradcheck_report(capsys):
    assert ex.gradcheck_report("Linear", 3e-11)
    assert "< 1e-08 (expected: ~1e-10 in float64)  PASS" in capsys.readouterr().out
    assert not ex.gradcheck_report("Linear", 0.5)
    assert "FAIL" in capsys.readouterr().out


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
EXECUTED = ["01_linear_relu.ipynb", "02_softmax_cross_entropy.ipynb", "03_batchnorm.ipynb",
            "04_convolution.ipynb", "05_pooling_padding.ipynb", "06_optimizers_schedulers.ipynb",
            "07_mlp_mnist.ipynb", "08_lenet5_mnist.ipynb"]


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
        if original.name in EXECUTED:
            assert n_solutions >= 1, f"{original.name} has no exercise"


@pytest.mark.parametrize("name", EXECUTED)
def test_student_notebook_runs_top_to_bottom(name, tmp_path):
    """The student copy executes without errors in quick mode; its checks say "not implemented yet"."""
    nbclient = pytest.importorskip("nbclient")
    student, removed = make_student_notebook(nbformat.read(NOTEBOOKS / name, as_version=4), name=name)
    assert removed >= (1 if name < "06" else 2), f"{name} has too few exercises with solution markers"
    # The kernel inherits the environment: quick mode, and one BLAS thread (on a busy 2-core machine a
    # multi-threaded OpenBLAS makes the small matrix products of quick mode many times slower).
    saved = {k: os.environ.get(k) for k in ("NNEDU_QUICK", "OPENBLAS_NUM_THREADS", "NNEDU_WORKSPACE")}
    os.environ.update(NNEDU_QUICK="1", OPENBLAS_NUM_THREADS="1", NNEDU_WORKSPACE=str(tmp_path / "workspace"))
    try:
        nbclient.NotebookClient(student, timeout=120, kernel_name="python3",
                                resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    outputs = [o for c in student.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    printed = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert printed.count("not implemented yet") == removed
    assert "FAIL  " not in printed                         # no check fails (the BuggyLinear demo prints "bug)  FAIL")
