r"""Checks for notebook 06: one step of SGD with momentum (and Nesterov), and one step of Adam.

The student writes

* ``momentum_step(theta, grad, buf, lr, momentum, nesterov=False) -> (theta, buf)``, PyTorch's form:
  :math:`b \leftarrow \mu b + g`, then :math:`\theta \leftarrow \theta - \eta b`
  (Nesterov: :math:`\theta \leftarrow \theta - \eta (g + \mu b)`), with ``buf`` starting at zeros;
* ``adam_step(theta, grad, m, v, t, lr, beta1, beta2, eps) -> (theta, m, v)`` with bias correction:
  :math:`m \leftarrow \beta_1 m + (1-\beta_1) g`, :math:`v \leftarrow \beta_2 v + (1-\beta_2) g^2`,
  :math:`\hat m = m / (1-\beta_1^t)`, :math:`\hat v = v / (1-\beta_2^t)`,
  :math:`\theta \leftarrow \theta - \eta\, \hat m / (\sqrt{\hat v} + \epsilon)`, for steps ``t = 1, 2, ...``.

Each case runs several steps with seeded random gradients, feeding the
student's returned state back in, and compares every step with
:class:`nnedu.optim.SGD` / :class:`nnedu.optim.Adam` stepping a
:class:`~nnedu.nn.Parameter` on the same gradients.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from nnedu.exercises.report import Case, CheckResult, Comparison, run_check, unpack


def _step_comparison(t: int, theta: np.ndarray, prev: np.ndarray, expected: np.ndarray) -> Comparison:
    """Compare the update ``theta_new - theta_old`` itself: relative to theta a small wrong step hides."""
    try:
        got = np.asarray(theta, dtype=np.float64) - prev
    except (TypeError, ValueError):
        got = theta  # not an array of numbers / wrong shape: the comparison reports it
    return Comparison(f"the update theta_new - theta_old at step {t}", got, expected)


def _momentum_case(label: str, shape: tuple[int, ...], lr: float, mu: float, nesterov: bool, steps: int,
                   seed: int, hint: str = "") -> Case:
    grads = np.random.default_rng(seed).standard_normal((steps, *shape))
    theta0 = np.random.default_rng(seed + 1).standard_normal(shape)

    def run(fn: Callable) -> list[Comparison]:
        from nnedu.nn import Parameter
        from nnedu.optim import SGD
        p = Parameter(theta0.copy())
        opt = SGD([p], lr=lr, momentum=mu, nesterov=nesterov)
        theta, buf = theta0.copy(), np.zeros(shape)
        out = []
        for t in range(steps):
            before = p.data.copy()
            p.grad[...] = grads[t]
            opt.step()
            prev = np.asarray(theta, dtype=np.float64)
            theta, buf = unpack(fn(theta.copy(), grads[t].copy(), buf.copy(), lr, mu, nesterov),
                                ("theta", "buf"), "momentum_step")
            ref_buf = opt.state[p]["momentum_buffer"] if mu > 0 else grads[t]
            out += [_step_comparison(t + 1, theta, prev, p.data - before),
                    Comparison(f"theta after step {t + 1}", theta, p.data.copy()),
                    Comparison(f"buf after step {t + 1}", buf, np.asarray(ref_buf).copy(),
                               hint="the buffer is measured in gradient units: b = mu * b + g "
                                    "(with mu = 0 it is just g)")]
        return out
    return Case(f"{label}: shape {shape}, lr={lr}, momentum={mu}, nesterov={nesterov}, {steps} steps", run, hint)


def check_momentum_step(fn: Callable[..., tuple[np.ndarray, np.ndarray]]) -> CheckResult:
    """Check ``momentum_step(theta, grad, buf, lr, momentum, nesterov=False) -> (theta, buf)``.

    Parameters
    ----------
    fn : callable
        The student's function. ``buf`` is the momentum buffer (zeros before
        the first step); it must not be modified in place-only: return it.

    Returns
    -------
    CheckResult
        Truthy when every step of every case agrees with :class:`nnedu.optim.SGD`.
    """
    cases = [
        _momentum_case("classic momentum", (5,), 0.1, 0.9, False, 6, 11),
        _momentum_case("no momentum: plain SGD", (3, 2), 0.05, 0.0, False, 3, 12,
                       hint="with momentum 0 the step is theta - lr * grad"),
        _momentum_case("Nesterov", (4,), 0.1, 0.9, True, 6, 13,
                       hint="Nesterov steps along g + mu * b (the look-ahead), with b already updated"),
        _momentum_case("small momentum, matrix parameter", (2, 3), 0.3, 0.5, False, 4, 14),
    ]
    return run_check("momentum_step", fn, cases,
                     hint="b = mu * b + g; theta = theta - lr * b (Nesterov: theta - lr * (g + mu * b))")


def _adam_case(label: str, shape: tuple[int, ...], lr: float, betas: tuple[float, float], eps: float,
               steps: int, seed: int, scale: float = 1.0, hint: str = "") -> Case:
    grads = scale * np.random.default_rng(seed).standard_normal((steps, *shape))
    theta0 = np.random.default_rng(seed + 1).standard_normal(shape)

    def run(fn: Callable) -> list[Comparison]:
        from nnedu.nn import Parameter
        from nnedu.optim import Adam
        p = Parameter(theta0.copy())
        opt = Adam([p], lr=lr, betas=betas, eps=eps)
        theta, m, v = theta0.copy(), np.zeros(shape), np.zeros(shape)
        out = []
        for t in range(1, steps + 1):
            before = p.data.copy()
            p.grad[...] = grads[t - 1]
            opt.step()
            prev = np.asarray(theta, dtype=np.float64)
            theta, m, v = unpack(fn(theta.copy(), grads[t - 1].copy(), m.copy(), v.copy(), t, lr, betas[0],
                                    betas[1], eps), ("theta", "m", "v"), "adam_step")
            state = opt.state[p]
            out += [Comparison(f"m after step {t}", m, np.asarray(state["exp_avg"]).copy(),
                               hint="m is the *uncorrected* running mean: beta1 * m + (1 - beta1) * g"),
                    Comparison(f"v after step {t}", v, np.asarray(state["exp_avg_sq"]).copy(),
                               hint="v is the *uncorrected* running mean of g**2 (elementwise square)"),
                    _step_comparison(t, theta, prev, p.data - before),
                    Comparison(f"theta after step {t}", theta, p.data.copy())]
        return out
    return Case(f"{label}: shape {shape}, lr={lr}, betas={betas}, eps={eps}, {steps} steps", run, hint)


def check_adam_step(fn: Callable[..., tuple[np.ndarray, np.ndarray, np.ndarray]]) -> CheckResult:
    """Check ``adam_step(theta, grad, m, v, t, lr, beta1, beta2, eps) -> (theta, m, v)``.

    Parameters
    ----------
    fn : callable
        The student's function; ``t`` counts steps from 1, ``m`` and ``v``
        start at zeros and are returned without bias correction.

    Returns
    -------
    CheckResult
        Truthy when every step of every case agrees with :class:`nnedu.optim.Adam`.
    """
    cases = [
        _adam_case("PyTorch's defaults", (5,), 1e-3, (0.9, 0.999), 1e-8, 5, 21,
                   hint="step 1 must move every coordinate by about lr: that is what bias correction is for"),
        _adam_case("tiny gradients (bias correction matters most)", (3,), 0.01, (0.9, 0.999), 1e-8, 4, 22,
                   scale=1e-3),
        _adam_case("other betas, matrix parameter", (2, 3), 0.05, (0.8, 0.99), 1e-6, 6, 23),
        _adam_case("large eps", (4,), 0.1, (0.9, 0.999), 0.5, 3, 24,
                   hint="eps is added to sqrt(v_hat), outside the square root"),
    ]
    return run_check("adam_step", fn, cases,
                     hint="m_hat = m / (1 - beta1**t), v_hat = v / (1 - beta2**t), "
                          "theta -= lr * m_hat / (sqrt(v_hat) + eps)")
