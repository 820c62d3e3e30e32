"""``nnedu train`` and ``nnedu evaluate``: train a model from the command line, evaluate a saved one.

    python -m nnedu train lenet5                       # default recipe, full MNIST
    python -m nnedu train mlp --epochs 1 --limit 2000 --out runs/quick
    python -m nnedu evaluate runs/lenet5-mnist/model.npz

``train`` writes into ``--out``: ``model.npz`` (architecture, weights,
optimizer state, recipe and input standardisation), ``history.json``,
``history.csv`` and ``curves.png``. It checks that it can write there before
training, and writes the four files only if training succeeded, all together.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import signal
import sys
import threading
import time
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator

import numpy as np

import nnedu
from nnedu._atomic import check_writable, new_temp_file
from nnedu.recipes import DATASETS, OPTIMIZERS, RECIPES, SCHEDULERS

if TYPE_CHECKING:
    from nnedu.recipes import Data, Recipe
    from nnedu.train import Evaluation, History


def _int_at_least(low: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer >= {low}, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"expected an integer >= {low}, got {value}")
        return value
    parse.__name__ = f"integer >= {low}"
    return parse


def _finite(low: float, strict: bool) -> Callable[[str], float]:
    bound = f"> {low:g}" if strict else f">= {low:g}"

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or value < low or (strict and value == low):
            raise argparse.ArgumentTypeError(f"expected a finite number {bound}, got {text!r}")
        return value
    parse.__name__ = f"number {bound}"
    return parse


positive_int, natural_int = _int_at_least(1), _int_at_least(0)
positive_float, nonnegative_float = _finite(0.0, strict=True), _finite(0.0, strict=False)


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
    p.add_argument("--epochs", type=positive_int, default=None, help="passes over the training set (default: the recipe's)")
    p.add_argument("--batch-size", type=positive_int, default=None, help="mini-batch size (default: the recipe's)")
    p.add_argument("--optimizer", choices=OPTIMIZERS, default=None, help="update rule")
    p.add_argument("--lr", type=positive_float, default=None, help="(initial) learning rate")
    p.add_argument("--momentum", type=nonnegative_float, default=None, help="momentum for 'momentum'/'nesterov' (default 0.9)")
    p.add_argument("--weight-decay", type=nonnegative_float, default=None, help="L2 penalty coefficient (default 0)")
    p.add_argument("--scheduler", choices=SCHEDULERS, default=None, help="learning-rate schedule per epoch")
    p.add_argument("--augment-shift", type=natural_int, default=None, metavar="PIXELS",
                   help="shift training images randomly by up to PIXELS (default: the recipe's)")
    p.add_argument("--limit", type=positive_int, default=None, metavar="N",
                   help="train on a stratified subset of N training images (quick runs)")
    p.add_argument("--val-size", type=natural_int, default=0, metavar="N",
                   help="hold out N training images for validation and keep the best epoch's weights "
                        "(default 0: no hold-out; the test set is only monitored, never used to choose)")
    p.add_argument("--seed", type=natural_int, default=None, help="seed of weights, batch order, subset (default 0)")
    p.add_argument("--out", type=Path, default=None, help="output folder (default runs/MODEL-DATASET)")
    p.add_argument("--data-dir", type=Path, default=None, help="folder holding the data sets")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=train_command)

    e = subparsers.add_parser("evaluate", help="test accuracy and confusion matrix of a saved model",
                              description="Evaluate a model saved by 'nnedu train' on a test set.")
    e.add_argument("model_file", type=Path, metavar="MODEL.npz")
    e.add_argument("--dataset", choices=DATASETS, default=None,
                   help="test set (default: the one the model was trained on; only an explicit "
                        "--dataset is downloaded if missing)")
    e.add_argument("--data-dir", type=Path, default=None, help="folder holding the data sets")
    e.add_argument("--batch-size", type=positive_int, default=1000, help="evaluation batch size")
    e.set_defaults(func=evaluate_command)


def train_command(args: argparse.Namespace) -> int:
    """``nnedu train``: run a recipe, save model, history and curves.

    Returns 0 on success, 1 if training diverged or the outputs could not be
    written, 2 for an unusable output folder, data set or ``--val-size``.
    Nothing is written unless training succeeded, and then all four files
    replace the previous run's together.
    """
    recipe = RECIPES[args.model].replace(
        epochs=args.epochs, batch_size=args.batch_size, optimizer=args.optimizer, lr=args.lr,
        momentum=args.momentum, weight_decay=args.weight_decay, scheduler=args.scheduler,
        augment_shift=args.augment_shift, seed=args.seed)
    out = args.out or Path("runs") / f"{args.model}-{args.dataset}"
    created = not out.exists()
    try:
        check_writable(out)  # now, not after hours of training
    except OSError as err:
        return _error(f"cannot write into the output folder {out} ({err.strerror or err}); "
                      "choose another with --out", 2)
    code = 1
    try:
        with np.errstate(over="ignore", invalid="ignore"):  # a blow-up is reported as divergence, once
            code = _train(args, recipe, out)
    finally:
        if code != 0 and created:
            with suppress(OSError):
                out.rmdir()  # only if empty: an output folder made for a run that wrote nothing
    return code


def _train(args: argparse.Namespace, recipe: Recipe, out: Path) -> int:
    """Load the data, train, evaluate and write the outputs; the exit code."""
    from nnedu.data import DataLoader
    from nnedu.metrics import confusion_matrix, format_confusion_matrix
    from nnedu.nn import CrossEntropyLoss
    from nnedu.recipes import ShiftAugment, make_model, make_optimizer, make_scheduler
    from nnedu.train import TrainingDivergedError, evaluate, fit

    print(f"nnedu train {args.model} on {args.dataset}: {json.dumps(recipe.to_dict())}")

    data = _load_training_data(args, recipe.seed)
    if data is None:
        return 2
    x_train, y_train, x_test, y_test = data.x_train, data.y_train, data.x_test, data.y_test
    val = None
    if args.val_size:
        if not 0 < args.val_size < len(y_train):
            return _error(f"--val-size must be between 1 and {len(y_train) - 1}", 2)
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
        return _error(f"{str(err).splitlines()[0]} Try a smaller --lr. Nothing was written to {out}.")
    total = time.perf_counter() - started

    ev = evaluate(model, (x_test, y_test), criterion)
    if not math.isfinite(ev.loss):
        return _error(f"training diverged: the test loss of the trained model is {ev.loss}; try a smaller "
                      f"learning rate than {recipe.lr:g}. Nothing was written to {out}.")
    extra = {"dataset": args.dataset, "recipe": recipe.to_dict(), "test_accuracy": ev.accuracy,
             "train_images": int(len(y_train)), "limit": args.limit, "val_size": args.val_size,
             "input_mean": data.mean, "input_std": data.std}
    record = {"model": args.model, "dataset": args.dataset, "recipe": recipe.to_dict(),
              "test_accuracy": ev.accuracy, "test_loss": ev.loss, "total_seconds": total,
              "monitored": "validation" if val is not None else "test", "history": history.to_dict()}
    title = f"{args.model} on {args.dataset}: test accuracy {100 * ev.accuracy:.2f}%"
    names = ["model.npz", "history.json", "history.csv", "curves.png"]
    try:
        write_outputs(out, {
            "model.npz": lambda path: nnedu.save(model, path, optimizer=optimizer, scheduler=scheduler,
                                                 extra=extra),
            "history.json": lambda path: _write_json(path, record),
            "history.csv": lambda path: history.to_csv(str(path)),
            "curves.png": lambda path: _save_curves(path, history, val is not None, title),
        })
    except OSError as err:
        return _error(f"could not write the results into {out} ({err.strerror or err}); nothing of this run "
                      f"was written, the files already there are unchanged")

    print(format_confusion_matrix(confusion_matrix(y_test, ev.logits, 10)))
    if history.restored_best:
        print(f"restored the weights of epoch {history.best_epoch} (best validation accuracy "
              f"{100 * history.best_val_acc:.2f}%)")
    print(f"time per epoch: {format_duration(float(np.mean(history.seconds)))} "
          f"(total {format_duration(total)})")
    _print_test_accuracy(ev, y_test)
    print("wrote " + ", ".join(str(out / name) for name in names))
    return 0


def _error(message: str, code: int = 1) -> int:
    """Print ``nnedu train: error: MESSAGE`` (one line) on stderr; return ``code``."""
    print(f"nnedu train: error: {message}", file=sys.stderr)
    return code


def _load_training_data(args: argparse.Namespace, seed: int) -> Data | None:
    """The data of ``args.dataset``, or None after printing one line on why it is not available."""
    from nnedu.data import DataIntegrityError, DownloadError, IDXFormatError
    from nnedu.recipes import load_data

    try:
        return load_data(args.dataset, args.limit, seed, args.data_dir)
    except DownloadError as err:
        _error(f"{args.dataset} is not in the data folder and could not be downloaded ({err.reasons[0]}); "
               f"run `python -m nnedu data download {args.dataset}` when online, or set NNEDU_MIRRORS "
               "to a reachable mirror")
    except (DataIntegrityError, IDXFormatError, FileNotFoundError) as err:
        _error(f"{str(err).splitlines()[0]} (repair: `python -m nnedu data download --force {args.dataset}`)")
    return None


def _write_json(path: Path, record: dict) -> None:
    """``record`` as JSON; a NaN or infinity becomes ``null`` (the file stays valid JSON)."""
    from nnedu.train import json_safe
    with open(path, "w", encoding="utf-8") as f:
        json.dump(json_safe(record), f, indent=1, allow_nan=False)


def _save_curves(path: Path, history: History, has_val: bool, title: str) -> None:
    """The loss and accuracy curves of ``history`` as a PNG."""
    import matplotlib.pyplot as plt

    from nnedu.plotting import plot_history
    fig = plot_history(history, val_label="validation" if has_val else "test", title=title)
    try:
        fig.savefig(path, dpi=110, format="png")
    finally:
        plt.close(fig)


def write_outputs(folder: Path, writers: dict[str, Callable[[Path], None]]) -> None:
    """Write a run's files into ``folder``: all of them, or none.

    Each writer fills a temporary file (unique name, same folder); only when
    all have succeeded are they renamed over the final names, with Ctrl-C held
    back during the renames. A full disk or an error therefore leaves the
    previous run's files as they were, and the folder never mixes two runs.
    """
    staged: dict[str, Path] = {}
    try:
        for name, write in writers.items():
            fd, staged[name] = new_temp_file(folder / name, suffix=".tmp" + Path(name).suffix)
            os.close(fd)
            write(staged[name])
        with _interrupts_deferred():
            for name, tmp in staged.items():
                os.replace(tmp, folder / name)
    finally:
        for tmp in staged.values():
            tmp.unlink(missing_ok=True)


@contextmanager
def _interrupts_deferred() -> Iterator[None]:
    """Run the block without being cut short by Ctrl-C; an interrupt received meanwhile is raised after it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if received:
        raise KeyboardInterrupt


