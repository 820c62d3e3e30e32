"""Layer speed: nnedu vs PyTorch CPU for Linear, activations, BatchNorm1d, CrossEntropyLoss and an MLP train step.

Run from the repository root (PyTorch is needed for the comparison)::

    nice python benchmarks/bench_layers.py --threads 2

``--threads N`` gives nnedu N threads (``nnedu.set_num_threads(N)``: its own
threads split each batch, BLAS runs one thread inside each) and PyTorch N
threads (``torch.set_num_threads(N)``; the environment variables are set to N
before anything is imported, too). Every row times forward + backward (the train steps also the SGD
update) in float32 with batch ``--batch``: the wall-clock median of
``--steps`` runs after ``--warmup`` runs. The last column compares CPU time
(summed over threads), which is steadier when other processes share the cores.
The convolution, pooling and LeNet-5 rows come from ``benchmarks/bench_conv.py``
(which also times naive vs im2col convolution); ``--no-conv`` leaves them out.
"""
from __future__ import annotations

import argparse
import os
import sys


def _parse() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1,
                    help="threads for BLAS and PyTorch (default: all cores)")
    ap.add_argument("--steps", type=int, default=100, help="timed repetitions (median reported, >= 50)")
    ap.add_argument("--warmup", type=int, default=20, help="untimed repetitions first")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--no-conv", action="store_true", help="leave out the Conv2d/MaxPool2d/LeNet-5 rows")
    return ap.parse_args()


ARGS = _parse() if __name__ == "__main__" else None
if ARGS is not None:
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(ARGS.threads)

from typing import Callable  # noqa: E402

import numpy as np  # noqa: E402
import nnedu  # noqa: E402
from bench_common import fwd_bwd_steps, paired_median_times, train_steps  # noqa: E402

from nnedu import nn  # noqa: E402

MLP_SIZES = (784, 256, 128, 10)


# -- one layer: forward + backward -------------------------------------------------------------------
def loss_steps(torch, logits: np.ndarray, labels: np.ndarray) -> tuple[Callable, Callable]:
    ours, theirs = nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss()
    zt, yt = torch.from_numpy(logits).requires_grad_(True), torch.from_numpy(labels)

    def ours_step() -> None:
        ours(logits, labels)
        ours.backward()

    def theirs_step() -> None:
        theirs(zt, yt).backward()
    return ours_step, theirs_step


# -- a whole network: forward + backward + SGD update --------------------------------------------------
def mlp_nnedu(batchnorm: bool) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (d, m) in enumerate(zip(MLP_SIZES[:-1], MLP_SIZES[1:])):
        layers.append(nn.Linear(d, m, rng=i))
        if i < len(MLP_SIZES) - 2:
            layers += [nn.BatchNorm1d(m)] if batchnorm else []
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def mlp_torch(torch, batchnorm: bool):
    layers = []
    for i, (d, m) in enumerate(zip(MLP_SIZES[:-1], MLP_SIZES[1:])):
        layers.append(torch.nn.Linear(d, m))
        if i < len(MLP_SIZES) - 2:
            layers += [torch.nn.BatchNorm1d(m)] if batchnorm else []
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


def rows(torch, batch: int, conv: bool = True) -> list[tuple[str, Callable, Callable]]:
    """(label, nnedu step, torch step) for every row of the table."""
    rng = np.random.default_rng(0)
    h = rng.standard_normal((batch, 256)).astype(np.float32)
    x = rng.random((batch, 784), dtype=np.float32)
    y = rng.integers(0, 10, batch)
    tnn = torch.nn
    table = [
        ("Linear(784, 256)", *fwd_bwd_steps(torch, nn.Linear(784, 256, rng=0), tnn.Linear(784, 256), x)),
        ("ReLU (N, 256)", *fwd_bwd_steps(torch, nn.ReLU(), tnn.ReLU(), h)),
        ("Sigmoid (N, 256)", *fwd_bwd_steps(torch, nn.Sigmoid(), tnn.Sigmoid(), h)),
        ("Tanh (N, 256)", *fwd_bwd_steps(torch, nn.Tanh(), tnn.Tanh(), h)),
        ("BatchNorm1d(256), train mode", *fwd_bwd_steps(torch, nn.BatchNorm1d(256), tnn.BatchNorm1d(256), h)),
        ("CrossEntropyLoss (N, 10)", *loss_steps(torch, h[:, :10].copy(), y)),
    ]
    for label, bn, input_grad in (("MLP 784-256-128-10 train step", False, False),
                                  ("  same, first layer also computes dL/dx", False, True),
                                  ("MLP with BatchNorm1d train step", True, False)):
        table.append((label, *train_steps(torch, mlp_nnedu(bn), mlp_torch(torch, bn), x, y, input_grad)))
    if conv:
        from bench_conv import torch_rows     # benchmarks/ is on sys.path when this script runs
        table += torch_rows(torch, batch)
    return table


def main() -> None:
    args = ARGS
    try:
        import torch
    except ImportError:
        sys.exit("bench_layers.py compares with PyTorch, which is not installed")
    torch.set_num_threads(args.threads)
    nnedu.set_num_threads(args.threads)
    print(f"nnedu threads: {nnedu.thread_info()}")
    print(f"numpy {np.__version__}, torch {torch.__version__} CPU, threads {args.threads}, batch {args.batch}, "
          f"float32, median of {args.steps} after {args.warmup} warm-up; forward + backward per row")
    print(f"\n{'':<42s} {'nnedu ms':>9s} {'torch ms':>9s} {'ratio':>7s} {'CPU-time ratio':>15s}")
    for name, ours_step, theirs_step in rows(torch, args.batch, conv=not args.no_conv):
        (ours, ours_cpu), (ref, ref_cpu) = paired_median_times(ours_step, theirs_step, args.steps, args.warmup)
        print(f"{name:<42s} {ours * 1e3:9.3f} {ref * 1e3:9.3f} {ours / ref:6.2f}x {ours_cpu / ref_cpu:14.2f}x",
              flush=True)


if __name__ == "__main__":
    main()
