"""Adagrad: per-coordinate learning rates from the sum of squared gradients."""
from __future__ import annotations

from typing import Any

import numpy as np

from nnedu.nn.parameter import Parameter
from nnedu.optim.optimizer import Optimizer, ParamsT


class Adagrad(Optimizer):
    r"""Adagrad (Duchi, Hazan & Singer, 2011), as ``torch.optim.Adagrad``.

    Every coordinate keeps the running *sum* :math:`G` of its squared
    gradients and is divided by :math:`\sqrt{G}`: coordinates with large
    gradients take small steps, rare or small ones take large steps. Because
    :math:`G` only grows, the effective step size shrinks forever.

    At step :math:`t = 1, 2, \dots`, with learning rate :math:`\eta`, decay
    :math:`\delta` (``lr_decay``) and weight decay :math:`\lambda`:

    .. math::

        g_t &\leftarrow g_t + \lambda\,\theta_{t-1}                    \\
        \eta_t &= \frac{\eta}{1 + (t-1)\,\delta}                      \\
        G_t &\leftarrow G_{t-1} + g_t \odot g_t, \qquad G_0 = \text{initial\_accumulator\_value} \\
        \theta_t &\leftarrow \theta_{t-1} - \eta_t\, \frac{g_t}{\sqrt{G_t} + \epsilon}

    Parameters
    ----------
    params : iterable of Parameter or of dict
        ``model.parameters()`` or a list of parameter groups.
    lr : float
        :math:`\eta \ge 0`.
    lr_decay : float
        :math:`\delta \ge 0`.
    weight_decay : float
        L2 penalty :math:`\lambda \ge 0`.
    initial_accumulator_value : float
        :math:`G_0 \ge 0`.
    eps : float
        :math:`\epsilon \ge 0`, keeps the division finite.
    """

    def __init__(self, params: ParamsT, lr: float = 1e-2, lr_decay: float = 0.0, weight_decay: float = 0.0,
                 initial_accumulator_value: float = 0.0, eps: float = 1e-10) -> None:
        defaults = dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, eps=eps)
        super().__init__(params, defaults)

    def _validate_group(self, group: dict[str, Any]) -> None:
        self._check_nonnegative(group, "lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps")

    def _update(self, p: Parameter, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        lr, lam, eps = group["lr"], group["weight_decay"], group["eps"]
        if "step" not in state:
            state["step"] = 0
            state["sum"] = np.full_like(p.data, group["initial_accumulator_value"])
        state["step"] += 1
        t, G = state["step"], state["sum"]
        g = grad
        if lam != 0:
            g = g + lam * p.data                          # g <- g + lambda * theta
        lr_t = lr / (1 + (t - 1) * group["lr_decay"])     # eta_t = eta / (1 + (t-1) delta)
        G += g * g                                        # G <- G + g^2
        p.data -= lr_t * g / (np.sqrt(G) + eps)           # theta <- theta - eta_t g / (sqrt(G) + eps)
