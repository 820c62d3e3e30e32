r"""Learning-rate schedulers with PyTorch's semantics, step for step.

A scheduler changes ``group["lr"]`` of every parameter group of an optimizer.
Use it as in PyTorch: build it after the optimizer, then call
``scheduler.step()`` once per epoch (or per batch), *after*
``optimizer.step()``::

    opt = SGD(model.parameters(), lr=0.1)
    sched = StepLR(opt, step_size=30, gamma=0.1)
    for epoch in range(100):
        train_one_epoch(model, opt)      # calls opt.step() many times
        sched.step()

Semantics shared by all schedulers (as in ``torch.optim.lr_scheduler``):

* ``last_epoch`` counts the ``step()`` calls. Construction performs an
  *initial step* that sets ``last_epoch`` from -1 to 0 and writes the lr
  for epoch 0 (for most schedulers the optimizer's lr itself; ``LinearLR``
  multiplies it by ``start_factor`` already).
* Each group's starting lr is stored in the group as ``"initial_lr"`` and
  copied to ``base_lrs``.
* Like PyTorch, the schedulers are *chainable*: ``step()`` computes the new
  lr from the group's *current* lr (``lr * gamma``, and a recursive form of
  cosine annealing), so changes made by someone else (another scheduler, a
  slider) are kept. Each class's docstring gives the closed form too; the
  two agree to the last few bits when nothing else touches the lr.
* ``get_last_lr()`` returns the lrs written by the last ``step()``;
  ``state_dict()`` / ``load_state_dict()`` save and restore the counters.

nnedu additions: ``StepLR``, ``MultiStepLR`` and ``ExponentialLR`` take an
optional floor ``min_lr`` at which the decay stops (PyTorch's versions
decay forever); and bad arguments (milestones not increasing, non-positive
``step_size`` or ``T_max``, ...) raise ``ValueError`` where PyTorch may not
check.
"""
from __future__ import annotations

import copy
import math
from bisect import bisect_right
from typing import Any, Iterable, Sequence

import numpy as np

from nnedu.optim.optimizer import Optimizer

__all__ = ["LRScheduler", "StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR",
           "LinearLR", "SequentialLR", "ReduceLROnPlateau"]


