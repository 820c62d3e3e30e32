r"""Run a student's function against the reference and say, in one sentence when possible, what is wrong.

An :class:`Exercise` describes one function the student writes: the reference
implementation (:mod:`nnedu.exercises.reference`), a few seeded input
:class:`Case`\ s (edge cases included), the common wrong implementations
(:class:`Bug`: "you divided by C, not N"), the valid alternatives
(:class:`Convention`: "a valid subgradient; this course follows PyTorch"),
a concept hint and, separately, the formula. :func:`check` runs the student's
function on every case and prints one verdict whose first line is

* ``PASS  name: ...`` (with a ``note:`` when a convention was recognised),
* ``FAIL  name: ...`` followed by what is wrong, or
* ``TODO  name: not implemented yet ...`` while the stub still raises ``NotImplementedError``.

How a failure is explained, in this order:

1. the student's function calls nnedu's own implementation of the same thing: say so;
2. the output matches a known :class:`Bug` on the failing case: name the mistake in one sentence;
3. otherwise: which case, which output, the largest error and *where* (the index, both values),
   then the concept hint.

The formula is never printed with the first failures: ``check_x(x, reveal=True)`` shows it, and so
does the third failed check of the same exercise in one kernel session (:data:`REVEAL_AFTER`).

Tolerances follow the dtype of the student's result: float64 results must agree with the
reference to :data:`TOLERANCE` ``[float64]``, float32 results (the dtype the networks train in)
to :data:`TOLERANCE` ``[float32]``. Integers (counts, sizes, shapes) must be exact.
"""
from __future__ import annotations

import copy
import inspect
import sys
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from nnedu.checking import rel_error
from nnedu.exercises.report import CheckResult

#: Largest relative error (``max |got - expected|`` over the largest magnitude) accepted, by the result's dtype.
TOLERANCE = {np.dtype(np.float64): 1e-6, np.dtype(np.float32): 1e-3}
#: After this many failed checks of one exercise in a session, the formula is shown too.
REVEAL_AFTER = 3

_failures: Counter[str] = Counter()


@dataclass
class Case:
    """One input: ``args``/``kwargs`` are passed (as copies) to both the student's function and the reference."""

    label: str
    args: tuple
    kwargs: dict = field(default_factory=dict)
    hint: str = ""


@dataclass
class Bug:
    """A common wrong implementation; when the student's output matches it, ``message`` names the mistake."""

    message: str
    fn: Callable[..., Any]


@dataclass
class Convention:
    """A valid alternative to the course's choice; accepted, with ``message`` explaining the choice."""

    message: str
    fn: Callable[..., Any]


@dataclass
class Exercise:
    """Everything :func:`check` needs to judge one function the student writes.

    Attributes
    ----------
    name : str
        The function's name, e.g. ``"relu_backward"``.
    reference : callable
        The correct implementation, same signature.
    cases : list of Case
        Seeded inputs, edge cases included.
    outputs : tuple of str
        Names of the returned values, e.g. ``("dX", "dW", "db")``; one name for a single value.
    hint : str
        A concept hint, printed after a failure that no bug explains (no formula).
    formula : str
        The formula, printed on request or after :data:`REVEAL_AFTER` failures.
    bugs, conventions : list
        Known wrong variants and accepted alternatives.
    library : tuple of callables
        nnedu functions that compute the same thing: calling them is not the student's own work.
    exact : bool
        Compare exactly (integers, counts) and report "got X, expected Y".
    notebook : str
        Where the exercise is taught, e.g. ``"01_linear_relu"``.
    run : callable, optional
        ``run(fn, args, kwargs)`` calls any implementation (the student's, the reference, a bug) on a
        case and returns what is compared, one value per name in ``outputs``; by default
        ``fn(*args, **kwargs)``. For a function whose effect is also on its arguments (a training
        epoch changes the model), ``run`` returns that effect too, e.g. ``(loss, parameters after)``.
    updates : dict of int to str
        Positional arguments the function must change in place, by position and name, e.g.
        ``{3: "running_mean"}``: their values after the call are compared like extra outputs.
    """

    name: str
    reference: Callable[..., Any]
    cases: Sequence[Case]
    outputs: tuple[str, ...]
    hint: str
    formula: str
    bugs: Sequence[Bug] = ()
    conventions: Sequence[Convention] = ()
    library: tuple[Callable[..., Any], ...] = ()
    exact: bool = False
    notebook: str = ""
    updates: dict[int, str] = field(default_factory=dict)
    run: Callable[[Callable[..., Any], tuple, dict], Any] | None = None

    @property
    def compared(self) -> tuple[str, ...]:
        """The names of everything compared: the returned values, then the arguments updated in place."""
        return (*self.outputs, *self.updates.values())


