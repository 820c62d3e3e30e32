r"""What a check returns, and the report of a gradient check.

:class:`CheckResult` is what every ``check_<name>`` of :mod:`nnedu.exercises` returns (and prints:
see :mod:`nnedu.exercises.checker`). :func:`gradcheck_report` prints the outcome of a numerical
gradient check (:func:`nnedu.gradcheck`) in words a student can act on.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Iterator

import numpy as np

from nnedu.dtype import get_default_dtype, set_default_dtype


@dataclass
class CheckResult:
    """Outcome of a check; truthy when it passed."""

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


#: Below this an error is pure floating-point rounding; reported as such so the text is stable.
ROUNDING_LEVEL = 1e-12


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
