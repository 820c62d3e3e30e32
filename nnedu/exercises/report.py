r"""The shared machinery of the exercise checks: run cases, compare, report.

Every ``check_*`` helper in :mod:`nnedu.exercises` builds a list of
:class:`Case` objects (random but seeded inputs, including edge cases) and
hands them to :func:`run_check` together with the student's function. Each case
calls the student's function and returns the arrays to compare: the student's
result against the nnedu reference, and, for backward passes, against the
central-difference numerical gradient of the reference forward pass.

The report is one clear line:

* ``PASS`` with the largest relative error over all cases, or
* ``FAIL`` with the case, the tensor, the largest error and a hint, or
* ``not implemented yet`` when the function still raises
  :class:`NotImplementedError` (the student copy of a notebook), so that a
  notebook runs top to bottom before the student has written anything.

Errors are measured with :func:`nnedu.checking.rel_error`,

.. math:: \text{rel}(a, b) = \frac{\max_i |a_i - b_i|}{\max(\max_i |a_i|, \max_i |b_i|)} .

A correct solution agrees with the reference to rounding (about 1e-16 to 1e-13
in float64) and with numerical gradients to about 1e-10 to 1e-8.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from nnedu.checking import rel_error
from nnedu.dtype import get_default_dtype, set_default_dtype

#: Tolerance against the nnedu reference implementation (same formula, different rounding).
REFERENCE_TOL = 1e-7
#: Tolerance against central differences with ``h = 1e-6`` in float64.
NUMERICAL_TOL = 1e-6
#: Below this an error is pure floating-point rounding; reported as such so the text is stable.
ROUNDING_LEVEL = 1e-12


@dataclass
class Comparison:
    """One tensor of the student's result next to the value it should have.

    Attributes
    ----------
    name : str
        What is compared, e.g. ``"dW"``.
    got : array_like
        The student's value.
    expected : np.ndarray
        The reference value.
    kind : {"reference", "numerical"}
        Whether ``expected`` comes from the nnedu implementation or from central differences.
    hint : str
        Printed when this comparison fails (falls back to the case's and the check's hint).
    """

    name: str
    got: Any
    expected: np.ndarray
    kind: str = "reference"
    hint: str = ""


@dataclass
class Case:
    """One input on which the student's function is run.

    Attributes
    ----------
    label : str
        Short description printed on failure, e.g. ``"N=1 (a single example)"``.
    run : callable
        ``run(fn) -> list[Comparison]``: calls the student's ``fn`` and returns what to compare.
    hint : str
        Printed when this case fails.
    """

    label: str
    run: Callable[[Callable[..., Any]], list[Comparison]]
    hint: str = ""


@dataclass
class CheckResult:
    """Outcome of :func:`run_check`; truthy when the check passed."""

    passed: bool
    status: str  # "pass", "fail" or "not implemented" ("grey zone": gradcheck_report only)
    message: str
    errors: dict[str, float] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return self.passed

    def _ipython_display_(self) -> None:
        """Show nothing as a cell's result: the verdict has been printed already.

        (A trailing ``;`` would hide it too, but IPython ignores ``;`` when a
        cell runs without storing history, as under nbval.)
        """


def format_error(err: float) -> str:
    """An error as text that does not flicker between machines: rounding-level errors become a bound."""
    if err < ROUNDING_LEVEL:
        return f"< {ROUNDING_LEVEL:.0e} (rounding level)"
    return f"{err:.1e}"


@contextlib.contextmanager
def float64() -> Iterator[None]:
    """Compute in float64 inside the block (numerical gradients need it), then restore the default dtype."""
    old = get_default_dtype()
    set_default_dtype(np.float64)
    try:
        yield
    finally:
        set_default_dtype(old)


class _WrongReturn(Exception):
    """The student's function returned the wrong number or kind of things."""


