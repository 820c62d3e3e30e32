r"""Batch normalisation: forward, the compact backward, and the step-by-step graph version.

Per channel ``c`` (axis 1), over the ``n`` values of the batch (and the
spatial positions, for ``(N, C, H, W)`` input):

.. math::
    \mu = \frac1n \sum_i x_i, \quad
    \sigma^2 = \frac1n \sum_i (x_i - \mu)^2, \quad
    \hat x_i = \frac{x_i - \mu}{\sqrt{\sigma^2 + \epsilon}}, \quad
    y_i = \gamma \hat x_i + \beta.

With ``G = dL/dY`` the backward pass collapses to one line,

.. math::
    \frac{\partial L}{\partial \beta} = \sum_i G_i, \quad
    \frac{\partial L}{\partial \gamma} = \sum_i G_i \hat x_i, \quad
    \frac{\partial L}{\partial x_i} = \frac{\gamma}{n\sqrt{\sigma^2+\epsilon}}
        \Big(n G_i - \sum_j G_j - \hat x_i \sum_j G_j \hat x_j\Big),

which :func:`batchnorm_backward` implements. :func:`batchnorm_forward_steps`
and :func:`batchnorm_backward_steps` do the same computation one node of the
computational graph at a time, as the notebook derives it: slower, but every
line is one application of the chain rule.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np


class BatchNormCache(NamedTuple):
    """What :func:`batchnorm_backward` needs (``mean``/``var`` are for the running statistics)."""

    x_hat: np.ndarray       # normalised input, shape of x
    inv_std: np.ndarray     # 1 / sqrt(var + eps), broadcastable to x
    gamma: np.ndarray       # (C,)
    mean: np.ndarray        # (C,) batch mean (or the running mean in eval mode)
    var: np.ndarray         # (C,) biased batch variance (or the running variance)
    batch_stats: bool       # True: statistics of this batch (training); False: fixed (eval)


def _axes(x: np.ndarray) -> tuple[int, ...]:
    """Every axis except the channel axis 1: ``(0,)`` for ``(N, C)``, ``(0, 2, 3)`` for ``(N, C, H, W)``."""
    return (0,) + tuple(range(2, x.ndim))


def _per_channel(v: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Reshape a ``(C,)`` vector to ``(1, C, 1, ...)`` so that it broadcasts against ``x``."""
    return v.reshape((1, -1) + (1,) * (x.ndim - 2))


def batchnorm_forward(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float = 1e-5,
                      mean: np.ndarray | None = None, var: np.ndarray | None = None
                      ) -> tuple[np.ndarray, BatchNormCache]:
    """Normalise ``x`` per channel; use the batch statistics, or ``mean``/``var`` if given (eval mode).

    Returns ``(y, cache)``; ``cache.mean`` and ``cache.var`` are the statistics used.
    """
    axes, n = _axes(x), x.size // x.shape[1]
    batch_stats = mean is None
    if batch_stats:
        mean = x.sum(axis=axes) / n
        xc = x - _per_channel(mean, x)
        var = (xc * xc).sum(axis=axes) / n
    else:
        xc = x - _per_channel(mean, x)
    inv_std = _per_channel(1.0 / np.sqrt(var + eps), x).astype(x.dtype, copy=False)
    x_hat = xc * inv_std
    y = x_hat * _per_channel(gamma, x)
    y += _per_channel(beta, x)
    return y, BatchNormCache(x_hat, inv_std, gamma, mean, var, batch_stats)


def batchnorm_backward(G: np.ndarray, cache: BatchNormCache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The compact backward pass; returns ``(dL/dx, dL/dgamma, dL/dbeta)``."""
    x_hat, inv_std, gamma = cache.x_hat, cache.inv_std, cache.gamma
    axes = _axes(G)
    dbeta = G.sum(axis=axes)
    dgamma = (G * x_hat).sum(axis=axes)
    scale = _per_channel(gamma, G) * inv_std                       # gamma / sqrt(var + eps)
    if not cache.batch_stats:                                      # mean and var are constants
        return G * scale, dgamma, dbeta
    n = G.size // G.shape[1]
    dx = (scale / n) * (n * G - _per_channel(dbeta, G) - x_hat * _per_channel(dgamma, G))
    return dx, dgamma, dbeta


def batchnorm_forward_steps(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray,
                            eps: float = 1e-5) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Training-mode forward, one graph node per line; returns ``(y, nodes)`` for the staged backward."""
    axes, n = _axes(x), x.size // x.shape[1]
    mu = x.sum(axis=axes, keepdims=True) / n        # 1. mean
    xc = x - mu                                     # 2. centre
    sq = xc ** 2                                    # 3. square
    var = sq.sum(axis=axes, keepdims=True) / n      # 4. variance
    std = np.sqrt(var + eps)                        # 5. standard deviation
    istd = 1.0 / std                                # 6. invert
    x_hat = xc * istd                               # 7. normalise
    g = _per_channel(gamma, x)
    y = g * x_hat + _per_channel(beta, x)           # 8. scale and shift
    return y, dict(xc=xc, std=std, istd=istd, x_hat=x_hat, gamma=g, n=np.array(n))


def batchnorm_backward_steps(G: np.ndarray, nodes: dict[str, np.ndarray]
                             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Backward through the graph of :func:`batchnorm_forward_steps`, node 8 back to node 1."""
    xc, std, istd, x_hat, g, n = (nodes[k] for k in ("xc", "std", "istd", "x_hat", "gamma", "n"))
    axes = _axes(G)
    dbeta = G.sum(axis=axes)                                    # 8. y = g * x_hat + beta
    dgamma = (G * x_hat).sum(axis=axes)
    dx_hat = G * g
    dxc = dx_hat * istd                                         # 7. x_hat = xc * istd (xc branch)
    distd = (dx_hat * xc).sum(axis=axes, keepdims=True)         #    (istd branch)
    dstd = -distd / std ** 2                                    # 6. istd = 1 / std
    dvar = dstd * 0.5 / std                                     # 5. std = sqrt(var + eps)
    dsq = np.broadcast_to(dvar / n, G.shape)                    # 4. var = sum(sq) / n
    dxc = dxc + 2 * xc * dsq                                    # 3. sq = xc ** 2 (second path into xc)
    dmu = -dxc.sum(axis=axes, keepdims=True)                    # 2. xc = x - mu
    dx = dxc + np.broadcast_to(dmu / n, G.shape)                # 1. mu = sum(x) / n
    return dx, dgamma, dbeta
