"""``nnedu train`` and ``nnedu evaluate``: train a model from the command line, evaluate a saved one.

    python -m nnedu train lenet5                       # default recipe, full MNIST
    python -m nnedu train mlp --epochs 1 --limit 2000 --out runs/quick
    python -m nnedu evaluate runs/lenet5-mnist/model.npz

``train`` writes into ``--out``: ``model.npz`` (architecture, weights,
optimizer state, recipe and input standardisation), ``history.json``,
``history.csv`` and ``curves.png``.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from nnedu.recipes import DATASETS, OPTIMIZERS, RECIPES, SCHEDULERS

if TYPE_CHECKING:
    from nnedu.train import Evaluation


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``train`` and ``evaluate`` commands."""
    p = subparsers.add_parser(
        "train", help="train an MLP or LeNet-5 and save model, history and curves",
        description="Train a model on MNIST or Fashion-MNIST. Without options: the default recipe "
                    "on the full data set. Unset options take the model's default recipe "
                    "(" + "; ".join(f"{name}: {r.optimizer} lr {r.lr}, batch {r.batch_size}, {r.scheduler}, "
                                    f"{r.epochs} epochs" for name, r in sorted(RECIPES.items())) + ").")
    p.add_argument("model", choices=sorted(RECIPES), help="which model")
    p.add_argument("--dataset", choices=DATASETS, default="mnist", help="data set (default mnist)")
    p.add_argument("--epochs", type=int, default=None, help="passes over the training set (default: the recipe's)")
    p.add_argument("--batch-size", type=int, default=None, help="mini-batch size (default: the recipe's)")
    p.add_argument("--optimizer", choices=OPTIMIZERS, default=None, help="update rule")
    p.add_argument("--lr", type=float, default=None, help="(initial) learning rate")
    p.add_argument("--momentum", type=float, default=None, help="momentum for 'momentum'/'nesterov' (default 0.9)")
    p.add_argument("--weight-decay", type=float, default=None, help="L2 penalty coefficient (default 0)")
    p.add_argument("--scheduler", choices=SCHEDULERS, default=None, help="learning-rate schedule per epoch")
    p.add_argument("--augment-shift", type=int, default=None, metavar="PIXELS",
                   help="shift training images randomly by up to PIXELS (default: the recipe's)")
    p.add_argument("--limit", type=int, default=None, metavar="N",
                   help="train on a stratified subset of N training images (quick runs)")
    p.add_argument("--val-size", type=int, default=0, metavar="N",
                   help="hold out N training images for validation and keep the best epoch's weights "
                        "(default 0: no hold-out; the test set is only monitored, never used to choose)")
    p.add_argument("--seed", type=int, default=None, help="seed of weights, batch order, subset (default 0)")
    p.add_argument("--out", type=Path, default=None, help="output folder (default runs/MODEL-DATASET)")
    p.add_argument("--data-dir", type=Path, default=None, help="folder holding the data sets")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=train_command)

    e = subparsers.add_parser("evaluate", help="test accuracy and confusion matrix of a saved model",
                              description="Evaluate a model saved by 'nnedu train' on a test set.")
    e.add_argument("model_file", type=Path, metavar="MODEL.npz")
    e.add_argument("--dataset", choices=DATASETS, default=None,
                   help="test set (default: the one the model was trained on)")
    e.add_argument("--data-dir", type=Path, default=None, help="folder holding the data sets")
    e.add_argument("--batch-size", type=int, default=1000, help="evaluation batch size")
    e.set_defaults(func=evaluate_command)


