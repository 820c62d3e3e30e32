r"""Checks for notebook 06: one step of SGD (momentum, Nesterov, weight decay), AdaGrad, RMSprop and Adam.

The student writes pure functions (new arrays out, inputs untouched), with ``w`` the parameters,
``dw`` their gradient and the optimizer's state (``v``, ``s``, ``m``) passed in and returned:

* ``sgd_step(w, dw, v, lr, momentum=0, weight_decay=0, nesterov=False) -> (w, v)``, PyTorch's form:
  ``g = dw + weight_decay w``; ``v = momentum v + g``; ``w = w - lr v``
  (Nesterov: ``w = w - lr (g + momentum v)``);
* ``adagrad_step(w, dw, s, lr, eps=1e-10) -> (w, s)``: ``s = s + dw^2``; ``w = w - lr dw / (sqrt(s) + eps)``;
* ``rmsprop_step(w, dw, s, lr, alpha=0.99, eps=1e-8) -> (w, s)``: ``s = alpha s + (1 - alpha) dw^2``;
* ``adam_step(w, dw, m, v, t, lr, beta1, beta2, eps) -> (w, m, v)`` with bias correction, ``t = 1, 2, ...``.

The cases start from a state in the middle of training (not only from zeros), so a step that is
right only on the first call is caught, and they use step sizes large enough to show in ``w``.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from nnedu import optim
from nnedu.exercises import reference as ref
from nnedu.exercises.checker import Bug, Case, Convention, Exercise, check
from nnedu.exercises.report import CheckResult

NOTEBOOK = "06_optimizers_schedulers"


def _arrays(seed: int, shape: tuple[int, ...], n: int, dtype: type = np.float64,
            positive: tuple[int, ...] = ()) -> tuple[np.ndarray, ...]:
    """``n`` seeded arrays of ``shape``; those at the indices in ``positive`` are squares (a state like s, v)."""
    rng = np.random.default_rng(seed)
    out = [rng.standard_normal(shape) for _ in range(n)]
    return tuple((a * a if i in positive else a).astype(dtype) for i, a in enumerate(out))


# -- SGD ----------------------------------------------------------------------------------------------
def _sgd_classroom(w, dw, v, lr, momentum=0.0, weight_decay=0.0, nesterov=False):
    g = dw + weight_decay * w
    v_new = momentum * v - lr * g
    if nesterov:
        return w - momentum * v + (1 + momentum) * v_new, v_new
    return w + v_new, v_new


def _sgd_decay_after_momentum(w, dw, v, lr, momentum=0.0, weight_decay=0.0, nesterov=False):
    v = momentum * v + dw
    step = dw + momentum * v if nesterov else v
    return w - lr * (step + weight_decay * w), v


def _sgd_nesterov_ignored(w, dw, v, lr, momentum=0.0, weight_decay=0.0, nesterov=False):
    g = dw + weight_decay * w
    v = momentum * v + g
    return w - lr * v, v


def _sgd_sign(w, dw, v, lr, momentum=0.0, weight_decay=0.0, nesterov=False):
    g = dw + weight_decay * w
    v = momentum * v + g
    return w + lr * (g + momentum * v if nesterov else v), v


def _sgd_no_decay(w, dw, v, lr, momentum=0.0, weight_decay=0.0, nesterov=False):
    v = momentum * v + dw
    return w - lr * (dw + momentum * v if nesterov else v), v


def _sgd_ema(w, dw, v, lr, momentum=0.0, weight_decay=0.0, nesterov=False):
    g = dw + weight_decay * w
    v = momentum * v + (1 - momentum) * g
    return w - lr * (g + momentum * v if nesterov else v), v


def _sgd_old_buffer(w, dw, v, lr, momentum=0.0, weight_decay=0.0, nesterov=False):
    g = dw + weight_decay * w
    v_new = momentum * v + g
    return w - lr * (g + momentum * v if nesterov else v), v_new


def _sgd_general(w, dw, v, lr, momentum=0.0, weight_decay=0.0, nesterov=False):
    g = dw + weight_decay * w
    v = momentum * v + g
    return w - lr * (g + momentum * v if nesterov else v), v


def _sgd_step_exercise() -> Exercise:
    def case(label: str, seed: int, shape: tuple[int, ...], lr: float, dtype: type = np.float64,
             fresh: bool = False, hint: str = "", **kwargs: object) -> Case:
        w, dw, v = _arrays(seed, shape, 3, dtype)
        return Case(label, (w, dw, np.zeros_like(v) if fresh else v, lr), kwargs, hint)

    cases = [
        case("momentum 0.9, in the middle of training (v is not zero): w, dw, v of shape (5,), lr 0.1",
             1, (5,), 0.1, momentum=0.9,
             hint="v arrives from the previous step in gradient units; update it first, then step along it"),
        case("plain SGD: momentum 0, shape (3, 2), lr 0.5", 2, (3, 2), 0.5,
             hint="with momentum 0 the step is w - lr * dw"),
        case("Nesterov: momentum 0.9, nesterov=True, shape (4,), lr 0.1", 3, (4,), 0.1, momentum=0.9,
             nesterov=True, hint="Nesterov steps along g + momentum * v, with v already updated"),
        case("weight decay 0.1 with momentum 0.5, shape (2, 3), lr 0.2", 4, (2, 3), 0.2, momentum=0.5,
             weight_decay=0.1, hint="weight decay is part of the gradient: g = dw + weight_decay * w, "
                                    "before the momentum buffer sees it"),
        case("everything at once (momentum, Nesterov, weight decay) with the first step's v = 0",
             5, (6,), 0.3, fresh=True, momentum=0.8, weight_decay=0.05, nesterov=True),
        case("float32: momentum 0.9, weight decay 0.01, shape (3, 4)", 6, (3, 4), 0.1, np.float32,
             momentum=0.9, weight_decay=0.01),
    ]
    return Exercise(
        "sgd_step", ref.sgd_step, cases, ("w", "v"), notebook=NOTEBOOK,
        hint="the buffer v accumulates gradients (gradient units): decay the old buffer by the momentum, "
             "add the new gradient (weight decay included), then move w against it, scaled by lr",
        formula="g = dw + weight_decay * w;  v = momentum * v + g;  w = w - lr * (g + momentum * v if "
                "nesterov else v);  with momentum 0 simply w - lr * g",
        conventions=[Convention(
            "with momentum 0 you returned v = g (the general formula), where the reference leaves v as it "
            "was: without momentum no buffer is used (PyTorch keeps none). Both take the same step.",
            _sgd_general)],
        bugs=[
            Bug("you used the classroom form v = mu v - lr g, w = w + v. It is the same method only while lr "
                "is constant; this course keeps PyTorch's buffer v = mu v + g (gradient units) and steps "
                "w - lr v, because a schedule changes lr every epoch and then the two differ.",
                _sgd_classroom),
            Bug("you added the weight decay after the momentum buffer: weight_decay * w belongs to the "
                "gradient g = dw + weight_decay * w, before v = momentum * v + g", _sgd_decay_after_momentum),
            Bug("with nesterov=True you stepped along v (or along g + momentum * v_old with the OLD buffer, "
                "which is the same thing): Nesterov steps along g + momentum * v with v the UPDATED buffer",
                _sgd_nesterov_ignored),
            Bug("you averaged the buffer, v = momentum * v + (1 - momentum) * g (PyTorch's dampening, or an "
                "exponential moving average): SGD's buffer sums, v = momentum * v + g, so that a steady "
                "gradient gives a step 1/(1 - momentum) times larger", _sgd_ema),
            Bug("you stepped with the old buffer: update v = momentum * v + g first, then step along the new v",
                _sgd_old_buffer),
            Bug("the step goes uphill: subtract lr * v from w (a sign error)", _sgd_sign),
            Bug("you left out the weight decay: the gradient is dw + weight_decay * w", _sgd_no_decay),
        ],
        library=(optim.SGD._update,),
    )


# -- AdaGrad --------------------------------------------------------------------------------------------
def _adagrad_exercise() -> Exercise:
    def case(label: str, seed: int, shape: tuple[int, ...], lr: float, dtype: type = np.float64,
             fresh: bool = False, hint: str = "", **kwargs: object) -> Case:
        w, dw, s = _arrays(seed, shape, 3, dtype, positive=(2,))
        return Case(label, (w, dw, np.zeros_like(s) if fresh else s, lr), kwargs, hint)

    cases = [
        case("in the middle of training (s > 0): shape (5,), lr 0.5", 11, (5,), 0.5,
             hint="s keeps growing: it is the sum of every squared gradient so far"),
        case("a large eps = 0.1, shape (2, 3), lr 1.0", 12, (2, 3), 1.0, eps=0.1,
             hint="eps is added to sqrt(s), outside the square root"),
        case("the first step (s = 0), shape (4,), lr 0.1", 13, (4,), 0.1, fresh=True),
        case("float32, shape (3, 4), lr 0.3", 14, (3, 4), 0.3, np.float32),
    ]
    return Exercise(
        "adagrad_step", ref.adagrad_step, cases, ("w", "s"), notebook=NOTEBOOK,
        hint="each coordinate remembers the total of its squared gradients; its step is the gradient "
             "divided by the square root of that total",
        formula="s = s + dw**2;  w = w - lr * dw / (np.sqrt(s) + eps)",
        bugs=[
            Bug("s is not accumulated: AdaGrad adds dw^2 to the running total s (s = s + dw^2), it does not "
                "replace it", lambda w, dw, s, lr, eps=1e-10: (w - lr * dw / (np.abs(dw) + eps), dw * dw)),
            Bug("eps is inside the square root: divide by sqrt(s) + eps",
                lambda w, dw, s, lr, eps=1e-10: (w - lr * dw / np.sqrt(s + dw * dw + eps), s + dw * dw)),
            Bug("you divided by s, not by its square root sqrt(s)",
                lambda w, dw, s, lr, eps=1e-10: (w - lr * dw / (s + dw * dw + eps), s + dw * dw)),
            Bug("you divided by the old s: add dw^2 to s first, then step with the new s",
                lambda w, dw, s, lr, eps=1e-10: (w - lr * dw / (np.sqrt(s) + eps), s + dw * dw)),
            Bug("the step goes uphill: subtract lr * dw / (sqrt(s) + eps) from w (a sign error)",
                lambda w, dw, s, lr, eps=1e-10: (w + lr * dw / (np.sqrt(s + dw * dw) + eps), s + dw * dw)),
        ],
        library=(optim.Adagrad._update,),
    )


# -- RMSprop --------------------------------------------------------------------------------------------
def _rmsprop_exercise() -> Exercise:
    def case(label: str, seed: int, shape: tuple[int, ...], lr: float, dtype: type = np.float64,
             hint: str = "", **kwargs: object) -> Case:
        w, dw, s = _arrays(seed, shape, 3, dtype, positive=(2,))
        return Case(label, (w, dw, s, lr), kwargs, hint)

    def rms(decay: Callable, inside: bool = False, sqrt: bool = True, sign: float = -1.0) -> Callable:
        def fn(w, dw, s, lr, alpha=0.99, eps=1e-8):
            s = decay(s, dw, alpha)
            denom = np.sqrt(s + eps) if inside else (np.sqrt(s) + eps if sqrt else s + eps)
            return w + sign * lr * dw / denom, s
        return fn

    right = lambda s, dw, a: a * s + (1 - a) * dw * dw   # noqa: E731
    cases = [
        case("in the middle of training (s > 0), alpha 0.9: shape (5,), lr 0.1", 21, (5,), 0.1, alpha=0.9,
             hint="s is a moving average: alpha * (old s) + (1 - alpha) * dw^2"),
        case("a large eps = 0.1, alpha 0.9, shape (2, 3), lr 0.1", 22, (2, 3), 0.1, alpha=0.9, eps=0.1,
             hint="eps is added to sqrt(s), outside the square root"),
        case("the default alpha 0.99, shape (4,), lr 0.01", 23, (4,), 0.01),
        case("float32, alpha 0.9, shape (3, 4), lr 0.05", 24, (3, 4), 0.05, np.float32, alpha=0.9),
    ]
    return Exercise(
        "rmsprop_step", ref.rmsprop_step, cases, ("w", "s"), notebook=NOTEBOOK,
        hint="like AdaGrad, but s forgets: it is an exponential moving average of the squared gradients, "
             "so it follows their recent size",
        formula="s = alpha * s + (1 - alpha) * dw**2;  w = w - lr * dw / (np.sqrt(s) + eps)",
        bugs=[
            Bug("alpha and 1 - alpha are swapped: s = alpha * s + (1 - alpha) * dw^2 keeps most of the old s",
                rms(lambda s, dw, a: (1 - a) * s + a * dw * dw)),
            Bug("s is not a moving average of dw^2: you replaced it by dw^2 (or never decayed it); "
                "s = alpha * s + (1 - alpha) * dw^2", rms(lambda s, dw, a: dw * dw)),
            Bug("s is summed, not averaged: that is AdaGrad; RMSprop decays the old s by alpha and adds "
                "(1 - alpha) dw^2", rms(lambda s, dw, a: s + dw * dw)),
            Bug("s = alpha * s + dw^2 is missing the factor (1 - alpha) on dw^2: without it s is about "
                "1/(1 - alpha) times too large, so the steps are too small",
                rms(lambda s, dw, a: a * s + dw * dw)),
            Bug("eps is inside the square root: divide by sqrt(s) + eps", rms(right, inside=True)),
            Bug("you divided by s, not by its square root sqrt(s)", rms(right, sqrt=False)),
            Bug("the step goes uphill: subtract lr * dw / (sqrt(s) + eps) from w (a sign error)",
                rms(right, sign=1.0)),
            Bug("you divided by the old s: update s = alpha * s + (1 - alpha) * dw^2 first, then step with "
                "the new s", lambda w, dw, s, lr, alpha=0.99, eps=1e-8: (
                    w - lr * dw / (np.sqrt(s) + eps), alpha * s + (1 - alpha) * dw * dw)),
        ],
        library=(optim.RMSprop._update,),
    )


# -- Adam -----------------------------------------------------------------------------------------------
def _adam(beta_m: Callable = lambda b1, b2: b1, beta_v: Callable = lambda b1, b2: b2,
          square: Callable = lambda g: g * g, correct: Callable | None = lambda beta, t: 1 - beta ** t,
          inside: bool = False, corrected_state: bool = False, correct_v: bool = True) -> Callable:
    def fn(w, dw, m, v, t, lr, beta1=0.9, beta2=0.999, eps=1e-8):
        b_m, b_v = beta_m(beta1, beta2), beta_v(beta1, beta2)
        m = b_m * m + (1 - b_m) * dw
        v = b_v * v + (1 - b_v) * square(dw)
        m_hat = m / correct(b_m, t) if correct else m
        v_hat = v / correct(b_v, t) if correct and correct_v else v
        step = m_hat / (np.sqrt(v_hat + eps) if inside else np.sqrt(v_hat) + eps)
        return (w - lr * step, m_hat, v_hat) if corrected_state else (w - lr * step, m, v)
    return fn


def _adam_kingma_ba(w, dw, m, v, t, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * dw
    v = beta2 * v + (1 - beta2) * dw * dw
    lr_t = lr * np.sqrt(1 - beta2 ** t) / (1 - beta1 ** t)
    return w - lr_t * m / (np.sqrt(v) + eps), m, v


def _adam_exercise() -> Exercise:
    def case(label: str, seed: int, shape: tuple[int, ...], t: int, lr: float, dtype: type = np.float64,
             fresh: bool = False, hint: str = "", **kwargs: object) -> Case:
        w, dw, m, v = _arrays(seed, shape, 4, dtype, positive=(3,))
        if fresh:
            m, v = np.zeros_like(m), np.zeros_like(v)
        return Case(label, (w, dw, 0.1 * m, 0.1 * v, t, lr), kwargs, hint)

    cases = [
        case("the first step t = 1 from m = v = 0: shape (5,), lr 0.1", 31, (5,), 1, 0.1, fresh=True,
             hint="t = 1 is the first step; after bias correction every coordinate moves by about lr"),
        case("step t = 5 in the middle of training: shape (2, 3), lr 0.1", 32, (2, 3), 5, 0.1,
             hint="m and v are returned WITHOUT bias correction: they are the state of the next step"),
        case("other betas (0.8, 0.99), t = 3, shape (4,), lr 0.05", 33, (4,), 3, 0.05, beta1=0.8, beta2=0.99),
        case("a large eps = 0.1, t = 20, shape (3,), lr 0.2", 34, (3,), 20, 0.2, eps=0.1,
             hint="eps is added to sqrt(v_hat), outside the square root"),
        case("float32, t = 2, shape (3, 4), lr 0.01", 35, (3, 4), 2, 0.01, np.float32),
    ]
    return Exercise(
        "adam_step", ref.adam_step, cases, ("w", "m", "v"), notebook=NOTEBOOK,
        hint="two moving averages that start at zero, one of the gradient and one of its square; divide "
             "each by (1 - beta^t) to undo the pull towards zero, then step like RMSprop with momentum",
        formula="m = beta1*m + (1-beta1)*dw;  v = beta2*v + (1-beta2)*dw**2;  m_hat = m/(1-beta1**t);  "
                "v_hat = v/(1-beta2**t);  w = w - lr * m_hat / (np.sqrt(v_hat) + eps);  return w, m, v",
        conventions=[Convention(
            "you used the 'efficient form' of Kingma and Ba's paper, lr_t = lr * sqrt(1 - beta2^t) / "
            "(1 - beta1^t) and w - lr_t * m / (sqrt(v) + eps). It is the same method with eps in a slightly "
            "different place (eps * sqrt(1 - beta2^t) in PyTorch's terms); the course follows PyTorch, "
            "which adds eps to sqrt(v_hat). The two differ only when eps is not tiny.",
            _adam_kingma_ba)],
        bugs=[
            Bug("no bias correction: divide m by (1 - beta1^t) and v by (1 - beta2^t) before the step",
                _adam(correct=None)),
            Bug("only m is bias-corrected: divide v by (1 - beta2^t) too, or the early steps are about "
                "1/sqrt(1 - beta2^t) times too large", _adam(correct_v=False)),
            Bug("your bias correction uses t + 1: t already counts from 1 here (the first step is t = 1, "
                "where 1 - beta1^t = 1 - beta1)", _adam(correct=lambda b, t: 1 - b ** (t + 1))),
            Bug("beta1 and beta2 are swapped: beta1 (0.9) averages the gradient m, beta2 (0.999) its square v",
                _adam(beta_m=lambda b1, b2: b2, beta_v=lambda b1, b2: b1)),
            Bug("v averages |dw|; Adam's v averages the squared gradient dw**2", _adam(square=np.abs)),
            Bug("eps is inside the square root: divide by sqrt(v_hat) + eps", _adam(inside=True)),
            Bug("you returned the bias-corrected m_hat and v_hat as the state: return the raw m and v (the "
                "correction is applied afresh at every step)", _adam(corrected_state=True)),
        ],
        library=(optim.Adam._update,),
    )


EXERCISES = {
    "sgd_step": _sgd_step_exercise,
    "adagrad_step": _adagrad_exercise,
    "rmsprop_step": _rmsprop_exercise,
    "adam_step": _adam_exercise,
}


def check_sgd_step(fn: Callable, reveal: bool = False) -> CheckResult:
    """Check the student's ``sgd_step(w, dw, v, lr, momentum, weight_decay, nesterov) -> (w, v)``."""
    return check(_sgd_step_exercise(), fn, reveal)


def check_adagrad_step(fn: Callable, reveal: bool = False) -> CheckResult:
    """Check the student's ``adagrad_step(w, dw, s, lr, eps) -> (w, s)``."""
    return check(_adagrad_exercise(), fn, reveal)


def check_rmsprop_step(fn: Callable, reveal: bool = False) -> CheckResult:
    """Check the student's ``rmsprop_step(w, dw, s, lr, alpha, eps) -> (w, s)``."""
    return check(_rmsprop_exercise(), fn, reveal)


def check_adam_step(fn: Callable, reveal: bool = False) -> CheckResult:
    """Check the student's ``adam_step(w, dw, m, v, t, lr, beta1, beta2, eps) -> (w, m, v)``."""
    return check(_adam_exercise(), fn, reveal)
