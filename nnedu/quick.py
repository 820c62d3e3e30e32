"""Quick mode: small data and few epochs, so that the notebooks run in seconds under test.

The test configuration sets the environment variable ``NNEDU_QUICK=1``; a
student running a notebook without it gets the full result.

Examples
--------
>>> from nnedu.quick import QUICK, pick
>>> epochs = pick(full=10, quick=1)
"""
from __future__ import annotations

import os
from typing import TypeVar

T = TypeVar("T")

QUICK: bool = os.environ.get("NNEDU_QUICK", "0").strip().lower() not in ("", "0", "false", "no")


def pick(full: T, quick: T) -> T:
    """Return ``quick`` in quick mode, ``full`` otherwise."""
    return quick if QUICK else full
