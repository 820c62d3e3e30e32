r"""Two-dimensional test functions for watching optimizers move, and a runner.

Each :class:`Landscape` knows its value :math:`f(x, y)`, its gradient, a
sensible start point, a plot range and its minima. :func:`run_optimizer`
runs a real :mod:`nnedu.optim` optimizer on a 2-vector
:class:`~nnedu.nn.Parameter` and returns the path it took:

>>> from nnedu.landscapes import run_optimizer, get_landscape
>>> path, losses = run_optimizer("rosenbrock", "adam", steps=500, lr=0.05)
>>> path.shape, losses.shape
((501, 2), (501,))
>>> bool(losses[-1] < losses[0])
True

The functions (``LANDSCAPES`` maps name -> Landscape, in dropdown order):

``"quadratic"``
    :math:`\tfrac12(x^2 + \kappa y^2)` with :math:`\kappa = 25`: a long narrow
    valley. Gradient descent zig-zags across it; momentum and adaptive
    methods go along it. Build others with :func:`ill_conditioned_quadratic`.
``"rosenbrock"``
    :math:`(1-x)^2 + 100(y-x^2)^2`: a curved, flat-bottomed banana valley;
    minimum 0 at (1, 1).
``"beale"``
    :math:`(1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2`:
    flat plateaus and steep walls; minimum 0 at (3, 0.5).
``"saddle"``
    :math:`x^2 - y^2 + \tfrac12 y^4`: a saddle point at the origin between two
    minima :math:`-\tfrac12` at :math:`(0, \pm 1)`. Started almost on the
    ridge, plain gradient descent lingers at the saddle.
``"himmelblau"``
    :math:`(x^2 + y - 11)^2 + (x + y^2 - 7)^2`: four minima of value 0; which
    one an optimizer finds depends on its path.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from nnedu.nn.parameter import Parameter
from nnedu.optim import SGD, Adagrad, Adam, AdamW, Optimizer, RMSprop
from nnedu.optim.lr_scheduler import LRScheduler

ArrayLike = Any
__all__ = ["Landscape", "LANDSCAPES", "OPTIMIZERS", "get_landscape", "make_optimizer", "run_optimizer",
           "ill_conditioned_quadratic", "DivergenceWarning"]


class DivergenceWarning(RuntimeWarning):
    """An optimizer's path left every sensible range (inf, nan or a huge value)."""


