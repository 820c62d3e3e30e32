"""nnedu.nn.Conv2d: gradient checks, agreement with PyTorch, naive == im2col, errors and dtypes."""
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


@st.composite
def conv_layer_config(draw, max_hw: int = 7, max_c: int = 3, max_n: int = 3):
    """Layer arguments and an input shape: odd/even sizes, non-square kernels, stride 1-3, padding 0-2."""
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    ph, pw = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    H = draw(st.integers(max(1, kh - 2 * ph), max_hw))
    W = draw(st.integers(max(1, kw - 2 * pw), max_hw))
    square = draw(st.booleans()) and kh == kw and sh == sw and ph == pw
    return dict(
        N=draw(st.integers(1, max_n)), C=draw(st.integers(1, max_c)), F=draw(st.integers(1, 3)), H=H, W=W,
        kernel_size=kh if square else (kh, kw), stride=sh if square else (sh, sw),
        padding=ph if square else (ph, pw), bias=draw(st.booleans()), seed=draw(seeds),
    )


def build(cfg, method="im2col"):
    rng = np.random.default_rng(cfg["seed"])
    layer = nn.Conv2d(cfg["C"], cfg["F"], cfg["kernel_size"], stride=cfg["stride"], padding=cfg["padding"],
                      bias=cfg["bias"], method=method, rng=rng)
    if layer.bias is not None:
        layer.bias.data[...] = rng.standard_normal(layer.bias.shape)
    x = rng.standard_normal((cfg["N"], cfg["C"], cfg["H"], cfg["W"]))
    return layer, x, rng


# -- gradient checks (float64) -----------------------------------------------------------------
@SETTINGS
@given(cfg=conv_layer_config())
def test_conv2d_gradcheck(cfg):
    with default_dtype(np.float64):
        layer, x, _ = build(cfg)
        assert gradcheck(layer, x, rng=cfg["seed"]) < GRAD_TOL


@settings(max_examples=5, deadline=None)
@given(cfg=conv_layer_config(max_hw=5, max_c=2, max_n=2))
def test_conv2d_naive_gradcheck(cfg):
    with default_dtype(np.float64):
        layer, x, _ = build(cfg, method="naive")
        assert gradcheck(layer, x, rng=cfg["seed"]) < GRAD_TOL


# -- naive == im2col ------------------------------------------------------------------------------
@SETTINGS
@given(cfg=conv_layer_config())
def test_naive_and_im2col_layers_agree(cfg):
    with default_dtype(np.float64):
        fast, x, rng = build(cfg)
        slow, _, _ = build(cfg, method="naive")
        y = fast(x)
        np.testing.assert_allclose(slow(x), y, rtol=0, atol=1e-12)
        G = rng.standard_normal(y.shape)
        np.testing.assert_allclose(slow.backward(G), fast.backward(G), rtol=0, atol=1e-12)
        for (name, p), q in zip(fast.named_parameters(), slow.parameters()):
            np.testing.assert_allclose(q.grad, p.grad, rtol=0, atol=1e-12, err_msg=name)


def test_naive_and_im2col_agree_in_float32_on_lenet_shapes():
    rng = np.random.default_rng(0)
    x = rng.random((2, 1, 28, 28), dtype=np.float32)
    fast = nn.Conv2d(1, 6, 5, padding=2, rng=0)
    slow = nn.Conv2d(1, 6, 5, padding=2, method="naive", rng=0)
    y = fast(x)
    assert y.dtype == np.float32 and y.shape == (2, 6, 28, 28)
    np.testing.assert_allclose(slow(x), y, rtol=1e-5, atol=1e-5)


# -- PyTorch reference (float64, 1e-10) --------------------------------------------------------
@SETTINGS
@given(cfg=conv_layer_config(), method=st.sampled_from(["im2col", "naive"]))
def test_conv2d_matches_torch(cfg, method):
    torch = pytest.importorskip("torch")
    if method == "naive":
        cfg = dict(cfg, N=min(cfg["N"], 2))
    with default_dtype(np.float64):
        layer, x, rng = build(cfg, method)
        ref = torch.nn.Conv2d(cfg["C"], cfg["F"], cfg["kernel_size"], stride=cfg["stride"],
                              padding=cfg["padding"], bias=cfg["bias"]).double()
        with torch.no_grad():
            ref.weight.copy_(torch.tensor(layer.weight.data))
            if cfg["bias"]:
                ref.bias.copy_(torch.tensor(layer.bias.data))
        xt = torch.tensor(x, requires_grad=True)
        yt = ref(xt)
        y = layer(x)
        G = rng.standard_normal(y.shape)
        yt.backward(torch.tensor(G))
        dx = layer.backward(G)
        np.testing.assert_allclose(y, yt.detach().numpy(), rtol=0, atol=1e-10)
        np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=0, atol=1e-10)
        np.testing.assert_allclose(layer.weight.grad, ref.weight.grad.numpy(), rtol=0, atol=1e-10)
        if cfg["bias"]:
            np.testing.assert_allclose(layer.bias.grad, ref.bias.grad.numpy(), rtol=0, atol=1e-10)


