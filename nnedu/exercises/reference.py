r"""The reference solution of every exercise, with the exercise's own signature.

The student writes each of these functions in the notebook where its idea is
taught. The checks compare the student's version with the one here, and a later
notebook that trains a network with the student's code (:mod:`nnedu.exercises.workspace`)
falls back to the one here for anything the student has not written yet.

Each function is a thin adapter: the computation itself is the library's
(:mod:`nnedu.functional`, :mod:`nnedu.metrics`), so there is one implementation
to test against PyTorch, and this file only translates between the exercise's
plain arguments (``stride=2``, arrays in, arrays out) and the library's.

Shapes: ``X`` (N, D) for fully connected layers, (N, C, H, W) for images;
``W`` (D, M) for a Linear layer (``Y = X W + b``), (F, C, KH, KW) for a convolution.
"""
from __future__ import annotations

import bisect
import math
from typing import Any, Iterable, Sequence

import numpy as np

import nnedu.functional as F
from nnedu import metrics
from nnedu.functional.batchnorm import batchnorm_backward as _bn_backward
from nnedu.functional.batchnorm import batchnorm_forward as _bn_forward
from nnedu.functional.conv import conv2d_im2col_backward, conv2d_im2col_forward
from nnedu.functional.pooling import avg_pool2d, avg_pool2d_backward, max_pool2d, max_pool2d_backward

Array = np.ndarray


# -- 01: the affine layer and ReLU ------------------------------------------------------------------
def linear_forward(X: Array, W: Array, b: Array) -> Array:
    """``Y = X W + b``: (N, D) @ (D, M) + (M,) -> (N, M)."""
    return X @ W + b


def linear_backward(X: Array, W: Array, G: Array) -> tuple[Array, Array, Array]:
    """``dX = G W^T``, ``dW = X^T G``, ``db = sum_n G[n]``."""
    return G @ W.T, X.T @ G, G.sum(axis=0)


def relu_forward(X: Array) -> Array:
    """``Y = max(X, 0)``, entry by entry."""
    return F.relu(X)


def relu_backward(X: Array, G: Array) -> Array:
    """``dX = G * 1[X > 0]`` (the subgradient 0 at X = 0, as PyTorch)."""
    return G * (X > 0)


# -- 02: softmax and cross-entropy ---------------------------------------------------------------------
def softmax(Z: Array) -> Array:
    """Row-wise ``P = exp(Z - max Z) / sum exp(Z - max Z)``."""
    return F.softmax(Z, axis=1)


def cross_entropy(Z: Array, y: Array) -> float:
    """``L = -(1/N) sum_n log softmax(Z)[n, y_n]`` with ``log softmax = Z - logsumexp(Z)``."""
    N = Z.shape[0]
    return float(-F.log_softmax(Z, axis=1)[np.arange(N), y].sum() / N)


def softmax_ce_backward(Z: Array, y: Array) -> Array:
    """``dL/dZ = (P - Y) / N`` with one-hot ``Y``."""
    N = Z.shape[0]
    dZ = F.softmax(Z, axis=1)
    dZ[np.arange(N), y] -= 1
    return dZ / N


# -- 03: batch normalisation and dropout ---------------------------------------------------------------
def batchnorm_forward(X: Array, gamma: Array, beta: Array, running_mean: Array, running_var: Array,
                      training: bool, momentum: float = 0.1, eps: float = 1e-5) -> Array:
    """Normalise each feature; in training also update the running statistics in place.

    Training: batch mean and biased variance; ``r <- (1 - momentum) r + momentum * stat`` with the
    *unbiased* variance for ``running_var`` (PyTorch). Evaluation: the running statistics.
    """
    if not training:
        return _bn_forward(X, gamma, beta, eps, mean=running_mean, var=running_var)[0]
    Y, cache = _bn_forward(X, gamma, beta, eps)
    N = X.shape[0]
    running_mean *= 1 - momentum
    running_mean += momentum * cache.mean
    running_var *= 1 - momentum
    running_var += momentum * cache.var * N / max(N - 1, 1)
    return Y


def batchnorm_backward(X: Array, gamma: Array, G: Array, eps: float = 1e-5) -> tuple[Array, Array, Array]:
    """Training-mode backward: ``(dX, dgamma, dbeta)``."""
    _, cache = _bn_forward(X, gamma, np.zeros_like(gamma), eps)
    return _bn_backward(G, cache)


def dropout_forward(X: Array, p: float, training: bool,
                    rng: np.random.Generator) -> tuple[Array, Array | None]:
    """Inverted dropout: ``keep = rng.random(X.shape) >= p``, ``mask = keep / (1 - p)``, ``Y = X * mask``.

    (The mask is cast to ``X.dtype`` so that float32 stays float32. ``nnedu.nn.Dropout`` draws its
    uniform numbers in ``X.dtype``, so its masks differ from these; both are inverted dropout.)
    """
    if not training or p == 0:
        return X, None
    keep = rng.random(X.shape) >= p
    mask = (keep / (1 - p) if p < 1 else np.zeros(X.shape)).astype(X.dtype)
    return X * mask, mask


