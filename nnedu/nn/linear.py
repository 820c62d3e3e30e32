"""The fully connected (affine) layer."""
from __future__ import annotations

import numpy as np

from nnedu.dtype import get_default_dtype
from nnedu.functional._parallel import matmul
from nnedu.nn._checks import as_float_array, check_grad_shape
from nnedu.nn.init import init_weight
from nnedu.nn.module import Module
from nnedu.nn.parameter import Parameter


class Linear(Module):
    r"""Affine map ``Y = X W + b``.

    Shapes: ``X`` is ``(N, D)``, ``W`` is ``(D, M)``, ``b`` is ``(M,)``, ``Y`` is ``(N, M)``.

    Backward, from the chain rule with ``G = dL/dY`` of shape ``(N, M)``::

        dL/dX = G W^T          (N, M) @ (M, D) -> (N, D)
        dL/dW = X^T G          (D, N) @ (N, M) -> (D, M)
        dL/db = sum_n G[n]     (M,)

    The computation runs in the input's dtype (parameters are cast if they
    differ), so the output and the input gradient keep the dtype of ``X``.

    Note: ``weight`` is stored as ``(in_features, out_features)``, the transpose
    of PyTorch's ``(out_features, in_features)``, so that the code reads like the
    derivation. ``torch_linear.weight.T`` is our ``weight``.

    ``matmul(A, B)`` is ``A @ B`` computed on all of nnedu's threads
    (:mod:`nnedu.functional._parallel`).

    Parameters
    ----------
    in_features, out_features : int
        ``D`` and ``M``.
    bias : bool
        Whether to add ``b``.
    init : {"he", "xavier"}
        Weight initialisation (He for ReLU networks, the default).
    rng : numpy.random.Generator or int, optional
        Source of the initial weights (the global generator if omitted).

    Attributes
    ----------
    needs_input_grad : bool
        If False, ``backward`` skips ``dL/dX = G W^T`` and returns None: for the
        first layer of a network, whose input is the data (PyTorch skips it too,
        for inputs that do not require a gradient). True by default.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 init: str = "he", rng: np.random.Generator | int | None = None) -> None:
        super().__init__()
        if in_features <= 0 or out_features <= 0:
            raise ValueError(f"Linear: sizes must be positive, got ({in_features}, {out_features})")
        self.in_features, self.out_features = in_features, out_features
        self.needs_input_grad = True
        self.weight = Parameter(init_weight((in_features, out_features), in_features, out_features, init, rng))
        self.bias = Parameter(np.zeros(out_features, dtype=get_default_dtype())) if bias else None

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = as_float_array(x)
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise ValueError(
                f"Linear({self.in_features}, {self.out_features}): expected input of shape "
                f"(N, {self.in_features}), got {x.shape}"
            )
        self.cache = x
        # Compute in the input's dtype (float32 data through float64 weights stays float32).
        y = matmul(x, self.weight.data.astype(x.dtype, copy=False))
        if self.bias is not None:
            y += self.bias.data.astype(x.dtype, copy=False)
        return y

    def backward(self, grad_out: np.ndarray) -> np.ndarray | None:
        x = self._cached()
        G = check_grad_shape("Linear", grad_out, (x.shape[0], self.out_features)).astype(x.dtype, copy=False)
        self.weight.grad += matmul(x.T, G)
        if self.bias is not None:
            self.bias.grad += G.sum(axis=0)
        if not self.needs_input_grad:
            return None
        return matmul(G, self.weight.data.astype(x.dtype, copy=False).T)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"
