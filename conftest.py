"""Root pytest configuration: every notebook run under pytest is in quick mode.

nbval starts each notebook's kernel from this process, so the kernel inherits
``NNEDU_QUICK=1``: small data, few epochs, no progress bars.
"""
import os

os.environ["NNEDU_QUICK"] = "1"
