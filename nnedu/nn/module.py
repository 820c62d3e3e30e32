"""The base class of every layer, loss and model.

Each layer follows the cache discipline of CS231n's ``layers.py``:
``forward(x)`` computes the output and keeps in ``self.cache`` exactly what
``backward`` will need; ``backward(grad_out)`` turns dL/d(output) into
dL/d(input), *adds* dL/d(parameter) to each ``Parameter.grad`` and returns
dL/d(input). Names follow ``torch.nn.Module``.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Iterator

import numpy as np

from nnedu.nn._checks import check_inputs
from nnedu.nn.parameter import Parameter


class Module:
    """Base class: parameters, buffers, sub-modules, train/eval mode, state dicts.

    Sub-classes set parameters and sub-modules as attributes; they are found
    in the order they were assigned. Non-trainable state that must be saved
    (BatchNorm's running statistics) is registered with :meth:`register_buffer`.
    """

    def __init__(self) -> None:
        self.training: bool = True
        self.cache: Any = None
        self._buffer_names: list[str] = []

    # -- computation ---------------------------------------------------------
    def forward(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} must implement forward()")

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} must implement backward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        check_inputs(type(self).__name__, args)  # real numbers, at least one example
        return self.forward(*args, **kwargs)

    def _cached(self) -> Any:
        """Return what forward() saved, or fail clearly if forward() has not run."""
        if self.cache is None:
            raise RuntimeError(
                f"{type(self).__name__}.backward() called before forward(): "
                "run a forward pass first"
            )
        return self.cache

    # -- structure -----------------------------------------------------------
    def register_buffer(self, name: str, value: np.ndarray) -> None:
        """Keep ``value`` as attribute ``name`` and save it in the state dict."""
        setattr(self, name, value)
        if name not in self._buffer_names:
            self._buffer_names.append(name)

    def named_children(self) -> Iterator[tuple[str, "Module"]]:
        for name, value in vars(self).items():
            if isinstance(value, Module):
                yield name, value

    def children(self) -> Iterator["Module"]:
        for _, m in self.named_children():
            yield m

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, "Module"]]:
        yield prefix, self
        for name, child in self.named_children():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name)

    def modules(self) -> Iterator["Module"]:
        for _, m in self.named_modules():
            yield m

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """Yield ``(name, parameter)`` pairs, e.g. ``("0.weight", Parameter)``."""
        for name, value in vars(self).items():
            full = f"{prefix}.{name}" if prefix else name
            if isinstance(value, Parameter):
                yield full, value
            elif isinstance(value, Module):
                yield from value.named_parameters(full)

    def parameters(self) -> Iterator[Parameter]:
        for _, p in self.named_parameters():
            yield p

    def named_buffers(self, prefix: str = "") -> Iterator[tuple[str, np.ndarray]]:
        for name, m in self.named_modules(prefix):
            for b in m._buffer_names:
                yield (f"{name}.{b}" if name else b), getattr(m, b)

    def num_parameters(self) -> int:
        """Total number of trainable scalars."""
        return sum(p.size for p in self.parameters())

    # -- modes and gradients ---------------------------------------------------
    def train(self, mode: bool = True) -> "Module":
        """Switch to training mode (BatchNorm uses batch statistics, Dropout drops)."""
        for m in self.modules():
            m.training = mode
        return self

    def eval(self) -> "Module":
        """Switch to evaluation mode; same as ``train(False)``."""
        return self.train(False)

    def zero_grad(self) -> None:
        """Set every parameter's gradient to zero."""
        for p in self.parameters():
            p.zero_grad()

    # -- saving ------------------------------------------------------------------
    def state_dict(self) -> "OrderedDict[str, np.ndarray]":
        """Copies of all parameters and buffers, keyed by their dotted names."""
        state: OrderedDict[str, np.ndarray] = OrderedDict()
        for name, p in self.named_parameters():
            state[name] = p.data.copy()
        for name, b in self.named_buffers():
            state[name] = np.array(b, copy=True)
        return state

    def load_state_dict(self, state_dict: dict[str, np.ndarray], strict: bool = True) -> None:
        """Copy values from ``state_dict`` into this module's parameters and buffers, in place.

        Raises
        ------
        KeyError
            ``strict`` and a key is missing or unexpected.
        ValueError
            A value's shape differs from the parameter's; the message names both.
        """
        targets: dict[str, np.ndarray] = {n: p.data for n, p in self.named_parameters()}
        targets.update(dict(self.named_buffers()))
        missing = [k for k in targets if k not in state_dict]
        unexpected = [k for k in state_dict if k not in targets]
        if strict and (missing or unexpected):
            raise KeyError(
                f"{type(self).__name__}.load_state_dict: missing keys {missing}, unexpected keys {unexpected}"
            )
        for name, target in targets.items():
            if name not in state_dict:
                continue
            value = np.asarray(state_dict[name])
            if value.shape != target.shape:
                raise ValueError(
                    f"{type(self).__name__}.load_state_dict: parameter '{name}' has shape "
                    f"{target.shape} in the model but {value.shape} in the state dict"
                )
            target[...] = value

    # -- printing -----------------------------------------------------------------
    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        children = list(self.named_children())
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"{type(self).__name__}("]
        for name, child in children:
            body = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {body}")
        lines.append(")")
        return "\n".join(lines)