def unpack(got: Any, names: Sequence[str], fn_name: str) -> tuple[np.ndarray, ...]:
    """Split the student's return value into ``len(names)`` arrays, failing clearly otherwise.

    Parameters
    ----------
    got : Any
        What the student's function returned.
    names : sequence of str
        The names of the expected results, e.g. ``("dX", "dW", "db")``.
    fn_name : str
        The function's name, for the message.
    """
    if len(names) == 1:
        return (got,)
    if not isinstance(got, (tuple, list)) or len(got) != len(names):
        count = len(got) if isinstance(got, (tuple, list)) else "1 value"
        raise _WrongReturn(
            f"{fn_name} must return a tuple ({', '.join(names)}), got {count}"
            + ("" if isinstance(got, (tuple, list)) else f" of type {type(got).__name__}")
        )
    return tuple(got)


def _compare(c: Comparison) -> tuple[float | None, str]:
    """Return (error, problem). ``problem`` is non-empty when shapes or values are unusable."""
    if c.got is None:
        return None, f"{c.name} is None (did the function forget to return it?)"
    try:
        got = np.asarray(c.got, dtype=np.float64)
    except (TypeError, ValueError):
        return None, f"{c.name} is a {type(c.got).__name__}, not an array of numbers"
    expected = np.asarray(c.expected, dtype=np.float64)
    if got.shape != expected.shape:
        return None, f"{c.name} has shape {got.shape} but should have shape {expected.shape}"
    if not np.all(np.isfinite(got)):
        bad = int(np.sum(~np.isfinite(got)))
        return None, f"{c.name} contains {bad} nan/inf value(s)"
    return rel_error(got, expected), ""


def run_check(title: str, fn: Callable[..., Any], cases: Sequence[Case], hint: str,
              reference_tol: float = REFERENCE_TOL, numerical_tol: float = NUMERICAL_TOL,
              verbose: bool = True) -> CheckResult:
    """Run the student's ``fn`` on every case and print one verdict.

    Parameters
    ----------
    title : str
        What is checked, e.g. ``"relu_backward"``.
    fn : callable
        The student's function.
    cases : sequence of Case
        Inputs and the comparisons each produces.
    hint : str
        General advice printed on failure, after the case's own hint.
    reference_tol, numerical_tol : float
        Largest relative error accepted against the reference and against numerical gradients.
    verbose : bool
        Print the verdict (the result is returned either way).

    Returns
    -------
    CheckResult
        Truthy if and only if every comparison of every case passed.
    """
    def finish(passed: bool, status: str, message: str, errors: dict[str, float]) -> CheckResult:
        if verbose:
            print(message)
        return CheckResult(passed, status, message, errors)

    if not callable(fn):
        return finish(False, "fail", f"FAIL  {title}: expected a function, got {type(fn).__name__}", {})

    largest = {"reference": 0.0, "numerical": 0.0}
    seen: set[str] = set()
    tols = {"reference": reference_tol, "numerical": numerical_tol}
    for case in cases:
        try:
            with np.errstate(all="ignore"):
                comparisons = case.run(fn)
        except NotImplementedError:
            return finish(False, "not implemented", f"{title}: not implemented yet. Replace "
                          "`raise NotImplementedError` with your code and run this cell again.", {})
        except _WrongReturn as e:
            return finish(False, "fail", _fail_text(title, case, str(e), case.hint, hint), {})
        except Exception as e:  # the student's code crashed: report it, do not crash the notebook
            problem = f"your function raised {type(e).__name__}: {e}"
            return finish(False, "fail", _fail_text(title, case, problem, case.hint, hint), {})
        for c in comparisons:
            err, problem = _compare(c)
            if problem:
                return finish(False, "fail", _fail_text(title, case, problem, c.hint or case.hint, hint),
                              {})
            assert err is not None
            seen.add(c.kind)
            largest[c.kind] = max(largest[c.kind], err)
            if not err <= tols[c.kind]:
                against = "the nnedu reference" if c.kind == "reference" else "the numerical gradient"
                problem = (f"{c.name} differs from {against}: largest relative error {err:.1e} "
                           f"(tolerance {tols[c.kind]:.0e})")
                return finish(False, "fail", _fail_text(title, case, problem, c.hint or case.hint, hint),
                              dict(largest))

    parts = [f"reference {format_error(largest['reference'])}"]
    if "numerical" in seen:
        parts.append(f"numerical gradient < {numerical_tol:.0e}")
    msg = (f"PASS  {title}: {len(cases)} cases; largest relative error vs "
           + ", vs ".join(parts) + ".")
    return finish(True, "pass", msg, dict(largest))


