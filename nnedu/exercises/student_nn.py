"""Your network: nnedu's layers, loss and optimizers with their arithmetic replaced by your functions.

Every class here is a library class whose ``forward``/``backward`` (or update
rule) calls the function you wrote in an earlier notebook, through a
:class:`~nnedu.exercises.workspace.StudentCode` ``code``: ``YourLinear.forward``
is ``code.linear_forward(x, W, b)``, ``YourAdam`` updates each parameter with
``code.adam_step(...)``, and so on. Parameters, caches, train/eval mode and
saving are the library's, so a model built by nnedu (``MLP``, ``LeNet5``) starts
from exactly the same seeded weights and can be switched over in place::

    code = workspace.load()
    model = use_student_code(LeNet5(rng=0), code)   # same weights, your arithmetic
    loss_fn = YourCrossEntropyLoss(code)
    optimizer = YourAdam(model.parameters(), code, lr=1e-3)
    code.table(parts_of(model, loss_fn, optimizer))
"""
from __future__ import annotations

from typing import Any

import numpy as np

from nnedu import nn, optim
from nnedu.exercises.workspace import StudentCode
from nnedu.rng import get_rng


def _square(pair: tuple[int, int], what: str, layer: str) -> int:
    if pair[0] != pair[1]:
        raise ValueError(f"{layer}: your functions take one {what} for both axes, got {pair}")
    return pair[0]


class YourLinear(nn.Linear):
    """``Y = code.linear_forward(X, W, b)``; backward with ``code.linear_backward``."""

    code: StudentCode

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.cache = x
        W = self.weight.data.astype(x.dtype, copy=False)
        b = self.bias.data.astype(x.dtype, copy=False) if self.bias is not None else np.zeros(W.shape[1], x.dtype)
        return self.code.linear_forward(x, W, b)

    def backward(self, grad_out: np.ndarray) -> np.ndarray | None:
        x = self._cached()
        dX, dW, db = self.code.linear_backward(x, self.weight.data.astype(x.dtype, copy=False), grad_out)
        self.weight.grad += dW
        if self.bias is not None:
            self.bias.grad += db
        return dX if self.needs_input_grad else None


class YourReLU(nn.ReLU):
    """``code.relu_forward`` and ``code.relu_backward``."""

    code: StudentCode

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.cache = x
        return self.code.relu_forward(x)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return self.code.relu_backward(self._cached(), grad_out)


class YourConv2d(nn.Conv2d):
    """``code.conv2d_forward`` and ``code.conv2d_backward`` (your im2col version)."""

    code: StudentCode

    def _args(self) -> tuple[int, int]:
        name = "Conv2d"
        return _square(self.stride, "stride", name), _square(self.padding, "padding", name)

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.cache = x
        w, b = self._params(x.dtype)
        b = b if b is not None else np.zeros(w.shape[0], x.dtype)
        return self.code.conv2d_forward(x, w, b, *self._args())

    def backward(self, grad_out: np.ndarray) -> np.ndarray | None:
        x = self._cached()
        w, _ = self._params(x.dtype)
        dX, dW, db = self.code.conv2d_backward(x, w, grad_out, *self._args())
        self.weight.grad += dW
        if self.bias is not None:
            self.bias.grad += db
        return dX if self.needs_input_grad else None


class _YourPool:
    """Shared by the two pooling layers: square windows, no padding."""

    code: StudentCode
    kernel_size: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]

    def _args(self) -> tuple[int, int]:
        name = type(self).__name__
        if self.padding != (0, 0):
            raise ValueError(f"{name}: your pooling functions take no padding, got {self.padding}")
        return _square(self.kernel_size, "kernel size", name), _square(self.stride, "stride", name)


class YourMaxPool2d(_YourPool, nn.MaxPool2d):
    """``code.maxpool_forward`` and ``code.maxpool_backward``."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.cache = x
        return self.code.maxpool_forward(x, *self._args())

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return self.code.maxpool_backward(self._cached(), grad_out, *self._args())


class YourAvgPool2d(_YourPool, nn.AvgPool2d):
    """``code.avgpool_forward`` and ``code.avgpool_backward``."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.cache = x
        return self.code.avgpool_forward(x, *self._args())

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        return self.code.avgpool_backward(self._cached(), grad_out, *self._args())


class YourDropout(nn.Dropout):
    """``code.dropout_forward`` (with the layer's generator) and ``code.dropout_backward``."""

    code: StudentCode

    def forward(self, x: np.ndarray) -> np.ndarray:
        y, mask = self.code.dropout_forward(x, self.p, self.training, get_rng(self._rng))
        self.cache = (x.shape, mask)
        return y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        _, mask = self._cached()
        return self.code.dropout_backward(grad_out, mask)


