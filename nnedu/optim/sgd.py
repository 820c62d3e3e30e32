"""Stochastic gradient descent, with optional momentum, Nesterov momentum and weight decay."""
from __future__ import annotations

from typing import Any

import numpy as np

from nnedu.nn.parameter import Parameter
from nnedu.optim.optimizer import Optimizer, ParamsT


class SGD(Optimizer):
    r"""Stochastic gradient descent (optionally with momentum), as ``torch.optim.SGD``.

    With gradient :math:`g_t`, learning rate :math:`\eta`, momentum :math:`\mu`,
    dampening :math:`\tau` and weight decay :math:`\lambda`, one step is

    .. math::

        g_t &\leftarrow g_t + \lambda\,\theta_{t-1}                       \\
        b_t &\leftarrow \begin{cases} g_t & t = 1 \\
                          \mu\, b_{t-1} + (1-\tau)\, g_t & t > 1 \end{cases} \\
        d_t &\leftarrow \begin{cases} g_t + \mu\, b_t & \text{nesterov} \\
                                      b_t & \text{otherwise} \end{cases}  \\
        \theta_t &\leftarrow \theta_{t-1} - \eta\, d_t

    Without momentum (:math:`\mu = 0`) this is plain gradient descent
    :math:`\theta \leftarrow \theta - \eta g`.

    **The classroom form of momentum.** Lecture notes (CS231n, many
    textbooks) write momentum with a *velocity* :math:`v` measured in units of
    the parameters:

    .. math::

        v_t \leftarrow \mu v_{t-1} - \eta g_t, \qquad \theta_t \leftarrow \theta_{t-1} + v_t .

    PyTorch (and nnedu) keep instead the buffer :math:`b` measured in units
    of the *gradient* and multiply by :math:`\eta` at the end. If the learning
    rate is constant the two are the same method: put :math:`v_t = -\eta b_t`,
    then :math:`v_t = -\eta(\mu b_{t-1} + g_t) = \mu v_{t-1} - \eta g_t` and
    :math:`\theta_t = \theta_{t-1} - \eta b_t = \theta_{t-1} + v_t` (with
    :math:`\tau = 0`; both start from :math:`v_0 = b_0 = 0`, and PyTorch's
    :math:`b_1 = g_1` is exactly :math:`\mu \cdot 0 + g_1`).

    They differ when :math:`\eta` changes during training (a scheduler, a
    slider). In the classroom form the old velocity keeps the old step size
    and only new gradients are scaled by the new :math:`\eta`, so after a
    10x learning-rate drop the steps shrink gradually. In PyTorch's form the
    whole accumulated buffer is multiplied by the *new* :math:`\eta`, so the
    step shrinks 10x at once. (With dampening :math:`\tau > 0` they also differ
    on the first step: PyTorch starts :math:`b_1 = g_1`, undampened.)

    Parameters
    ----------
    params : iterable of Parameter or of dict
        ``model.parameters()`` or a list of parameter groups.
    lr : float
        Learning rate :math:`\eta \ge 0`.
    momentum : float
        :math:`\mu \ge 0`; 0 turns momentum off.
    dampening : float
        :math:`\tau`: scales new gradients in the buffer by :math:`1 - \tau`.
    weight_decay : float
        L2 penalty :math:`\lambda \ge 0` (adds :math:`\lambda\theta` to the gradient).
    nesterov : bool
        Nesterov's look-ahead momentum; needs :math:`\mu > 0` and :math:`\tau = 0`.

    Examples
    --------
    >>> import numpy as np
    >>> from nnedu.nn import Parameter
    >>> from nnedu.optim import SGD
    >>> w = Parameter(np.array([1.0, 2.0]))
    >>> opt = SGD([w], lr=0.1)
    >>> w.grad[...] = [1.0, -1.0]
    >>> opt.step()
    >>> w.data
    array([0.9, 2.1])
    """

    def __init__(self, params: ParamsT, lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False) -> None:
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov)
        super().__init__(params, defaults)

    def _validate_group(self, group: dict[str, Any]) -> None:
        self._check_nonnegative(group, "lr", "momentum", "weight_decay")
        if not np.isfinite(group["dampening"]):
            raise ValueError(f"SGD: dampening must be finite, got {group['dampening']}")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("SGD: nesterov=True requires momentum > 0 and dampening = 0, got "
                             f"momentum={group['momentum']}, dampening={group['dampening']}")

    def _update(self, p: Parameter, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        lr, mu, tau, lam = group["lr"], group["momentum"], group["dampening"], group["weight_decay"]
        g = grad
        if lam != 0:
            g = g + lam * p.data                      # g <- g + lambda * theta
        if mu != 0:
            if "momentum_buffer" not in state:
                state["momentum_buffer"] = g.copy()   # b_1 = g_1
            else:
                b = state["momentum_buffer"]
                b *= mu                               # b <- mu * b + (1 - tau) * g
                b += (1 - tau) * g
            b = state["momentum_buffer"]
            g = g + mu * b if group["nesterov"] else b
        p.data -= lr * g                              # theta <- theta - eta * d