def format_duration(seconds: float) -> str:
    """A duration with three significant digits: ``"4.21 ms"``, ``"0.352 s"``, ``"12.3 s"``, ``"2 min 05 s"``."""
    if seconds < 0.1:
        return f"{seconds * 1000:.3g} ms"
    if seconds < 60:
        return f"{seconds:.3g} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def evaluate_command(args: argparse.Namespace) -> int:
    """``nnedu evaluate``: test accuracy and confusion matrix of a saved model; 1 if the file is unusable."""
    from nnedu.data import DATASETS as KNOWN, FASHION_MNIST, DataIntegrityError, DownloadError, IDXFormatError
    from nnedu.data import load_dataset
    from nnedu.metrics import confusion_matrix, format_confusion_matrix
    from nnedu.recipes import standardize
    from nnedu.serialization import CheckpointError, load_checkpoint
    from nnedu.train import evaluate

    def fail(message: str) -> int:
        print(f"nnedu evaluate: error: {message}", file=sys.stderr)
        return 1

    try:
        ckpt = load_checkpoint(args.model_file)
    except (CheckpointError, FileNotFoundError, ValueError) as err:
        return fail(str(err).splitlines()[0])
    extra = ckpt.extra or {}
    dataset = args.dataset or extra.get("dataset", "mnist")
    if dataset not in KNOWN:
        return fail(f"{args.model_file} names the data set {dataset!r}, which nnedu does not know; "
                    f"pass --dataset ({', '.join(KNOWN)})")
    mean, std = extra.get("input_mean"), extra.get("input_std")
    if "input_mean" in extra and not (_finite_number(mean) and _finite_number(std) and std > 0):
        return fail(f"{args.model_file} records an unusable input standardisation "
                    f"(mean {mean!r}, std {std!r}); expected finite numbers, std > 0")
    try:  # a data set named by the file is never downloaded; one named by --dataset may be
        x, y = load_dataset(dataset, "test", normalize=True, data_dir=args.data_dir,
                            download=args.dataset is not None)
    except FileNotFoundError:
        return fail(f"the {dataset} test set is not in the data folder; run "
                    f"`python -m nnedu data download {dataset}` or pass --dataset {dataset}")
    except (DownloadError, DataIntegrityError, IDXFormatError) as err:
        return fail(str(err).splitlines()[0])
    if mean is not None:
        x = standardize(x, mean, std)
    else:
        print("note: the file records no input standardisation; using pixels in [0, 1]")
    ev = evaluate(ckpt.model, (x, y), batch_size=args.batch_size)
    names = list(FASHION_MNIST.classes) if dataset == "fashion-mnist" else None
    print(f"{args.model_file}: {type(ckpt.model).__name__} on the {dataset} test set ({len(y):,} images)")
    print(format_confusion_matrix(confusion_matrix(y, ev.logits, 10), names))
    _print_test_accuracy(ev, y)
    return 0


def _finite_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _print_test_accuracy(ev: Evaluation, labels: np.ndarray) -> None:
    """The line both commands print last about the model: ``Test accuracy: 99.21% (9921/10000)``."""
    n_right = int(np.count_nonzero(ev.predictions == labels))
    print(f"Test accuracy: {100 * ev.accuracy:.2f}% ({n_right}/{len(labels)})")
