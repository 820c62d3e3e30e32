"""Shared test fixtures."""
import numpy as np
import pytest

import nnedu


@pytest.fixture
def float64():
    """Compute in float64 for the duration of a test (gradient checks need it)."""
    old = nnedu.get_default_dtype()
    nnedu.set_default_dtype(np.float64)
    yield
    nnedu.set_default_dtype(old)
