r"""Checks for notebook 06: learning-rate schedules as closed-form functions of the epoch.

The student writes, for epochs ``t = 0, 1, 2, ...`` (the rate used *during* epoch ``t``):

* ``step_lr(epoch, base_lr, step_size, gamma=0.1) = base_lr * gamma ** (epoch // step_size)``;
* ``multistep_lr(epoch, base_lr, milestones, gamma=0.1) = base_lr * gamma ** #{m in milestones: m <= epoch}``;
* ``exponential_lr(epoch, base_lr, gamma) = base_lr * gamma ** epoch``;
* ``cosine_lr(epoch, base_lr, T_max, eta_min=0) = eta_min + (base_lr - eta_min) (1 + cos(pi epoch / T_max)) / 2``.

These are the rates of PyTorch's ``StepLR``, ``MultiStepLR``, ``ExponentialLR`` and
``CosineAnnealingLR`` (and of :mod:`nnedu.optim.lr_scheduler`) stepped once per epoch. Each case
is one epoch; the epochs are chosen at and next to the boundaries where off-by-one mistakes show.
"""
from __future__ import annotations

import math
from typing import Callable

from nnedu.exercises import reference as ref
from nnedu.exercises.checker import Bug, Case, Exercise, check
from nnedu.exercises.report import CheckResult
from nnedu.optim import lr_scheduler as sched

NOTEBOOK = "06_optimizers_schedulers"


