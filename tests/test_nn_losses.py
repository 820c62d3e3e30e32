"""CrossEntropyLoss, MSELoss, softmax and log_softmax: gradients, PyTorch agreement, stability, errors."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnedu import nn
from nnedu.checking import numerical_gradient, rel_error
from nnedu.functional import log_softmax, logsumexp, softmax

SETTINGS = settings(max_examples=25, deadline=None)
seeds = st.integers(0, 2**32 - 1)


def loss_gradcheck(criterion: nn.Module, x: np.ndarray, target: np.ndarray) -> float:
    """Relative error between ``criterion.backward()`` and the central-difference gradient of the loss."""
    criterion(x, target)
    analytic = criterion.backward()
    numeric = numerical_gradient(lambda: criterion(x, target), x)
    return rel_error(analytic, numeric)


def random_distribution(rng: np.random.Generator, n: int, c: int) -> np.ndarray:
    p = rng.uniform(0.0, 1.0, (n, c)) ** 3
    return p / p.sum(axis=1, keepdims=True)


# -- gradient checks -------------------------------------------------------------------------------
@SETTINGS
@given(n=st.integers(1, 6), c=st.integers(1, 7), scale=st.sampled_from([0.1, 1.0, 1.5]), seed=seeds)
def test_cross_entropy_gradcheck_class_indices(n, c, scale, seed):
    # Logits within ±3: when one class wins by far more, P = Y to within rounding, the gradient is
    # ~0 and a relative error measures only rounding. Huge logits are tested against PyTorch below.
    rng = np.random.default_rng(seed)
    assert loss_gradcheck(nn.CrossEntropyLoss(), rng.uniform(-2, 2, (n, c)) * scale,
                          rng.integers(0, c, n)) < 1e-6


@SETTINGS
@given(n=st.integers(1, 6), c=st.integers(1, 7), seed=seeds)
def test_cross_entropy_gradcheck_probabilities(n, c, seed):
    rng = np.random.default_rng(seed)
    assert loss_gradcheck(nn.CrossEntropyLoss(), rng.standard_normal((n, c)) * 2,
                          random_distribution(rng, n, c)) < 1e-6


@SETTINGS
@given(shape=st.lists(st.integers(1, 5), min_size=1, max_size=3).map(tuple), seed=seeds)
def test_mse_gradcheck(shape, seed):
    rng = np.random.default_rng(seed)
    assert loss_gradcheck(nn.MSELoss(), rng.standard_normal(shape), rng.standard_normal(shape)) < 1e-6


def test_cross_entropy_gradient_is_p_minus_y_over_n():
    z = np.array([[0.0, np.log(3.0)], [np.log(4.0), 0.0], [0.0, 0.0]])
    ce = nn.CrossEntropyLoss()
    loss = ce(z, np.array([1, 1, 0]))
    assert isinstance(loss, float)
    np.testing.assert_allclose(loss, -(np.log(0.75) + np.log(0.2) + np.log(0.5)) / 3)
    np.testing.assert_allclose(ce.backward(), np.array([[0.25, -0.25], [0.8, -0.8], [-0.5, 0.5]]) / 3)


# -- agreement with PyTorch -------------------------------------------------------------------------
def torch_ce(z: np.ndarray, target: np.ndarray):
    torch = pytest.importorskip("torch")
    zt = torch.tensor(z, requires_grad=True)
    loss = torch.nn.CrossEntropyLoss()(zt, torch.tensor(target))
    loss.backward()
    return loss.item(), zt.grad.numpy()


@pytest.mark.parametrize("scale", [1.0, 30.0, 1e4])
@pytest.mark.parametrize("kind", ["indices", "probabilities"])
def test_cross_entropy_matches_torch(kind, scale):
    rng = np.random.default_rng(0)
    z = rng.standard_normal((9, 10)) * scale
    if scale == 1e4:
        z[0, :3] = [1e4, -1e4, 0.0]
    target = rng.integers(0, 10, 9) if kind == "indices" else random_distribution(rng, 9, 10)
    ce = nn.CrossEntropyLoss()
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss = ce(z, target)
        grad = ce.backward()
    ref_loss, ref_grad = torch_ce(z, target)
    assert np.isfinite(loss) and np.isfinite(grad).all()
    np.testing.assert_allclose(loss, ref_loss, rtol=1e-12, atol=1e-10)
    np.testing.assert_allclose(grad, ref_grad, rtol=0, atol=1e-10)


def test_mse_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    x, t = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    mse = nn.MSELoss()
    loss = mse(x, t)
    xt = torch.tensor(x, requires_grad=True)
    ref = torch.nn.MSELoss()(xt, torch.tensor(t))
    ref.backward()
    np.testing.assert_allclose(loss, ref.item(), rtol=1e-12)
    np.testing.assert_allclose(mse.backward(), xt.grad.numpy(), rtol=0, atol=1e-10)


@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_softmax_and_log_softmax_match_torch(axis):
    torch = pytest.importorskip("torch")
    z = np.random.default_rng(2).standard_normal((4, 6, 3)) * 50
    np.testing.assert_allclose(softmax(z, axis), torch.softmax(torch.tensor(z), axis).numpy(), atol=1e-12)
    np.testing.assert_allclose(log_softmax(z, axis), torch.log_softmax(torch.tensor(z), axis).numpy(),
                               rtol=1e-12, atol=1e-10)
    np.testing.assert_allclose(logsumexp(z, axis), torch.logsumexp(torch.tensor(z), axis).numpy(), rtol=1e-12)


# -- stability and dtype --------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_huge_logits_are_stable(dtype):
    z = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4]], dtype=dtype)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        p = softmax(z)
        logp = log_softmax(z)
        ce = nn.CrossEntropyLoss()
        loss = ce(z, np.array([1, 2]))
        grad = ce.backward()
    np.testing.assert_allclose(p, [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3]], atol=1e-7)
    np.testing.assert_allclose(logp[0], [0.0, -2e4, -1e4])
    np.testing.assert_allclose(loss, (2e4 + np.log(3)) / 2, rtol=1e-6)
    np.testing.assert_allclose(grad, np.array([[1, -1, 0], [1 / 3, 1 / 3, -2 / 3]]) / 2, atol=1e-7)
    assert p.dtype == logp.dtype == grad.dtype == dtype


def test_softmax_rows_sum_to_one():
    p = softmax(np.random.default_rng(3).standard_normal((7, 5)) * 10)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    assert (p >= 0).all()


# -- bad input ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("target", [np.array([0, 3, 1]), np.array([0, -1, 1])])
def test_cross_entropy_label_out_of_range(target):
    with pytest.raises(ValueError, match=r"CrossEntropyLoss: target class indices must be in \[0, 2\] for "
                                         r"logits of shape \(3, 3\), got -?\d"):
        nn.CrossEntropyLoss()(np.zeros((3, 3)), target)


@pytest.mark.parametrize("logits, target, pattern", [
    (np.zeros(3), np.array([0]), r"CrossEntropyLoss: expected logits of shape \(N, C\), got \(3,\)"),
    (np.zeros((3, 4)), np.array([0, 1]), r"CrossEntropyLoss: expected targets of shape \(3,\) with integer "
                                         r"class indices or \(3, 4\) with probabilities, got \(2,\)"),
    (np.zeros((3, 4)), np.zeros(3), r"CrossEntropyLoss: expected targets.*got \(3,\) of dtype float64"),
    (np.zeros((3, 4)), np.zeros((3, 5)), r"CrossEntropyLoss: expected targets.*got \(3, 5\)"),
])
def test_cross_entropy_bad_shapes(logits, target, pattern):
    with pytest.raises(ValueError, match=pattern):
        nn.CrossEntropyLoss()(logits, target)


def test_mse_shape_mismatch():
    with pytest.raises(ValueError, match=r"MSELoss: expected target of the prediction's shape \(4, 2\), "
                                         r"got \(4,\)"):
        nn.MSELoss()(np.zeros((4, 2)), np.zeros(4))
