r"""Checks for notebook 03: batch normalisation, forward (training and evaluation) and backward.

The student writes, with ``X`` (N, D), ``gamma``, ``beta``, ``running_mean``, ``running_var`` (D,):

* ``batchnorm_forward(X, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5) -> Y``:
  in training, :math:`\mu = \frac1N \sum_n X_n`, :math:`\sigma^2 = \frac1N \sum_n (X_n - \mu)^2`,
  :math:`\hat X = (X - \mu) / \sqrt{\sigma^2 + \epsilon}`, :math:`Y = \gamma \hat X + \beta`, and the
  running statistics are updated **in place**, :math:`r \leftarrow (1 - m) r + m\,s` with the
  *unbiased* variance :math:`\frac{N}{N-1}\sigma^2` for ``running_var`` (PyTorch); in evaluation
  the running statistics replace :math:`\mu` and :math:`\sigma^2` and nothing is updated;
* ``batchnorm_backward(X, gamma, G, eps=1e-5) -> (dX, dgamma, dbeta)`` (training mode),

.. math::
    dX = \frac{\gamma}{N\sqrt{\sigma^2+\epsilon}}\Big(N G - \sum_n G_n - \hat X \sum_n G_n \odot \hat X_n\Big),\quad
    d\gamma = \sum_n G_n \odot \hat X_n,\quad d\beta = \sum_n G_n .
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from nnedu import nn
from nnedu.exercises import reference as ref
from nnedu.exercises.checker import Bug, Case, Exercise, check
from nnedu.exercises.report import CheckResult
from nnedu.functional import batchnorm as F_bn

NOTEBOOK = "03_batchnorm"


# -- the wrong variants, written once: each takes the mistake as a switch --------------------------------
def _forward(X, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5, *, ddof=0,
             eps_outside=False, running_ddof=1, swapped_momentum=False, in_place=True, eval_batch=False,
             update_in_eval=False, normalise_with_running=False, normalise_with_old_running=False,
             axis=0, with_beta=True, inverse_correction=False):
    """Batch-norm forward with switches for the common mistakes (all off: the correct layer)."""
    mu, var = X.mean(axis=0), X.var(axis=0, ddof=ddof)
    old_mean, old_var = running_mean.copy(), running_var.copy()
    if training or update_in_eval:
        unbiased = X.var(axis=0, ddof=running_ddof)
        if inverse_correction:                      # biased var times (N-1)/N instead of N/(N-1)
            N = X.shape[0]
            unbiased = X.var(axis=0) * (N - 1) / N
        m = 1 - momentum if swapped_momentum else momentum
        new_mean, new_var = (1 - m) * running_mean + m * mu, (1 - m) * running_var + m * unbiased
        if in_place:
            running_mean[...], running_var[...] = new_mean, new_var
    if not training and not eval_batch:
        mu, var = running_mean, running_var
    elif training and normalise_with_running:
        mu, var = running_mean, running_var
    elif training and normalise_with_old_running:
        mu, var = old_mean, old_var
    elif training and axis == 1:
        mu, var = X.mean(axis=1, keepdims=True), X.var(axis=1, ddof=ddof, keepdims=True)
    std = np.sqrt(var) + eps if eps_outside else np.sqrt(var + eps)
    return gamma * (X - mu) / std + (beta if with_beta else 0)


def _backward(X, gamma, G, eps=1e-5, *, ddof=0, eps_outside=False, mean_term=True, var_term=True,
              dgamma_xhat=True, dx_gamma=True, sums=True, over_n=True, swap=False):
    """Batch-norm backward with switches for the common mistakes (all on/off: the correct gradient)."""
    N = X.shape[0]
    mu, var = X.mean(axis=0), X.var(axis=0, ddof=ddof)
    std = np.sqrt(var) + eps if eps_outside else np.sqrt(var + eps)
    x_hat = (X - mu) / std
    reduce = np.sum if sums else np.mean
    dbeta = reduce(G, axis=0)
    dgamma = reduce(G * x_hat if dgamma_xhat else G, axis=0)
    inner = N * G - (G.sum(axis=0) if mean_term else 0) - (x_hat * (G * x_hat).sum(axis=0) if var_term else 0)
    dX = (gamma if dx_gamma else 1) / ((N if over_n else 1) * std) * inner
    return (dX, dbeta, dgamma) if swap else (dX, dgamma, dbeta)


def _bn_inputs(rng: np.random.Generator, N: int, D: int, scale: float = 1.0, shift: float = 0.0,
               dtype: type = np.float64) -> tuple[np.ndarray, ...]:
    """``X, gamma, beta, running_mean, running_var`` with running statistics unlike the batch's."""
    X = shift + scale * rng.standard_normal((N, D))
    gamma, beta = 1 + 0.5 * rng.standard_normal(D), 0.5 * rng.standard_normal(D)
    running_mean, running_var = rng.standard_normal(D), rng.uniform(0.5, 2.0, D)
    return tuple(a.astype(dtype) for a in (X, gamma, beta, running_mean, running_var))


