"""Accuracy of the default recipes, side by side with PyTorch (the reference).

For each model (MLP, LeNet-5) and data set (MNIST, Fashion-MNIST) this trains

* nnedu: the default recipe of :mod:`nnedu.recipes` with :func:`nnedu.train.fit`;
* PyTorch: the identical architecture, starting from the *same initial
  weights* (copied from the nnedu model; Linear weights transposed), with the
  same optimizer, learning-rate schedule, batch size, batch order (the same
  seeded :class:`nnedu.data.DataLoader` feeds both) and number of epochs,

then prints test accuracy and seconds per epoch of both, and the differences.
Both run with the same number of threads (``--threads``, default 1: the
machines we measure on are shared), epoch by epoch in alternation (nnedu
epoch 1, torch epoch 1, torch epoch 2, nnedu epoch 2, ...), so that both see
the same machine load.

    python benchmarks/bench_accuracy.py                         # everything, 10 epochs
    python benchmarks/bench_accuracy.py --datasets mnist --models mlp
    python benchmarks/bench_accuracy.py --datasets fashion-mnist --epochs 5
    python benchmarks/bench_accuracy.py --datasets mnist --seed 1     # another initialisation and batch order

Results are also written as JSON (``--json``). torch is only the reference
here; nnedu never imports it.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", nargs="+", default=["mlp", "lenet5"], choices=["mlp", "lenet5"])
    p.add_argument("--datasets", nargs="+", default=["mnist", "fashion-mnist"], choices=["mnist", "fashion-mnist"])
    p.add_argument("--epochs", type=int, default=None, help="override the recipes' epochs (default: recipe, 10)")
    p.add_argument("--seed", type=int, default=None, help="override the recipes' seed (weights and batch order)")
    p.add_argument("--threads", type=int, default=1, help="threads for both: nnedu's and BLAS's, and torch's (default 1)")
    p.add_argument("--fashion-dir", type=Path, default=ROOT.parent / "shared" / "data",
                   help="folder containing fashion-mnist/ (default ../shared/data)")
    p.add_argument("--json", type=Path, default=None, help="append results to this JSON file")
    p.add_argument("--skip-torch", action="store_true", help="nnedu only")
    return p.parse_args(argv)


ARGS = parse_args() if __name__ == "__main__" else None
if ARGS is not None:  # thread counts must be set before NumPy loads its BLAS
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NNEDU_NUM_THREADS"):
        os.environ[var] = str(ARGS.threads)

import numpy as np  # noqa: E402

from nnedu.data import DataLoader  # noqa: E402
from nnedu.nn import CrossEntropyLoss, Conv2d, Linear  # noqa: E402
from nnedu.recipes import RECIPES, load_data, make_model, make_optimizer, make_scheduler  # noqa: E402
from nnedu.train import evaluate, fit  # noqa: E402


def torch_model(name: str, nnedu_model):
    """The same architecture in torch.nn, with the nnedu model's current weights copied in."""
    import torch
    from torch import nn
    if name == "mlp":
        sizes = nnedu_model.config["kwargs"]["sizes"]
        layers = [nn.Flatten()]
        for i in range(len(sizes) - 1):
            layers.append(nn.Linear(sizes[i], sizes[i + 1]))
            if i < len(sizes) - 2:
                layers.append(nn.ReLU())
        net = nn.Sequential(*layers)
    else:
        net = nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 120, 5), nn.ReLU(), nn.Flatten(),
            nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
    ours = [m for m in nnedu_model.modules() if isinstance(m, (Linear, Conv2d))]
    theirs = [m for m in net.modules() if isinstance(m, (nn.Linear, nn.Conv2d))]
    assert len(ours) == len(theirs)
    with torch.no_grad():
        for a, b in zip(ours, theirs):
            w = a.weight.data.T if isinstance(a, Linear) else a.weight.data  # our Linear is (in, out)
            assert tuple(b.weight.shape) == w.shape, (b, w.shape)
            b.weight.copy_(torch.from_numpy(np.ascontiguousarray(w)))
            b.bias.copy_(torch.from_numpy(a.bias.data))
    return net