def _fail_text(title: str, case: Case, problem: str, case_hint: str, hint: str) -> str:
    lines = [f"FAIL  {title}", f"  case:    {case.label}", f"  problem: {problem}"]
    for h in (case_hint, hint):
        if h:
            lines.append(f"  hint:    {h}")
    return "\n".join(lines)


#: A correct float64 backward checked with ``h = 1e-6`` stays below this relative error.
GRADCHECK_GOOD = 1e-7
#: From here on the error is of order one in the digits that matter: a bug.
GRADCHECK_BUG = 1e-3


def order_of_magnitude(err: float) -> str:
    """``err`` rounded to its power of ten, e.g. ``3.2e-11 -> "1e-10"``, ``7e-9 -> "1e-08"``, ``0.0 -> "0"``.

    The tiny errors of a correct gradient check are rounding noise: their leading digit changes
    with the machine, their order of magnitude rarely does, so this is what a notebook prints.
    """
    if not err > 0 or not np.isfinite(err):
        return "0" if err == 0 else str(err)
    return f"1e{int(np.round(np.log10(err))):+03d}"


def gradcheck_report(name: str, err: float, expected: float = GRADCHECK_GOOD) -> CheckResult:
    """Print a gradient-check result, with its relative error, in a form that is stable between machines.

    The relative error (:func:`nnedu.checking.rel_error`: the largest absolute difference divided by
    the tensor's largest magnitude) falls in one of three bands, the table of notebook 01:

    * below :data:`GRADCHECK_GOOD` (1e-7): **PASS**, rounding noise (a correct float64 backward with
      ``h = 1e-6`` gives about 1e-11 to 1e-8). Printed as its order of magnitude (``~1e-10``), which
      does not change from machine to machine the way its leading digit does;
    * from 1e-7 to :data:`GRADCHECK_BUG` (1e-3): the **grey zone**, LOOK CLOSER (a kink within ``h`` of
      an input, float32, a badly scaled loss, or a bug touching few entries);
    * 1e-3 and more: **FAIL**, a bug.

    Failing errors are printed to one significant digit (``3e-01``).

    Parameters
    ----------
    name : str
        What was checked, e.g. ``"Linear(5, 3)"``.
    err : float
        The relative error returned by :func:`nnedu.gradcheck` or :func:`nnedu.checking.rel_error`.
    expected : float
        The error below which the check passes (default :data:`GRADCHECK_GOOD`, 1e-7); a smaller value
        makes the check stricter, and the grey zone starts there.

    Returns
    -------
    CheckResult
        Truthy when ``err < expected``; ``status`` is ``"pass"``, ``"grey zone"`` or ``"fail"``, and
        ``errors["gradcheck"]`` holds the exact value.
    """
    err = float(err)
    if err < expected:
        status, verdict = "pass", f"~{order_of_magnitude(err)}  (rounding noise: below {expected:.0e})  PASS"
    elif err < GRADCHECK_BUG:
        status = "grey zone"
        verdict = (f"{err:.0e}  (grey zone {expected:.0e}..{GRADCHECK_BUG:.0e}: a kink near an input, "
                   f"float32, or a small bug)  LOOK CLOSER")
    else:
        status, verdict = "fail", f"{err:.0e}  ({GRADCHECK_BUG:.0e} or more: a bug)  FAIL"
    message = f"{name:<28s} relative error {verdict}"
    print(message)
    return CheckResult(status == "pass", status, message, {"gradcheck": err})
