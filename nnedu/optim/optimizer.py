"""The base class of every optimizer: parameter groups, per-parameter state, saving.

An optimizer holds references to :class:`~nnedu.nn.Parameter` objects. After
``backward`` has filled every ``p.grad``, :meth:`Optimizer.step` changes every
``p.data`` *in place* by the class's update rule. The names and the layout of
:meth:`Optimizer.state_dict` follow ``torch.optim.Optimizer``:

* ``param_groups`` is a list of dicts. Each has a ``"params"`` list and one
  value per hyper-parameter (``"lr"``, ``"momentum"``, ...). Schedulers and
  sliders change ``group["lr"]`` while training runs.
* ``state`` maps each parameter to a dict of its running buffers (momentum,
  moment estimates, step counts), created on the first :meth:`step`.
"""
from __future__ import annotations

import copy
import math
from typing import Any, Callable, Iterable

import numpy as np

from nnedu.nn.parameter import Parameter

ParamsT = Iterable[Parameter] | Iterable[dict[str, Any]]


def _is_real(value: Any) -> bool:
    """A real number (Python or NumPy), not a bool, string or array."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


class Optimizer:
    """Base class: holds parameter groups and state; sub-classes implement :meth:`step`.

    Parameters
    ----------
    params : iterable of Parameter, or iterable of dict
        What to optimise, usually ``model.parameters()``. Alternatively a list
        of *parameter groups*: dicts with a ``"params"`` entry and optional
        hyper-parameter overrides, e.g.
        ``[{"params": body.parameters()}, {"params": head.parameters(), "lr": 0.1}]``.
        A single Parameter is accepted too.
    defaults : dict
        Hyper-parameter values used by groups that do not set their own.

    Raises
    ------
    ValueError
        Empty parameter list, a parameter listed twice, or an invalid
        hyper-parameter (checked by the sub-class's ``_validate_group``).
    TypeError
        Something that is not a :class:`~nnedu.nn.Parameter` in ``params``.
    """

    def __init__(self, params: ParamsT, defaults: dict[str, Any]) -> None:
        self.defaults: dict[str, Any] = dict(defaults)
        self.param_groups: list[dict[str, Any]] = []
        self.state: dict[Parameter, dict[str, Any]] = {}
        if callable(getattr(params, "parameters", None)):
            raise TypeError(f"{self._name}: expected the parameters of a model, got the model itself "
                            f"({type(params).__name__}); pass model.parameters()")
        if isinstance(params, (Parameter, dict)):
            params = [params]  # a single parameter or a single group
        if isinstance(params, (set, frozenset)):
            raise TypeError(f"{self._name}: params must be an ordered iterable (a list), not a set, "
                            "so that the state dict order is reproducible")
        param_list = list(params)
        if len(param_list) == 0:
            raise ValueError(f"{self._name}: got an empty parameter list; pass model.parameters() "
                             "of a model that has parameters")
        groups = param_list if isinstance(param_list[0], dict) else [{"params": param_list}]
        for group in groups:
            self.add_param_group(group)

    @property
    def _name(self) -> str:
        return type(self).__name__

    # -- groups and validation -------------------------------------------------
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own hyper-parameters (e.g. a new layer).

        Missing hyper-parameters are taken from ``defaults``.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"{self._name}: a parameter group must be a dict, got {type(param_group).__name__}")
        group = dict(param_group)
        params = group.get("params")
        if params is None:
            raise ValueError(f"{self._name}: a parameter group needs a 'params' entry")
        params = [params] if isinstance(params, Parameter) else list(params)
        if len(params) == 0:
            raise ValueError(f"{self._name}: got a parameter group with an empty parameter list")
        for p in params:
            if not isinstance(p, Parameter):
                raise TypeError(f"{self._name}: can only optimise nnedu.nn.Parameter objects, "
                                f"got {type(p).__name__}")
            if p.dtype not in (np.float32, np.float64):
                raise TypeError(f"{self._name}: parameters must be float32 or float64, got a {p.dtype} "
                                f"parameter of shape {p.shape} (float16 overflows and underflows in the "
                                "update rules); convert it with p.data = p.data.astype(np.float32)")
        ids = [id(p) for p in params]
        if len(set(ids)) != len(ids):
            raise ValueError(f"{self._name}: a parameter group lists the same parameter twice")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if seen & set(ids):
            raise ValueError(f"{self._name}: some parameters appear in more than one parameter group")
        group["params"] = params
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        self._validate_group(group)
        self.param_groups.append(group)

    def _validate_group(self, group: dict[str, Any]) -> None:
        """Check one group's hyper-parameters; sub-classes extend this."""
        self._check_nonnegative(group, "lr")

    def _check_nonnegative(self, group: dict[str, Any], *names: str) -> None:
        for name in names:
            value = group[name]
            if not _is_real(value) or not math.isfinite(value) or value < 0:
                raise ValueError(f"{self._name}: {name} must be a finite number >= 0, got {value!r}")

    def _check_unit_interval(self, group: dict[str, Any], name: str, value: float) -> None:
        """Check ``0 <= value < 1`` (a decay rate such as a beta or alpha)."""
        if not _is_real(value) or not 0.0 <= value < 1.0:
            raise ValueError(f"{self._name}: {name} must be in [0, 1), got {value!r}")

    # -- training ----------------------------------------------------------------
    def zero_grad(self) -> None:
        """Set the gradient of every parameter to zero (``backward`` adds to it)."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    p.grad[...] = 0

    def step(self, closure: Callable[[], float] | None = None) -> float | None:
        """Update every parameter once, in place, from its current ``.grad``.

        Parameters
        ----------
        closure : callable, optional
            Re-computes the loss and the gradients and returns the loss; it
            is called first and its value is returned (as in PyTorch).
        """
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            self._validate_group(group)  # a scheduler, a slider or a user may have changed group["lr"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state.setdefault(p, {})
                self._update(p, p.grad, state, group)
        return loss

    def _update(self, p: Parameter, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        """Apply the update rule to one parameter; sub-classes implement this."""
        raise NotImplementedError(f"{self._name} must implement _update()")

    # -- saving -------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Return a copy of the optimizer's state, for exact resumption.

        Layout as in PyTorch: parameters are replaced by their position
        ``0, 1, 2, ...`` in the order of ``param_groups``::

            {"state": {0: {"step": 3, "exp_avg": array, ...}, ...},
             "param_groups": [{"lr": 0.001, ..., "params": [0, 1]}, ...]}

        Arrays are copied, so further training does not change a saved dict.
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            saved = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            saved["params"] = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                saved["params"].append(index[id(p)])
            groups.append(saved)
        state = {index[id(p)]: copy.deepcopy(s) for p, s in self.state.items() if id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore hyper-parameters and buffers saved by :meth:`state_dict`.

        The optimizer must have been built on the same parameters (same
        groups, same shapes, same order). Buffers are copied and cast to each
        parameter's dtype.

        Raises
        ------
        ValueError
            The number of groups, the group sizes or a buffer's shape differ,
            or a saved hyper-parameter is invalid (e.g. a NaN or negative lr).
        """
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"{self._name}.load_state_dict: the state dict has {len(saved_groups)} "
                             f"parameter groups but the optimizer has {len(self.param_groups)}")
        for i, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(f"{self._name}.load_state_dict: parameter group {i} has "
                                 f"{len(saved['params'])} parameters in the state dict but "
                                 f"{len(group['params'])} in the optimizer")
        for saved, group in zip(saved_groups, self.param_groups):
            unknown = sorted(set(saved) - set(group) - {"initial_lr"})  # initial_lr: set by a scheduler
            if unknown:
                raise ValueError(f"{self._name}.load_state_dict: unknown hyper-parameters {unknown}")
            merged = {**group, **saved}
            self._validate_group(merged)
            if "initial_lr" in merged:
                self._check_nonnegative(merged, "initial_lr")
        new_state: dict[Parameter, dict[str, Any]] = {}
        for saved, group in zip(saved_groups, self.param_groups):
            for key, p in zip(saved["params"], group["params"]):
                if key not in state_dict["state"]:
                    continue
                buffers = {}
                for name, value in state_dict["state"][key].items():
                    if isinstance(value, np.ndarray):
                        if value.shape != p.shape or value.dtype.kind not in "biuf":
                            raise ValueError(f"{self._name}.load_state_dict: buffer '{name}' has shape "
                                             f"{value.shape} ({value.dtype}) but its parameter has shape "
                                             f"{p.shape}")
                        value = value.astype(p.dtype, copy=True)
                    else:
                        value = copy.deepcopy(value)
                    buffers[name] = value
                new_state[p] = buffers
        for saved, group in zip(saved_groups, self.param_groups):
            for k, v in saved.items():
                if k != "params":
                    group[k] = copy.deepcopy(v)
        self.state = new_state

    def __repr__(self) -> str:
        lines = [f"{self._name} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(k for k in group if k != "params"):
                lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)
