r"""Loss functions: ``loss = criterion(prediction, target)`` returns a Python float,
``criterion.backward()`` returns ``dL/d(prediction)``."""
from __future__ import annotations

import numpy as np

from nnedu.functional.softmax import log_softmax
from nnedu.nn._checks import as_float_array
from nnedu.nn.module import Module


class CrossEntropyLoss(Module):
    r"""Softmax and cross-entropy fused, averaged over the batch.

    With logits ``Z`` of shape ``(N, C)``, ``P = softmax(Z)`` row by row and
    target distributions ``Y`` (one-hot rows for class indices)::

        L = -(1/N) sum_n sum_k Y[n, k] log P[n, k]
        dL/dZ = (P - Y) / N

    ``log P = Z - logsumexp(Z)`` is computed with the log-sum-exp trick, so the
    loss and gradient stay finite for logits of any size (±1e4 included).

    ``targets`` are class indices, integers of shape ``(N,)`` in ``[0, C)``, or
    probabilities, floats of shape ``(N, C)`` (as ``torch.nn.CrossEntropyLoss``).
    """

    def forward(self, logits: np.ndarray, targets: np.ndarray) -> float:
        Z, t = as_float_array(logits), np.asarray(targets)
        if Z.ndim != 2:
            raise ValueError(f"CrossEntropyLoss: expected logits of shape (N, C), got {Z.shape}")
        N, C = Z.shape
        logP = log_softmax(Z, axis=1)
        if t.shape == (N,) and np.issubdtype(t.dtype, np.integer):
            if N and (t.min() < 0 or t.max() >= C):
                bad = t[(t < 0) | (t >= C)][0]
                raise ValueError(f"CrossEntropyLoss: target class indices must be in [0, {C - 1}] "
                                 f"for logits of shape {Z.shape}, got {bad}")
            rows = np.arange(N)
            loss = -logP[rows, t].sum() / N
            self.cache = (logP, t)
        elif t.shape == Z.shape and np.issubdtype(t.dtype, np.floating):
            Y = t.astype(Z.dtype, copy=False)
            loss = -(Y * logP).sum() / N
            self.cache = (logP, Y)
        else:
            raise ValueError(f"CrossEntropyLoss: expected targets of shape ({N},) with integer class "
                             f"indices or ({N}, {C}) with probabilities, got {t.shape} of dtype {t.dtype}")
        return float(loss)

    def backward(self, grad_out: float = 1.0) -> np.ndarray:
        logP, t = self._cached()
        N = logP.shape[0]
        dZ = np.exp(logP)                                   # P
        if t.ndim == 1:
            dZ[np.arange(N), t] -= 1                        # P - Y with one-hot Y
        else:
            dZ -= t
        dZ *= dZ.dtype.type(grad_out / N)
        return dZ


class MSELoss(Module):
    r"""Mean squared error over all ``M`` entries.

    ``L = (1/M) sum_i (X_i - T_i)^2``,  ``dL/dX = 2 (X - T) / M``.
    """

    def forward(self, prediction: np.ndarray, target: np.ndarray) -> float:
        X, T = as_float_array(prediction), as_float_array(target)
        if X.shape != T.shape:
            raise ValueError(f"MSELoss: expected target of the prediction's shape {X.shape}, got {T.shape}")
        diff = X - T.astype(X.dtype, copy=False)
        self.cache = diff
        return float(np.mean(diff * diff)) if diff.size else float("nan")

    def backward(self, grad_out: float = 1.0) -> np.ndarray:
        diff = self._cached()
        return diff * diff.dtype.type(2 * grad_out / diff.size)
