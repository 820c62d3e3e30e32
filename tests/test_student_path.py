"""The student's own code trains the networks: student copies, filled in, run in order.

The student copies of the notebooks that build the MLP and LeNet-5 are filled with the instructor's
solutions, except one deliberately broken function (``relu_backward`` passes every gradient through),
and run top to bottom in quick mode, in course order, sharing one workspace. The outputs must show
that notebooks 07 and 08 trained with the student's functions: their "whose code" tables name the
student's functions, the broken one as "yours (check FAILED)".
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from helpers import environment

from nnedu.exercises.student import make_student_notebook

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
#: The notebooks whose functions the MLP (07) and LeNet-5 (08) run, in course order.
PATH = ["01_linear_relu", "02_softmax_cross_entropy", "04_convolution", "05_pooling_padding",
        "06_optimizers_schedulers", "07_mlp_mnist", "08_lenet5_mnist"]
BROKEN = "def relu_backward(X, G):\n    return G    # forgot the mask\n"


def _filled_student_copy(stem: str) -> nbformat.NotebookNode:
    """The student copy of ``stem`` with every stub replaced by the instructor's cell (relu_backward broken)."""
    instructor = nbformat.read(NOTEBOOKS / f"{stem}.ipynb", as_version=4)
    student, _ = make_student_notebook(instructor, name=stem)
    for mine, theirs in zip(student.cells, instructor.cells):
        if mine.cell_type == "code" and mine.source != theirs.source:
            mine.source = BROKEN if "def relu_backward(" in theirs.source else theirs.source
    return student


def _printed(nb: nbformat.NotebookNode) -> str:
    return "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs
                   if o.output_type == "stream")


def _row(text: str, name: str) -> str:
    rows = [line for line in text.splitlines()
            if re.search(rf"\b{name}\b", line) and re.search(r"yours \(check|reference \(yours", line)]
    assert rows, f"no row for {name} in the whose-code table:\n{text[-3000:]}"
    return rows[0]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    nbclient = pytest.importorskip("nbclient")
    workspace = tmp_path_factory.mktemp("workspace")
    out = {}
    with environment(NNEDU_QUICK="1", NNEDU_WORKSPACE=str(workspace), OPENBLAS_NUM_THREADS="1"):
        for stem in PATH:
            nb = _filled_student_copy(stem)
            nbclient.NotebookClient(nb, timeout=180, kernel_name="python3",
                                    resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
            out[stem] = nb
    return out


def test_the_broken_function_fails_its_check(runs):
    printed = _printed(runs["01_linear_relu"])
    assert "FAIL  relu_backward" in printed
    assert "PASS  linear_backward" in printed and "PASS  relu_forward" in printed


@pytest.mark.parametrize("stem,mine", [
    ("07_mlp_mnist", ["linear_forward", "linear_backward", "relu_forward", "cross_entropy",
                      "softmax_ce_backward", "adam_step", "cosine_lr", "train_one_epoch"]),
    ("08_lenet5_mnist", ["conv2d_forward", "conv2d_backward", "maxpool_forward", "maxpool_backward",
                         "linear_forward", "cross_entropy", "adam_step", "train_one_epoch"]),
])
def test_the_networks_train_with_the_students_functions(runs, stem, mine):
    printed = _printed(runs[stem])
    assert "yours (check FAILED)" in _row(printed, "relu_backward")
    for name in mine:
        assert "yours (check passed)" in _row(printed, name), name
    errors = [o for c in runs[stem].cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors, errors[0].get("evalue") if errors else ""