def _batchnorm_forward_exercise() -> Exercise:
    rng = np.random.default_rng(31)
    cases = [
        Case("training, X (8, 5), momentum 0.1", (*_bn_inputs(rng, 8, 5), True)),
        Case("evaluation, X (4, 5): running statistics unlike the batch's", (*_bn_inputs(rng, 4, 5), False),
             hint="in evaluation normalise with running_mean and running_var, and leave them unchanged"),
        Case("training, the smallest batch N = 2, momentum 0.3", (*_bn_inputs(rng, 2, 3), True),
             {"momentum": 0.3}, hint="normalise with the biased variance (divide by N); the running "
                                     "variance gets the unbiased one (divide by N - 1)"),
        Case("training, inputs far from zero (mean 50, scale 10)", (*_bn_inputs(rng, 6, 4, 10.0, 50.0), True)),
        Case("training, a tiny variance, where eps matters", (*_bn_inputs(rng, 10, 3, 3e-3), True),
             hint="eps goes inside the square root: sqrt(var + eps)"),
        Case("evaluation with eps = 0.1", (*_bn_inputs(rng, 5, 3), False), {"eps": 0.1}),
        Case("training in float32, X (16, 6)", (*_bn_inputs(rng, 16, 6, dtype=np.float32), True)),
    ]
    return Exercise(
        "batchnorm_forward", ref.batchnorm_forward, cases, ("Y",), notebook=NOTEBOOK,
        updates={3: "running_mean", 4: "running_var"},
        hint="in training each feature (column) is normalised with the mean and variance of this batch, and "
             "the running statistics move a fraction `momentum` of the way towards the batch's; in "
             "evaluation the running statistics stand in for the batch's, so one example's output does "
             "not depend on the others",
        formula="training: mu = X.mean(0), var = X.var(0), Y = gamma (X - mu) / sqrt(var + eps) + beta, "
                "running_mean[...] = (1 - m) running_mean + m mu, "
                "running_var[...] = (1 - m) running_var + m X.var(0, ddof=1);  "
                "evaluation: Y = gamma (X - running_mean) / sqrt(running_var + eps) + beta",
        bugs=[
            Bug("evaluation mode used the statistics of the batch: in evaluation normalise with "
                "running_mean and running_var (a prediction must not depend on the rest of the batch)",
                lambda *a, **k: _forward(*a, **k, eval_batch=True)),
            Bug("you normalised with the unbiased variance (ddof=1): the normalisation divides by N "
                "(the batch's own variance); only running_var gets the unbiased estimate",
                lambda *a, **k: _forward(*a, **k, ddof=1)),
            Bug("eps is outside the square root: divide by sqrt(var + eps), not sqrt(var) + eps",
                lambda *a, **k: _forward(*a, **k, eps_outside=True)),
            Bug("running_mean and running_var did not change: `running_mean = ...` makes a new local "
                "array; update the caller's arrays in place (`running_mean[...] = ...`, or `*=` and `+=`)",
                lambda *a, **k: _forward(*a, **k, in_place=False)),
            Bug("running_var was updated with the biased variance (divide by N); PyTorch, and this course, "
                "put the unbiased estimate (divide by N - 1, ddof=1) into the running variance",
                lambda *a, **k: _forward(*a, **k, running_ddof=0)),
            Bug("the momentum is applied the wrong way round: the running statistic keeps (1 - momentum) "
                "of itself and takes momentum of the batch's, r = (1 - momentum) r + momentum s",
                lambda *a, **k: _forward(*a, **k, swapped_momentum=True)),
            Bug("you updated the running statistics in evaluation mode too: evaluation must not change them",
                lambda *a, **k: _forward(*a, **k, update_in_eval=True)),
            Bug("in training you normalised with the running statistics: training uses the batch's mean "
                "and variance (and only updates the running ones)",
                lambda *a, **k: _forward(*a, **k, normalise_with_running=True)),
            Bug("in training you normalised with the old running statistics (before updating them): "
                "training uses the batch's own mean and variance; the running ones are only updated",
                lambda *a, **k: _forward(*a, **k, normalise_with_old_running=True)),
            Bug("you normalised each example over its features (axis=1, that is LayerNorm): BatchNorm "
                "normalises each feature over the batch (axis 0), not each example",
                lambda *a, **k: _forward(*a, **k, axis=1)),
            Bug("you forgot beta: the output is gamma x_hat + beta",
                lambda *a, **k: _forward(*a, **k, with_beta=False)),
            Bug("running_var got the biased variance times (N - 1)/N: the unbiased estimate is the biased "
                "one times N/(N - 1) (or X.var(axis=0, ddof=1))",
                lambda *a, **k: _forward(*a, **k, inverse_correction=True)),
        ],
        library=(F_bn.batchnorm_forward, nn.BatchNorm1d.forward),
    )