@dataclass(frozen=True)
class Landscape:
    """A 2-D function with its gradient and what a plot of it needs.

    Attributes
    ----------
    name : str
        Registry key, e.g. ``"rosenbrock"``.
    title : str
        Human-readable label (with the formula) for dropdowns and plot titles.
    f : callable
        ``f(x, y)`` -> value; broadcasts over arrays (for contour plots).
    grad : callable
        ``grad(x, y)`` -> ``(df/dx, df/dy)``; broadcasts too.
    start : (float, float)
        Default start point.
    xlim, ylim : (float, float)
        Plot range.
    minima : tuple of (float, float)
        Known (global) minimisers.
    min_value : float
        The function's value there.
    log_contours : bool
        Whether contour levels are best spaced logarithmically (steep walls).
    """

    name: str
    title: str
    f: Callable[[ArrayLike, ArrayLike], ArrayLike] = field(repr=False)
    grad: Callable[[ArrayLike, ArrayLike], tuple[ArrayLike, ArrayLike]] = field(repr=False)
    start: tuple[float, float]
    xlim: tuple[float, float]
    ylim: tuple[float, float]
    minima: tuple[tuple[float, float], ...]
    min_value: float
    log_contours: bool = False

    def value(self, point: ArrayLike) -> float:
        """:math:`f` at one point ``(x, y)``."""
        x, y = np.asarray(point, dtype=np.float64)
        return float(self.f(x, y))

    def gradient(self, point: ArrayLike) -> np.ndarray:
        """:math:`\\nabla f` at one point, as an array of shape ``(2,)``."""
        x, y = np.asarray(point, dtype=np.float64)
        gx, gy = self.grad(x, y)
        return np.array([gx, gy], dtype=np.float64)

    def grid(self, n: int = 200) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``X, Y, Z`` on an ``n x n`` grid over the plot range, for ``plt.contour``."""
        X, Y = np.meshgrid(np.linspace(*self.xlim, n), np.linspace(*self.ylim, n))
        return X, Y, self.f(X, Y)

    def distance_to_minimum(self, point: ArrayLike) -> float:
        """Euclidean distance from ``point`` to the nearest known minimiser."""
        p = np.asarray(point, dtype=np.float64)
        return float(min(np.hypot(*(p - np.asarray(m))) for m in self.minima))


def ill_conditioned_quadratic(kappa: float = 25.0, angle: float = 0.0,
                              start: tuple[float, float] = (-4.0, 1.5)) -> Landscape:
    r"""The quadratic bowl :math:`\tfrac12(u^2 + \kappa v^2)`, a valley of condition number :math:`\kappa`.

    :math:`(u, v)` are :math:`(x, y)` rotated by ``angle`` (radians): with
    ``angle=0`` the valley runs along the x-axis, which per-coordinate methods
    (Adagrad, RMSprop, Adam) exploit; a rotated valley takes that advantage
    away. Gradient: :math:`\nabla f = R^T (u, \kappa v)`.

    Parameters
    ----------
    kappa : float
        Ratio of the largest to the smallest curvature, >= 1.
    angle : float
        Rotation of the valley.
    start : (float, float)
        Default start point.
    """
    if not kappa >= 1:
        raise ValueError(f"ill_conditioned_quadratic: kappa must be >= 1, got {kappa}")
    c, s = np.cos(angle), np.sin(angle)

    def f(x: ArrayLike, y: ArrayLike) -> ArrayLike:
        u, v = c * x + s * y, -s * x + c * y
        return 0.5 * (u ** 2 + kappa * v ** 2)

    def grad(x: ArrayLike, y: ArrayLike) -> tuple[ArrayLike, ArrayLike]:
        u, v = c * x + s * y, -s * x + c * y
        du, dv = u, kappa * v
        return c * du - s * dv, s * du + c * dv

    return Landscape(
        name="quadratic", title=f"Narrow valley ½(x² + {kappa:g}y²)" if angle == 0 else
        f"Narrow valley, κ = {kappa:g}, rotated {np.degrees(angle):g}°",
        f=f, grad=grad, start=start, xlim=(-5.0, 5.0), ylim=(-2.5, 2.5),
        minima=((0.0, 0.0),), min_value=0.0)


def _rosenbrock(x: ArrayLike, y: ArrayLike) -> ArrayLike:
    return (1 - x) ** 2 + 100 * (y - x ** 2) ** 2


def _rosenbrock_grad(x: ArrayLike, y: ArrayLike) -> tuple[ArrayLike, ArrayLike]:
    return -2 * (1 - x) - 400 * x * (y - x ** 2), 200 * (y - x ** 2)


def _beale_terms(x: ArrayLike, y: ArrayLike) -> tuple[ArrayLike, ArrayLike, ArrayLike]:
    return 1.5 - x + x * y, 2.25 - x + x * y ** 2, 2.625 - x + x * y ** 3


def _beale(x: ArrayLike, y: ArrayLike) -> ArrayLike:
    a, b, c = _beale_terms(x, y)
    return a ** 2 + b ** 2 + c ** 2


def _beale_grad(x: ArrayLike, y: ArrayLike) -> tuple[ArrayLike, ArrayLike]:
    a, b, c = _beale_terms(x, y)
    dx = 2 * a * (y - 1) + 2 * b * (y ** 2 - 1) + 2 * c * (y ** 3 - 1)
    dy = 2 * a * x + 2 * b * 2 * x * y + 2 * c * 3 * x * y ** 2
    return dx, dy


def _saddle(x: ArrayLike, y: ArrayLike) -> ArrayLike:
    return x ** 2 - y ** 2 + 0.5 * y ** 4


def _saddle_grad(x: ArrayLike, y: ArrayLike) -> tuple[ArrayLike, ArrayLike]:
    return 2 * x, -2 * y + 2 * y ** 3


def _himmelblau(x: ArrayLike, y: ArrayLike) -> ArrayLike:
    return (x ** 2 + y - 11) ** 2 + (x + y ** 2 - 7) ** 2


def _himmelblau_grad(x: ArrayLike, y: ArrayLike) -> tuple[ArrayLike, ArrayLike]:
    a, b = x ** 2 + y - 11, x + y ** 2 - 7
    return 4 * x * a + 2 * b, 2 * a + 4 * y * b


LANDSCAPES: dict[str, Landscape] = {
    "quadratic": ill_conditioned_quadratic(),
    "rosenbrock": Landscape(
        name="rosenbrock", title="Rosenbrock (1−x)² + 100(y−x²)²", f=_rosenbrock, grad=_rosenbrock_grad,
        start=(-1.5, 2.0), xlim=(-2.0, 2.0), ylim=(-1.0, 3.0), minima=((1.0, 1.0),), min_value=0.0,
        log_contours=True),
    "beale": Landscape(
        name="beale", title="Beale", f=_beale, grad=_beale_grad,
        start=(1.0, 1.5), xlim=(-4.5, 4.5), ylim=(-4.5, 4.5), minima=((3.0, 0.5),), min_value=0.0,
        log_contours=True),
    "saddle": Landscape(
        name="saddle", title="Saddle x² − y² + ½y⁴", f=_saddle, grad=_saddle_grad,
        start=(-1.5, 1e-3), xlim=(-2.0, 2.0), ylim=(-1.75, 1.75), minima=((0.0, 1.0), (0.0, -1.0)),
        min_value=-0.5),
    "himmelblau": Landscape(
        name="himmelblau", title="Himmelblau (x²+y−11)² + (x+y²−7)²", f=_himmelblau, grad=_himmelblau_grad,
        start=(0.0, 0.0), xlim=(-5.0, 5.0), ylim=(-5.0, 5.0),
        minima=((3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848127)),
        min_value=0.0, log_contours=True),
}


def get_landscape(fn: str | Landscape) -> Landscape:
    """Return ``fn`` if it is a Landscape, else look the name up in ``LANDSCAPES``."""
    if isinstance(fn, Landscape):
        return fn
    try:
        return LANDSCAPES[fn]
    except (KeyError, TypeError):
        raise ValueError(f"unknown landscape {fn!r}; choose one of {sorted(LANDSCAPES)}") from None


#: Optimizer presets by name: (class, default keyword arguments). Keyword
#: arguments given to :func:`make_optimizer` override the defaults.
OPTIMIZERS: dict[str, tuple[type[Optimizer], dict[str, Any]]] = {
    "sgd": (SGD, {}),
    "momentum": (SGD, {"momentum": 0.9}),
    "nesterov": (SGD, {"momentum": 0.9, "nesterov": True}),
    "adagrad": (Adagrad, {}),
    "rmsprop": (RMSprop, {}),
    "adam": (Adam, {}),
    "adamw": (AdamW, {}),
}

OptimizerSpec = str | type[Optimizer] | Callable[..., Optimizer]


def make_optimizer(optimizer: OptimizerSpec, params: list[Parameter], **kwargs: Any) -> Optimizer:
    """Build an optimizer from a preset name, an Optimizer class or a factory ``f(params, **kwargs)``.

    Examples
    --------
    >>> from nnedu.nn import Parameter
    >>> import numpy as np
    >>> make_optimizer("nesterov", [Parameter(np.zeros(2))], lr=0.1)
    SGD (
    Parameter Group 0
        dampening: 0.0
        lr: 0.1
        momentum: 0.9
        nesterov: True
        weight_decay: 0.0
    )
    """
    if isinstance(optimizer, str):
        key = optimizer.lower()
        if key not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {optimizer!r}; choose one of {list(OPTIMIZERS)}")
        cls, defaults = OPTIMIZERS[key]
        return cls(params, **{**defaults, **kwargs})
    if callable(optimizer):
        opt = optimizer(params, **kwargs)
        if not isinstance(opt, Optimizer):
            raise TypeError(f"the optimizer factory returned {type(opt).__name__}, not an nnedu.optim.Optimizer")
        return opt
    raise TypeError(f"optimizer must be a name, an Optimizer class or a factory, got {type(optimizer).__name__}")


def run_optimizer(fn: str | Landscape, optimizer: OptimizerSpec = "sgd", start: ArrayLike | None = None,
                  steps: int = 100, *, scheduler: Callable[[Optimizer], LRScheduler] | None = None,
                  max_abs: float = 1e6, return_info: bool = False, **optimizer_kwargs: Any
                  ) -> tuple[np.ndarray, np.ndarray] | tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Run an nnedu optimizer on a 2-D landscape and record its path.

    A :class:`~nnedu.nn.Parameter` holding ``(x, y)`` in float64 is updated
    by the real optimizer; each step sets its ``.grad`` to the landscape's
    gradient and calls ``optimizer.step()`` (then ``scheduler.step()``).

    Parameters
    ----------
    fn : str or Landscape
        A name in ``LANDSCAPES`` or a Landscape.
    optimizer : str, Optimizer class or callable
        A preset name (``"sgd"``, ``"momentum"``, ``"nesterov"``, ``"adagrad"``,
        ``"rmsprop"``, ``"adam"``, ``"adamw"``), a class such as
        ``nnedu.optim.Adam``, or a factory ``f(params, **kwargs)``.
    start : (float, float), optional
        Start point; the landscape's ``start`` if omitted.
    steps : int
        Number of optimizer steps, >= 0.
    scheduler : callable, optional
        ``scheduler(opt)`` -> an LRScheduler, stepped after every step,
        e.g. ``lambda opt: StepLR(opt, 50, 0.5)``.
    max_abs : float
        A coordinate larger than this in magnitude counts as divergence.
    return_info : bool
        Also return a dict ``{"diverged", "steps_taken", "message", "lrs"}``
        instead of warning on divergence.
    **optimizer_kwargs
        Passed to the optimizer, e.g. ``lr=0.01, momentum=0.9``. Without
        ``lr`` the optimizer's own default is used (PyTorch's).

    Returns
    -------
    trajectory : np.ndarray, shape (steps + 1, 2)
        ``trajectory[k]`` is the point after ``k`` steps (row 0 is ``start``).
    losses : np.ndarray, shape (steps + 1,)
        ``f`` at each point.
    info : dict
        Only if ``return_info``.

    Notes
    -----
    If the path diverges (a non-finite value, or beyond ``max_abs``) the run
    stops: the rows after the last finite point are NaN (matplotlib leaves
    them out), and a :class:`DivergenceWarning` says at which step, unless
    ``return_info`` is set, in which case ``info["diverged"]`` says so.
    """
    land = get_landscape(fn)
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"run_optimizer: steps must be an integer >= 0, got {steps!r}")
    start_xy = np.asarray(land.start if start is None else start, dtype=np.float64)
    if start_xy.shape != (2,) or not np.all(np.isfinite(start_xy)):
        raise ValueError(f"run_optimizer: start must be two finite numbers (x, y), got {start!r}")
    point = Parameter(start_xy)
    opt = make_optimizer(optimizer, [point], **optimizer_kwargs)
    sched = scheduler(opt) if scheduler is not None else None

    trajectory = np.full((steps + 1, 2), np.nan)
    losses = np.full(steps + 1, np.nan)
    trajectory[0], losses[0] = point.data, land.value(point.data)
    lrs = [opt.param_groups[0]["lr"]]
    diverged, taken, message = False, 0, ""
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(1, steps + 1):
            point.grad[...] = land.gradient(point.data)
            opt.step()
            if sched is not None:
                sched.step()
            lrs.append(opt.param_groups[0]["lr"])
            loss = land.value(point.data)
            if not (np.all(np.isfinite(point.data)) and np.isfinite(loss)):
                diverged, message = True, f"diverged at step {k}: the point became {point.data}"
                break
            trajectory[k], losses[k], taken = point.data, loss, k
            if np.abs(point.data).max() > max_abs:
                diverged, message = True, (f"diverged at step {k}: |x| or |y| exceeded {max_abs:g} "
                                           f"(point {point.data}, loss {loss:.3g})")
                break
    if diverged:
        name = optimizer if isinstance(optimizer, str) else getattr(optimizer, "__name__", type(opt).__name__)
        message = f"{name} on {land.name}: {message}; try a smaller learning rate"
    info = {"diverged": diverged, "steps_taken": taken, "message": message, "lrs": np.array(lrs)}
    if return_info:
        return trajectory, losses, info
    if diverged:
        warnings.warn(message, DivergenceWarning, stacklevel=2)
    return trajectory, losses
