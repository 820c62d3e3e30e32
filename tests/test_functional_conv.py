"""nnedu.functional convolution pieces: output size, im2col/col2im, naive vs im2col, PyTorch reference."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnedu import functional as F
from nnedu.checking import gradcheck

SETTINGS = settings(max_examples=25, deadline=None)
seeds = st.integers(0, 2**32 - 1)


@st.composite
def conv_config(draw, max_hw: int = 8, max_c: int = 3, max_n: int = 3):
    """A random but valid convolution: sizes, non-square kernels, stride 1-3, padding 0-2."""
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    ph, pw = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    H = draw(st.integers(max(1, kh - 2 * ph), max_hw))
    W = draw(st.integers(max(1, kw - 2 * pw), max_hw))
    N, C, Fo = draw(st.integers(1, max_n)), draw(st.integers(1, max_c)), draw(st.integers(1, 3))
    return dict(N=N, C=C, H=H, W=W, F=Fo, k=(kh, kw), s=(sh, sw), p=(ph, pw), seed=draw(seeds))


def make(cfg):
    rng = np.random.default_rng(cfg["seed"])
    x = rng.standard_normal((cfg["N"], cfg["C"], cfg["H"], cfg["W"]))
    w = rng.standard_normal((cfg["F"], cfg["C"]) + cfg["k"])
    b = rng.standard_normal(cfg["F"])
    return rng, x, w, b


# -- output size ---------------------------------------------------------------------------------
@pytest.mark.parametrize("n,k,s,p,expected", [
    (28, 5, 1, 2, 28), (28, 5, 1, 0, 24), (14, 5, 1, 0, 10), (28, 2, 2, 0, 14),
    (7, 3, 2, 1, 4), (8, 3, 3, 0, 2), (5, 5, 1, 0, 1), (1, 3, 1, 1, 1),
])
def test_conv_output_size_examples(n, k, s, p, expected):
    assert F.conv_output_size(n, k, s, p) == expected


@SETTINGS
@given(n=st.integers(1, 30), k=st.integers(1, 7), s=st.integers(1, 4), p=st.integers(0, 3))
def test_conv_output_size_counts_windows(n, k, s, p):
    """The formula equals the number of window starts 0, s, 2s, ... that fit in the padded input."""
    if k > n + 2 * p:
        with pytest.raises(ValueError, match="larger than the padded input"):
            F.conv_output_size(n, k, s, p)
    else:
        assert F.conv_output_size(n, k, s, p) == len(range(0, n + 2 * p - k + 1, s))


def test_conv_output_size_rejects_bad_arguments():
    with pytest.raises(ValueError, match="stride"):
        F.conv_output_size(5, 3, 0, 0)


# -- im2col / col2im -------------------------------------------------------------------------------
@SETTINGS
@given(cfg=conv_config())
def test_im2col_matches_definition(cfg):
    _, x, _, _ = make(cfg)
    (kh, kw), (sh, sw), (ph, pw) = cfg["k"], cfg["s"], cfg["p"]
    col = F.im2col(x, cfg["k"], cfg["s"], cfg["p"])
    Ho = F.conv_output_size(cfg["H"], kh, sh, ph)
    Wo = F.conv_output_size(cfg["W"], kw, sw, pw)
    assert col.shape == (cfg["N"], cfg["C"] * kh * kw, Ho * Wo)
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    for n in range(cfg["N"]):
        for i in range(Ho):
            for j in range(Wo):
                window = xp[n, :, i * sh:i * sh + kh, j * sw:j * sw + kw]
                np.testing.assert_array_equal(col[n, :, i * Wo + j], window.reshape(-1))


@SETTINGS
@given(cfg=conv_config())
def test_col2im_is_the_adjoint_of_im2col(cfg):
    """<im2col(x), c> == <x, col2im(c)> for random x and c."""
    rng, x, _, _ = make(cfg)
    col = F.im2col(x, cfg["k"], cfg["s"], cfg["p"])
    c = rng.standard_normal(col.shape)
    back = F.col2im(c, x.shape, cfg["k"], cfg["s"], cfg["p"])
    assert back.shape == x.shape
    lhs, rhs = np.sum(col * c), np.sum(x * back)
    assert abs(lhs - rhs) <= 1e-10 * max(1.0, abs(lhs))


def test_col2im_accumulates_overlapping_windows():
    """With a 2x2 kernel and stride 1 on a 3x3 input, the centre pixel is in all 4 windows."""
    x_shape = (1, 1, 3, 3)
    ones = np.ones((1, 4, 4))
    counts = F.col2im(ones, x_shape, 2, 1, 0)[0, 0]
    np.testing.assert_array_equal(counts, [[1, 2, 1], [2, 4, 2], [1, 2, 1]])


def test_col2im_rejects_wrong_shape():
    with pytest.raises(ValueError, match=r"col2im: expected col of shape \(1, 4, 4\)"):
        F.col2im(np.ones((1, 4, 5)), (1, 1, 3, 3), 2)


def test_im2col_keeps_dtype_and_float32():
    x = np.random.default_rng(0).standard_normal((2, 3, 6, 5)).astype(np.float32)
    assert F.im2col(x, 3, 1, 1).dtype == np.float32
    assert F.col2im(F.im2col(x, 3, 1, 1), x.shape, 3, 1, 1).dtype == np.float32


# -- naive (teaching) vs im2col -----------------------------------------------------------------
@SETTINGS
@given(cfg=conv_config(max_hw=6))
def test_naive_and_im2col_agree(cfg):
    rng, x, w, b = make(cfg)
    s, p = cfg["s"], cfg["p"]
    y = F.conv2d_im2col_forward(x, w, b, s, p)
    np.testing.assert_allclose(F.conv2d_naive(x, w, b, s, p), y, rtol=0, atol=1e-12)
    G = rng.standard_normal(y.shape)
    fast = F.conv2d_im2col_backward(G, x, w, s, p)
    slow = F.conv2d_naive_backward(G, x, w, s, p)
    for a, b_ in zip(fast, slow):
        np.testing.assert_allclose(a, b_, rtol=0, atol=1e-12)


def test_conv2d_is_im2col_forward_and_skips_bias():
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((2, 3, 7, 6)), rng.standard_normal((4, 3, 3, 2))
    np.testing.assert_allclose(F.conv2d(x, w, None, 2, 1), F.conv2d_naive(x, w, None, 2, 1), atol=1e-12)


def test_im2col_backward_can_skip_input_grad():
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal((2, 3, 7, 6)), rng.standard_normal((4, 3, 3, 2))
    y = F.conv2d_im2col_forward(x, w, None, 1, 1)
    G = rng.standard_normal(y.shape)
    dx, dw, db = F.conv2d_im2col_backward(G, x, w, 1, 1, need_input_grad=False)
    assert dx is None
    np.testing.assert_allclose(dw, F.conv2d_im2col_backward(G, x, w, 1, 1)[1])


@SETTINGS
@given(cfg=conv_config(max_hw=6, max_c=2, max_n=2))
def test_conv2d_input_gradcheck(cfg):
    _, x, w, b = make(cfg)
    s, p = cfg["s"], cfg["p"]

    def backward(x_, G):
        return F.conv2d_im2col_backward(G, x_, w, s, p)[0]

    assert gradcheck(lambda x_: F.conv2d(x_, w, b, s, p), x, backward, rng=cfg["seed"]) < 1e-6


def test_naive_input_gradcheck():
    rng = np.random.default_rng(3)
    x, w, b = rng.standard_normal((2, 2, 5, 4)), rng.standard_normal((3, 2, 3, 2)), rng.standard_normal(3)
    err = gradcheck(lambda x_: F.conv2d_naive(x_, w, b, (2, 1), (1, 0)), x,
                    lambda x_, G: F.conv2d_naive_backward(G, x_, w, (2, 1), (1, 0))[0])
    assert err < 1e-6


# -- PyTorch reference ----------------------------------------------------------------------------
@SETTINGS
@given(cfg=conv_config())
def test_conv2d_matches_torch(cfg):
    torch = pytest.importorskip("torch")
    rng, x, w, b = make(cfg)
    s, p = cfg["s"], cfg["p"]
    y = F.conv2d_im2col_forward(x, w, b, s, p)
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    yt = torch.nn.functional.conv2d(xt, wt, bt, stride=s, padding=p)
    G = rng.standard_normal(y.shape)
    yt.backward(torch.tensor(G))
    dx, dw, db = F.conv2d_im2col_backward(G, x, w, s, p)
    for ours, theirs in [(y, yt), (dx, xt.grad), (dw, wt.grad), (db, bt.grad)]:
        np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=0, atol=1e-10)


# -- bad input -------------------------------------------------------------------------------------
def test_conv2d_functional_errors_name_shapes():
    x, w = np.zeros((2, 3, 5, 5)), np.zeros((4, 3, 3, 3))
    with pytest.raises(ValueError, match=r"conv2d: expected a 4-D input of shape \(N, 3, H, W\), got shape \(3, 5, 5\)"):
        F.conv2d(x[0], w)
    with pytest.raises(ValueError, match=r"conv2d: expected input of shape \(N, 3, H, W\).*got shape \(2, 2, 5, 5\)"):
        F.conv2d(x[:, :2], w)
    with pytest.raises(ValueError, match=r"conv2d: kernel \(3, 3\) is larger than the padded input \(2, 2\)"):
        F.conv2d(np.zeros((2, 3, 2, 2)), w)
    with pytest.raises(ValueError, match=r"conv2d: expected bias of shape \(4,\), got shape \(3,\)"):
        F.conv2d(x, w, np.zeros(3))
    with pytest.raises(ValueError, match=r"conv2d_naive: expected weight of shape \(F, C, kh, kw\)"):
        F.conv2d_naive(x, np.zeros((4, 3, 3)))
    with pytest.raises(ValueError, match="im2col: expected a 4-D input"):
        F.im2col(np.zeros((5, 5)), 3)
    with pytest.raises(ValueError, match="stride must be an int or a pair"):
        F.im2col(x, 3, stride=(1, 2, 3))


@pytest.mark.parametrize("k,p,hw", [((5, 5), (2, 2), (9, 8)), ((3, 1), (0, 0), (4, 5)), ((1, 1), (1, 2), (3, 3)),
                                    ((2, 4), (1, 0), (2, 4)), ((4, 3), (2, 1), (1, 1))])
def test_stride1_fast_path_matches_naive(k, p, hw):
    """Stride 1 takes the 'wide grid' path in conv2d_im2col_forward/backward; check it on edge shapes."""
    rng = np.random.default_rng(4)
    x, w, b = rng.standard_normal((2, 3) + hw), rng.standard_normal((2, 3) + k), rng.standard_normal(2)
    y = F.conv2d_im2col_forward(x, w, b, 1, p)
    np.testing.assert_allclose(y, F.conv2d_naive(x, w, b, 1, p), rtol=0, atol=1e-12)
    G = rng.standard_normal(y.shape)
    for fast, slow in zip(F.conv2d_im2col_backward(G, x, w, 1, p), F.conv2d_naive_backward(G, x, w, 1, p)):
        np.testing.assert_allclose(fast, slow, rtol=0, atol=1e-12)


@pytest.mark.parametrize("stride,padding", [(1, 2), (2, 1), ((1, 2), (0, 1))])
def test_fast_path_in_several_blocks_matches_naive(monkeypatch, stride, padding):
    """Blocks of 2 samples for a batch of 5 (the last block is short): same numbers as the naive loops."""
    from nnedu.functional import conv
    rng = np.random.default_rng(5)
    x, w, b = rng.standard_normal((5, 2, 7, 6)), rng.standard_normal((3, 2, 3, 3)), rng.standard_normal(3)
    y0 = F.conv2d_im2col_forward(x, w, b, stride, padding)
    Ho, Wo = y0.shape[2:]
    Wc = 6 + 2 * padding if stride == 1 else Wo          # the wide grid for stride 1
    per_sample = (2 * 3 * 3) * (Ho * Wc) * x.itemsize     # bytes of one sample's columns
    monkeypatch.setattr(conv, "BLOCK_BYTES", 2 * per_sample)
    assert conv._blocks(5, per_sample) == (2, 3)
    y = F.conv2d_im2col_forward(x, w, b, stride, padding)
    np.testing.assert_allclose(y, F.conv2d_naive(x, w, b, stride, padding), rtol=0, atol=1e-12)
    G = rng.standard_normal(y.shape)
    names = ("dx", "dw", "db")
    for name, fast, slow in zip(names, F.conv2d_im2col_backward(G, x, w, stride, padding),
                                F.conv2d_naive_backward(G, x, w, stride, padding)):
        np.testing.assert_allclose(fast, slow, rtol=0, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("stride,padding", [(1, 1), (2, 0)])
def test_fast_path_takes_views_and_mixed_dtypes(stride, padding):
    """x and G as transposed (non-contiguous) views, float32 input with float64 weights: as the naive loops."""
    rng = np.random.default_rng(6)
    x = rng.standard_normal((5, 3, 2, 7)).astype(np.float32).transpose(2, 1, 0, 3)      # (2, 3, 5, 7), a view
    w, b = rng.standard_normal((4, 3, 3, 2)), rng.standard_normal(4)                     # float64
    y = F.conv2d_im2col_forward(x, w, b, stride, padding)
    assert y.dtype == np.float64 and not x.flags.c_contiguous
    np.testing.assert_allclose(y, F.conv2d_naive(x, w, b, stride, padding), rtol=0, atol=1e-5)
    G = np.ascontiguousarray(rng.standard_normal(y.shape[::-1])).T                      # reversed axes: a view
    for name, fast, slow in zip(("dx", "dw", "db"), F.conv2d_im2col_backward(G, x, w, stride, padding),
                                F.conv2d_naive_backward(G, x, w, stride, padding)):
        assert fast.dtype == np.float64, name
        np.testing.assert_allclose(fast, slow, rtol=0, atol=1e-5, err_msg=name)