# -- behaviour ---------------------------------------------------------------------------------------
def test_conv2d_parameters_shapes_and_he_init():
    layer = nn.Conv2d(6, 16, (5, 3), rng=0)
    assert layer.weight.shape == (16, 6, 5, 3) and layer.bias.shape == (16,)
    assert layer.weight.dtype == np.float32
    assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"]
    np.testing.assert_allclose(layer.weight.data.std(), np.sqrt(2 / (6 * 5 * 3)), rtol=0.1)
    assert not np.any(layer.bias.data)
    assert nn.Conv2d(2, 3, 3, bias=False).bias is None
    assert np.array_equal(nn.Conv2d(2, 3, 3, rng=7).weight.data, nn.Conv2d(2, 3, 3, rng=7).weight.data)
    xavier = nn.Conv2d(6, 16, 5, init="xavier", rng=0).weight.data
    np.testing.assert_allclose(xavier.std(), np.sqrt(2 / (6 * 25 + 16 * 25)), rtol=0.1)


def test_conv2d_gradients_accumulate_until_zero_grad():
    layer = nn.Conv2d(2, 3, 3, padding=1, rng=0)
    x = np.random.default_rng(1).standard_normal((2, 2, 5, 5)).astype(np.float32)
    G = np.ones((2, 3, 5, 5), np.float32)
    layer(x)
    layer.backward(G)
    once = layer.weight.grad.copy()
    layer(x)
    layer.backward(G)
    np.testing.assert_allclose(layer.weight.grad, 2 * once, rtol=1e-6)
    layer.zero_grad()
    assert not np.any(layer.weight.grad)


@pytest.mark.parametrize("method", ["im2col", "naive"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv2d_keeps_input_dtype(dtype, method):
    layer = nn.Conv2d(2, 3, 3, stride=2, padding=1, method=method, rng=0)   # float32 parameters
    x = np.random.default_rng(0).standard_normal((2, 2, 6, 5)).astype(dtype)
    y = layer(x)
    assert y.dtype == dtype
    assert layer.backward(np.ones_like(y)).dtype == dtype
    assert layer.weight.grad.dtype == np.float32


def test_conv2d_converts_integer_input():
    layer = nn.Conv2d(1, 2, 3, rng=0)
    y = layer(np.ones((1, 1, 4, 4), dtype=np.uint8))
    assert y.dtype == np.float32


def test_conv2d_needs_input_grad_false_skips_dx():
    layer = nn.Conv2d(1, 2, 3, rng=0)
    layer.needs_input_grad = False
    y = layer(np.ones((2, 1, 5, 5), np.float32))
    assert layer.backward(np.ones_like(y)) is None
    assert np.any(layer.weight.grad)


def test_conv2d_repr():
    assert repr(nn.Conv2d(1, 6, 5, padding=2)) == (
        "Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2), bias=True, method='im2col')")


# -- bad input ------------------------------------------------------------------------------------
def test_conv2d_wrong_ndim():
    layer = nn.Conv2d(3, 4, 3)
    with pytest.raises(ValueError, match=r"Conv2d\(3, 4, .*expected a 4-D input of shape \(N, 3, H, W\), "
                                         r"got shape \(3, 8, 8\)"):
        layer(np.zeros((3, 8, 8), np.float32))


def test_conv2d_channel_mismatch():
    layer = nn.Conv2d(3, 4, 3)
    with pytest.raises(ValueError, match=r"Conv2d\(3, 4, .*expected input of shape \(N, 3, H, W\) "
                                         r"\(3 channels\), got shape \(2, 1, 8, 8\) \(1 channels\)"):
        layer(np.zeros((2, 1, 8, 8), np.float32))


def test_conv2d_kernel_larger_than_padded_input():
    layer = nn.Conv2d(1, 4, 5, padding=1)
    with pytest.raises(ValueError, match=r"Conv2d\(1, 4, .*kernel \(5, 5\) is larger than the padded input "
                                         r"\(4, 5\) \(input shape \(1, 1, 2, 3\), padding \(1, 1\)\)"):
        layer(np.zeros((1, 1, 2, 3), np.float32))


@pytest.mark.parametrize("method", ["im2col", "naive"])
def test_conv2d_backward_before_forward(method):
    with pytest.raises(RuntimeError, match=r"Conv2d.backward\(\) called before forward\(\)"):
        nn.Conv2d(1, 2, 3, method=method).backward(np.zeros((1, 2, 3, 3), np.float32))


def test_conv2d_backward_wrong_grad_shape():
    layer = nn.Conv2d(1, 2, 3)
    layer(np.zeros((1, 1, 5, 5), np.float32))
    with pytest.raises(ValueError, match=r"Conv2d.backward: expected grad_out of shape \(1, 2, 3, 3\)"):
        layer.backward(np.zeros((1, 2, 4, 4), np.float32))


@pytest.mark.parametrize("kwargs,match", [
    (dict(method="fft"), "method must be 'im2col' or 'naive'"),
    (dict(stride=0), "stride >= 1"),
    (dict(padding=-1), "padding >= 0"),
    (dict(kernel_size=(3, 3, 3)), "kernel_size must be an int or a pair"),
    (dict(out_channels=0), r"channel counts must be positive, got \(1, 0\)"),
])
def test_conv2d_bad_constructor_arguments(kwargs, match):
    args = dict(in_channels=1, out_channels=2, kernel_size=3) | kwargs
    with pytest.raises(ValueError, match=match):
        nn.Conv2d(**args)