def train_command(args: argparse.Namespace) -> int:
    """``nnedu train``: run a recipe, save model, history and curves.

    Returns 0 on success, 1 if training diverged, 2 for an impossible ``--val-size``.
    """
    import nnedu
    from nnedu.data import DataLoader
    from nnedu.metrics import confusion_matrix, format_confusion_matrix
    from nnedu.nn import CrossEntropyLoss
    from nnedu.plotting import plot_history
    from nnedu.recipes import ShiftAugment, load_data, make_model, make_optimizer, make_scheduler
    from nnedu.train import TrainingDivergedError, evaluate, fit

    recipe = RECIPES[args.model].replace(
        epochs=args.epochs, batch_size=args.batch_size, optimizer=args.optimizer, lr=args.lr,
        momentum=args.momentum, weight_decay=args.weight_decay, scheduler=args.scheduler,
        augment_shift=args.augment_shift, seed=args.seed)
    out = args.out or Path("runs") / f"{args.model}-{args.dataset}"
    out.mkdir(parents=True, exist_ok=True)
    print(f"nnedu train {args.model} on {args.dataset}: {json.dumps(recipe.to_dict())}")

    data = load_data(args.dataset, args.limit, recipe.seed, args.data_dir)
    x_train, y_train, x_test, y_test = data.x_train, data.y_train, data.x_test, data.y_test
    val = None
    if args.val_size:
        if not 0 < args.val_size < len(y_train):
            print(f"nnedu train: --val-size must be between 1 and {len(y_train) - 1}", file=sys.stderr)
            return 2
        perm = np.random.default_rng(recipe.seed).permutation(len(y_train))
        hold, keep = perm[:args.val_size], np.sort(perm[args.val_size:])
        val = (x_train[hold], y_train[hold])
        x_train, y_train = x_train[keep], y_train[keep]
    print(f"training on {len(y_train):,} images, "
          + (f"validating on {len(val[1]):,}, " if val else "")
          + f"testing on {len(y_test):,}; output folder {out}")

    model = make_model(args.model, seed=recipe.seed)
    optimizer = make_optimizer(recipe.optimizer, model.parameters(), recipe.lr, recipe.momentum,
                               recipe.weight_decay)
    scheduler = make_scheduler(recipe.scheduler, optimizer, recipe.epochs)
    loader = DataLoader(x_train, y_train, recipe.batch_size, shuffle=True, seed=recipe.seed)
    train_data = ShiftAugment(loader, recipe.augment_shift, seed=recipe.seed + 1) if recipe.augment_shift else loader
    monitor = val if val is not None else (x_test, y_test)
    criterion = CrossEntropyLoss()
    started = time.perf_counter()
    try:
        history = fit(model, criterion, optimizer, train_data, recipe.epochs, val_loader=monitor,
                      scheduler=scheduler, progress=not args.no_progress, restore_best=val is not None)
    except TrainingDivergedError as err:
        print(f"nnedu train: {err}", file=sys.stderr)
        return 1
    total = time.perf_counter() - started

    ev = evaluate(model, (x_test, y_test), criterion)
    extra = {"dataset": args.dataset, "recipe": recipe.to_dict(), "test_accuracy": ev.accuracy,
             "train_images": int(len(y_train)), "limit": args.limit, "val_size": args.val_size,
             "input_mean": data.mean, "input_std": data.std}
    nnedu.save(model, out / "model.npz", optimizer=optimizer, scheduler=scheduler, extra=extra)
    record = {"model": args.model, "dataset": args.dataset, "recipe": recipe.to_dict(),
              "test_accuracy": ev.accuracy, "test_loss": ev.loss, "total_seconds": total,
              "monitored": "validation" if val is not None else "test", "history": history.to_dict()}
    with open(out / "history.json", "w", encoding="utf-8") as f:
        json.dump(record, f, indent=1)
    history.to_csv(str(out / "history.csv"))
    fig = plot_history(history, val_label="validation" if val is not None else "test",
                       title=f"{args.model} on {args.dataset}: test accuracy {100 * ev.accuracy:.2f}%")
    fig.savefig(out / "curves.png", dpi=110)
    import matplotlib.pyplot as plt
    plt.close(fig)

    print(format_confusion_matrix(confusion_matrix(y_test, ev.logits, 10)))
    if history.restored_best:
        print(f"restored the weights of epoch {history.best_epoch} (best validation accuracy "
              f"{100 * history.best_val_acc:.2f}%)")
    print(f"seconds per epoch: {np.mean(history.seconds):.1f} (total {total:.0f} s)")
    _print_test_accuracy(ev, y_test)
    print(f"wrote {out / 'model.npz'}, {out / 'history.json'}, {out / 'history.csv'}, {out / 'curves.png'}")
    return 0


def evaluate_command(args: argparse.Namespace) -> int:
    """``nnedu evaluate``: test accuracy and confusion matrix of a saved model; 1 if the file is unreadable."""
    from nnedu.data import FASHION_MNIST, load_fashion_mnist, load_mnist
    from nnedu.metrics import confusion_matrix, format_confusion_matrix
    from nnedu.recipes import standardize
    from nnedu.serialization import CheckpointError, load_checkpoint
    from nnedu.train import evaluate

    try:
        ckpt = load_checkpoint(args.model_file)
    except (CheckpointError, FileNotFoundError, ValueError) as err:
        print(f"nnedu evaluate: {err}", file=sys.stderr)
        return 1
    extra = ckpt.extra or {}
    dataset = args.dataset or extra.get("dataset", "mnist")
    load = load_mnist if dataset == "mnist" else load_fashion_mnist
    x, y = load("test", normalize=True, data_dir=args.data_dir)
    if "input_mean" in extra:
        x = standardize(x, extra["input_mean"], extra["input_std"])
    else:
        print("note: the file records no input standardisation; using pixels in [0, 1]")
    ev = evaluate(ckpt.model, (x, y), batch_size=args.batch_size)
    names = list(FASHION_MNIST.classes) if dataset == "fashion-mnist" else None
    print(f"{args.model_file}: {type(ckpt.model).__name__} on the {dataset} test set ({len(y):,} images)")
    print(format_confusion_matrix(confusion_matrix(y, ev.logits, 10), names))
    _print_test_accuracy(ev, y)
    return 0


def _print_test_accuracy(ev: Evaluation, labels: np.ndarray) -> None:
    """The line both commands print last about the model: ``Test accuracy: 99.21% (9921/10000)``."""
    n_right = int(np.count_nonzero(ev.predictions == labels))
    print(f"Test accuracy: {100 * ev.accuracy:.2f}% ({n_right}/{len(labels)})")
