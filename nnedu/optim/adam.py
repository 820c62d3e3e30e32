"""Adam and AdamW: momentum plus RMSprop-style scaling, with bias correction."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from nnedu.nn.parameter import Parameter
from nnedu.optim.optimizer import Optimizer, ParamsT


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2015), optionally AMSGrad, as ``torch.optim.Adam``.

    A moving average :math:`m` of the gradient (momentum) divided by the root
    of a moving average :math:`v` of its square (RMSprop). Both start at 0, so
    early averages are biased towards 0; dividing by :math:`1-\beta^t` removes
    that bias. At step :math:`t = 1, 2, \dots`:

    .. math::

        g_t &\leftarrow g_t + \lambda\,\theta_{t-1}                      \\
        m_t &\leftarrow \beta_1 m_{t-1} + (1-\beta_1)\, g_t               \\
        v_t &\leftarrow \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2             \\
        \hat m_t &= \frac{m_t}{1-\beta_1^t}, \qquad
        \hat v_t = \frac{v_t}{1-\beta_2^t}                                \\
        \theta_t &\leftarrow \theta_{t-1} - \eta\, \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}

    **AMSGrad** (Reddi et al., 2018) keeps the running maximum
    :math:`v^{\max}_t = \max(v^{\max}_{t-1}, v_t)` and uses it in place of
    :math:`v_t` in :math:`\hat v_t`, so the per-coordinate step never grows.

    The weight decay :math:`\lambda` here is an L2 penalty added to the
    gradient (and then rescaled by the adaptive denominator); for decay applied
    directly to the weights use :class:`AdamW`.

    Parameters
    ----------
    params : iterable of Parameter or of dict
        ``model.parameters()`` or a list of parameter groups.
    lr : float
        :math:`\eta \ge 0`.
    betas : (float, float)
        :math:`(\beta_1, \beta_2)`, each in :math:`[0, 1)`.
    eps : float
        :math:`\epsilon \ge 0`.
    weight_decay : float
        :math:`\lambda \ge 0`.
    amsgrad : bool
        Use the AMSGrad variant.

    Examples
    --------
    The first step moves every coordinate by about ``lr``, whatever the
    gradient's scale (here :math:`\hat m_1 = g`, :math:`\hat v_1 = g^2`):

    >>> import numpy as np
    >>> from nnedu.nn import Parameter
    >>> from nnedu.optim import Adam
    >>> w = Parameter(np.zeros(2))
    >>> opt = Adam([w], lr=0.1)
    >>> w.grad[...] = [1000.0, -0.001]
    >>> opt.step()
    >>> np.round(w.data, 4)
    array([-0.1,  0.1])
    """

    _decoupled = False

    def __init__(self, params: ParamsT, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, amsgrad: bool = False) -> None:
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad)
        super().__init__(params, defaults)

    def _validate_group(self, group: dict[str, Any]) -> None:
        self._check_nonnegative(group, "lr", "eps", "weight_decay")
        betas = group["betas"]
        if len(betas) != 2:
            raise ValueError(f"{self._name}: betas must be a pair (beta1, beta2), got {betas}")
        self._check_unit_interval(group, "betas[0] (beta1)", betas[0])
        self._check_unit_interval(group, "betas[1] (beta2)", betas[1])

    def _update(self, p: Parameter, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        lr, (beta1, beta2), eps, lam = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        if "step" not in state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(p.data)
            state["exp_avg_sq"] = np.zeros_like(p.data)
        state["step"] += 1
        t, m, v = state["step"], state["exp_avg"], state["exp_avg_sq"]
        g = grad
        if lam != 0:
            if self._decoupled:
                p.data *= 1 - lr * lam                     # AdamW: theta <- theta (1 - eta lambda)
            else:
                g = g + lam * p.data                       # Adam:  g <- g + lambda theta
        m += (1 - beta1) * (g - m)                         # m <- beta1 m + (1 - beta1) g
        v *= beta2                                         # v <- beta2 v + (1 - beta2) g^2
        v += (1 - beta2) * g * g
        if group["amsgrad"]:
            v_max = state.setdefault("max_exp_avg_sq", np.zeros_like(p.data))
            np.maximum(v_max, v, out=v_max)                # v_max <- max(v_max, v)
            v = v_max
        bias1 = 1 - beta1 ** t                             # m_hat = m / (1 - beta1^t)
        bias2 = 1 - beta2 ** t                             # v_hat = v / (1 - beta2^t)
        denom = np.sqrt(v) / math.sqrt(bias2) + eps        # sqrt(v_hat) + eps
        p.data -= (lr / bias1) * m / denom                 # theta <- theta - eta m_hat / (sqrt(v_hat) + eps)


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter, 2019), as ``torch.optim.AdamW``.

    Identical to :class:`Adam` except for the weight decay: instead of adding
    :math:`\lambda\theta` to the gradient (where the adaptive denominator
    would rescale it), every step first shrinks the weights directly,

    .. math::

        \theta_{t-1} &\leftarrow \theta_{t-1}\,(1 - \eta\lambda)           \\
        m_t, v_t, \hat m_t, \hat v_t &\ \text{as in Adam, from the raw } g_t \\
        \theta_t &\leftarrow \theta_{t-1} - \eta\, \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}

    so every weight decays at the same rate whatever its gradient history.

    Parameters
    ----------
    params, lr, betas, eps, amsgrad
        As in :class:`Adam`.
    weight_decay : float
        :math:`\lambda \ge 0`; note the default 0.01 (Adam's is 0).
    """

    _decoupled = True

    def __init__(self, params: ParamsT, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad)
