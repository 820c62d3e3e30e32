r"""Gradient checking: compare a hand-derived backward pass with central differences.

For a module ``f`` and a random upstream gradient ``G`` (fixed by a seed) we
check the scalar ``L = sum(f(x) * G)``, whose exact gradients are what
``backward(G)`` returns. Each entry of the numerical gradient is

.. math:: \frac{\partial L}{\partial \theta_i} \approx
          \frac{L(\theta_i + h) - L(\theta_i - h)}{2h},

which is accurate to :math:`O(h^2)`. The error of a tensor is measured
relative to its scale,

.. math:: \text{rel}(a, n) = \frac{\max_i |a_i - n_i|}{\max(\max_i |a_i|, \max_i |n_i|)},

and :func:`gradcheck` returns the largest over the input and every parameter.
In float64 with ``h = 1e-6`` a correct backward gives about 1e-8 or less;
1e-2 or more means a bug. In float32 the check is meaningless: use float64.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from nnedu.nn.module import Module
from nnedu.rng import get_rng


def rel_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """Largest absolute difference divided by the larger of the two tensors' largest magnitudes."""
    analytic, numeric = np.asarray(analytic, np.float64), np.asarray(numeric, np.float64)
    if analytic.shape != numeric.shape:
        raise ValueError(f"rel_error: shapes differ, {analytic.shape} vs {numeric.shape}")
    if analytic.size == 0:
        return 0.0
    scale = max(np.abs(analytic).max(), np.abs(numeric).max())
    diff = np.abs(analytic - numeric).max()
    return float(diff / scale) if scale > 0 else float(diff)


def numerical_gradient(f: Callable[[], float], x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Central-difference gradient of the scalar ``f()`` with respect to the array ``x``.

    ``x`` is perturbed in place, one entry at a time, and restored.
    (This loop over entries is deliberately naive: it is the definition.)
    """
    grad = np.zeros(x.shape, dtype=np.float64)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    if not np.shares_memory(flat, x):
        raise ValueError("numerical_gradient: x must be contiguous so it can be perturbed in place")
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        plus = f()
        flat[i] = old - h
        minus = f()
        flat[i] = old
        gflat[i] = (plus - minus) / (2 * h)
    return grad


def gradcheck(f: Module | Callable[[np.ndarray], np.ndarray], x: np.ndarray,
              backward: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None, *,
              h: float = 1e-6, rng: np.random.Generator | int | None = 0,
              verbose: bool = False) -> float:
    """Check the input and parameter gradients of a module, or the input gradient of a function.

    Parameters
    ----------
    f : Module or callable
        A module (its ``backward`` and parameters are checked), or a function
        ``x -> y``, in which case ``backward(x, grad_y) -> grad_x`` must be given.
    x : np.ndarray
        The input; use float64.
    backward : callable, optional
        The analytic backward of a plain function.
    h : float
        Step of the central difference.
    rng : Generator or int
        Source of the random upstream gradient ``G``.
    verbose : bool
        Print the relative error of every tensor.

    Returns
    -------
    float
        The largest relative error over the input and all parameters.

    Examples
    --------
    >>> import numpy as np, nnedu
    >>> nnedu.set_default_dtype(np.float64)
    >>> layer = nnedu.nn.Linear(3, 2, rng=0)
    >>> gradcheck(layer, np.random.default_rng(0).standard_normal((4, 3))) < 1e-8
    True
    """
    x = np.array(x, dtype=np.float64 if x.dtype != np.float32 else x.dtype, copy=True)
    is_module = isinstance(f, Module)
    if not is_module and backward is None:
        raise ValueError("gradcheck: for a plain function, pass its analytic backward(x, grad_out)")

    y = f(x)
    G = get_rng(rng).standard_normal(np.shape(y))

    # Analytic gradients.
    if is_module:
        f.zero_grad()
        f(x)
        grads = {"input": f.backward(G.astype(np.asarray(y).dtype))}
        params = dict(f.named_parameters())
        grads.update({name: p.grad.copy() for name, p in params.items()})
    else:
        grads = {"input": backward(x, G)}
        params = {}

    def loss() -> float:
        return float(np.sum(np.asarray(f(x), dtype=np.float64) * G))

    errors = {"input": rel_error(grads["input"], numerical_gradient(loss, x, h))}
    for name, p in params.items():
        errors[name] = rel_error(grads[name], numerical_gradient(loss, p.data, h))
    if verbose:
        for name, err in errors.items():
            print(f"  {name:<16s} relative error {err:.2e}")
    return max(errors.values())
