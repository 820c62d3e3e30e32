"""Your network (nnedu.exercises.student_nn): the library's models with the student's arithmetic."""
from __future__ import annotations

import numpy as np
import pytest

import nnedu
from nnedu.exercises import workspace
from nnedu.exercises.student_nn import (YourAdam, YourCrossEntropyLoss, YourSGD, parts_of,
                                        use_student_code)
from nnedu.models import MLP, LeNet5


@pytest.fixture(autouse=True)
def _workspace(tmp_path, monkeypatch):
    monkeypatch.setenv("NNEDU_WORKSPACE", str(tmp_path / "ws"))


def _step(model, loss_fn, optimizer, x, y):
    loss = loss_fn(model(x), y)
    model.backward(loss_fn.backward())
    optimizer.step()
    return loss


MODELS = [lambda: LeNet5(rng=0), lambda: LeNet5(variant="classic", rng=0), lambda: MLP(rng=0)]
IDS = ["lenet5", "classic", "mlp"]


def _data():
    rng = np.random.default_rng(1)
    return rng.random((6, 1, 28, 28)).astype(np.float32), rng.integers(0, 10, 6)


@pytest.mark.parametrize("make", MODELS, ids=IDS)
def test_reference_code_trains_like_the_library_with_sgd(make):
    x, y = _data()
    code = workspace.load()                          # an empty workspace: every function is the reference
    lib, yours = make(), use_student_code(make(), code)
    kw = dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3)
    o1, o2 = nnedu.optim.SGD(lib.parameters(), **kw), YourSGD(yours.parameters(), code, **kw)
    l1 = [_step(lib, nnedu.nn.CrossEntropyLoss(), o1, x, y) for _ in range(3)]
    l2 = [_step(yours, YourCrossEntropyLoss(code), o2, x, y) for _ in range(3)]
    assert np.allclose(l1, l2, rtol=1e-4)
    for p, q in zip(lib.parameters(), yours.parameters()):
        assert np.allclose(p.data, q.data, atol=1e-5)


@pytest.mark.parametrize("make", MODELS, ids=IDS)
def test_reference_code_gives_the_library_gradients_and_adam_step(make):
    x, y = _data()
    code = workspace.load()
    lib, yours = make(), use_student_code(make(), code)
    o1, o2 = nnedu.optim.Adam(lib.parameters(), lr=1e-3), YourAdam(yours.parameters(), code, lr=1e-3)
    _step(lib, nnedu.nn.CrossEntropyLoss(), o1, x, y)
    _step(yours, YourCrossEntropyLoss(code), o2, x, y)
    for p, q in zip(lib.parameters(), yours.parameters()):
        assert np.allclose(p.grad, q.grad, rtol=1e-4, atol=1e-7)
        clear = np.abs(p.grad) > 1e-4      # Adam's first step is lr * sign(g): compare where g is clear of 0
        assert np.allclose(p.data[clear], q.data[clear], atol=1e-6)


def test_dropout_runs_the_student_functions_and_keeps_float32():
    code = workspace.load()
    model = use_student_code(MLP(dropout=0.5, rng=0), code)
    x = np.ones((64, 784), np.float32)
    h = model.drop1(np.ones((64, 256), np.float32))
    assert h.dtype == np.float32 and set(np.unique(h)) == {0.0, 2.0}
    model.eval()
    assert np.array_equal(model.drop1(x), x)


def test_a_broken_student_function_is_used_and_named(tmp_path):
    folder = tmp_path / "ws"
    folder.mkdir()
    (folder / "relu_backward.py").write_text("def relu_backward(X, G):\n    return G\n")
    (folder / "status.json").write_text('{"relu_backward": {"status": "fail", "notebook": "01_linear_relu"}}')
    code = workspace.load()
    model, loss_fn = use_student_code(MLP(rng=0), code), YourCrossEntropyLoss(code)
    optimizer = YourAdam(model.parameters(), code)
    table = code.table(parts_of(model, loss_fn, optimizer))
    assert any("relu_backward" in line and "yours (check FAILED)" in line for line in table.splitlines())
    x, y = np.random.default_rng(0).random((4, 784)).astype(np.float32), np.array([1, 2, 3, 4])
    reference_model = MLP(rng=0)
    ref_loss = nnedu.nn.CrossEntropyLoss()
    reference_model.backward(ref_loss.backward() if ref_loss(reference_model(x), y) else None)
    model.backward(loss_fn.backward() if loss_fn(model(x), y) else None)
    assert not np.allclose(model.fc1.weight.grad, reference_model.fc1.weight.grad)


def test_parts_table_lists_what_the_model_uses():
    code = workspace.load()
    model = use_student_code(LeNet5(rng=0), code)
    names = [name for _, name in parts_of(model, YourCrossEntropyLoss(code), YourAdam(model.parameters(), code))]
    assert names[:4] == ["conv2d_forward", "conv2d_backward", "im2col", "col2im"]
    assert {"maxpool_forward", "relu_backward", "linear_forward", "cross_entropy", "adam_step"} <= set(names)
