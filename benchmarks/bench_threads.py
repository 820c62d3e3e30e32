"""The thread policy on a quiet and on a busy machine: nnedu's default vs the old default vs one thread.

Run from the repository root::

    .venv/bin/python benchmarks/bench_threads.py                      # training steps, ~3 minutes
    .venv/bin/python benchmarks/bench_threads.py --notebooks 03_batchnorm 07_mlp_mnist

Each measurement runs in a fresh Python process, so that every thread setting
starts from scratch, with one of three settings:

* ``old default``: what nnedu did before ``nnedu.threads`` (and what plain
  NumPy does): OpenBLAS on every core, nnedu's own code on one thread
  (``OPENBLAS_NUM_THREADS=<cores> NNEDU_NUM_THREADS=1``);
* ``policy``: nnedu's default (nothing set: BLAS one thread, nnedu's threads on the cores);
* ``1 thread``: everything on one thread (``NNEDU_NUM_THREADS=1``).

and under two loads: ``quiet`` (nothing added) and ``busy``: ``--burners``
processes that spin on the CPU beside it (default: as many as there are
cores), the student laptop with a browser, a video call and an IDE running.

Workloads: ``mlp`` (300 train steps of a 784-256-128-10 MLP, batch 128),
``lenet`` (40 train steps of LeNet-5, batch 64), both float32, SGD; with
``--notebooks``, also whole notebooks executed top to bottom with
``jupyter nbconvert --execute`` (quick mode, ``NNEDU_QUICK=1``, unless ``--full``).
The table gives the median wall-clock seconds of ``--repeats`` runs and, per
row, the ratio of each setting to the best one in that row.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
THREAD_VARS = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS", "NNEDU_NUM_THREADS")


def settings(cores: int) -> dict[str, dict[str, str]]:
    """Setting name -> environment variables the child process gets."""
    return {"old default": {"OPENBLAS_NUM_THREADS": str(cores), "NNEDU_NUM_THREADS": "1"},
            "policy": {},
            "1 thread": {"NNEDU_NUM_THREADS": "1"}}


def child(workload: str) -> None:
    """Run one workload in this process and print its seconds."""
    import numpy as np

    from nnedu import nn
    from nnedu.models import MLP, LeNet5
    from nnedu.optim import SGD

    rng = np.random.default_rng(0)
    if workload == "mlp":
        model, batch, steps = MLP(sizes=(784, 256, 128, 10), rng=0), 128, 300
        x = rng.random((batch, 784), dtype=np.float32)
    else:
        model, batch, steps = LeNet5(rng=0), 64, 40
        x = rng.random((batch, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, batch)
    criterion, opt = nn.CrossEntropyLoss(), SGD(model.parameters(), lr=0.01)
    t0 = time.perf_counter()
    for _ in range(steps):
        opt.zero_grad()
        criterion(model(x), y)
        model.backward(criterion.backward())
        opt.step()
    print(f"{time.perf_counter() - t0:.4f}")


def run_once(workload: str, env_extra: dict[str, str], full: bool) -> float:
    env = {k: v for k, v in os.environ.items() if k not in THREAD_VARS}
    env.update(env_extra)
    env.pop("MPLBACKEND", None)
    if workload.startswith("notebook:"):
        name = workload.split(":", 1)[1]
        env["NNEDU_QUICK"] = "" if full else "1"
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
                            "--output-dir", tmp, f"{name}.ipynb"], cwd=REPO / "notebooks", env=env, check=True,
                           capture_output=True, timeout=3600)
            return time.perf_counter() - t0
    out = subprocess.run([sys.executable, __file__, "--child", workload], env=env, check=True,
                         capture_output=True, text=True, timeout=3600)
    return float(out.stdout.strip().splitlines()[-1])


def start_burners(n: int) -> list[subprocess.Popen]:
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]


def stop(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        p.terminate()
    for p in procs:
        p.wait(timeout=10)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--workloads", nargs="*", default=["mlp", "lenet"], choices=["mlp", "lenet"])
    ap.add_argument("--notebooks", nargs="*", default=[], help="notebook names without .ipynb, e.g. 07_mlp_mnist")
    ap.add_argument("--full", action="store_true", help="run the notebooks in full mode, not quick mode")
    ap.add_argument("--burners", type=int, default=None, help="CPU-burning processes for 'busy' (default: cores)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--settings", nargs="+", default=["old default", "policy", "1 thread"],
                    choices=["old default", "policy", "1 thread"], help="which settings to run")
    ap.add_argument("--loads", nargs="+", default=["quiet", "busy"], choices=["quiet", "busy"])
    args = ap.parse_args()
    if args.child:
        child(args.child)
        return
    import nnedu
    cores = nnedu.threads.available_cores()
    burners = cores if args.burners is None else args.burners
    configs = {name: env for name, env in settings(cores).items() if name in args.settings}
    workloads = args.workloads + [f"notebook:{n}" for n in args.notebooks]
    print(f"{cores} cores; load before: {os.getloadavg()[0]:.1f}; busy = {burners} CPU-burning processes; "
          f"median of {args.repeats} runs; seconds (ratio to the best setting in the row)")
    header = f"{'load':<6s} {'workload':<28s}" + "".join(f"{name:>22s}" for name in configs)
    print(header)
    for load in args.loads:
        procs = start_burners(burners) if load == "busy" else []
        try:
            for workload in workloads:
                times = {name: [] for name in configs}
                for _ in range(args.repeats):            # interleaved, so that all settings see the same load
                    for name, env in configs.items():
                        times[name].append(run_once(workload, env, args.full))
                med = {name: statistics.median(t) for name, t in times.items()}
                best = min(med.values())
                label = workload.replace("notebook:", "notebook ") + (" (full)" if args.full and "notebook"
                                                                       in workload else "")
                print(f"{load:<6s} {label:<28s}" + "".join(f"{med[n]:>12.2f} s ({med[n] / best:4.1f}x)"
                                                          for n in configs), flush=True)
        finally:
            stop(procs)


if __name__ == "__main__":
    main()
