"""nnedu.pca: principal directions, scores and explained variance."""
from __future__ import annotations

import numpy as np
import pytest

from nnedu.pca import pca


def test_pca_finds_the_direction_of_largest_spread_and_its_share():
    rng = np.random.default_rng(0)
    direction = np.array([3.0, 4.0]) / 5.0
    X = np.outer(rng.standard_normal(500) * 10, direction) + rng.standard_normal((500, 2)) * 0.1 + [5.0, -2.0]
    scores, components, explained = pca(X, k=2)
    assert abs(abs(components[0] @ direction) - 1) < 1e-3
    assert explained[0] > 0.999 and np.isclose(explained.sum(), 1.0)
    np.testing.assert_allclose(components @ components.T, np.eye(2), atol=1e-12)       # unit, orthogonal
    np.testing.assert_allclose(scores, (X - X.mean(axis=0)) @ components.T, atol=1e-9)
    assert abs(np.corrcoef(scores[:, 0], scores[:, 1])[0, 1]) < 1e-6                   # uncorrelated


def test_pca_works_in_float64_on_rank_deficient_float32_features():
    rng = np.random.default_rng(1)
    features = np.maximum(rng.standard_normal((300, 20)).astype(np.float32), 0)
    features[:, :5] = 0                                       # dead ReLU units: constant columns
    scores, components, explained = pca(features, k=3)
    assert scores.dtype == np.float64 and scores.shape == (300, 3) and components.shape == (3, 20)
    np.testing.assert_allclose(components[:, :5], 0, atol=1e-12)


@pytest.mark.parametrize("X,k,message", [(np.zeros(5), 1, r"shape \(n, d\)"), (np.zeros((1, 3)), 1, "n >= 2"),
                                         (np.zeros((4, 3)), 4, "between 1 and min"), (np.zeros((4, 3)), 0, "got 0"),
                                         (np.ones((4, 3)), 2, "rows of X are equal")])
def test_pca_rejects_bad_input(X, k, message):
    with pytest.raises(ValueError, match=message):
        pca(X, k)
