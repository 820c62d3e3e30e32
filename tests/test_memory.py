"""nnedu.memory: on Linux with glibc, freed memory is kept for the next batch (no page fault per temporary)."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

import nnedu

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the policy applies to glibc only")

# Train steps of LeNet-5 (batch 128, after three to warm up): print the page faults per step. Its
# temporaries have many sizes, so glibc's default (an mmap threshold that adapts to the sizes freed, then
# trimming) keeps giving pages back and faulting them in again.
FAULTS = """
import resource, numpy as np, nnedu
from nnedu import nn
from nnedu.optim import SGD
model = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2, rng=0), nn.ReLU(), nn.MaxPool2d(2),
                      nn.Conv2d(6, 16, 5, rng=0), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                      nn.Linear(400, 120, rng=0), nn.ReLU(), nn.Linear(120, 84, rng=0), nn.ReLU(),
                      nn.Linear(84, 10, rng=0))
criterion, opt = nn.CrossEntropyLoss(), SGD(model.parameters(), lr=0.01)
rng = np.random.default_rng(0)
x, y = rng.random((128, 1, 28, 28), dtype=np.float32), rng.integers(0, 10, 128)
def steps(n):
    for _ in range(n):
        opt.zero_grad()
        criterion(model(x), y)
        model.backward(criterion.backward())
        opt.step()
steps(3)
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
steps(10)
print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) // 10)
"""


def _faults(**env: str) -> int:
    clean = {k: v for k, v in os.environ.items() if k not in ("NNEDU_MALLOC_POLICY",) + nnedu.memory.USER_SETTINGS}
    env = {**clean, "NNEDU_NUM_THREADS": "1", **env}            # one thread: the same count every run
    out = subprocess.run([sys.executable, "-c", FAULTS], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr[-600:]
    return int(out.stdout.split()[-1])


def test_freed_memory_is_reused_without_page_faults():
    kept, default = _faults(), _faults(NNEDU_MALLOC_POLICY="0")
    assert kept < 50, f"with the policy the steps reuse the same pages, got {kept} page faults per step"
    assert default > 200, f"glibc's default: the steps fault pages in again, got {default} per step"


def test_the_users_own_allocator_settings_win():
    assert _faults(MALLOC_TRIM_THRESHOLD_="0", MALLOC_MMAP_THRESHOLD_="65536") > 200
