"""DataLoader and stratified_subset."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nnedu
from nnedu.data import DataLoader, load_mnist, stratified_subset


def make(n=10):
    return np.arange(n * 2).reshape(n, 2), np.arange(n)


@pytest.mark.parametrize("n, batch, drop_last, expected", [
    (10, 4, False, [4, 4, 2]), (10, 4, True, [4, 4]), (12, 4, False, [4, 4, 4]), (12, 4, True, [4, 4, 4]),
    (3, 5, False, [3]), (3, 5, True, []), (1, 1, False, [1]),
])
def test_len_and_batch_sizes(n, batch, drop_last, expected):
    loader = DataLoader(*make(n), batch_size=batch, drop_last=drop_last, seed=0)
    assert len(loader) == len(expected)
    assert [len(y) for _, y in loader] == expected
    assert loader.num_samples == sum(expected)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 60), st.integers(1, 17), st.booleans(), st.integers(0, 2**31))
def test_every_sample_once_per_epoch_and_pairs_stay_together(n, batch, shuffle, seed):
    x, y = make(n)
    loader = DataLoader(x, y, batch_size=batch, shuffle=shuffle, seed=seed)
    seen = []
    for xb, yb in loader:
        np.testing.assert_array_equal(xb, x[yb])
        seen.extend(yb.tolist())
    assert sorted(seen) == list(range(n))
    if not shuffle:
        assert seen == list(range(n))


def test_fresh_permutation_each_epoch_reproducible_with_seed():
    x, y = make(200)
    a = DataLoader(x, y, 50, seed=123)
    b = DataLoader(x, y, 50, seed=123)
    epochs_a = [np.concatenate([yb for _, yb in a]) for _ in range(3)]
    epochs_b = [np.concatenate([yb for _, yb in b]) for _ in range(3)]
    for ea, eb in zip(epochs_a, epochs_b):
        np.testing.assert_array_equal(ea, eb)
    assert not np.array_equal(epochs_a[0], epochs_a[1])
    assert not np.array_equal(epochs_a[0], np.arange(200))
    c = np.concatenate([yb for _, yb in DataLoader(x, y, 50, seed=124)])
    assert not np.array_equal(c, epochs_a[0])


def test_no_seed_uses_global_generator_reset_by_manual_seed():
    x, y = make(100)
    nnedu.manual_seed(7)
    first = np.concatenate([yb for _, yb in DataLoader(x, y, 10)])
    nnedu.manual_seed(7)
    again = np.concatenate([yb for _, yb in DataLoader(x, y, 10)])
    np.testing.assert_array_equal(first, again)


def test_manual_seed_after_building_the_loader_takes_effect():
    x, y = make(100)
    loader = DataLoader(x, y, 10)
    nnedu.manual_seed(11)
    first = np.concatenate([yb for _, yb in loader])
    nnedu.manual_seed(11)
    again = np.concatenate([yb for _, yb in loader])
    np.testing.assert_array_equal(first, again)


def test_generator_seed_is_used_as_is():
    x, y = make(30)
    g1, g2 = np.random.default_rng(5), np.random.default_rng(5)
    np.testing.assert_array_equal(np.concatenate([b for _, b in DataLoader(x, y, 7, seed=g1)]),
                                  np.concatenate([b for _, b in DataLoader(x, y, 7, seed=g2)]))


@pytest.mark.parametrize("kwargs, match", [
    (dict(images=np.zeros((3, 2)), labels=np.zeros(4), batch_size=2), r"same first dimension.*\(3, 2\).*\(4,\)"),
    (dict(images=np.zeros((3, 2)), labels=np.zeros(3), batch_size=0), "batch_size must be a positive int"),
    (dict(images=np.zeros((3, 2)), labels=np.zeros(3), batch_size=2.5), "batch_size must be a positive int"),
    (dict(images=np.zeros((3, 2)), labels=np.zeros(3), batch_size=True), "batch_size must be a positive int"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        DataLoader(**kwargs)


def test_stratified_subset_proportions_and_size():
    y = np.repeat(np.arange(3), [50, 30, 20])
    x = np.arange(100) * 10
    xs, ys = stratified_subset(x, y, 10)
    assert len(xs) == 10 and np.bincount(ys).tolist() == [5, 3, 2]
    np.testing.assert_array_equal(y[xs // 10], ys)  # image-label pairs stay together
    assert np.all(np.diff(xs) > 0)  # original order kept


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 4), min_size=1, max_size=80), st.data())
def test_stratified_subset_exact_n_and_largest_remainder(labels, data):
    y = np.array(labels)
    n = data.draw(st.integers(1, len(y)))
    xs, ys = stratified_subset(np.arange(len(y)), y, n, seed=data.draw(st.integers(0, 100)))
    assert len(ys) == n and len(np.unique(xs)) == n
    np.testing.assert_array_equal(y[xs], ys)
    full, sub = np.bincount(y, minlength=5), np.bincount(ys, minlength=5)
    exact = n * full / len(y)
    assert np.all(sub >= np.floor(exact)) and np.all(sub <= np.ceil(exact))


def test_stratified_subset_deterministic_by_seed():
    x, y = make(100)
    y = y % 4
    a = stratified_subset(x, y, 20, seed=3)
    b = stratified_subset(x, y, 20, seed=3)
    c = stratified_subset(x, y, 20, seed=4)
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(a[0], c[0])


@pytest.mark.parametrize("n", [0, 11, -1])
def test_stratified_subset_bad_n(n):
    with pytest.raises(ValueError, match=r"n must be in 1\.\.10"):
        stratified_subset(*make(10), n)


def test_stratified_subset_of_real_mnist():
    images, labels = load_mnist("test")
    xs, ys = stratified_subset(images, labels, 1000, seed=0)
    assert xs.shape == (1000, 28, 28) and xs.dtype == np.uint8
    assert np.abs(np.bincount(ys) - np.bincount(labels) / 10).max() <= 1