def _step_lr_exercise() -> Exercise:
    cases = [
        Case("epoch 0: the first epoch runs at base_lr", (0, 0.1, 5)),
        Case("epoch 3 with step_size 5: still the first period", (3, 0.1, 5)),
        Case("epoch 4 with step_size 5: still the first period", (4, 0.1, 5),
             hint="epochs 0..4 are the first period of 5 epochs; the first drop is in epoch 5"),
        Case("epoch 5 with step_size 5: the first drop", (5, 0.1, 5)),
        Case("epoch 23 with step_size 10, gamma 0.5", (23, 0.2, 10), {"gamma": 0.5},
             hint="two full periods of 10 epochs have passed"),
    ]
    return Exercise(
        "step_lr", ref.step_lr, cases, ("lr",), notebook=NOTEBOOK,
        hint="the rate is multiplied by gamma once at the end of every period of step_size epochs; count "
             "how many complete periods lie before this epoch",
        formula="lr = base_lr * gamma ** (epoch // step_size)",
        bugs=[
            Bug("you multiplied by gamma every epoch (that is ExponentialLR): StepLR multiplies once per "
                "step_size epochs", lambda epoch, base_lr, step_size, gamma=0.1: base_lr * gamma ** epoch),
            Bug("your schedule is one epoch early: epoch counts from 0, so epochs 0 .. step_size - 1 run at "
                "base_lr (did you use epoch + 1?)",
                lambda epoch, base_lr, step_size, gamma=0.1: base_lr * gamma ** ((epoch + 1) // step_size)),
            Bug("you rounded epoch / step_size to the nearest whole number: a period counts only once it is "
                "complete, so round down (epoch // step_size)",
                lambda epoch, base_lr, step_size, gamma=0.1: base_lr * gamma ** round(epoch / step_size)),
            Bug("your schedule is one epoch late (did you use epoch - 1?): epoch 0 runs at base_lr and the "
                "first drop is in epoch step_size itself",
                lambda epoch, base_lr, step_size, gamma=0.1: base_lr * gamma ** ((epoch - 1) // step_size)),
            Bug("the exponent must be a whole number of periods: use epoch // step_size (integer division), "
                "not epoch / step_size",
                lambda epoch, base_lr, step_size, gamma=0.1: base_lr * gamma ** (epoch / step_size)),
            Bug("you multiplied base_lr by gamma times the number of periods: each period multiplies the "
                "rate by gamma again, so it is gamma ** (epoch // step_size)",
                lambda epoch, base_lr, step_size, gamma=0.1: base_lr * (gamma * (epoch // step_size) or 1)),
        ],
        library=(sched.StepLR.get_lr,),
    )


def _multistep_lr_exercise() -> Exercise:
    cases = [
        Case("epoch 0, milestones [3, 7]", (0, 0.1, [3, 7])),
        Case("epoch 2, milestones [3, 7]: the epoch before a milestone", (2, 0.1, [3, 7])),
        Case("epoch 3, milestones [3, 7]: a milestone is reached at its own epoch", (3, 0.1, [3, 7]),
             hint="at epoch 3 the milestone 3 has been reached: count the milestones m <= epoch"),
        Case("epoch 9, milestones [3, 7], gamma 0.5", (9, 0.1, [3, 7]), {"gamma": 0.5}),
        Case("epoch 6, milestones [2, 4, 8], gamma 0.2", (6, 1.0, [2, 4, 8]), {"gamma": 0.2}),
    ]

    def count(milestones: list, ok: Callable[[int], bool]) -> int:
        return sum(1 for m in milestones if ok(m))

    return Exercise(
        "multistep_lr", ref.multistep_lr, cases, ("lr",), notebook=NOTEBOOK,
        hint="count how many milestones have been reached by this epoch; each one multiplied the rate by "
             "gamma once",
        formula="lr = base_lr * gamma ** (number of milestones m with m <= epoch)",
        bugs=[
            Bug("you counted the milestones m < epoch: the rate drops AT the milestone epoch, so count "
                "m <= epoch", lambda epoch, base_lr, milestones, gamma=0.1:
                base_lr * gamma ** count(milestones, lambda m: m < epoch)),
            Bug("your schedule is one epoch early (did you use epoch + 1?): the drop happens in the "
                "milestone epoch itself, not one before", lambda epoch, base_lr, milestones, gamma=0.1:
                base_lr * gamma ** count(milestones, lambda m: m <= epoch + 1)),
            Bug("you multiplied by gamma only once, however many milestones were passed: each milestone "
                "multiplies the rate by gamma again", lambda epoch, base_lr, milestones, gamma=0.1:
                base_lr * (gamma if count(milestones, lambda m: m <= epoch) else 1)),
            Bug("you multiplied base_lr by gamma times the number of milestones passed: it is gamma to that "
                "power", lambda epoch, base_lr, milestones, gamma=0.1:
                base_lr * (gamma * count(milestones, lambda m: m <= epoch) or 1)),
        ],
        library=(sched.MultiStepLR.get_lr,),
    )


def _exponential_lr_exercise() -> Exercise:
    cases = [
        Case("epoch 0: base_lr", (0, 0.1, 0.9)),
        Case("epoch 1", (1, 0.1, 0.9)),
        Case("epoch 10, gamma 0.8", (10, 0.5, 0.8)),
        Case("epoch 30, gamma 0.95", (30, 0.01, 0.95)),
    ]
    return Exercise(
        "exponential_lr", ref.exponential_lr, cases, ("lr",), notebook=NOTEBOOK,
        hint="every epoch multiplies the rate by gamma once; epoch 0 runs at base_lr",
        formula="lr = base_lr * gamma ** epoch",
        bugs=[
            Bug("your schedule is one epoch early: epoch 0 must run at base_lr (gamma ** 0 = 1), so the "
                "exponent is epoch, not epoch + 1",
                lambda epoch, base_lr, gamma: base_lr * gamma ** (epoch + 1)),
            Bug("you multiplied by gamma * epoch: the decay compounds, base_lr * gamma ** epoch",
                lambda epoch, base_lr, gamma: base_lr * (gamma * epoch or 1)),
            Bug("you subtracted (1 - gamma) per epoch: that is a linear decay; ExponentialLR multiplies by "
                "gamma every epoch", lambda epoch, base_lr, gamma: base_lr * (1 - (1 - gamma) * epoch)),
        ],
        library=(sched.ExponentialLR.get_lr,),
    )


def _cosine_lr_exercise() -> Exercise:
    def cosine(period: Callable[[int], float] = lambda T: T, angle: Callable[[float], float] = math.cos,
               shift: int = 0, floor: bool = True, half: float = 0.5) -> Callable[..., float]:
        def fn(epoch, base_lr, T_max, eta_min=0.0):
            c = (1 + angle(math.pi * (epoch + shift) / period(T_max)))
            low = eta_min if floor else 0.0
            return low + (base_lr - low) * half * c
        return fn

    cases = [
        Case("epoch 0: base_lr", (0, 0.1, 10)),
        Case("epoch 3 of T_max 10", (3, 0.1, 10)),
        Case("epoch 5 of T_max 10, with eta_min 0.01: halfway", (5, 0.1, 10), {"eta_min": 0.01},
             hint="halfway (epoch = T_max / 2) the rate is exactly between base_lr and eta_min"),
        Case("epoch 8 of T_max 10, with eta_min 0.02", (8, 0.5, 10), {"eta_min": 0.02}),
        Case("epoch T_max = 20: the end, eta_min 0.001", (20, 0.1, 20), {"eta_min": 0.001},
             hint="at epoch T_max the cosine is -1 and the rate reaches eta_min"),
    ]
    return Exercise(
        "cosine_lr", ref.cosine_lr, cases, ("lr",), notebook=NOTEBOOK,
        hint="half a cosine wave from base_lr (epoch 0) down to eta_min (epoch T_max): the angle goes from "
             "0 to pi, in radians",
        formula="lr = eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * epoch / T_max)) / 2",
        bugs=[
            Bug("you left out eta_min: the rate goes from base_lr down to eta_min, "
                "eta_min + (base_lr - eta_min) (1 + cos(pi epoch / T_max)) / 2", cosine(floor=False)),
            Bug("you added eta_min without taking it off the amplitude: it is eta_min + (base_lr - eta_min) "
                "(1 + cos(...)) / 2, so that epoch 0 gives exactly base_lr",
                lambda epoch, base_lr, T_max, eta_min=0.0:
                eta_min + base_lr * (1 + math.cos(math.pi * epoch / T_max)) / 2),
            Bug("you divided by T_max - 1: the half wave lasts T_max epochs, angle pi * epoch / T_max",
                cosine(period=lambda T: T - 1)),
            Bug("the angle is in degrees: math.cos takes radians, so the angle is math.pi * epoch / T_max",
                cosine(angle=lambda a: math.cos(a * 180 / math.pi))),
            Bug("your schedule is one epoch early (epoch + 1): epoch 0 must run at base_lr", cosine(shift=1)),
            Bug("the factor 1/2 is missing: (1 + cos) goes from 2 to 0, so halve it",
                cosine(half=1.0)),
        ],
        library=(sched.CosineAnnealingLR.get_lr,),
    )


EXERCISES = {
    "step_lr": _step_lr_exercise,
    "multistep_lr": _multistep_lr_exercise,
    "exponential_lr": _exponential_lr_exercise,
    "cosine_lr": _cosine_lr_exercise,
}


def check_step_lr(fn: Callable, reveal: bool = False) -> CheckResult:
    """Check the student's ``step_lr(epoch, base_lr, step_size, gamma=0.1) -> lr``."""
    return check(_step_lr_exercise(), fn, reveal)


def check_multistep_lr(fn: Callable, reveal: bool = False) -> CheckResult:
    """Check the student's ``multistep_lr(epoch, base_lr, milestones, gamma=0.1) -> lr``."""
    return check(_multistep_lr_exercise(), fn, reveal)


def check_exponential_lr(fn: Callable, reveal: bool = False) -> CheckResult:
    """Check the student's ``exponential_lr(epoch, base_lr, gamma) -> lr``."""
    return check(_exponential_lr_exercise(), fn, reveal)


def check_cosine_lr(fn: Callable, reveal: bool = False) -> CheckResult:
    """Check the student's ``cosine_lr(epoch, base_lr, T_max, eta_min=0.0) -> lr``."""
    return check(_cosine_lr_exercise(), fn, reveal)
