"""Root pytest configuration: every notebook run under pytest is in quick mode.

nbval starts each notebook's kernel from this process, so the kernel inherits
``NNEDU_QUICK=1`` (small data, few epochs, no progress bars) and ``NNEDU_WORKSPACE``.

The kernels also get one BLAS thread each (unless the caller chose otherwise):
the quick-mode matrices are small, and on a busy 2-core CI machine
multi-threaded OpenBLAS is tens of times slower than one thread. One thread
also makes floating-point results independent of the machine's core count.
"""
import atexit
import os
import shutil
import tempfile

os.environ["NNEDU_QUICK"] = "1"
# The exercise checks copy each checked function into a workspace folder, which notebooks 07 and 08 read
# back to train with "the student's" code (here: the instructor notebooks' solutions). One fresh folder
# per test session, filled by notebooks 01-06 before 07 and 08 run (pytest runs them in name order),
# never the notebooks/workspace/ of someone working in this tree.
if "NNEDU_WORKSPACE" not in os.environ:
    _workspace = tempfile.mkdtemp(prefix="nnedu-workspace-")
    atexit.register(shutil.rmtree, _workspace, ignore_errors=True)
    os.environ["NNEDU_WORKSPACE"] = _workspace
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")


def pytest_addoption(parser, pluginmanager):
    """Keep ``-p no:nbval`` usable: accept the nbval flags from ``addopts`` when nbval is disabled.

    ``pyproject.toml``'s ``addopts`` always passes ``--nbval --nbval-current-env --nbval-cell-timeout``
    (so that the README's plain ``pytest`` also checks the notebooks, and a cell that never finishes
    fails instead of blocking the run); ``pytest -p no:nbval tests/...`` runs
    only the unit tests, and then those flags must parse and do nothing.
    """
    if not pluginmanager.has_plugin("nbval"):
        group = parser.getgroup("nbval", "nbval is disabled (-p no:nbval); these flags are ignored")
        group.addoption("--nbval", action="store_true", help="ignored: nbval is disabled")
        group.addoption("--nbval-current-env", action="store_true", help="ignored: nbval is disabled")
        group.addoption("--nbval-cell-timeout", action="store", help="ignored: nbval is disabled")
