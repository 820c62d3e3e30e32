r"""Principal component analysis: the directions along which a cloud of vectors spreads most.

For ``n`` vectors as the rows of ``X`` (shape ``(n, d)``), centre them and take the singular value
decomposition of the centred matrix:

.. math:: X_c = X - \bar{x}, \qquad X_c = U S V^T .

The rows of :math:`V^T` are the principal directions, in order of :math:`S`; the **scores**
:math:`X_c V_k` (``V_k``: the first ``k`` directions) are each vector's coordinates along them, and
:math:`S_i^2 / \sum_j S_j^2` is the share of the total variance along direction ``i``.

Notebook 07 uses it to look at 784-dimensional digits, hidden features and weight vectors in two
dimensions. The computation is done in float64: a float32 SVD of rank-deficient data (ReLU features
with dead units) did not converge with multi-threaded OpenBLAS.
"""
from __future__ import annotations

import numpy as np


def pca(X: np.ndarray, k: int = 2) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The first ``k`` principal components of the rows of ``X``.

    Parameters
    ----------
    X : np.ndarray
        ``(n, d)``: one vector per row.
    k : int
        How many directions to keep, ``1 <= k <= min(n, d)``.

    Returns
    -------
    scores : np.ndarray
        ``(n, k)``: the coordinates of each centred row along the first ``k`` directions.
    components : np.ndarray
        ``(k, d)``: the directions (unit vectors), the first first.
    explained : np.ndarray
        ``(min(n, d),)``: the share of the variance along each direction (sums to 1).

    Raises
    ------
    ValueError
        If ``X`` is not 2-D with at least two rows, if all rows are equal (no spread to analyse), or
        ``k`` is out of range.

    Examples
    --------
    >>> X = np.array([[0.0, 0.0], [2.0, 0.1], [4.0, -0.1], [6.0, 0.0]])
    >>> scores, components, explained = pca(X, k=1)
    >>> bool(abs(components[0, 0]) > 0.99), bool(explained[0] > 0.99)
    (True, True)
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] < 2:
        raise ValueError(f"pca: expected X of shape (n, d) with n >= 2 rows, got shape {X.shape}")
    if not 1 <= k <= min(X.shape):
        raise ValueError(f"pca: k must be between 1 and min(n, d) = {min(X.shape)}, got {k}")
    Xc = X - X.mean(axis=0)
    _, S, Vt = np.linalg.svd(Xc, full_matrices=False)
    if not S[0] > 0:
        raise ValueError(f"pca: all {X.shape[0]} rows of X are equal: there is no spread to analyse")
    return Xc @ Vt[:k].T, Vt[:k], S ** 2 / np.sum(S ** 2)