def torch_optimizer(recipe, params):
    import torch
    o, lr, wd = recipe.optimizer, recipe.lr, recipe.weight_decay
    if o == "sgd":
        return torch.optim.SGD(params, lr=lr, weight_decay=wd)
    if o in ("momentum", "nesterov"):
        return torch.optim.SGD(params, lr=lr, momentum=recipe.momentum, weight_decay=wd, nesterov=o == "nesterov")
    return {"adagrad": torch.optim.Adagrad, "rmsprop": torch.optim.RMSprop, "adam": torch.optim.Adam,
            "adamw": torch.optim.AdamW}[o](params, lr=lr, weight_decay=wd)


def torch_scheduler(recipe, opt, epochs):
    import torch
    s = recipe.scheduler
    if s == "none":
        return None
    if s == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(1, epochs))
    if s == "step":
        return torch.optim.lr_scheduler.StepLR(opt, step_size=max(1, epochs // 3), gamma=0.1)
    return torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.9)


class TorchRun:
    """PyTorch side: same architecture and initial weights, same optimizer, schedule and batches."""

    def __init__(self, name, recipe, epochs, data, init_model):
        import torch
        torch.set_num_threads(ARGS.threads if ARGS else 1)
        self.torch, self.data = torch, data
        self.net = torch_model(name, init_model)
        self.opt = torch_optimizer(recipe, self.net.parameters())
        self.sched = torch_scheduler(recipe, self.opt, epochs)
        self.crit = torch.nn.CrossEntropyLoss()
        self.loader = DataLoader(data.x_train, data.y_train, recipe.batch_size, shuffle=True, seed=recipe.seed)
        self.seconds, self.train_loss = [], []

    def epoch(self):
        torch = self.torch
        self.net.train()
        total, n = 0.0, 0
        start = time.perf_counter()
        for xb, yb in self.loader:
            x, y = torch.from_numpy(xb), torch.from_numpy(yb)
            loss = self.crit(self.net(x), y)
            self.opt.zero_grad()
            loss.backward()
            self.opt.step()
            total += loss.item() * len(yb)
            n += len(yb)
        self.seconds.append(time.perf_counter() - start)
        self.train_loss.append(total / n)
        if self.sched is not None:
            self.sched.step()

    def result(self):
        self.net.eval()
        x_test, y_test = self.data.x_test, self.data.y_test
        with self.torch.no_grad():
            pred = np.concatenate([self.net(self.torch.from_numpy(x_test[i:i + 1000])).argmax(1).numpy()
                                   for i in range(0, len(y_test), 1000)])
        return {"test_accuracy": float(np.mean(pred == y_test)), "seconds_per_epoch": float(np.mean(self.seconds)),
                "seconds": self.seconds, "train_loss": self.train_loss}


class NneduRun:
    """nnedu side: the recipe with :func:`nnedu.train.fit`, one epoch per call.

    ``fit(..., epochs=1)`` called E times is the same computation as one call
    with ``epochs=E``: the DataLoader draws a fresh permutation per pass and
    the scheduler is stepped once per epoch.
    """

    def __init__(self, name, recipe, epochs, data):
        self.data = data
        self.model = make_model(name, seed=recipe.seed)
        self.init_copy = make_model(name, seed=recipe.seed)  # identical initial weights, for torch
        self.opt = make_optimizer(recipe.optimizer, self.model.parameters(), recipe.lr, recipe.momentum,
                                  recipe.weight_decay)
        self.sched = make_scheduler(recipe.scheduler, self.opt, epochs)
        self.loader = DataLoader(data.x_train, data.y_train, recipe.batch_size, shuffle=True, seed=recipe.seed)
        self.crit = CrossEntropyLoss()
        self.seconds, self.train_loss = [], []

    def epoch(self):
        hist = fit(self.model, self.crit, self.opt, self.loader, 1, scheduler=self.sched, progress=False)
        self.seconds += hist.seconds
        self.train_loss += hist.train_loss

    def result(self):
        ev = evaluate(self.model, (self.data.x_test, self.data.y_test))
        return {"test_accuracy": ev.accuracy, "seconds_per_epoch": float(np.mean(self.seconds)),
                "seconds": self.seconds, "train_loss": self.train_loss}


def main() -> int:
    args = ARGS
    results = []
    print(f"threads: {args.threads}; numpy {np.__version__}; python {platform.python_version()}; "
          f"{platform.machine()} ({os.cpu_count()} CPUs)", flush=True)
    for dataset in args.datasets:
        data_dir = args.fashion_dir if dataset == "fashion-mnist" else None
        data = load_data(dataset, data_dir=data_dir)
        for name in args.models:
            recipe = RECIPES[name].replace(seed=args.seed)
            epochs = args.epochs or recipe.epochs
            print(f"\n== {name} on {dataset}: {epochs} epochs, {json.dumps(recipe.to_dict())}", flush=True)
            ours_run = NneduRun(name, recipe, epochs, data)
            ref_run = None if args.skip_torch else TorchRun(name, recipe, epochs, data, ours_run.init_copy)
            for e in range(epochs):
                # alternate who goes first, so that both see the same (shared, varying) machine load
                runs = [ours_run, ref_run] if e % 2 == 0 else [ref_run, ours_run]
                for run in runs:
                    if run is not None:
                        run.epoch()
                print(f"  epoch {e + 1}: nnedu {ours_run.seconds[-1]:.1f} s"
                      + (f", torch {ref_run.seconds[-1]:.1f} s" if ref_run else ""), flush=True)
            ours = ours_run.result()
            print(f"nnedu  : test accuracy {100 * ours['test_accuracy']:.2f}%, "
                  f"{ours['seconds_per_epoch']:.1f} s/epoch, train loss per epoch "
                  f"{[round(v, 4) for v in ours['train_loss']]}", flush=True)
            row = {"model": name, "dataset": dataset, "epochs": epochs, "recipe": recipe.to_dict(),
                   "threads": args.threads, "nnedu": ours}
            if ref_run is not None:
                import torch
                ref = ref_run.result()
                print(f"PyTorch: test accuracy {100 * ref['test_accuracy']:.2f}%, "
                      f"{ref['seconds_per_epoch']:.1f} s/epoch (torch {torch.__version__}), train loss per epoch "
                      f"{[round(v, 4) for v in ref['train_loss']]}", flush=True)
                row["torch"] = ref
                row["torch_version"] = torch.__version__
                row["accuracy_gap_points"] = 100 * (ours["test_accuracy"] - ref["test_accuracy"])
                row["time_ratio"] = ours["seconds_per_epoch"] / ref["seconds_per_epoch"]
                row["time_ratio_median_epoch"] = float(np.median(np.array(ours["seconds"]) / np.array(ref["seconds"])))
                print(f"gap {row['accuracy_gap_points']:+.2f} points, nnedu/torch time {row['time_ratio']:.2f}x "
                      f"(median of per-epoch ratios {row['time_ratio_median_epoch']:.2f}x)", flush=True)
            results.append(row)
            if args.json:
                old = json.loads(args.json.read_text()) if args.json.exists() else []
                args.json.parent.mkdir(parents=True, exist_ok=True)
                args.json.write_text(json.dumps(old + [row], indent=1))
    print("\n| model | data | epochs | nnedu test acc. | PyTorch test acc. | gap (points) "
          "| nnedu s/epoch | PyTorch s/epoch | ratio |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        t = r.get("torch")
        print(f"| {r['model']} | {r['dataset']} | {r['epochs']} | {100 * r['nnedu']['test_accuracy']:.2f}% | "
              + (f"{100 * t['test_accuracy']:.2f}% | {r['accuracy_gap_points']:+.2f} | " if t else "- | - | ")
              + f"{r['nnedu']['seconds_per_epoch']:.1f} | "
              + (f"{t['seconds_per_epoch']:.1f} | {r['time_ratio']:.2f}x |" if t else "- | - |"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
