"""The thread policy (nnedu.threads) and the parallel helpers (nnedu.functional._parallel)."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import nnedu
from nnedu import nn
from nnedu.functional import _parallel
from nnedu.models import LeNet5


@pytest.fixture
def threads():
    """Restore nnedu's thread count (not BLAS's: the tests run with one BLAS thread anyway) after a test."""
    before = nnedu.get_num_threads()
    yield
    nnedu.set_num_threads(before, blas_threads=None)


def _lenet_step(x, y):
    model = LeNet5(rng=0)
    model.c1.needs_input_grad = True
    criterion = nn.CrossEntropyLoss()
    logits = model(x)
    loss = criterion(logits, y)
    dx = model.backward(criterion.backward())
    return [logits, np.asarray(loss), dx] + [p.grad.copy() for p in model.parameters()]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_results_are_bit_identical_for_any_thread_count(threads, dtype):
    rng = np.random.default_rng(0)
    x = rng.random((96, 1, 28, 28)).astype(dtype)
    y = rng.integers(0, 10, 96)
    results = {}
    for n in (1, 2, 3, 4):
        nnedu.set_num_threads(n, blas_threads=None)
        results[n] = _lenet_step(x, y)
    for n in (2, 3, 4):
        for a, b in zip(results[1], results[n]):
            assert np.array_equal(a, b), f"{n} threads changed a result"


def test_the_helpers_compute_what_numpy_computes(threads):
    nnedu.set_num_threads(3, blas_threads=None)
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((300, 200)), rng.standard_normal((200, 500))
    np.testing.assert_allclose(_parallel.matmul(a, b), a @ b, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(_parallel.matmul(a.T[:150], a[:, :20]), a.T[:150] @ a[:, :20], rtol=1e-12, atol=1e-12)
    x, bias = rng.standard_normal((64, 8, 20, 20)), rng.standard_normal((8, 1, 1))
    assert np.array_equal(_parallel.ufunc(np.add, x, bias), x + bias)
    assert np.array_equal(_parallel.ufunc(np.greater, x, 0), x > 0)
    dst = np.empty((8, 64, 20, 20))
    _parallel.copyto(dst, x.transpose(1, 0, 2, 3), axis=1)
    assert np.array_equal(dst, x.transpose(1, 0, 2, 3))


def test_parallel_for_covers_every_index_once_and_really_uses_threads(threads):
    nnedu.set_num_threads(4, blas_threads=None)
    hits = np.zeros(1000, dtype=int)
    together = threading.Barrier(4, timeout=30)       # passes only if four pieces run at the same time

    def body(s):
        hits[s] += 1
        together.wait()
    _parallel.parallel_for(1000, body, work=10**7)
    assert (hits == 1).all()
    small = set()
    _parallel.parallel_for(1000, lambda s: small.add(threading.current_thread().name), work=100)
    assert small == {threading.current_thread().name}, "tiny jobs must not be split"


def test_an_error_in_any_piece_is_raised_after_all_pieces_finished(threads):
    nnedu.set_num_threads(4, blas_threads=None)
    done = []

    def body(s):
        if s.start == 0:
            raise ValueError("piece 0 failed")
        done.append(s)
    with pytest.raises(ValueError, match="piece 0 failed"):
        _parallel.parallel_for(100, body, work=10**7)
    assert len(done) == 3


def test_nested_calls_run_serially_instead_of_deadlocking(threads):
    nnedu.set_num_threads(2, blas_threads=None)
    out = np.zeros(100)

    def outer(s):
        _parallel.parallel_for(100, lambda t: None, work=10**7)   # would wait for a busy pool
        out[s] = 1
    _parallel.parallel_for(100, outer, work=10**7)
    assert (out == 1).all()


def test_calls_from_two_threads_at_once_both_complete(threads):
    """A widget callback and the main thread may both compute: the second caller runs its job serially."""
    nnedu.set_num_threads(2, blas_threads=None)
    hits = np.zeros((2, 1000), dtype=int)
    inside_first = threading.Event()
    release_first = threading.Event()

    def first(s):
        inside_first.set()
        release_first.wait(30)
        hits[0, s] += 1

    def second(s):
        hits[1, s] += 1

    caller = threading.Thread(target=_parallel.parallel_for, args=(1000, first), kwargs={"work": 10**8})
    caller.start()
    assert inside_first.wait(30)
    _parallel.parallel_for(1000, second, work=10**8)      # the workers are busy: runs serially, no deadlock
    release_first.set()
    caller.join(30)
    assert (hits == 1).all()


def test_an_interrupt_leaves_no_stale_piece_behind(threads):
    """Ctrl-C ("interrupt kernel") while pieces run: it is raised, and the next call is computed in full."""
    import _thread
    nnedu.set_num_threads(4, blas_threads=None)
    slow_done = threading.Event()

    def interrupted(s):
        if s.start == 0:
            _thread.interrupt_main()                      # the main thread's own piece gets the Ctrl-C
            time.sleep(0.2)                               # (raised when this piece returns)
        else:
            time.sleep(0.3)                               # the other pieces are still running then
            slow_done.set()

    with pytest.raises(KeyboardInterrupt):
        _parallel.parallel_for(100, interrupted, work=10**8)
    hits = np.zeros(100, dtype=int)

    def count(s):
        time.sleep(0.01)
        hits[s] += 1
    _parallel.parallel_for(100, count, work=10**8)       # must not return on a late result of the first call
    assert (hits == 1).all()
    assert slow_done.wait(5)


def test_set_num_threads_validates(threads):
    with pytest.raises(ValueError, match="at least 1"):
        nnedu.set_num_threads(0)
    with pytest.raises(ValueError, match="blas_threads"):
        nnedu.set_num_threads(2, blas_threads=0)
    nnedu.set_num_threads(3, blas_threads=None)
    assert nnedu.get_num_threads() == 3 and nnedu.thread_info()["nnedu_threads"] == 3


def _fresh_python(code: str, **env: str) -> str:
    clean = {k: v for k, v in os.environ.items()
             if k not in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS", "NNEDU_NUM_THREADS")}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={**clean, **env},
                          timeout=120)
    return proc.stdout.strip() + proc.stderr.strip()[-600:]


INFO = ("import nnedu; i = nnedu.thread_info(); "
        "print(i['nnedu_threads'], sorted({l['threads'] for l in i['libraries'] if l['library'] != 'openmp'}))")


def test_importing_nnedu_gives_blas_one_thread_and_nnedu_the_cores():
    cores = min(nnedu.threads.available_cores(), nnedu.threads.MAX_DEFAULT_THREADS)
    assert _fresh_python(INFO) == f"{cores} [1]"


def test_the_user_overrides_the_policy_with_environment_variables():
    assert _fresh_python(INFO, NNEDU_NUM_THREADS="3") .startswith("3 ")
    assert _fresh_python(INFO, OPENBLAS_NUM_THREADS="2").endswith("[2]"), "an explicit BLAS choice is kept"
    assert "NNEDU_NUM_THREADS must be a positive integer, got 'many'" in _fresh_python(
        INFO, NNEDU_NUM_THREADS="many")


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_gets_its_own_pool(threads):
    nnedu.set_num_threads(2, blas_threads=None)
    a = np.random.default_rng(0).standard_normal((400, 300))
    expected = _parallel.matmul(a, a.T)            # the parent's pool now has a worker thread
    pid = os.fork()
    if pid == 0:                                   # the child: the parent's worker does not exist here
        ok = np.array_equal(_parallel.matmul(a, a.T), expected)
        os._exit(0 if ok else 1)
    for _ in range(600):                           # a child waiting for a thread that is not there hangs
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        time.sleep(0.1)
    else:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        pytest.fail("the forked child hung in matmul: it waited for the parent's pool threads")
    assert os.WEXITSTATUS(status) == 0


def test_the_callers_errstate_holds_in_every_piece(threads):
    nnedu.set_num_threads(4, blas_threads=None)
    seen = []
    with np.errstate(over="raise"):
        _parallel.parallel_for(100, lambda s: seen.append(np.geterr()["over"]), work=10**7)
    assert seen and set(seen) == {"raise"}