def dropout_backward(G: Array, mask: Array | None) -> Array:
    """``dX = G * mask`` (the same mask as the forward pass; ``G`` in evaluation)."""
    return G if mask is None else G * mask


# -- 04: convolution ---------------------------------------------------------------------------------
def conv2d_naive(X: Array, W: Array, b: Array, stride: int = 1, padding: int = 0) -> Array:
    """``Y[n, f, i, j] = b[f] + sum_{c,p,q} W[f, c, p, q] Xp[n, c, i s + p, j s + q]``."""
    return F.conv2d_naive(X, W, b, stride, padding)


def conv2d_naive_backward(X: Array, W: Array, G: Array, stride: int = 1,
                          padding: int = 0) -> tuple[Array, Array, Array]:
    """``(dX, dW, db)`` of :func:`conv2d_naive`."""
    return F.conv2d_naive_backward(G, X, W, stride, padding)


def im2col(X: Array, KH: int, KW: int, stride: int = 1, padding: int = 0) -> Array:
    """``cols[n, (c, p, q), (i, j)] = Xp[n, c, i s + p, j s + q]``, shape ``(N, C*KH*KW, Ho*Wo)``."""
    return F.im2col(X, (KH, KW), stride, padding)


def col2im(cols: Array, X_shape: tuple[int, int, int, int], KH: int, KW: int, stride: int = 1,
           padding: int = 0) -> Array:
    """The adjoint of :func:`im2col`: add every column back onto its pixels; shape ``X_shape``."""
    return F.col2im(cols, tuple(X_shape), (KH, KW), stride, padding)


def conv2d_forward(X: Array, W: Array, b: Array, stride: int = 1, padding: int = 0) -> Array:
    """The convolution as one matrix product over the columns of :func:`im2col`."""
    return conv2d_im2col_forward(X, W, b, stride, padding)


def conv2d_backward(X: Array, W: Array, G: Array, stride: int = 1,
                    padding: int = 0) -> tuple[Array, Array, Array]:
    """``(dX, dW, db)`` with two matrix products and :func:`col2im`."""
    return conv2d_im2col_backward(G, X, W, stride, padding)


# -- 05: pooling and padding -------------------------------------------------------------------------
def maxpool_forward(X: Array, k: int, stride: int) -> Array:
    """The largest entry of each ``k x k`` window."""
    return max_pool2d(X, k, stride)


def maxpool_backward(X: Array, G: Array, k: int, stride: int) -> Array:
    """Each ``G[n, c, i, j]`` goes to the (first) maximum of its window; overlapping windows add."""
    return max_pool2d_backward(G, X, max_pool2d(X, k, stride), k, stride)


def avgpool_forward(X: Array, k: int, stride: int) -> Array:
    """The mean of each ``k x k`` window."""
    return avg_pool2d(X, k, stride)


def avgpool_backward(X: Array, G: Array, k: int, stride: int) -> Array:
    """Each ``G[n, c, i, j] / k^2`` goes to every cell of its window; overlapping windows add."""
    return avg_pool2d_backward(G, X.shape, k, stride)


def pad_forward(X: Array, p: int) -> Array:
    """``p`` rows of zeros above and below, ``p`` columns left and right: (N, C, H+2p, W+2p)."""
    return F.pad2d(X, p)


def pad_backward(G: Array, p: int) -> Array:
    """The gradient of the padding is the gradient with the border cut off: (N, C, H, W)."""
    H, W = G.shape[2] - 2 * p, G.shape[3] - 2 * p
    return G[:, :, p:p + H, p:p + W]


# -- 09: initialisation ----------------------------------------------------------------------------
def xavier_std(fan_in: int, fan_out: int) -> float:
    """Glorot: ``sqrt(2 / (fan_in + fan_out))``, keeping the forward and backward variance balanced."""
    return math.sqrt(2.0 / (fan_in + fan_out))


def he_std(fan_in: int) -> float:
    """He: ``sqrt(2 / fan_in)``, because ReLU keeps half of the second moment."""
    return math.sqrt(2.0 / fan_in)


# -- 10: regularisation ----------------------------------------------------------------------------
def shift_images(X: Array, dy: int, dx: int) -> Array:
    """Move every image of ``X`` (N, C, H, W) ``dy`` pixels down and ``dx`` right; zeros come in."""
    N, C, H, W = X.shape
    Y = np.zeros_like(X)
    src_rows, dst_rows = slice(max(-dy, 0), H - max(dy, 0)), slice(max(dy, 0), H - max(-dy, 0))
    src_cols, dst_cols = slice(max(-dx, 0), W - max(dx, 0)), slice(max(dx, 0), W - max(-dx, 0))
    Y[:, :, dst_rows, dst_cols] = X[:, :, src_rows, src_cols]
    return Y


