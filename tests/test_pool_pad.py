"""MaxPool2d, AvgPool2d, ZeroPad2d and their functionals: gradient checks, PyTorch, ties, errors, dtypes."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnedu import functional as F
from nnedu import nn
from nnedu.checking import gradcheck

GRAD_TOL = 1e-6
SETTINGS = settings(max_examples=25, deadline=None)
seeds = st.integers(0, 2**32 - 1)


@st.composite
def pool_config(draw, max_hw: int = 8):
    """Window 1-4 (non-square allowed), stride 1-3 or None (= kernel), padding up to half the window."""
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    stride = draw(st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    ph, pw = draw(st.integers(0, min(2, kh // 2))), draw(st.integers(0, min(2, kw // 2)))
    H = draw(st.integers(max(1, kh - 2 * ph), max_hw))
    W = draw(st.integers(max(1, kw - 2 * pw), max_hw))
    return dict(shape=(draw(st.integers(1, 3)), draw(st.integers(1, 3)), H, W),
                kernel_size=(kh, kw), stride=stride, padding=(ph, pw), seed=draw(seeds))


def distinct_values(shape, seed):
    """Values at least 0.01 apart: no ties and no near-ties that a central difference could cross."""
    rng = np.random.default_rng(seed)
    return (rng.permutation(int(np.prod(shape))).reshape(shape) - np.prod(shape) / 2) * 0.01


# -- gradient checks (float64) -----------------------------------------------------------------
@SETTINGS
@given(cfg=pool_config())
def test_maxpool_gradcheck(cfg):
    layer = nn.MaxPool2d(cfg["kernel_size"], cfg["stride"], cfg["padding"])
    assert gradcheck(layer, distinct_values(cfg["shape"], cfg["seed"]), rng=cfg["seed"]) < GRAD_TOL


@SETTINGS
@given(cfg=pool_config())
def test_avgpool_gradcheck(cfg):
    layer = nn.AvgPool2d(cfg["kernel_size"], cfg["stride"], cfg["padding"])
    x = np.random.default_rng(cfg["seed"]).standard_normal(cfg["shape"])
    assert gradcheck(layer, x, rng=cfg["seed"]) < GRAD_TOL


@SETTINGS
@given(shape=st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 6), st.integers(1, 6)),
       padding=st.one_of(st.integers(0, 2), st.tuples(*[st.integers(0, 2)] * 4)), seed=seeds)
def test_zeropad_gradcheck(shape, padding, seed):
    x = np.random.default_rng(seed).standard_normal(shape)
    assert gradcheck(nn.ZeroPad2d(padding), x, rng=seed) < GRAD_TOL


# -- PyTorch reference (float64, 1e-10) --------------------------------------------------------
def _torch_compare(layer, ref, x, seed):
    torch = pytest.importorskip("torch")
    xt = torch.tensor(x, requires_grad=True)
    yt = ref(xt)
    y = layer(x)
    G = np.random.default_rng(seed).standard_normal(y.shape)
    yt.backward(torch.tensor(G))
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(layer.backward(G), xt.grad.numpy(), rtol=0, atol=1e-10)


@SETTINGS
@given(cfg=pool_config(), ties=st.booleans())
def test_maxpool_matches_torch(cfg, ties):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(cfg["seed"])
    # With ties=True the values are small integers, so windows often hold several equal maxima.
    x = rng.integers(-2, 3, cfg["shape"]).astype(np.float64) if ties else rng.standard_normal(cfg["shape"])
    args = (cfg["kernel_size"], cfg["stride"], cfg["padding"])
    _torch_compare(nn.MaxPool2d(*args), torch.nn.MaxPool2d(*args), x, cfg["seed"])


@SETTINGS
@given(cfg=pool_config())
def test_avgpool_matches_torch(cfg):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(cfg["seed"]).standard_normal(cfg["shape"])
    args = (cfg["kernel_size"], cfg["stride"], cfg["padding"])
    _torch_compare(nn.AvgPool2d(*args), torch.nn.AvgPool2d(*args), x, cfg["seed"])


@SETTINGS
@given(shape=st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 6), st.integers(1, 6)),
       padding=st.one_of(st.integers(0, 2), st.tuples(*[st.integers(0, 2)] * 4)), seed=seeds)
def test_zeropad_matches_torch(shape, padding, seed):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(seed).standard_normal(shape)
    _torch_compare(nn.ZeroPad2d(padding), torch.nn.ZeroPad2d(padding), x, seed)


# -- semantics ---------------------------------------------------------------------------------------
def test_maxpool_tie_goes_to_first_cell():
    x = np.array([[[[1.0, 3.0, 3.0, 0.0],
                    [3.0, 2.0, 0.0, 0.0],
                    [5.0, 5.0, 1.0, 1.0],
                    [5.0, 5.0, 1.0, 1.0]]]])
    layer = nn.MaxPool2d(2)
    np.testing.assert_array_equal(layer(x)[0, 0], [[3, 3], [5, 1]])
    dx = layer.backward(np.array([[[[10.0, 20.0], [30.0, 40.0]]]]))
    np.testing.assert_array_equal(dx[0, 0], [[0, 10, 20, 0],
                                             [0, 0, 0, 0],
                                             [30, 0, 40, 0],
                                             [0, 0, 0, 0]])


def test_maxpool_overlapping_windows_accumulate():
    x = np.array([[[[0.0, 0.0, 0.0], [0.0, 9.0, 0.0], [0.0, 0.0, 0.0]]]])
    layer = nn.MaxPool2d(2, stride=1)
    assert np.all(layer(x) == 9)
    dx = layer.backward(np.ones((1, 1, 2, 2)))
    assert dx[0, 0, 1, 1] == 4 and dx.sum() == 4


def test_maxpool_pads_with_minus_infinity_and_avgpool_with_counted_zeros():
    x = -np.ones((1, 1, 2, 2))
    assert np.all(nn.MaxPool2d(2, stride=2, padding=1)(x) == -1)        # padding never wins
    np.testing.assert_allclose(nn.AvgPool2d(2, stride=2, padding=1)(x), -0.25)   # zeros count


def test_stride_defaults_to_kernel_size():
    assert nn.MaxPool2d(3).stride == (3, 3) and nn.AvgPool2d((2, 3)).stride == (2, 3)
    assert nn.MaxPool2d(2)(np.zeros((1, 1, 28, 28))).shape == (1, 1, 14, 14)
    assert nn.AvgPool2d(2)(np.zeros((1, 1, 7, 7))).shape == (1, 1, 3, 3)          # floor, like PyTorch


def test_functional_pooling_matches_layers():
    x = np.random.default_rng(0).standard_normal((2, 3, 7, 6))
    np.testing.assert_array_equal(F.max_pool2d(x, 3, 2, 1), nn.MaxPool2d(3, 2, 1)(x))
    np.testing.assert_array_equal(F.avg_pool2d(x, (2, 3), 1), nn.AvgPool2d((2, 3), 1)(x))


@pytest.mark.parametrize("make", [lambda: nn.MaxPool2d(2), lambda: nn.AvgPool2d(2), lambda: nn.ZeroPad2d(1)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_keeps_input_dtype(make, dtype):
    layer = make()
    x = np.random.default_rng(0).standard_normal((2, 3, 6, 6)).astype(dtype)
    y = layer(x)
    assert y.dtype == dtype and layer.backward(np.ones_like(y)).dtype == dtype


def test_zeropad_shape_and_order():
    x = np.ones((1, 1, 2, 3))
    y = nn.ZeroPad2d((1, 2, 3, 4))(x)          # left, right, top, bottom
    assert y.shape == (1, 1, 3 + 2 + 4, 1 + 3 + 2)
    np.testing.assert_array_equal(y[0, 0, 3:5, 1:4], 1)
    assert y.sum() == 6


# -- bad input ------------------------------------------------------------------------------------
@pytest.mark.parametrize("layer,name", [(nn.MaxPool2d(2), "MaxPool2d"), (nn.AvgPool2d(2), "AvgPool2d"),
                                        (nn.ZeroPad2d(1), "ZeroPad2d")])
def test_wrong_ndim(layer, name):
    with pytest.raises(ValueError, match=rf"{name}\(.*expected a 4-D input of shape \(N, C, H, W\), "
                                         rf"got shape \(5, 5\)"):
        layer(np.zeros((5, 5)))


@pytest.mark.parametrize("cls", [nn.MaxPool2d, nn.AvgPool2d])
def test_kernel_larger_than_padded_input(cls):
    with pytest.raises(ValueError, match=rf"{cls.__name__}\(kernel_size=\(4, 4\).*kernel \(4, 4\) is larger "
                                         rf"than the padded input \(5, 3\) \(input shape \(1, 2, 3, 1\)"):
        cls(4, padding=1)(np.zeros((1, 2, 3, 1)))


@pytest.mark.parametrize("layer,name", [(nn.MaxPool2d(2), "MaxPool2d"), (nn.AvgPool2d(2), "AvgPool2d"),
                                        (nn.ZeroPad2d(1), "ZeroPad2d")])
def test_backward_before_forward(layer, name):
    with pytest.raises(RuntimeError, match=rf"{name}.backward\(\) called before forward\(\)"):
        layer.backward(np.zeros((1, 1, 2, 2)))


@pytest.mark.parametrize("layer,name", [(nn.MaxPool2d(2), "MaxPool2d"), (nn.AvgPool2d(2), "AvgPool2d"),
                                        (nn.ZeroPad2d(1), "ZeroPad2d")])
def test_backward_wrong_grad_shape(layer, name):
    layer(np.zeros((1, 1, 4, 4)))
    with pytest.raises(ValueError, match=rf"{name}.backward: expected grad_out of shape"):
        layer.backward(np.zeros((1, 1, 3, 3)))


@pytest.mark.parametrize("cls", [nn.MaxPool2d, nn.AvgPool2d])
def test_pool_bad_arguments(cls):
    with pytest.raises(ValueError, match=r"padding \(2, 2\) must be at most half the kernel size \(3, 3\)"):
        cls(3, padding=2)
    with pytest.raises(ValueError, match="stride >= 1"):
        cls(2, stride=0)
    with pytest.raises(ValueError, match=r"_pool2d: padding \(2, 2\) must be at most half"):
        getattr(F, "max_pool2d" if cls is nn.MaxPool2d else "avg_pool2d")(np.zeros((1, 1, 4, 4)), 2, 2, 2)


@pytest.mark.parametrize("padding", [-1, (1, 2), (1, 2, 3, -4), 1.5])
def test_zeropad_bad_padding(padding):
    with pytest.raises(ValueError, match=r"ZeroPad2d: padding must be a non-negative int or a tuple"):
        nn.ZeroPad2d(padding)
