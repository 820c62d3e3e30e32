r"""Batch normalisation layers: BatchNorm1d for ``(N, C)`` / ``(N, C, L)``, BatchNorm2d for ``(N, C, H, W)``.

The formulas (forward and the compact backward) are in
:mod:`nnedu.functional.batchnorm`; symbols: ``X`` input, ``\hat X`` normalised
input, ``gamma = weight``, ``beta = bias``, ``G = dL/dY``.
"""
from __future__ import annotations

import numpy as np

from nnedu.dtype import get_default_dtype
from nnedu.functional.batchnorm import batchnorm_backward, batchnorm_forward
from nnedu.nn._checks import as_float_array, check_grad_shape
from nnedu.nn.module import Module
from nnedu.nn.parameter import Parameter


class _BatchNorm(Module):
    r"""Shared code. Training: ``Y = gamma (X - mu_B) / sqrt(var_B + eps) + beta`` with the batch
    statistics per channel, and (exactly as PyTorch)

        running_mean <- (1 - momentum) running_mean + momentum mu_B
        running_var  <- (1 - momentum) running_var  + momentum var_B n / (n - 1)

    (the unbiased variance goes into the running estimate; ``n`` values per channel).
    Eval: the running statistics replace ``mu_B`` and ``var_B``, so ``Y`` is an affine map of ``X``.
    """

    _ndims: tuple[int, ...] = ()
    _layout: str = ""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1) -> None:
        super().__init__()
        if num_features <= 0:
            raise ValueError(f"{type(self).__name__}: num_features must be positive, got {num_features}")
        self.num_features, self.eps, self.momentum = num_features, float(eps), float(momentum)
        dtype = get_default_dtype()
        self.weight = Parameter(np.ones(num_features, dtype=dtype))       # gamma
        self.bias = Parameter(np.zeros(num_features, dtype=dtype))        # beta
        self.register_buffer("running_mean", np.zeros(num_features, dtype=dtype))
        self.register_buffer("running_var", np.ones(num_features, dtype=dtype))

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = as_float_array(x)
        name, C = type(self).__name__, self.num_features
        if x.ndim not in self._ndims or x.shape[1] != C:
            raise ValueError(f"{name}({C}): expected input of shape {self._layout.format(C=C)}, got {x.shape}")
        gamma = self.weight.data.astype(x.dtype, copy=False)
        beta = self.bias.data.astype(x.dtype, copy=False)
        if not self.training:
            y, cache = batchnorm_forward(x, gamma, beta, self.eps,
                                         self.running_mean.astype(x.dtype), self.running_var.astype(x.dtype))
        else:
            n = x.size // C
            if n < 2:
                raise ValueError(f"{name}({C}): training needs more than 1 value per channel to compute "
                                 f"a variance, got input of shape {x.shape}")
            y, cache = batchnorm_forward(x, gamma, beta, self.eps)
            m = self.momentum
            self.running_mean[...] = (1 - m) * self.running_mean + m * cache.mean
            self.running_var[...] = (1 - m) * self.running_var + m * cache.var * (n / (n - 1))
        self.cache = cache
        return y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        cache = self._cached()
        grad_out = check_grad_shape(type(self).__name__, grad_out, cache.x_hat.shape)
        dx, dgamma, dbeta = batchnorm_backward(grad_out, cache)
        self.weight.grad += dgamma
        self.bias.grad += dbeta
        return dx

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of ``(N, C)`` features (or ``(N, C, L)`` sequences), statistics over N (and L).

    Parameters
    ----------
    num_features : int
        ``C``.
    eps : float
        Added to the variance before the square root.
    momentum : float
        Weight of the newest batch in the running statistics.
    """

    _ndims = (2, 3)
    _layout = "(N, {C}) or (N, {C}, L)"


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of ``(N, C, H, W)`` feature maps, one ``gamma``/``beta`` per channel,
    statistics over N, H and W. Parameters as :class:`BatchNorm1d`."""

    _ndims = (4,)
    _layout = "(N, {C}, H, W)"