class YourCrossEntropyLoss(nn.CrossEntropyLoss):
    """``code.cross_entropy(Z, y)``; backward ``code.softmax_ce_backward(Z, y)`` (class-index targets)."""

    def __init__(self, code: StudentCode) -> None:
        super().__init__()
        self.code = code

    def forward(self, logits: np.ndarray, targets: np.ndarray) -> float:
        self.cache = (logits, targets)
        return float(self.code.cross_entropy(logits, targets))

    def backward(self, grad_out: float = 1.0) -> np.ndarray:
        Z, y = self._cached()
        return self.code.softmax_ce_backward(Z, y) * grad_out


class YourSGD(optim.SGD):
    """SGD whose update is ``code.sgd_step`` (momentum, Nesterov and weight decay as in PyTorch)."""

    def __init__(self, params: Any, code: StudentCode, **kwargs: Any) -> None:
        super().__init__(params, **kwargs)
        self.code = code

    def _update(self, p: nn.Parameter, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        if group.get("dampening", 0):
            raise ValueError("YourSGD: your sgd_step has no dampening; use dampening=0")
        v = state.setdefault("momentum_buffer", np.zeros_like(p.data))
        w, state["momentum_buffer"] = self.code.sgd_step(p.data, grad, v, group["lr"], group["momentum"],
                                                         group["weight_decay"], group["nesterov"])
        p.data[...] = w


class YourAdam(optim.Adam):
    """Adam whose update is ``code.adam_step``; weight decay is added to the gradient first (as ``Adam``)."""

    def __init__(self, params: Any, code: StudentCode, **kwargs: Any) -> None:
        if kwargs.get("amsgrad"):
            raise ValueError("YourAdam: your adam_step has no AMSGrad variant; use amsgrad=False")
        super().__init__(params, **kwargs)
        self.code = code

    def _update(self, p: nn.Parameter, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        if "step" not in state:
            state.update(step=0, exp_avg=np.zeros_like(p.data), exp_avg_sq=np.zeros_like(p.data))
        state["step"] += 1
        g = grad + group["weight_decay"] * p.data if group["weight_decay"] else grad
        (beta1, beta2), t = group["betas"], state["step"]
        w, state["exp_avg"], state["exp_avg_sq"] = self.code.adam_step(
            p.data, g, state["exp_avg"], state["exp_avg_sq"], t, group["lr"], beta1, beta2, group["eps"])
        p.data[...] = w


#: Which library layer becomes which of yours, and the exercises each one runs.
SWAPS: dict[type, tuple[type, tuple[str, ...]]] = {
    nn.Linear: (YourLinear, ("linear_forward", "linear_backward")),
    nn.ReLU: (YourReLU, ("relu_forward", "relu_backward")),
    nn.Conv2d: (YourConv2d, ("conv2d_forward", "conv2d_backward", "im2col", "col2im")),
    nn.MaxPool2d: (YourMaxPool2d, ("maxpool_forward", "maxpool_backward")),
    nn.AvgPool2d: (YourAvgPool2d, ("avgpool_forward", "avgpool_backward")),
    nn.Dropout: (YourDropout, ("dropout_forward", "dropout_backward")),
}


def use_student_code(model: nn.Module, code: StudentCode) -> nn.Module:
    """Switch every layer of ``model`` that has a ``Your...`` twin to it, in place; returns ``model``.

    The weights, the seeded initialisation and everything else stay; only the
    arithmetic changes (the object's class becomes the ``Your...`` subclass).
    """
    for module in model.modules():
        swap = SWAPS.get(type(module))
        if swap is not None:
            module.__class__ = swap[0]
            module.code = code
    return model


def parts_of(model: nn.Module, loss_fn: Any = None, optimizer: Any = None,
             extra: tuple[tuple[str, str], ...] = ()) -> list[tuple[str, str]]:
    """``(part of the network, exercise)`` rows for :meth:`StudentCode.table`, in the order data flows."""
    rows: list[tuple[str, str]] = []
    counts: dict[type, int] = {}
    for module in model.modules():
        base = next((lib for lib, (yours, _) in SWAPS.items() if isinstance(module, yours)), None)
        if base is not None:
            counts[base] = counts.get(base, 0) + 1
    for base, n in counts.items():
        for name in SWAPS[base][1]:
            rows.append((f"{base.__name__} layers ({n})", name))
    if isinstance(loss_fn, YourCrossEntropyLoss):
        rows += [("loss: forward", "cross_entropy"), ("loss: backward", "softmax_ce_backward")]
    if isinstance(optimizer, YourAdam):
        rows.append(("optimizer: Adam", "adam_step"))
    elif isinstance(optimizer, YourSGD):
        rows.append(("optimizer: SGD", "sgd_step"))
    return rows + list(extra)