def _check_positive_int(owner: str, name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{owner}: {name} must be a positive integer, got {value!r}")


def _check_positive(owner: str, name: str, value: float) -> None:
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{owner}: {name} must be a finite number > 0, got {value!r}")


def _check_min_lr(owner: str, min_lr: float) -> None:
    if min_lr < 0:
        raise ValueError(f"{owner}: min_lr must be >= 0, got {min_lr}")


def _decay(lr: float, factor: float, min_lr: float) -> float:
    """``lr * factor``, but not below the floor ``min_lr`` (an lr already under the floor is kept)."""
    return max(lr * factor, min(lr, min_lr))


def _check_milestones(owner: str, milestones: Sequence[int]) -> list[int]:
    milestones = list(milestones)
    for m in milestones:
        if isinstance(m, bool) or not isinstance(m, int) or m <= 0:
            raise ValueError(f"{owner}: milestones must be positive integers, got {milestones}")
    if any(a >= b for a, b in zip(milestones, milestones[1:])):
        raise ValueError(f"{owner}: milestones must be strictly increasing, got {milestones}")
    return milestones


def _kind(value: Any) -> str:
    """What kind of value a saved scheduler attribute is: flag, number, list, string."""
    if isinstance(value, (bool, np.bool_)):
        return "flag"
    if isinstance(value, (int, float, np.integer, np.floating)):
        return "number"
    return "list" if isinstance(value, (list, tuple)) else type(value).__name__


class LRScheduler:
    """Base class: bookkeeping of ``last_epoch``, ``base_lrs`` and the initial step.

    Sub-classes implement :meth:`get_lr` (the lrs for the new ``last_epoch``,
    usually from the current ones) and :meth:`_get_closed_form_lr` (the same
    from ``base_lrs`` and ``last_epoch`` only).

    Parameters
    ----------
    optimizer : Optimizer
        Whose ``param_groups[i]["lr"]`` to set.
    last_epoch : int
        -1 (default) starts a new schedule. To resume, load the saved
        :meth:`state_dict` instead.
    """

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: expected an nnedu.optim.Optimizer, "
                            f"got {type(optimizer).__name__}")
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(f"{type(self).__name__}: param_groups[{i}] has no 'initial_lr'; "
                                   "last_epoch >= 0 is only for resuming a schedule")
        self.base_lrs: list[float] = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._is_initial = False
        self._initial_step()

    def _initial_step(self) -> None:
        """The step at construction: ``last_epoch`` -1 -> 0, lr for epoch 0."""
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self) -> list[float]:
        """The lrs for the new ``last_epoch``; called by :meth:`step`."""
        raise NotImplementedError(f"{type(self).__name__} must implement get_lr()")

    def step(self) -> None:
        """Advance the schedule by one epoch and write the new lrs into the optimizer."""
        self._step_count += 1
        self._update_lr()

    def _update_lr(self, epoch: int | None = None) -> None:
        """Set the lrs for ``last_epoch + 1`` (recursively), or for ``epoch`` (closed form)."""
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:
            self.last_epoch = epoch
            values = self._get_closed_form_lr()
        for group, lr in zip(self.optimizer.param_groups, values):
            group["lr"] = lr
        self._last_lr = self._current_lrs()

    def _get_closed_form_lr(self) -> list[float]:
        return self.get_lr()

    def _current_lrs(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        """The lrs (one per parameter group) written by the most recent :meth:`step`."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """A copy of every attribute except the optimizer (save the optimizer separately)."""
        return {k: copy.deepcopy(v) for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the attributes saved by :meth:`state_dict`.

        Only the attributes :meth:`state_dict` has, each of the same kind
        (number, list, string, flag), so a saved state cannot set anything else.
        """
        self._check_state_dict(state_dict)
        self.__dict__.update(copy.deepcopy(state_dict))

    def _check_state_dict(self, state_dict: dict[str, Any]) -> None:
        own = self.state_dict()
        name = type(self).__name__
        if not isinstance(state_dict, dict):
            raise TypeError(f"{name}.load_state_dict: expected a dict, got {type(state_dict).__name__}")
        unknown = sorted(set(state_dict) - set(own), key=str)
        if unknown:
            raise ValueError(f"{name}.load_state_dict: unknown entries {unknown}; a {name} has {sorted(own)}")
        for key, value in state_dict.items():
            if _kind(value) != _kind(own[key]):
                raise ValueError(f"{name}.load_state_dict: '{key}' must be a {_kind(own[key])}, got {value!r}")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(last_epoch={self.last_epoch}, last_lr={self.get_last_lr()})"


class StepLR(LRScheduler):
    r"""Multiply the lr by :math:`\gamma` every ``step_size`` epochs.

    .. math::

        \eta_t = \eta_0\, \gamma^{\lfloor t / \text{step\_size} \rfloor}

    computed, as in PyTorch, as :math:`\eta_t = \gamma\,\eta_{t-1}` when
    :math:`t` is a positive multiple of ``step_size`` and
    :math:`\eta_t = \eta_{t-1}` otherwise.

    Parameters
    ----------
    optimizer : Optimizer
    step_size : int
        Period of the decay, > 0.
    gamma : float
        Decay factor, > 0.
    last_epoch : int
        -1 to start a new schedule.
    min_lr : float
        nnedu addition: the decay stops at this floor (never raises an lr).
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1,
                 *, min_lr: float = 0.0) -> None:
        _check_positive_int("StepLR", "step_size", step_size)
        _check_positive("StepLR", "gamma", gamma)
        _check_min_lr("StepLR", min_lr)
        self.step_size, self.gamma, self.min_lr = step_size, gamma, min_lr
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        t = self.last_epoch
        if t == 0 or t % self.step_size != 0:
            return self._current_lrs()
        return [_decay(lr, self.gamma, self.min_lr) for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        k = self.last_epoch // self.step_size
        return [_decay(base, self.gamma ** k, self.min_lr) for base in self.base_lrs]


class MultiStepLR(LRScheduler):
    r"""Multiply the lr by :math:`\gamma` at each milestone epoch.

    .. math::

        \eta_t = \eta_0\, \gamma^{\#\{m \in \text{milestones} \,:\, m \le t\}}

    computed, as in PyTorch, as :math:`\eta_t = \gamma\,\eta_{t-1}` when
    :math:`t` is a milestone.

    Parameters
    ----------
    optimizer : Optimizer
    milestones : sequence of int
        Strictly increasing positive epochs, e.g. ``[30, 80]``.
    gamma : float
        Decay factor, > 0.
    last_epoch : int
        -1 to start a new schedule.
    min_lr : float
        nnedu addition: the decay stops at this floor (never raises an lr).
    """

    def __init__(self, optimizer: Optimizer, milestones: Iterable[int], gamma: float = 0.1,
                 last_epoch: int = -1, *, min_lr: float = 0.0) -> None:
        self.milestones = _check_milestones("MultiStepLR", list(milestones))
        _check_positive("MultiStepLR", "gamma", gamma)
        _check_min_lr("MultiStepLR", min_lr)
        self.gamma, self.min_lr = gamma, min_lr
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch not in self.milestones:
            return self._current_lrs()
        return [_decay(lr, self.gamma, self.min_lr) for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        k = bisect_right(self.milestones, self.last_epoch)
        return [_decay(base, self.gamma ** k, self.min_lr) for base in self.base_lrs]


class ExponentialLR(LRScheduler):
    r"""Multiply the lr by :math:`\gamma` every epoch.

    .. math::

        \eta_t = \eta_0\, \gamma^{t}, \qquad\text{computed as}\qquad \eta_t = \gamma\,\eta_{t-1}

    Parameters
    ----------
    optimizer : Optimizer
    gamma : float
        Decay factor, > 0.
    last_epoch : int
        -1 to start a new schedule.
    min_lr : float
        nnedu addition: the decay stops at this floor (never raises an lr).
    """

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1, *, min_lr: float = 0.0) -> None:
        _check_positive("ExponentialLR", "gamma", gamma)
        _check_min_lr("ExponentialLR", min_lr)
        self.gamma, self.min_lr = gamma, min_lr
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self._is_initial:
            return self._current_lrs()
        return [_decay(lr, self.gamma, self.min_lr) for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        return [_decay(base, self.gamma ** self.last_epoch, self.min_lr) for base in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    r"""Cosine annealing from the initial lr :math:`\eta_0` down to :math:`\eta_{\min}` in ``T_max`` epochs.

    Closed form (Loshchilov & Hutter, SGDR, without restarts):

    .. math::

        \eta_t = \eta_{\min} + \tfrac12 (\eta_0 - \eta_{\min})
                 \left(1 + \cos\frac{\pi t}{T_{\max}}\right)

    After ``T_max`` the lr rises again along the same cosine (period
    :math:`2T_{\max}`), as in PyTorch. Like PyTorch, ``step()`` applies it
    recursively, so that it composes with other changes to the lr:

    .. math::

        \eta_t = \eta_{\min} + (\eta_{t-1} - \eta_{\min})
                 \frac{1 + \cos(\pi t / T_{\max})}{1 + \cos(\pi (t-1) / T_{\max})}

    (at the bottom of the cosine, where that ratio is 0/0, it adds the first
    rise :math:`\tfrac12(\eta_0-\eta_{\min})(1-\cos(\pi/T_{\max}))` instead).
    The two forms agree to the last few bits.

    Parameters
    ----------
    optimizer : Optimizer
    T_max : int
        Half-period in epochs, > 0.
    eta_min : float
        Lowest lr, >= 0.
    last_epoch : int
        -1 to start a new schedule.
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1) -> None:
        _check_positive_int("CosineAnnealingLR", "T_max", T_max)
        if not (math.isfinite(eta_min) and eta_min >= 0):
            raise ValueError(f"CosineAnnealingLR: eta_min must be >= 0, got {eta_min}")
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        t, T, lo = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return self._current_lrs()
        if self._step_count == 1 and t > 0:   # first step of a resumed schedule: closed form
            return self._get_closed_form_lr()
        if (t - 1 - T) % (2 * T) == 0:        # leaving the bottom of the cosine
            return [lr + (base - lo) * (1 - math.cos(math.pi / T)) / 2
                    for lr, base in zip(self._current_lrs(), self.base_lrs)]
        ratio = (1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T))
        return [ratio * (lr - lo) + lo for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        t, T, lo = self.last_epoch, self.T_max, self.eta_min
        return [lo + (base - lo) * (1 + math.cos(math.pi * t / T)) / 2 for base in self.base_lrs]


class LinearLR(LRScheduler):
    r"""Scale the lr by a factor that moves linearly from ``start_factor`` to ``end_factor``.

    The usual *warm-up*: start small (e.g. ``start_factor=0.1``), reach the
    full lr after ``total_iters`` steps, then stay there.

    .. math::

        \eta_t = \eta_0 \left(s + (e - s)\, \frac{\min(t, T)}{T}\right)

    with :math:`s` = ``start_factor``, :math:`e` = ``end_factor``,
    :math:`T` = ``total_iters``. Like PyTorch, ``step()`` applies it as the
    ratio of consecutive factors,
    :math:`\eta_t = \eta_{t-1}\left(1 + \frac{e - s}{T s + (t-1)(e-s)}\right)`
    for :math:`1 \le t \le T`.

    Parameters
    ----------
    optimizer : Optimizer
    start_factor : float
        In (0, 1].
    end_factor : float
        In [0, 1].
    total_iters : int
        Length of the ramp, > 0.
    last_epoch : int
        -1 to start a new schedule.
    """

    def __init__(self, optimizer: Optimizer, start_factor: float = 1.0 / 3, end_factor: float = 1.0,
                 total_iters: int = 5, last_epoch: int = -1) -> None:
        if not 0 < start_factor <= 1:
            raise ValueError(f"LinearLR: start_factor must be in (0, 1], got {start_factor}")
        if not 0 <= end_factor <= 1:
            raise ValueError(f"LinearLR: end_factor must be in [0, 1], got {end_factor}")
        _check_positive_int("LinearLR", "total_iters", total_iters)
        self.start_factor, self.end_factor, self.total_iters = start_factor, end_factor, total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        t, s, e, T = self.last_epoch, self.start_factor, self.end_factor, self.total_iters
        if t == 0:
            return [lr * s for lr in self._current_lrs()]
        if self._is_initial or t > T:
            return self._current_lrs()
        return [lr * (1.0 + (e - s) / (T * s + (t - 1) * (e - s))) for lr in self._current_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        t, s, e, T = self.last_epoch, self.start_factor, self.end_factor, self.total_iters
        return [base * (s + (e - s) * min(T, t) / T) for base in self.base_lrs]


class SequentialLR(LRScheduler):
    """Run one scheduler after another, switching at the milestone epochs.

    ``SequentialLR(opt, [warmup, cosine], milestones=[5])`` uses ``warmup``
    for epochs 0-4 and ``cosine`` from epoch 5 on; at the switch the next
    scheduler restarts from its own epoch 0 (and from ``initial_lr``), as in
    PyTorch.

    Parameters
    ----------
    optimizer : Optimizer
        The optimizer of every scheduler in ``schedulers``.
    schedulers : list of LRScheduler
        Built on ``optimizer`` before this (not ``ReduceLROnPlateau``).
    milestones : list of int
        Strictly increasing, ``len(schedulers) - 1`` of them.
    last_epoch : int
        -1 to start a new schedule.
    """

    def __init__(self, optimizer: Optimizer, schedulers: list[LRScheduler], milestones: list[int],
                 last_epoch: int = -1) -> None:
        if len(schedulers) < 1:
            raise ValueError("SequentialLR: expects at least one scheduler")
        for i, s in enumerate(schedulers):
            if isinstance(s, ReduceLROnPlateau):
                raise ValueError(f"SequentialLR: scheduler {i} is a ReduceLROnPlateau, which needs a metric "
                                 "in step() and cannot be sequenced")
            if not isinstance(s, LRScheduler):
                raise TypeError(f"SequentialLR: scheduler {i} is a {type(s).__name__}, not an LRScheduler")
            if s.optimizer is not optimizer:
                raise ValueError(f"SequentialLR: scheduler {i} ({type(s).__name__}) belongs to a different optimizer")
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(f"SequentialLR: expects len(schedulers) - 1 = {len(schedulers) - 1} milestones, "
                             f"got {len(milestones)}")
        self._milestones = _check_milestones("SequentialLR", milestones)
        self._schedulers = list(schedulers)
        self.optimizer = optimizer
        self.last_epoch = last_epoch + 1
        for group in optimizer.param_groups:      # undo what the schedulers' initial steps did
            group["lr"] = group["initial_lr"]
        self._undo_initial_steps(self._schedulers)
        first = self._schedulers[bisect_right(self._milestones, 0)]
        first._initial_step()
        self._last_lr = first.get_last_lr()

    @staticmethod
    def _undo_initial_steps(schedulers: list[LRScheduler]) -> None:
        for s in schedulers:
            if isinstance(s, SequentialLR):
                SequentialLR._undo_initial_steps(s._schedulers)
            else:
                s.last_epoch -= 1

    def step(self) -> None:
        """Step the scheduler responsible for the new epoch (restart it at its milestone)."""
        self.last_epoch += 1
        idx = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[idx]
        if idx > 0 and self._milestones[idx - 1] == self.last_epoch:
            scheduler._update_lr(0)
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()

    def state_dict(self) -> dict[str, Any]:
        """Own counters plus the state of every sub-scheduler."""
        state = {k: copy.deepcopy(v) for k, v in self.__dict__.items() if k not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` saved, sub-schedulers included."""
        self._check_state_dict(state_dict)
        if len(state_dict["_schedulers"]) != len(self._schedulers):
            raise ValueError(f"SequentialLR.load_state_dict: {len(state_dict['_schedulers'])} saved schedulers, "
                             f"expected {len(self._schedulers)}")
        own = {k: copy.deepcopy(v) for k, v in state_dict.items() if k != "_schedulers"}
        self.__dict__.update(own)
        for s, saved in zip(self._schedulers, state_dict["_schedulers"]):
            s.load_state_dict(saved)


class ReduceLROnPlateau(LRScheduler):
    r"""Multiply the lr by ``factor`` when a monitored metric stops improving.

    Call ``step(metric)`` once per epoch with e.g. the validation loss. A
    value is an improvement if (``mode="min"``, ``threshold_mode="rel"``)
    :math:`x < \text{best}\,(1 - \text{threshold})`; with
    ``threshold_mode="abs"``, :math:`x < \text{best} - \text{threshold}`
    (mirrored for ``mode="max"``). After more than ``patience`` epochs in a
    row without improvement,

    .. math::

        \eta \leftarrow \max(\eta \cdot \text{factor},\ \text{min\_lr})

    (skipped if it would change :math:`\eta` by less than ``eps``), then
    ``cooldown`` epochs are ignored before counting again. No initial step:
    the lr is unchanged until the first reduction.

    Parameters
    ----------
    optimizer : Optimizer
    mode : {"min", "max"}
        Whether the metric should go down (a loss) or up (an accuracy).
    factor : float
        In (0, 1).
    patience : int
        Bad epochs tolerated before reducing, >= 0.
    threshold : float
        Size of a significant improvement, >= 0.
    threshold_mode : {"rel", "abs"}
    cooldown : int
        Epochs to wait after a reduction, >= 0.
    min_lr : float or list of float
        Floor, for all groups or per group.
    eps : float
        Smallest change of lr worth making.
    """

    def __init__(self, optimizer: Optimizer, mode: str = "min", factor: float = 0.1, patience: int = 10,
                 threshold: float = 1e-4, threshold_mode: str = "rel", cooldown: int = 0,
                 min_lr: float | Sequence[float] = 0.0, eps: float = 1e-8) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"ReduceLROnPlateau: expected an nnedu.optim.Optimizer, got {type(optimizer).__name__}")
        if mode not in ("min", "max"):
            raise ValueError(f"ReduceLROnPlateau: mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"ReduceLROnPlateau: threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}")
        if not 0 < factor < 1:
            raise ValueError(f"ReduceLROnPlateau: factor must be in (0, 1), got {factor}")
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 0:
            raise ValueError(f"ReduceLROnPlateau: patience must be an integer >= 0, got {patience!r}")
        if isinstance(cooldown, bool) or not isinstance(cooldown, int) or cooldown < 0:
            raise ValueError(f"ReduceLROnPlateau: cooldown must be an integer >= 0, got {cooldown!r}")
        if threshold < 0:
            raise ValueError(f"ReduceLROnPlateau: threshold must be >= 0, got {threshold}")
        n = len(optimizer.param_groups)
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != n:
                raise ValueError(f"ReduceLROnPlateau: expected {n} min_lr values (one per group), got {len(min_lr)}")
            self.min_lrs = [float(m) for m in min_lr]
        else:
            self.min_lrs = [float(min_lr)] * n
        if any(m < 0 for m in self.min_lrs):
            raise ValueError(f"ReduceLROnPlateau: min_lr must be >= 0, got {min_lr}")
        self.optimizer = optimizer
        self.mode, self.factor, self.patience = mode, factor, patience
        self.threshold, self.threshold_mode = threshold, threshold_mode
        self.cooldown, self.eps = cooldown, eps
        self.last_epoch = 0
        self._last_lr = self._current_lrs()
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0

    def is_better(self, a: float, best: float) -> bool:
        """Whether metric value ``a`` is a significant improvement on ``best``."""
        if self.mode == "min":
            return a < best * (1 - self.threshold) if self.threshold_mode == "rel" else a < best - self.threshold
        return a > best * (1 + self.threshold) if self.threshold_mode == "rel" else a > best + self.threshold

    @property
    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def step(self, metrics: float) -> None:  # type: ignore[override]
        """Record this epoch's metric and reduce the lr if it has plateaued."""
        current = float(metrics)
        self.last_epoch += 1
        if self.is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0              # bad epochs during cooldown do not count
        if self.num_bad_epochs > self.patience:
            for group, floor in zip(self.optimizer.param_groups, self.min_lrs):
                old = group["lr"]
                new = max(old * self.factor, floor)
                if old - new > self.eps:
                    group["lr"] = new
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = self._current_lrs()
