"""The checker machinery (nnedu.exercises.checker) and the workspace, on the exercises of notebook 01."""
from __future__ import annotations

import json

import numpy as np
import pytest

from nnedu.exercises import checker, workspace
from nnedu.exercises.checker import Case, Exercise, check
from nnedu.exercises.linear_relu import check_linear_backward, check_relu_backward, check_relu_forward


@pytest.fixture(autouse=True)
def _workspace(tmp_path, monkeypatch):
    monkeypatch.setenv("NNEDU_WORKSPACE", str(tmp_path / "ws"))
    checker._failures.clear()


def relu_backward(X, G):
    return G * (X > 0)


def linear_backward(X, W, G):
    return G @ W.T, X.T @ G, G.sum(axis=0)


def linear_backward_scaled_dW(X, W, G):   # no known bug: a generic failure
    return G @ W.T, 1.5 * (X.T @ G), G.sum(axis=0)


def test_unknown_error_says_where_and_hints_without_the_formula(capsys):
    result = check_linear_backward(linear_backward_scaled_dW)
    out = capsys.readouterr().out
    assert not result and out.startswith("FAIL  linear_backward\n")
    assert "case: random: X (4, 5)" in out
    problem = next(line for line in out.splitlines() if "problem:" in line)
    assert problem.strip().startswith("problem: dW[") and "got" in problem and "expected" in problem
    assert "hint:" in out and "formula:" not in out and "reveal=True" in out


def test_formula_on_request_and_after_three_failures(capsys):
    check_linear_backward(linear_backward_scaled_dW, reveal=True)
    assert "formula: dX = G @ W.T" in capsys.readouterr().out
    checker._failures.clear()
    outs = []
    for _ in range(3):
        check_linear_backward(linear_backward_scaled_dW)
        outs.append(capsys.readouterr().out)
    assert ["formula:" in o for o in outs] == [False, False, True]
    check_linear_backward(linear_backward)                  # a pass resets the count
    check_linear_backward(linear_backward_scaled_dW)
    assert "formula:" not in capsys.readouterr().out.split("PASS")[-1]


def test_crash_and_wrong_return_are_explained(capsys):
    assert not check_relu_backward(lambda X, G: undefined_name)  # noqa: F821
    out = capsys.readouterr().out
    assert "raised NameError" in out and "Traceback" not in out
    assert not check_linear_backward(lambda X, W, G: (G @ W.T, X.T @ G))
    assert "must return 3 values (dX, dW, db), got 2 values" in capsys.readouterr().out


def test_wrong_shape_is_named(capsys):
    assert not check_linear_backward(lambda X, W, G: (G @ W.T, X.T @ G, G.sum(axis=0, keepdims=True)))
    assert "db has shape (1, 3), expected (3,)" in capsys.readouterr().out


def test_integers_are_compared_exactly():
    ex = Exercise("count", lambda n: n * 2, [Case("n = 16", (16,))], ("count",), hint="h", formula="f",
                  exact=True)
    result = check(ex, lambda n: n * 2 - 3, verbose=False)
    assert not result and "count: got 29, expected 32" in result.message
    assert check(ex, lambda n: 2 * n, verbose=False).message.startswith("PASS  count: all 1 cases exactly right")


def test_float32_passes_but_a_real_float32_error_fails():
    ex = Exercise("double", lambda x: 2 * x, [Case("x", (np.linspace(-1, 1, 7),))], ("y",), hint="h",
                  formula="f")
    assert check(ex, lambda x: (2 * x).astype(np.float32), verbose=False)
    assert not check(ex, lambda x: (2.01 * x).astype(np.float32), verbose=False)
    assert not check(ex, lambda x: 2 * x + 1e-5, verbose=False)         # float64 is held tighter


def test_checked_function_lands_in_the_workspace_and_is_loaded_back(tmp_path):
    check_relu_backward(relu_backward)
    check_linear_backward(linear_backward_scaled_dW)
    folder = tmp_path / "ws"
    assert "return G * (X > 0)" in (folder / "relu_backward.py").read_text()
    status = json.loads((folder / "status.json").read_text())
    assert status["relu_backward"]["status"] == "pass" and status["linear_backward"]["status"] == "fail"
    code = workspace.load()
    assert code.whose("relu_backward") == "yours (check passed)"
    assert code.whose("linear_backward") == "yours (check FAILED)"
    assert code.whose("relu_forward") == "reference (yours not written yet)"
    X, W, G = np.ones((2, 3)), np.ones((3, 4)), np.ones((2, 4))
    assert np.allclose(code.linear_backward(X, W, G)[1], 1.5 * X.T @ G)   # the student's, wrong as it is


def test_a_broken_workspace_file_falls_back_to_the_reference(tmp_path):
    folder = tmp_path / "ws"
    folder.mkdir()
    (folder / "relu_backward.py").write_text("def relu_backward(X, G):\n    return G *\n")
    code = workspace.load()
    assert code.whose("relu_backward").startswith("reference (yours does not load: SyntaxError")
    assert np.array_equal(code.relu_backward(np.array([1.0, -1.0]), np.ones(2)), [1.0, 0.0])


def _scale_in_place(x, r, m):          # returns 2 x and updates r in place: r <- (1 - m) r + m x
    r *= 1 - m
    r += m * x
    return 2 * x


def test_arguments_updated_in_place_are_compared_and_none_matches_none():
    ex = Exercise("scale", _scale_in_place, [Case("x, r", (np.arange(3.0), np.ones(3), 0.5))], ("y",),
                  hint="", formula="", updates={1: "r"})
    def in_place(x, r, m):
        r[...] = (1 - m) * r + m * x
        return 2 * x

    assert check(ex, in_place, verbose=False).status == "pass"

    def rebinds(x, r, m):              # a new local array: the caller's r never changes
        r = (1 - m) * r + m * x
        return 2 * x

    result = check(ex, rebinds, verbose=False)
    assert result.status == "fail" and "problem: r[" in result.message

    def optional(x):
        return None if x.sum() < 0 else x

    opt = Exercise("optional", optional, [Case("negative", (-np.ones(2),)), Case("positive", (np.ones(2),))],
                   ("y",), hint="", formula="")
    assert check(opt, lambda x: None if x.sum() < 0 else x, verbose=False).status == "pass"
    wrong = check(opt, lambda x: x, verbose=False)
    assert wrong.status == "fail" and "y should be None here" in wrong.message


def test_a_bug_is_named_only_when_it_explains_every_failing_case(capsys):
    from nnedu.exercises.initialisation import check_he_std
    check_he_std(lambda fan_in: 2 / np.sqrt(fan_in))    # equals "the variance 2/fan_in" only at fan_in = 1
    out = capsys.readouterr().out
    assert out.startswith("FAIL  he_std\n") and "variance" not in out


def test_changing_an_input_in_place_is_reported(capsys):
    def relu_forward(X):
        X[X < 0] = 0
        return X

    check_relu_forward(relu_forward)
    out = capsys.readouterr().out
    assert out.startswith("FAIL  relu_forward: your function changed its input X in place")
    assert "`X *= 2`" in out
