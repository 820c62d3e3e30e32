r"""Check for notebook 03: the backward pass of batch normalisation (training mode).

The student writes ``batchnorm_backward(X, gamma, G, eps) -> (dX, dgamma, dbeta)``
for the forward pass of :class:`nnedu.nn.BatchNorm1d` in training mode, with
``X`` of shape ``(N, D)``:

.. math::
    \mu = \frac1N \sum_n X_n, \quad \sigma^2 = \frac1N \sum_n (X_n - \mu)^2, \quad
    \hat X = \frac{X - \mu}{\sqrt{\sigma^2 + \epsilon}}, \quad Y = \gamma \hat X + \beta,

and ``G = dL/dY`` of shape ``(N, D)``. The compact result is

.. math::
    \frac{\partial L}{\partial X} = \frac{\gamma}{N\sqrt{\sigma^2+\epsilon}}
    \Big(N G - \sum_n G_n - \hat X \sum_n G_n \odot \hat X_n\Big),\quad
    \frac{\partial L}{\partial \gamma} = \sum_n G_n \odot \hat X_n,\quad
    \frac{\partial L}{\partial \beta} = \sum_n G_n .
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from nnedu.checking import numerical_gradient
from nnedu.exercises.report import Case, CheckResult, Comparison, float64, run_check, unpack


def _bn_case(label: str, X: np.ndarray, gamma: np.ndarray, beta: np.ndarray, G: np.ndarray,
             eps: float = 1e-5, hint: str = "") -> Case:
    N, D = X.shape

    def run(fn: Callable) -> list[Comparison]:
        from nnedu.nn import BatchNorm1d
        with float64():
            ref = BatchNorm1d(D, eps=eps)
            ref.weight.data[...] = gamma
            ref.bias.data[...] = beta
            ref.train()
            ref.zero_grad()
            ref(X.copy())
            dX_ref = ref.backward(G.copy())
            dg_ref, db_ref = ref.weight.grad.copy(), ref.bias.grad.copy()
        dX, dgamma, dbeta = unpack(fn(X.copy(), gamma.copy(), G.copy(), eps), ("dX", "dgamma", "dbeta"),
                                   "batchnorm_backward")
        Xc, gc, bc = X.copy(), gamma.copy(), beta.copy()

        def loss() -> float:  # L = sum(Y * G) with Y the training-mode forward pass
            mu = Xc.mean(axis=0)
            var = Xc.var(axis=0)
            xhat = (Xc - mu) / np.sqrt(var + eps)
            return float(np.sum((gc * xhat + bc) * G))

        return [
            Comparison("dX", dX, dX_ref,
                       hint="mu and sigma^2 depend on every X_n: dX has three terms (direct, through "
                            "the mean, through the variance), or use the compact formula"),
            Comparison("dgamma", dgamma, dg_ref, hint="dgamma = sum over the batch of G * X_hat, shape (D,)"),
            Comparison("dbeta", dbeta, db_ref, hint="dbeta = G.sum(axis=0), shape (D,)"),
            Comparison("dX", dX, numerical_gradient(loss, Xc), kind="numerical"),
            Comparison("dgamma", dgamma, numerical_gradient(loss, gc), kind="numerical"),
            Comparison("dbeta", dbeta, numerical_gradient(loss, bc), kind="numerical"),
        ]
    return Case(f"{label}, X of shape {X.shape}, eps={eps:g}", run, hint)


def check_batchnorm_backward(
        fn: Callable[[np.ndarray, np.ndarray, np.ndarray, float], tuple[np.ndarray, np.ndarray, np.ndarray]],
) -> CheckResult:
    """Check ``batchnorm_backward(X, gamma, G, eps) -> (dX, dgamma, dbeta)`` (training mode).

    Parameters
    ----------
    fn : callable
        The student's function; ``X`` and ``G`` are ``(N, D)``, ``gamma`` is ``(D,)``.

    Returns
    -------
    CheckResult
        Truthy when every case passes; a PASS/FAIL line (or "not implemented yet") is printed.
    """
    rng = np.random.default_rng(13)

    def params(D: int) -> tuple[np.ndarray, np.ndarray]:
        return 1 + 0.5 * rng.standard_normal(D), 0.5 * rng.standard_normal(D)

    cases = [
        _bn_case("random", rng.standard_normal((8, 5)), *params(5), rng.standard_normal((8, 5))),
        _bn_case("the smallest batch, N=2", rng.standard_normal((2, 3)), *params(3), rng.standard_normal((2, 3)),
                 hint="use the biased variance (divide by N), as the forward pass does"),
        _bn_case("inputs far from zero (mean 50, scale 10)", 50 + 10 * rng.standard_normal((6, 4)), *params(4),
                 rng.standard_normal((6, 4))),
        _bn_case("tiny variance, where eps matters", 3e-3 * rng.standard_normal((10, 3)), *params(3),
                 rng.standard_normal((10, 3)), eps=1e-5,
                 hint="use sqrt(var + eps) everywhere, exactly as in the forward pass"),
        _bn_case("one feature, a zero gamma", rng.standard_normal((7, 1)), np.array([0.0]), np.array([0.3]),
                 rng.standard_normal((7, 1))),
    ]
    return run_check("batchnorm_backward", fn, cases,
                     hint="dX = gamma / (N * sqrt(var + eps)) * (N*G - G.sum(0) - X_hat * (G * X_hat).sum(0))")
