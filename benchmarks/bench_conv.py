"""Convolution speed: naive loops vs im2col, and nnedu vs PyTorch CPU for Conv2d, MaxPool2d and a LeNet-5 train step.

Run from the repository root (PyTorch is needed for the comparison columns)::

    nice python benchmarks/bench_conv.py --threads 1
    nice python benchmarks/bench_conv.py --threads 2

``--threads N`` gives nnedu N threads (``nnedu.set_num_threads(N)``: its own
threads split each batch, BLAS runs one thread inside each) and PyTorch N
threads (``torch.set_num_threads(N)``; the environment variables are set to N
before anything is imported, too). Times are wall-clock medians, float32, batch 128; the last column
compares CPU time (summed over threads), which is steadier on a shared machine. The naive loops are
timed once per measurement (a single forward takes seconds), im2col and
PyTorch as the median of ``--steps`` runs after ``--warmup`` runs.
"""
from __future__ import annotations

import argparse
import os
import sys


def _parse() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1,
                    help="threads for BLAS and PyTorch (default: all cores)")
    ap.add_argument("--steps", type=int, default=50, help="timed repetitions (median reported)")
    ap.add_argument("--warmup", type=int, default=10, help="untimed repetitions first")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--skip-naive", action="store_true", help="skip the slow naive-loop rows")
    return ap.parse_args()


ARGS = _parse() if __name__ == "__main__" else None
if ARGS is not None:
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(ARGS.threads)

from typing import Callable  # noqa: E402

import numpy as np  # noqa: E402
import nnedu  # noqa: E402
from bench_common import fwd_bwd_steps, median_time, paired_median_times, train_steps  # noqa: E402

from nnedu import nn  # noqa: E402

# LeNet-5 convolution shapes (in_channels, out_channels, kernel, padding, input H=W).
CONV_SHAPES = {"conv1": (1, 6, 5, 2, 28), "conv2": (6, 16, 5, 0, 14)}


def lenet_nnedu(rng: int = 0) -> nn.Sequential:
    """LeNet-5 (modern: ReLU, max pooling) from nnedu.nn layers."""
    model = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2, rng=rng), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5, rng=rng), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(400, 120, rng=rng), nn.ReLU(),
        nn.Linear(120, 84, rng=rng), nn.ReLU(), nn.Linear(84, 10, rng=rng),
    )
    return model


def lenet_torch(torch):
    tnn = torch.nn
    return tnn.Sequential(
        tnn.Conv2d(1, 6, 5, padding=2), tnn.ReLU(), tnn.MaxPool2d(2),
        tnn.Conv2d(6, 16, 5), tnn.ReLU(), tnn.MaxPool2d(2),
        tnn.Flatten(), tnn.Linear(400, 120), tnn.ReLU(),
        tnn.Linear(120, 84), tnn.ReLU(), tnn.Linear(84, 10),
    )


def torch_rows(torch, batch: int) -> list[tuple[str, Callable[[], None], Callable[[], None]]]:
    """(label, nnedu step, torch step) for Conv2d, MaxPool2d and the LeNet-5 train step.

    ``benchmarks/bench_layers.py`` imports this to put these rows in its table too.
    """
    rng = np.random.default_rng(0)
    tnn = torch.nn
    table = []
    for name, (c, f, k, p, hw) in CONV_SHAPES.items():
        x = rng.standard_normal((batch, c, hw, hw)).astype(np.float32)
        # conv1 sees the images, which need no gradient (in either library).
        table.append((f"Conv2d({c}, {f}, {k}, padding={p}) {name}",
                      *fwd_bwd_steps(torch, nn.Conv2d(c, f, k, padding=p, rng=0), tnn.Conv2d(c, f, k, padding=p),
                                     x, input_grad=name != "conv1")))
    for c, hw in ((6, 28), (16, 10)):
        x = rng.standard_normal((batch, c, hw, hw)).astype(np.float32)
        table.append((f"MaxPool2d(2) (N, {c}, {hw}, {hw})", *fwd_bwd_steps(torch, nn.MaxPool2d(2), tnn.MaxPool2d(2), x)))
    x = rng.random((batch, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, batch)
    table.append(("LeNet-5 train step", *train_steps(torch, lenet_nnedu(), lenet_torch(torch), x, y)))
    table.append(("  same, conv1 also computes dL/dx",
                  *train_steps(torch, lenet_nnedu(), lenet_torch(torch), x, y, input_grad=True)))
    return table


def naive_vs_im2col(batch: int, steps: int, warmup: int) -> list[tuple[str, float, float]]:
    """Rows (name, naive seconds, im2col seconds) for Conv2d forward and backward."""
    rng = np.random.default_rng(0)
    rows = []
    for name, (c, f, k, p, hw) in CONV_SHAPES.items():
        x = rng.standard_normal((batch, c, hw, hw)).astype(np.float32)
        layers = {m: nn.Conv2d(c, f, k, padding=p, method=m, rng=0) for m in ("naive", "im2col")}
        G = rng.standard_normal(layers["im2col"](x).shape).astype(np.float32)
        t = {}
        for m, layer in layers.items():
            reps, warm = (1, 0) if m == "naive" else (steps, warmup)
            t[m, "fwd"] = median_time(lambda: layer(x), reps, warm)[0]
            layer(x)
            t[m, "bwd"] = median_time(lambda: layer.backward(G), reps, warm)[0]
        rows.append((f"Conv2d {name} forward", t["naive", "fwd"], t["im2col", "fwd"]))
        rows.append((f"Conv2d {name} backward", t["naive", "bwd"], t["im2col", "bwd"]))
    return rows


def main() -> None:
    args = ARGS
    nnedu.set_num_threads(args.threads)
    print(f"numpy {np.__version__}, threads {args.threads}, batch {args.batch}, float32, "
          f"median of {args.steps} after {args.warmup} warm-up")
    if not args.skip_naive:
        print(f"\n{'naive loops vs im2col':<48s} {'naive ms':>9s} {'im2col ms':>9s} {'speedup':>7s}")
        for name, slow, fast in naive_vs_im2col(args.batch, args.steps, args.warmup):
            print(f"{name:<48s} {slow * 1e3:9.1f} {fast * 1e3:9.3f} {slow / fast:6.0f}x", flush=True)
    try:
        import torch
    except ImportError:
        print("\nPyTorch is not installed: skipping the comparison.", file=sys.stderr)
        return
    torch.set_num_threads(args.threads)
    print(f"\n{'nnedu vs PyTorch ' + torch.__version__ + ' CPU':<48s} {'nnedu ms':>9s} {'torch ms':>9s} "
          f"{'ratio':>7s} {'CPU-time ratio':>15s}")
    for name, ours_step, theirs_step in torch_rows(torch, args.batch):
        (ours, ours_cpu), (ref, ref_cpu) = paired_median_times(ours_step, theirs_step, args.steps, args.warmup)
        print(f"{name:<48s} {ours * 1e3:9.3f} {ref * 1e3:9.3f} {ours / ref:6.2f}x {ours_cpu / ref_cpu:14.2f}x",
              flush=True)


if __name__ == "__main__":
    main()