def _call(ex: Exercise, fn: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
    """``fn`` on the case's (copied) arguments, through ``ex.run`` when the exercise has one."""
    return ex.run(fn, args, kwargs) if ex.run is not None else fn(*args, **kwargs)


class _Problem(Exception):
    """The student's result cannot be compared (wrong count, type or shape); the message says why."""


def _as_outputs(value: Any, ex: Exercise, args: tuple = ()) -> tuple[Any, ...]:
    """The returned values, then the arguments the exercise updates in place (``args`` as after the call)."""
    updated = tuple(args[i] for i in ex.updates)
    if len(ex.outputs) == 1:
        return (value, *updated)
    if not isinstance(value, (tuple, list)) or len(value) != len(ex.outputs):
        got = f"{len(value)} values" if isinstance(value, (tuple, list)) else f"one {type(value).__name__}"
        raise _Problem(f"{ex.name} must return {len(ex.outputs)} values ({', '.join(ex.outputs)}), got {got}")
    return (*value, *updated)


def _tolerance(got: np.ndarray) -> float:
    return TOLERANCE.get(got.dtype, TOLERANCE[np.dtype(np.float64)])


def _index(idx: tuple[int, ...]) -> str:
    return "[" + ", ".join(str(i) for i in idx) + "]" if idx else ""


def _difference(name: str, got: Any, expected: Any, exact: bool) -> str:
    """'' when ``got`` matches ``expected``; otherwise where and how it differs, in one line."""
    if expected is None:
        return "" if got is None else f"{name} should be None here, got a {type(got).__name__}"
    if got is None:
        return f"{name} is None (did the function forget to return it?)"
    expected = np.asarray(expected)
    try:
        g = np.asarray(got)
    except Exception:  # noqa: BLE001 - anything that is not an array is simply wrong here
        return f"{name} is a {type(got).__name__}, not an array"
    if g.shape != expected.shape:
        return f"{name} has shape {g.shape}, expected {expected.shape}"
    if not (np.issubdtype(g.dtype, np.number) or g.dtype == bool):
        return f"{name} has dtype {g.dtype}, expected numbers"
    if exact or np.issubdtype(expected.dtype, np.integer):
        if np.array_equal(g, expected):
            return ""
        if g.ndim == 0:
            return f"{name}: got {g.item()}, expected {expected.item()}"
        idx = tuple(int(i) for i in np.argwhere(g != expected)[0])
        return (f"{name}{_index(idx)}: got {g[idx]}, expected {expected[idx]} "
                f"({int(np.sum(g != expected))} of {g.size} entries differ)")
    gf = g.astype(np.float64)
    bad = ~np.isfinite(gf)
    if bad.any():
        ef = expected.astype(np.float64)
        if not (np.array_equal(bad, ~np.isfinite(ef)) and np.array_equal(gf[bad], ef[bad], equal_nan=True)):
            idx = tuple(int(i) for i in np.argwhere(bad)[0])
            return f"{name}{_index(idx)} is {g[idx]} (a nan or inf: an overflow or a division by zero?)"
        g, gf, expected = g[~bad], gf[~bad], ef[~bad]   # the same nan/inf in the same places (a known bug)
    err = rel_error(gf, expected)
    if err <= _tolerance(g if np.issubdtype(g.dtype, np.floating) else gf):
        return ""
    diff = np.abs(gf - expected)
    idx = tuple(int(i) for i in np.unravel_index(int(np.argmax(diff)), diff.shape)) if diff.ndim else ()
    return (f"{name}{_index(idx)}: got {gf[idx]:.6g}, expected {float(expected[idx]):.6g} "
            f"(largest relative error {err:.1e})")


def _outputs(ex: Exercise, fn: Callable[..., Any], case: Case) -> tuple[Any, ...]:
    """What is compared of ``fn`` (the reference, a bug, a convention) on fresh copies of ``case``."""
    args = copy.deepcopy(case.args)
    with np.errstate(all="ignore"):
        return _as_outputs(_call(ex, fn, args, copy.deepcopy(case.kwargs)), ex, args)


def _matches(got: tuple[Any, ...], fn: Callable[..., Any], case: Case, ex: Exercise) -> bool:
    """Whether the student's outputs equal ``fn``'s on ``case`` (``fn`` a bug or a convention)."""
    try:
        other = _outputs(ex, fn, case)
    except Exception:  # noqa: BLE001 - a variant that cannot run on this case does not match
        return False
    with np.errstate(all="ignore"):              # a variant's inf must not print warnings into the notebook
        return all(not _difference(n, g, o, ex.exact) for n, g, o in zip(ex.compared, got, other))


def _calls_into(codes: set[Any], fn: Callable[..., Any], case: Case, ex: Exercise) -> tuple[Any, list[Any], tuple]:
    """Run ``fn`` on (a copy of) ``case``, recording calls to any of the code objects in ``codes``.

    Returns the value, the calls seen and the arguments as the call left them.
    """
    hits: list[Any] = []

    def watch(frame: Any, event: str, arg: Any) -> None:
        if event == "call" and frame.f_code in codes:
            hits.append(frame.f_code)

    previous = sys.getprofile()
    args = copy.deepcopy(case.args)
    sys.setprofile(watch if codes else previous)
    try:
        with np.errstate(all="ignore"):
            return _call(ex, fn, args, copy.deepcopy(case.kwargs)), hits, args
    finally:
        sys.setprofile(previous)


def _code_objects(functions: tuple[Callable[..., Any], ...]) -> dict[Any, str]:
    out = {}
    for f in functions:
        f = getattr(f, "__func__", f)
        code = getattr(f, "__code__", None)
        if code is not None:
            out[code] = f"{f.__module__}.{f.__qualname__}"
    return out


def check(ex: Exercise, fn: Callable[..., Any], reveal: bool = False, verbose: bool = True, *,
          watch_library: bool = True) -> CheckResult:
    """Judge the student's ``fn`` for exercise ``ex``, print the verdict and record ``fn`` in the workspace.

    Parameters
    ----------
    ex : Exercise
        What is checked.
    fn : callable
        The student's function.
    reveal : bool
        Also print the formula after a failure.
    verbose : bool
        Print the verdict (it is returned either way).
    watch_library : bool
        Report a function that calls nnedu's own implementation (off only in the tests that run the
        checker's own bug variants, which are written on top of the reference).

    Returns
    -------
    CheckResult
        Truthy when every case passed (a recognised convention counts as passing).
    """
    result = _judge(ex, fn, reveal, watch_library)
    if result.status != "not implemented":
        from nnedu.exercises import workspace
        workspace.record(ex.name, fn, result.status, ex.notebook)
    if verbose:
        print(result.message)
    return result


def _changed(before: Any, after: Any) -> bool:
    """Whether an argument was modified by the call (arrays and lists of numbers; other objects are not compared)."""
    if isinstance(before, np.ndarray) and isinstance(after, np.ndarray):
        if before.shape != after.shape:
            return True
        with np.errstate(invalid="ignore"):
            same = (before == after) | ((before != before) & (after != after))   # NaN equals NaN here
        return not bool(np.all(same))
    if isinstance(before, (list, tuple)) and isinstance(after, (list, tuple)):
        return len(before) != len(after) or any(_changed(a, b) for a, b in zip(before, after))
    return False


def _modified_inputs(ex: Exercise, case: Case, args_after: tuple) -> list[str]:
    """Names of the arguments the student's function changed in place (other than those it must update)."""
    try:
        names = list(inspect.signature(ex.reference).parameters)
    except (TypeError, ValueError):
        names = []
    return [names[i] if i < len(names) else f"argument {i + 1}"
            for i, (before, after) in enumerate(zip(case.args, args_after))
            if i not in ex.updates and _changed(before, after)]


def _explains(bug: Bug, case: Case, got: tuple[Any, ...] | None, ex: Exercise) -> bool:
    """Whether ``bug`` accounts for the student's result on a failing case (``got`` None: it crashed)."""
    if got is not None:
        return _matches(got, bug.fn, case, ex)
    try:
        _outputs(ex, bug.fn, case)
    except Exception:  # noqa: BLE001 - the bug crashes there too: consistent with the student's crash
        return True
    return False


def _judge(ex: Exercise, fn: Callable[..., Any], reveal: bool, watch_library: bool = True) -> CheckResult:
    """Run every case; name a known bug only when it explains every failing case, else report the first failure."""
    if not callable(fn):
        return _fail(ex, f"expected a function, got {type(fn).__name__}", reveal)
    library = _code_objects((*ex.library, ex.reference)) if watch_library else {}
    conventions_seen: list[Convention] = []
    failed: list[tuple[Case, tuple[Any, ...] | None, str]] = []   # case, the student's result (None: crashed), why
    for case in ex.cases:
        try:
            value, hits, args = _calls_into(set(library), fn, case, ex)
        except NotImplementedError:
            return CheckResult(False, "not implemented", f"TODO  {ex.name}: not implemented yet. Replace "
                               "`raise NotImplementedError` with your code (or finish a function it calls) "
                               "and run this cell again.")
        except Exception as e:  # noqa: BLE001 - the student's code crashed: explain, never crash the notebook
            failed.append((case, None, f"your function raised {type(e).__name__}: {e}"))
            continue
        if hits:
            names = ", ".join(sorted({library[c] for c in hits}))
            return CheckResult(False, "fail", f"FAIL  {ex.name}: your function calls nnedu's own {names}. "
                               "The point is to write it yourself with NumPy; the library's version is "
                               "what your result is compared with.")
        modified = _modified_inputs(ex, case, args)
        if modified:
            _failures[ex.name] += 1
            v = modified[0]
            return CheckResult(False, "fail", f"FAIL  {ex.name}: your function changed its input "
                               f"{', '.join(modified)} in place. Compute new arrays instead (`{v}2 = {v} * 2` "
                               f"or `{v} = {v} * 2`, not `{v} *= 2` or `{v}[...] = ...`): the caller still holds "
                               f"the original and uses it again.\n  case: {case.label}")
        try:
            got = _as_outputs(value, ex, args)
        except _Problem as e:
            failed.append((case, None, str(e)))
            continue
        expected = _outputs(ex, ex.reference, case)
        problems = [d for n, g, e in zip(ex.compared, got, expected) if (d := _difference(n, g, e, ex.exact))]
        if not problems:
            continue
        convention = next((c for c in ex.conventions if _matches(got, c.fn, case, ex)), None)
        if convention is not None:
            if convention not in conventions_seen:
                conventions_seen.append(convention)
            continue
        failed.append((case, got, "\n  problem: ".join(problems)))
    if not failed:
        return _pass(ex, conventions_seen)
    shown = [(c, g) for c, g, _ in failed if g is not None]
    if shown:
        bug = next((b for b in ex.bugs if all(_explains(b, c, g, ex) for c, g, _ in failed)), None)
        if bug is not None:
            _failures[ex.name] += 1
            text = f"FAIL  {ex.name}: {bug.message}\n  case: {shown[0][0].label}"
            return CheckResult(False, "fail", text + _formula(ex, reveal, hint=False))
    case, _, why = failed[0]
    return _fail(ex, f"case: {case.label}\n  problem: {why}", reveal, case.hint)


def _formula(ex: Exercise, reveal: bool, hint: bool = True) -> str:
    text = f"\n  hint: {ex.hint}" if hint and ex.hint else ""
    if reveal or _failures[ex.name] >= REVEAL_AFTER:
        return text + f"\n  formula: {ex.formula}"
    return text + (f"\n  (stuck? check_{ex.name}({ex.name}, reveal=True) shows the formula; "
                   f"it also appears after {REVEAL_AFTER} failed checks)")


def _fail(ex: Exercise, problem: str, reveal: bool, case_hint: str = "") -> CheckResult:
    _failures[ex.name] += 1
    text = f"FAIL  {ex.name}\n  {problem}"
    if case_hint:
        text += f"\n  about this case: {case_hint}"
    return CheckResult(False, "fail", text + _formula(ex, reveal))


def _pass(ex: Exercise, conventions: list[Convention]) -> CheckResult:
    _failures[ex.name] = 0
    if ex.exact:
        detail = "exactly right"
    else:
        tol = {str(k): v for k, v in TOLERANCE.items()}
        detail = (f"agree with the reference (to {tol['float64']:.0e} in float64, "
                  f"{tol['float32']:.0e} in float32)")
    text = f"PASS  {ex.name}: all {len(ex.cases)} cases {detail}."
    for c in conventions:
        text += f"\n  note: {c.message}"
    return CheckResult(True, "pass", text)