def early_stopping(val_acc: Sequence[float], patience: int) -> tuple[int, int]:
    """``(best_epoch, stop_epoch)``, 1-based, as ``nnedu.train.fit(early_stopping_patience=...)`` decides.

    The best epoch is the first with the highest validation accuracy *seen so far*; training stops
    after the first epoch that is ``patience`` epochs past the best, or after the last epoch.
    """
    best_epoch, best = 0, -math.inf
    for epoch, acc in enumerate(val_acc, start=1):
        if acc > best:
            best_epoch, best = epoch, acc
        if epoch - best_epoch >= patience:
            return best_epoch, epoch
    return best_epoch, len(val_acc)


# -- 11: debugging a network --------------------------------------------------------------------------
def expected_initial_loss(num_classes: int) -> float:
    """The cross-entropy of a uniform guess over ``num_classes`` classes: ``log C``."""
    return math.log(num_classes)


def update_ratio(W_before: Array, W_after: Array) -> float:
    """``||W_after - W_before|| / ||W_before||`` (Frobenius norms): how much one step changed ``W``."""
    return float(np.linalg.norm(W_after - W_before) / np.linalg.norm(W_before))


# -- 06: optimizers and learning-rate schedules --------------------------------------------------------
def sgd_step(w: Array, dw: Array, v: Array, lr: float, momentum: float = 0.0, weight_decay: float = 0.0,
             nesterov: bool = False) -> tuple[Array, Array]:
    """PyTorch's SGD: ``g = dw + wd w``; ``v = mu v + g``; step along ``g + mu v`` (Nesterov) or ``v``."""
    g = dw + weight_decay * w
    if momentum == 0:
        return w - lr * g, v
    v = momentum * v + g
    step = g + momentum * v if nesterov else v
    return w - lr * step, v


def adagrad_step(w: Array, dw: Array, s: Array, lr: float, eps: float = 1e-10) -> tuple[Array, Array]:
    """``s = s + dw^2``; ``w = w - lr dw / (sqrt(s) + eps)``."""
    s = s + dw * dw
    return w - lr * dw / (np.sqrt(s) + eps), s


def rmsprop_step(w: Array, dw: Array, s: Array, lr: float, alpha: float = 0.99,
                 eps: float = 1e-8) -> tuple[Array, Array]:
    """``s = alpha s + (1 - alpha) dw^2``; ``w = w - lr dw / (sqrt(s) + eps)``."""
    s = alpha * s + (1 - alpha) * dw * dw
    return w - lr * dw / (np.sqrt(s) + eps), s


def adam_step(w: Array, dw: Array, m: Array, v: Array, t: int, lr: float, beta1: float = 0.9,
              beta2: float = 0.999, eps: float = 1e-8) -> tuple[Array, Array, Array]:
    """Adam with bias correction; ``t`` counts the steps from 1."""
    m = beta1 * m + (1 - beta1) * dw
    v = beta2 * v + (1 - beta2) * dw * dw
    m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def step_lr(epoch: int, base_lr: float, step_size: int, gamma: float = 0.1) -> float:
    """``base_lr * gamma ** (epoch // step_size)``."""
    return base_lr * gamma ** (epoch // step_size)


def multistep_lr(epoch: int, base_lr: float, milestones: Sequence[int], gamma: float = 0.1) -> float:
    """``base_lr * gamma ** (number of milestones <= epoch)``."""
    return base_lr * gamma ** bisect.bisect_right(sorted(milestones), epoch)


def exponential_lr(epoch: int, base_lr: float, gamma: float) -> float:
    """``base_lr * gamma ** epoch``."""
    return base_lr * gamma ** epoch


def cosine_lr(epoch: int, base_lr: float, T_max: int, eta_min: float = 0.0) -> float:
    """``eta_min + (base_lr - eta_min) (1 + cos(pi epoch / T_max)) / 2``."""
    return eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * epoch / T_max)) / 2


# -- 07: training and measuring ----------------------------------------------------------------------
def train_one_epoch(model: Any, loss_fn: Any, optimizer: Any, loader: Iterable[tuple[Array, Array]]) -> float:
    """One pass over ``loader``: forward, loss, backward, step, zero the gradients; the mean loss per example."""
    model.train()
    total, count = 0.0, 0
    for X, y in loader:
        logits = model(X)
        loss = loss_fn(logits, y)
        model.backward(loss_fn.backward())
        optimizer.step()
        optimizer.zero_grad()
        total += loss * len(y)
        count += len(y)
    return total / count


def evaluate(model: Any, loss_fn: Any, loader: Iterable[tuple[Array, Array]]) -> tuple[float, float]:
    """``(mean loss per example, accuracy)`` over ``loader`` in evaluation mode, no parameter changes."""
    model.eval()
    total, correct, count = 0.0, 0, 0
    for X, y in loader:
        logits = model(X)
        total += loss_fn(logits, y) * len(y)
        correct += int((logits.argmax(axis=1) == y).sum())
        count += len(y)
    return total / count, correct / count


def accuracy(logits: Array, labels: Array) -> float:
    """The fraction of rows whose largest logit is at the true class."""
    return metrics.accuracy(logits, labels)


def confusion_matrix(labels: Array, predictions: Array, num_classes: int) -> Array:
    """``M[i, j]`` = number of examples of true class ``i`` predicted as ``j``."""
    return metrics.confusion_matrix(labels, predictions, num_classes)
