r"""Softmax and log-softmax along an axis, stable for logits of any magnitude.

.. math:: \mathrm{softmax}(z)_k = \frac{e^{z_k}}{\sum_j e^{z_j}}, \qquad
          \log \mathrm{softmax}(z)_k = z_k - \log \sum_j e^{z_j}.

Both are unchanged when a constant is added to every ``z_j``. Subtracting
``m = max_j z_j`` first (the *log-sum-exp trick*) makes the largest exponent
``e^0 = 1``, so nothing overflows, and the sum is at least 1, so its log is
finite:

.. math:: \log \sum_j e^{z_j} = m + \log \sum_j e^{z_j - m}.
"""
from __future__ import annotations

import numpy as np


def logsumexp(z: np.ndarray, axis: int = -1, keepdims: bool = False) -> np.ndarray:
    r"""``log(sum(exp(z), axis))`` computed as ``m + log(sum(exp(z - m)))``."""
    m = z.max(axis=axis, keepdims=True)
    out = m + np.log(np.exp(z - m).sum(axis=axis, keepdims=True))
    return out if keepdims else np.squeeze(out, axis=axis)


def log_softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    r"""``z - logsumexp(z)``: the log-probabilities, finite even for logits of ±1e4.

    Examples
    --------
    >>> import numpy as np
    >>> log_softmax(np.array([1e4, 0.0, -1e4]))
    array([     0., -10000., -20000.])
    """
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    r"""``exp(z - m) / sum(exp(z - m))`` with ``m = max(z)``: probabilities that sum to 1.

    Examples
    --------
    >>> import numpy as np
    >>> softmax(np.array([[1e4, 1e4], [0.0, -np.inf]]))
    array([[0.5, 0.5],
           [1. , 0. ]])
    """
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)
