"""RMSprop: divide by a running root-mean-square of recent gradients."""
from __future__ import annotations

from typing import Any

import numpy as np

from nnedu.nn.parameter import Parameter
from nnedu.optim.optimizer import Optimizer, ParamsT


class RMSprop(Optimizer):
    r"""RMSprop (Hinton, Coursera lecture 6e), as ``torch.optim.RMSprop``.

    Like Adagrad, but :math:`v` is an exponential moving *average* of squared
    gradients instead of a sum, so old gradients are forgotten and the step
    size does not decay to zero.

    With learning rate :math:`\eta`, smoothing constant :math:`\alpha`,
    momentum :math:`\mu` and weight decay :math:`\lambda` (all buffers start at 0):

    .. math::

        g_t &\leftarrow g_t + \lambda\,\theta_{t-1}                        \\
        v_t &\leftarrow \alpha\, v_{t-1} + (1-\alpha)\, g_t^2               \\
        \bar g_t &\leftarrow \alpha\, \bar g_{t-1} + (1-\alpha)\, g_t
              \quad\text{(centered only)}                                  \\
        s_t &= \begin{cases} \sqrt{v_t - \bar g_t^2} + \epsilon & \text{centered} \\
                             \sqrt{v_t} + \epsilon & \text{otherwise} \end{cases} \\
        b_t &\leftarrow \mu\, b_{t-1} + g_t / s_t, \qquad
        \theta_t \leftarrow \theta_{t-1} - \eta\, b_t
              \quad\text{if } \mu > 0,                                     \\
        \theta_t &\leftarrow \theta_{t-1} - \eta\, g_t / s_t
              \quad\text{if } \mu = 0.

    *Centered* RMSprop divides by an estimate of the gradient's standard
    deviation :math:`\sqrt{E[g^2] - E[g]^2}` instead of its root mean square.

    Parameters
    ----------
    params : iterable of Parameter or of dict
        ``model.parameters()`` or a list of parameter groups.
    lr : float
        :math:`\eta \ge 0`.
    alpha : float
        :math:`\alpha \in [0, 1)`, how slowly :math:`v` forgets.
    eps : float
        :math:`\epsilon \ge 0`.
    weight_decay : float
        L2 penalty :math:`\lambda \ge 0`.
    momentum : float
        :math:`\mu \ge 0`.
    centered : bool
        Use the variance instead of the second moment.
    """

    def __init__(self, params: ParamsT, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False) -> None:
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                        momentum=momentum, centered=centered)
        super().__init__(params, defaults)

    def _validate_group(self, group: dict[str, Any]) -> None:
        self._check_nonnegative(group, "lr", "eps", "weight_decay", "momentum")
        self._check_unit_interval(group, "alpha", group["alpha"])

    def _update(self, p: Parameter, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        lr, alpha, eps, lam, mu = group["lr"], group["alpha"], group["eps"], group["weight_decay"], group["momentum"]
        if "step" not in state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(p.data)
        state["step"] += 1
        g = grad
        if lam != 0:
            g = g + lam * p.data                               # g <- g + lambda * theta
        v = state["square_avg"]
        v *= alpha                                             # v <- alpha v + (1 - alpha) g^2
        v += (1 - alpha) * g * g
        if group["centered"]:
            g_bar = state.setdefault("grad_avg", np.zeros_like(p.data))
            g_bar += (1 - alpha) * (g - g_bar)                 # g_bar <- alpha g_bar + (1 - alpha) g
            s = np.sqrt(v - g_bar * g_bar) + eps               # s = sqrt(v - g_bar^2) + eps
        else:
            s = np.sqrt(v) + eps                               # s = sqrt(v) + eps
        if mu > 0:
            b = state.setdefault("momentum_buffer", np.zeros_like(p.data))
            b *= mu                                            # b <- mu b + g / s
            b += g / s
            p.data -= lr * b                                   # theta <- theta - eta b
        else:
            p.data -= lr * g / s                               # theta <- theta - eta g / s
