"""Layers of nnedu.nn (Linear, activations, Flatten, Dropout, BatchNorm): gradient checks,
agreement with PyTorch, error messages and dtypes. Convolution and pooling: tests/test_conv*.py."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nnedu
from nnedu import nn
from nnedu.checking import gradcheck

from helpers import default_dtype

GRAD_TOL = 1e-6
SETTINGS = settings(max_examples=25, deadline=None)
seeds = st.integers(0, 2**32 - 1)


def away_from_zero(rng: np.random.Generator, shape: tuple[int, ...], margin: float = 0.05) -> np.ndarray:
    """Random values with |x| >= margin, so a central difference (h = 1e-6) never straddles a ReLU kink."""
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(margin, 2.0, size=shape)


def randomise_params(layer: nn.Module, rng: np.random.Generator) -> None:
    """Move parameters and BatchNorm statistics away from their trivial initial values."""
    for p in layer.parameters():
        p.data[...] = rng.uniform(0.5, 1.5, p.shape) * rng.choice([-1.0, 1.0], p.shape)
    if hasattr(layer, "running_var"):
        layer.running_mean[...] = rng.standard_normal(layer.num_features)
        layer.running_var[...] = rng.uniform(0.5, 2.0, layer.num_features)


# -- gradient checks (float64, hypothesis) -----------------------------------------------------
@SETTINGS
@given(n=st.integers(1, 6), d=st.integers(1, 7), m=st.integers(1, 7), bias=st.booleans(), seed=seeds)
def test_linear_gradcheck(n, d, m, bias, seed):
    with default_dtype(np.float64):
        rng = np.random.default_rng(seed)
        layer = nn.Linear(d, m, bias=bias, rng=rng)
        assert gradcheck(layer, rng.standard_normal((n, d)), rng=seed + 1) < GRAD_TOL


@SETTINGS
@given(shape=st.lists(st.integers(1, 5), min_size=1, max_size=4).map(tuple),
       kind=st.sampled_from(["relu", "leaky", "sigmoid", "tanh"]), seed=seeds)
def test_activation_gradcheck(shape, kind, seed):
    layer = {"relu": nn.ReLU(), "leaky": nn.LeakyReLU(0.2), "sigmoid": nn.Sigmoid(), "tanh": nn.Tanh()}[kind]
    rng = np.random.default_rng(seed)
    assert gradcheck(layer, away_from_zero(rng, shape), rng=seed + 1) < GRAD_TOL


@SETTINGS
@given(shape=st.lists(st.integers(1, 4), min_size=2, max_size=4).map(tuple), seed=seeds)
def test_flatten_gradcheck(shape, seed):
    rng = np.random.default_rng(seed)
    layer = nn.Flatten()
    assert layer(rng.standard_normal(shape)).shape == (shape[0], int(np.prod(shape[1:])))
    assert gradcheck(layer, rng.standard_normal(shape), rng=seed + 1) < GRAD_TOL


@SETTINGS
@given(n=st.integers(1, 5), d=st.integers(1, 8), p=st.sampled_from([0.0, 0.2, 0.5, 0.9]), seed=seeds)
def test_dropout_gradcheck_with_fixed_mask(n, d, p, seed):
    # A fresh layer with the same seed draws the same mask, so the function is deterministic.
    x = np.random.default_rng(seed).standard_normal((n, d))
    layer = nn.Dropout(p, rng=seed)
    layer(x)
    def f(v):
        return nn.Dropout(p, rng=seed)(v)
    assert gradcheck(f, x, backward=lambda v, G: layer.backward(G), rng=seed + 1) < GRAD_TOL


@SETTINGS
@given(n=st.integers(1, 6), c=st.integers(1, 5), length=st.sampled_from([None, 1, 2, 3]),
       training=st.booleans(), seed=seeds)
def test_batchnorm1d_gradcheck(n, c, length, training, seed):
    shape = (n, c) if length is None else (n, c, length)
    if training and n * (length or 1) < 4:
        # Training needs two values per channel. The input gradient is G projected onto the
        # (n - 2)-dimensional space orthogonal to 1 and x_hat (n values per channel); with n = 2 it is
        # exactly 0 and with n = 3 a random G can be nearly orthogonal to it, where a *relative* error
        # measures only rounding. From n = 4 on the check is well conditioned.
        n = 4
        shape = (n,) + shape[1:]
    with default_dtype(np.float64):
        rng = np.random.default_rng(seed)
        layer = nn.BatchNorm1d(c)
        randomise_params(layer, rng)
        layer.train(training)
        assert gradcheck(layer, rng.standard_normal(shape) * 2 + 1, rng=seed + 1) < GRAD_TOL


@SETTINGS
@given(n=st.integers(1, 3), c=st.integers(1, 4), h=st.integers(2, 4), w=st.integers(2, 5),
       training=st.booleans(), seed=seeds)
def test_batchnorm2d_gradcheck(n, c, h, w, training, seed):
    with default_dtype(np.float64):
        rng = np.random.default_rng(seed)
        layer = nn.BatchNorm2d(c)
        randomise_params(layer, rng)
        layer.train(training)
        assert gradcheck(layer, rng.standard_normal((n, c, h, w)), rng=seed + 1) < GRAD_TOL


def test_gradcheck_catches_a_wrong_batchnorm_backward(monkeypatch):
    """The checks above can fail: the backward of BatchNorm *as if in eval mode* is rejected in training."""
    import nnedu.nn.batchnorm as bn_module
    from nnedu.functional.batchnorm import batchnorm_backward

    def wrong(G, cache):
        return batchnorm_backward(G, cache._replace(batch_stats=False))
    monkeypatch.setattr(bn_module, "batchnorm_backward", wrong)
    with default_dtype(np.float64):
        layer = nn.BatchNorm1d(3)
        assert gradcheck(layer, np.random.default_rng(0).standard_normal((4, 3)), rng=1) > 1e-2


def test_batchnorm_staged_backward_matches_compact():
    from nnedu.functional import (batchnorm_backward, batchnorm_backward_steps, batchnorm_forward,
                                  batchnorm_forward_steps)
    rng = np.random.default_rng(3)
    for shape in [(7, 4), (3, 4, 5, 2)]:
        x, G = rng.standard_normal(shape) * 3 + 2, rng.standard_normal(shape)
        gamma, beta = rng.standard_normal(4), rng.standard_normal(4)
        y1, cache = batchnorm_forward(x, gamma, beta)
        y2, nodes = batchnorm_forward_steps(x, gamma, beta)
        np.testing.assert_allclose(y1, y2, atol=1e-12)
        for a, b in zip(batchnorm_backward(G, cache), batchnorm_backward_steps(G, nodes)):
            np.testing.assert_allclose(a, b, atol=1e-12)


# -- agreement with PyTorch (float64, 1e-10) ----------------------------------------------------
def _torch():
    return pytest.importorskip("torch")


def torch_compare(ours: nn.Module, theirs, x: np.ndarray, G: np.ndarray, params: dict[str, str] | None = None,
                  transpose: tuple[str, ...] = ()) -> None:
    """Forward, input gradient and parameter gradients of ``ours`` and a torch module agree to 1e-10."""
    torch = _torch()
    ours.zero_grad()
    y = ours(x)
    dx = ours.backward(G)
    xt = torch.tensor(x, requires_grad=True)
    yt = theirs(xt)
    yt.backward(torch.tensor(G))
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=0, atol=1e-10)
    for ours_name, p in ours.named_parameters():
        tp = dict(theirs.named_parameters())[(params or {}).get(ours_name, ours_name)].grad.numpy()
        np.testing.assert_allclose(p.grad, tp.T if ours_name in transpose else tp, rtol=0, atol=1e-10)


def test_linear_matches_torch():
    torch = _torch()
    with default_dtype(np.float64):
        rng = np.random.default_rng(0)
        ours = nn.Linear(7, 5, rng=1)
        ours.bias.data[...] = rng.standard_normal(5)
        theirs = torch.nn.Linear(7, 5).double()
        with torch.no_grad():
            theirs.weight.copy_(torch.tensor(ours.weight.data.T))   # our weight is PyTorch's transposed
            theirs.bias.copy_(torch.tensor(ours.bias.data))
        torch_compare(ours, theirs, rng.standard_normal((6, 7)), rng.standard_normal((6, 5)), transpose=("weight",))


@pytest.mark.parametrize("name", ["ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Flatten"])
def test_parameter_free_layers_match_torch(name):
    torch = _torch()
    rng = np.random.default_rng(1)
    x = away_from_zero(rng, (4, 3, 2, 5)) * 5
    x[0, 0, 0, :2] = [40.0, -40.0]                        # saturated sigmoid/tanh
    ours, theirs = getattr(nn, name)(), getattr(torch.nn, name)()
    y = ours(x)
    torch_compare(ours, theirs, x, rng.standard_normal(y.shape))


def test_leaky_relu_slope_matches_torch():
    torch = _torch()
    rng = np.random.default_rng(2)
    x = away_from_zero(rng, (5, 6))
    torch_compare(nn.LeakyReLU(0.3), torch.nn.LeakyReLU(0.3), x, rng.standard_normal(x.shape))


@pytest.mark.parametrize("shape", [(8, 5), (4, 5, 3), (3, 5, 4, 2)])
def test_batchnorm_matches_torch_including_running_stats(shape):
    torch = _torch()
    with default_dtype(np.float64):
        rng = np.random.default_rng(4)
        ours = nn.BatchNorm2d(5, momentum=0.2) if len(shape) == 4 else nn.BatchNorm1d(5, momentum=0.2)
        theirs = (torch.nn.BatchNorm2d if len(shape) == 4 else torch.nn.BatchNorm1d)(5, momentum=0.2).double()
        randomise_params(ours, rng)
        ours.running_mean[...], ours.running_var[...] = 0.0, 1.0
        with torch.no_grad():
            theirs.weight.copy_(torch.tensor(ours.weight.data))
            theirs.bias.copy_(torch.tensor(ours.bias.data))
        for _ in range(4):                                # several training steps
            x = rng.standard_normal(shape) * 3 + 1.5
            torch_compare(ours, theirs, x, rng.standard_normal(shape))
            theirs.zero_grad()
        np.testing.assert_allclose(ours.running_mean, theirs.running_mean.numpy(), rtol=0, atol=1e-10)
        np.testing.assert_allclose(ours.running_var, theirs.running_var.numpy(), rtol=0, atol=1e-10)
        ours.eval(), theirs.eval()
        torch_compare(ours, theirs, rng.standard_normal(shape), rng.standard_normal(shape))


def test_dropout_matches_torch_in_eval_and_in_expectation():
    torch = _torch()
    x = np.random.default_rng(5).standard_normal((4, 6))
    layer = nn.Dropout(0.4).eval()
    np.testing.assert_array_equal(layer(x), torch.nn.Dropout(0.4).eval()(torch.tensor(x)).numpy())


# -- Dropout semantics ------------------------------------------------------------------------------
def test_dropout_is_inverted_and_seedable():
    x = np.ones((200, 500))
    layer = nn.Dropout(0.3, rng=0)
    y = layer(x)
    kept = y != 0
    assert abs(kept.mean() - 0.7) < 0.01
    np.testing.assert_allclose(y[kept], 1 / 0.7)
    np.testing.assert_allclose(y.mean(), 1.0, atol=0.01)             # E[Y] = X
    np.testing.assert_array_equal(layer.backward(np.full_like(x, 2.0)), 2.0 * y)
    np.testing.assert_array_equal(nn.Dropout(0.3, rng=0)(x), y)       # same seed, same mask
    assert not np.array_equal(layer(x), y)                            # the next mask is new
    nnedu.manual_seed(7)
    a = nn.Dropout(0.5)(x)
    nnedu.manual_seed(7)
    np.testing.assert_array_equal(nn.Dropout(0.5)(x), a)              # global generator


def test_dropout_eval_identity_and_extremes():
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    layer = nn.Dropout(0.5).eval()
    np.testing.assert_array_equal(layer(x), x)
    np.testing.assert_array_equal(layer.backward(x), x)
    np.testing.assert_array_equal(nn.Dropout(0.0)(x), x)
    assert not nn.Dropout(1.0)(x).any()


# -- dtypes ---------------------------------------------------------------------------------------
def all_layers():
    return [nn.Linear(6, 3, rng=0), nn.ReLU(), nn.LeakyReLU(), nn.Sigmoid(), nn.Tanh(), nn.Flatten(),
            nn.Dropout(0.5, rng=0), nn.BatchNorm1d(6)]


@pytest.mark.parametrize("param_dtype", [np.float32, np.float64])
@pytest.mark.parametrize("x_dtype", [np.float32, np.float64])
@pytest.mark.parametrize("training", [True, False])
def test_layers_keep_the_input_dtype(param_dtype, x_dtype, training):
    with default_dtype(param_dtype):
        layers = all_layers()
    x = np.random.default_rng(0).standard_normal((5, 6)).astype(x_dtype)
    for layer in layers:
        layer.train(training)
        y = layer(x)
        assert y.dtype == x_dtype, type(layer).__name__
        assert layer.backward(np.ones_like(y)).dtype == x_dtype, type(layer).__name__
        for p in layer.parameters():
            assert p.data.dtype == p.grad.dtype == param_dtype


def test_integer_input_becomes_default_dtype():
    x = np.arange(12, dtype=np.uint8).reshape(3, 4)
    assert nn.ReLU()(x).dtype == np.float32
    assert nn.Linear(4, 2, rng=0)(x).dtype == np.float32


def test_sigmoid_is_stable_for_huge_inputs():
    x = np.array([-1e4, -50.0, 0.0, 50.0, 1e4], dtype=np.float32)
    with np.errstate(over="raise", invalid="raise", divide="raise"):   # underflow to 0 is fine
        y = nn.Sigmoid()(x)
    np.testing.assert_allclose(y, [0.0, 1.9287498e-22, 0.5, 1.0, 1.0], rtol=1e-6)


# -- bad input ------------------------------------------------------------------------------------
@pytest.mark.parametrize("layer, x, pattern", [
    (nn.Linear(4, 3, rng=0), np.zeros(4), r"Linear\(4, 3\): expected input of shape \(N, 4\), got \(4,\)"),
    (nn.Linear(4, 3, rng=0), np.zeros((2, 5)), r"Linear\(4, 3\).*\(N, 4\), got \(2, 5\)"),
    (nn.BatchNorm1d(3), np.zeros((4, 2)), r"BatchNorm1d\(3\): expected input of shape \(N, 3\) or \(N, 3, L\), "
                                          r"got \(4, 2\)"),
    (nn.BatchNorm1d(3), np.zeros(3), r"BatchNorm1d\(3\).*got \(3,\)"),
    (nn.BatchNorm1d(3), np.zeros((1, 3)), r"BatchNorm1d\(3\): training needs more than 1 value per channel"),
    (nn.BatchNorm2d(3), np.zeros((2, 3, 4)), r"BatchNorm2d\(3\): expected input of shape \(N, 3, H, W\), "
                                             r"got \(2, 3, 4\)"),
    (nn.BatchNorm2d(3), np.zeros((2, 1, 4, 4)), r"BatchNorm2d\(3\).*\(N, 3, H, W\), got \(2, 1, 4, 4\)"),
    (nn.Flatten(), np.zeros(5), r"Flatten\(start_dim=1, end_dim=-1\).*shape \(5,\)"),
])
def test_bad_input_shapes(layer, x, pattern):
    with pytest.raises(ValueError, match=pattern):
        layer(x)


@pytest.mark.parametrize("make", [lambda: nn.Linear(3, 2, rng=0), nn.ReLU, nn.LeakyReLU, nn.Sigmoid, nn.Tanh,
                                  nn.Flatten, nn.Dropout, lambda: nn.BatchNorm1d(3), lambda: nn.BatchNorm2d(3),
                                  nn.CrossEntropyLoss, nn.MSELoss])
def test_backward_before_forward(make):
    layer = make()
    with pytest.raises(RuntimeError, match=rf"{type(layer).__name__}\.backward\(\) called before forward\(\)"):
        layer.backward(np.ones((2, 3)))


@pytest.mark.parametrize("layer, x", [(nn.Linear(3, 2, rng=0), np.ones((4, 3))), (nn.ReLU(), np.ones((4, 3))),
                                      (nn.Tanh(), np.ones((4, 3))), (nn.Dropout(), np.ones((4, 3))),
                                      (nn.Flatten(), np.ones((4, 3, 2))), (nn.BatchNorm1d(3), np.ones((4, 3)))])
def test_backward_with_wrong_gradient_shape(layer, x):
    y = layer(x)
    with pytest.raises(ValueError, match=rf"{type(layer).__name__}\.backward: expected grad_out of shape "
                                         rf"\({y.shape[0]}, {y.shape[1]}\).*got \(4, 7\)"):
        layer.backward(np.ones((4, 7)))


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="Dropout: p must be between 0 and 1, got 1.5"):
        nn.Dropout(1.5)
    with pytest.raises(ValueError, match="BatchNorm2d: num_features must be positive, got 0"):
        nn.BatchNorm2d(0)


def test_linear_can_skip_the_input_gradient():
    layer = nn.Linear(4, 3, rng=0)
    x, G = np.ones((2, 4), np.float32), np.ones((2, 3), np.float32)
    layer(x)
    dx = layer.backward(G)
    grads = [p.grad.copy() for p in layer.parameters()]
    layer.zero_grad()
    layer.needs_input_grad = False
    layer(x)
    assert layer.backward(G) is None and dx.shape == (2, 4)
    for g, p in zip(grads, layer.parameters()):
        np.testing.assert_array_equal(p.grad, g)