def _batchnorm_backward_exercise() -> Exercise:
    rng = np.random.default_rng(13)

    def inputs(N: int, D: int, scale: float = 1.0, shift: float = 0.0,
               dtype: type = np.float64) -> tuple[np.ndarray, ...]:
        X, gamma = shift + scale * rng.standard_normal((N, D)), 1 + 0.5 * rng.standard_normal(D)
        return tuple(a.astype(dtype) for a in (X, gamma, rng.standard_normal((N, D))))

    cases = [
        Case("random, X (8, 5)", inputs(8, 5)),
        Case("a small batch, N = 3", inputs(3, 4),
             hint="use the biased variance (divide by N), as the forward pass does"),
        Case("inputs far from zero (mean 50, scale 10)", inputs(6, 4, 10.0, 50.0)),
        Case("a tiny variance, where eps matters", inputs(10, 3, 3e-3),
             hint="use sqrt(var + eps) everywhere, exactly as in the forward pass"),
        Case("one feature, gamma = 0", (rng.standard_normal((7, 1)), np.zeros(1), rng.standard_normal((7, 1)))),
        Case("float32, X (16, 6)", inputs(16, 6, dtype=np.float32)),
    ]
    return Exercise(
        "batchnorm_backward", ref.batchnorm_backward, cases, ("dX", "dgamma", "dbeta"), notebook=NOTEBOOK,
        hint="the mean and the variance depend on every X_n, so X reaches Y along three paths (directly, "
             "through the mean, through the variance) and dX adds all three; dgamma and dbeta sum over "
             "the batch, like the bias of a linear layer",
        formula="x_hat = (X - mu) / sqrt(var + eps);  dbeta = G.sum(0);  dgamma = (G * x_hat).sum(0);  "
                "dX = gamma / (N sqrt(var + eps)) * (N G - dbeta - x_hat * dgamma)",
        bugs=[
            Bug("you normalised with the unbiased variance (ddof=1): the forward pass divides by N",
                lambda *a, **k: _backward(*a, **k, ddof=1)),
            Bug("eps is outside the square root: use sqrt(var + eps), as the forward pass does",
                lambda *a, **k: _backward(*a, **k, eps_outside=True)),
            Bug("dX treats the mean and the variance as constants (that is the evaluation-mode gradient): "
                "in training they depend on every X_n, which adds two more terms",
                lambda *a, **k: _backward(*a, **k, mean_term=False, var_term=False)),
            Bug("dX is missing the path through the mean: subtract the sum of G over the batch (in the "
                "table's steps: node 1, dx += dmu / n, is missing)",
                lambda *a, **k: _backward(*a, **k, mean_term=False)),
            Bug("dX is missing the path through the variance: subtract x_hat times the sum of G * x_hat",
                lambda *a, **k: _backward(*a, **k, var_term=False)),
            Bug("dX is missing the factor gamma: Y = gamma x_hat + beta, so every path into x_hat is scaled "
                "by gamma", lambda *a, **k: _backward(*a, **k, dx_gamma=False)),
            Bug("dgamma is not multiplied by x_hat: Y = gamma x_hat + beta, so dgamma = sum of G * x_hat",
                lambda *a, **k: _backward(*a, **k, dgamma_xhat=False)),
            Bug("you averaged dgamma and dbeta over the batch: the loss adds the N examples' "
                "contributions, so they are sums (the 1/N of a mean loss is already inside G)",
                lambda *a, **k: _backward(*a, **k, sums=False)),
            Bug("dgamma multiplies G by X, not by the normalised x_hat",
                lambda X, gamma, G, eps=1e-5: (_backward(X, gamma, G, eps)[0], (G * X).sum(axis=0), G.sum(axis=0))),
            Bug("dX is N times too large: you forgot the 1/N in front (the mean and the variance average "
                "over the N examples)", lambda *a, **k: _backward(*a, **k, over_n=False)),
            Bug("dgamma and dbeta are swapped: return (dX, dgamma, dbeta), with dbeta = sum of G and "
                "dgamma = sum of G * x_hat", lambda *a, **k: _backward(*a, **k, swap=True)),
        ],
        library=(F_bn.batchnorm_backward, F_bn.batchnorm_backward_steps, nn.BatchNorm1d.backward),
    )


EXERCISES = {
    "batchnorm_forward": _batchnorm_forward_exercise,
    "batchnorm_backward": _batchnorm_backward_exercise,
}


def check_batchnorm_forward(fn: Callable, reveal: bool = False) -> CheckResult:
    """Check the student's ``batchnorm_forward(X, gamma, beta, running_mean, running_var, training,
    momentum=0.1, eps=1e-5) -> Y`` and its in-place update of the running statistics (prints the verdict)."""
    return check(_batchnorm_forward_exercise(), fn, reveal)


def check_batchnorm_backward(fn: Callable, reveal: bool = False) -> CheckResult:
    """Check the student's ``batchnorm_backward(X, gamma, G, eps=1e-5) -> (dX, dgamma, dbeta)`` (prints the verdict)."""
    return check(_batchnorm_backward_exercise(), fn, reveal)
