"""The training loop: ``fit`` a model, ``evaluate`` it, and the ``History`` of a run.

One step of mini-batch training is always the same five lines, written out
in :func:`fit` exactly as in the notebooks::

    logits = model(x)                     # forward
    loss = criterion(logits, y)           # a Python float
    optimizer.zero_grad()                 # forget the previous step's gradients
    model.backward(criterion.backward())  # dL/dlogits, back through every layer
    optimizer.step()                      # update every parameter in place

Everything else here is bookkeeping: averages, a progress bar, the validation
pass, a clear stop when the loss blows up, keeping the best weights.
"""
from __future__ import annotations

import csv
import json
import math
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Iterable, Iterator

import numpy as np

from nnedu._atomic import atomic_write
from nnedu.nn.module import Module
from nnedu.quick import QUICK


class TrainingDivergedError(FloatingPointError):
    """The loss became NaN or infinite; the weights are no longer usable.

    Attributes
    ----------
    epoch, step : int
        Where it happened (1-based epoch, 1-based step within the epoch).
    lr : float
        The learning rate at that moment.
    history : History
        Everything recorded up to that step (useful to plot the blow-up).
    """

    def __init__(self, message: str, epoch: int, step: int, lr: float, history: "History") -> None:
        super().__init__(message)
        self.epoch, self.step, self.lr, self.history = epoch, step, lr, history


def json_safe(obj: Any) -> Any:
    """``obj`` with every NaN or infinite float replaced by None, so that ``json.dump`` writes valid JSON.

    (Python's ``json`` would write the non-standard literals ``NaN`` and
    ``Infinity``, which other JSON readers reject.)
    """
    if isinstance(obj, dict):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


@dataclass
class History:
    """What happened during :func:`fit`.

    Per step: ``step_loss`` (the mini-batch loss). Per epoch: ``train_loss``
    and ``train_acc`` (averaged over the epoch's mini-batches, in training
    mode, while the weights were changing), ``val_loss`` and ``val_acc``
    (after the epoch, in eval mode; empty without a validation set), ``lr``
    (learning rate of the first parameter group during the epoch) and
    ``seconds`` (wall-clock time of the epoch's training steps).

    Two runs with the same seeds give equal Histories (``==`` compares every
    field except ``seconds``, which depends on the machine's load).
    """

    step_loss: list[float] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list, compare=False)
    best_epoch: int | None = None
    """1-based epoch with the highest validation accuracy (None without validation)."""
    best_val_acc: float | None = None
    stopped_early: bool = False
    restored_best: bool = False

    @property
    def epochs(self) -> int:
        """Number of completed epochs."""
        return len(self.train_loss)

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python dict, valid JSON: a NaN or infinite value becomes None (``null``)."""
        return json_safe(asdict(self))

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "History":
        """Inverse of :meth:`to_dict`; keys that are not fields are ignored."""
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})

    def to_json(self, path: str) -> None:
        """Write the whole history (including per-step losses) as JSON, whole or not at all."""
        with atomic_write(path, "w", encoding="utf-8") as f:
            json.dump(self.to_dict(), f, indent=1, allow_nan=False)

    @classmethod
    def from_json(cls, path: str) -> "History":
        """Read a history written by :meth:`to_json`."""
        with open(path, encoding="utf-8") as f:
            return cls.from_dict(json.load(f))

    def to_csv(self, path: str) -> None:
        """Write one row per epoch: epoch, train/val loss and accuracy, lr, seconds."""
        cols = ["train_loss", "train_acc", "val_loss", "val_acc", "lr", "seconds"]
        with atomic_write(path, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["epoch"] + cols)
            for e in range(self.epochs):
                row = [getattr(self, c)[e] if e < len(getattr(self, c)) else "" for c in cols]
                w.writerow([e + 1] + [repr(v) if isinstance(v, float) else v for v in row])


@dataclass
class Evaluation:
    """Result of :func:`evaluate`: accuracy, mean loss, and the raw logits with their labels."""

    accuracy: float
    loss: float | None
    logits: np.ndarray
    labels: np.ndarray

    @property
    def predictions(self) -> np.ndarray:
        """Predicted class of each example, ``argmax`` of its logits."""
        return self.logits.argmax(axis=1)


def _batches(data: Any, batch_size: int) -> Iterable[tuple[np.ndarray, np.ndarray]]:
    """Iterate ``(x, y)`` batches from a loader or from an ``(images, labels)`` pair, in order."""
    if isinstance(data, tuple) and len(data) == 2 and isinstance(data[0], np.ndarray):
        x, y = data
        if len(x) != len(y):
            raise ValueError(f"evaluate: {len(x)} images but {len(y)} labels")
        return ((x[i:i + batch_size], y[i:i + batch_size]) for i in range(0, len(x), batch_size))
    return data


@contextmanager
def _eval_mode(model: Module) -> Iterator[None]:
    """Run the ``with`` block in eval mode, then put back the model's previous mode."""
    was_training = model.training
    model.eval()
    try:
        yield
    finally:
        model.train(was_training)


def predict(model: Module, images: np.ndarray, batch_size: int = 1000) -> np.ndarray:
    """Logits of ``model`` for ``images``, computed in eval mode in batches.

    The model's train/eval mode is restored afterwards.
    """
    with _eval_mode(model):
        out = [model(images[i:i + batch_size]) for i in range(0, len(images), batch_size)]
    return np.concatenate(out) if out else np.zeros((0, 0))


def evaluate(model: Module, data: Any, criterion: Any | None = None, batch_size: int = 1000) -> Evaluation:
    """Accuracy (and mean loss) of ``model`` on a data set, in eval mode.

    Parameters
    ----------
    model : Module
        Switched to eval mode for the pass (BatchNorm uses its running
        statistics, Dropout is off) and back to its previous mode afterwards.
    data : DataLoader or iterable of ``(x, y)`` or tuple ``(images, labels)``
        The examples; arrays are cut into batches of ``batch_size`` in order.
    criterion : callable, optional
        ``criterion(logits, y) -> float`` (a batch mean); if given, the
        example-weighted mean loss is reported.
    batch_size : int
        Used only when ``data`` is a pair of arrays.

    Returns
    -------
    Evaluation
    """
    logits, labels = [], []
    total_loss, n = 0.0, 0
    with _eval_mode(model):
        for xb, yb in _batches(data, batch_size):
            z = model(xb)
            if criterion is not None:
                total_loss += float(criterion(z, yb)) * len(yb)
            n += len(yb)
            logits.append(z)
            labels.append(np.asarray(yb))
    if n == 0:
        raise ValueError("evaluate: the data set is empty")
    z_all, y_all = np.concatenate(logits), np.concatenate(labels)
    acc = float(np.mean(z_all.argmax(axis=1) == y_all))
    return Evaluation(accuracy=acc, loss=total_loss / n if criterion is not None else None,
                      logits=z_all, labels=y_all)


def _lr(optimizer: Any) -> float:
    return float(optimizer.param_groups[0]["lr"])


def _divergence_message(loss: float, epoch: int, epochs: int, step: int, steps: int | None,
                        global_step: int, lr: float) -> str:
    what = "NaN" if math.isnan(loss) else "infinite"
    where = f"epoch {epoch}/{epochs}, step {step}" + (f"/{steps}" if steps else "")
    return (
        f"Training diverged: the loss became {what} ({loss}) at {where} (step {global_step} overall) "
        f"with learning rate {lr:.3g}. The weights are now unusable.\n"
        f"What to try: a smaller learning rate (e.g. {lr / 10:.3g}); inputs scaled to [0, 1] or "
        "standardised; a learning-rate warm-up; BatchNorm; or check that the labels are class "
        "indices 0..C-1. The history so far is in this exception's .history attribute."
    )


def _check_weights_finite(model: Module, optimizer: Any, epoch: int, epochs: int, history: History) -> None:
    """Raise TrainingDivergedError if a step (possibly the epoch's last) made a weight NaN or infinite.

    The loss check in :func:`fit` sees the loss *before* each step; this
    catches a final step that blew the weights up. Once per epoch: cheap.
    """
    bad = [name for name, p in model.named_parameters() if not np.isfinite(p.data).all()]
    if bad:
        lr = _lr(optimizer)
        raise TrainingDivergedError(
            f"Training diverged: after epoch {epoch}/{epochs} (step {len(history.step_loss)} overall) the "
            f"weights {', '.join(bad[:3])}{' ...' if len(bad) > 3 else ''} are NaN or infinite, with learning "
            f"rate {lr:.3g}. The weights are now unusable.\nWhat to try: a smaller learning rate "
            f"(e.g. {lr / 10:.3g}). The history so far is in this exception's .history attribute.",
            epoch, len(history.step_loss), lr, history)


def _scheduler_step(scheduler: Any, metric: float | None) -> None:
    """Step a scheduler; ReduceLROnPlateau-style schedulers receive the monitored metric."""
    if type(scheduler).__name__ == "ReduceLROnPlateau":
        if metric is None:
            raise ValueError("fit: ReduceLROnPlateau needs a metric; give fit a val_loader")
        scheduler.step(metric)
    else:
        scheduler.step()


def fit(
    model: Module,
    criterion: Any,
    optimizer: Any,
    train_loader: Iterable[tuple[np.ndarray, np.ndarray]],
    epochs: int,
    val_loader: Any | None = None,
    scheduler: Any | None = None,
    *,
    scheduler_interval: str = "epoch",
    progress: bool | None = None,
    restore_best: bool = True,
    early_stopping_patience: int | None = None,
    on_epoch_end: Callable[[History], Any] | None = None,
    on_step: Callable[[History], Any] | None = None,
) -> History:
    """Train ``model`` for ``epochs`` passes over ``train_loader``.

    Parameters
    ----------
    model : Module
        Put in training mode for the training steps, eval mode for validation,
        and left in eval mode at the end (ready for prediction).
    criterion : CrossEntropyLoss or similar
        ``criterion(logits, y) -> float`` and ``criterion.backward() -> dL/dlogits``.
    optimizer : Optimizer
        Built on ``model.parameters()``; ``zero_grad()``, ``step()``, ``param_groups``.
    train_loader : DataLoader or iterable of ``(x, y)``
        Re-iterated every epoch (a DataLoader reshuffles each time).
    epochs : int
        Number of passes.
    val_loader : DataLoader or ``(images, labels)``, optional
        Evaluated after every epoch (loss and accuracy).
    scheduler : learning-rate scheduler, optional
        Stepped once per epoch (``scheduler_interval="epoch"``, like PyTorch's
        StepLR or CosineAnnealingLR with ``T_max`` in epochs) or after every
        optimizer step (``"step"``, e.g. OneCycleLR). ReduceLROnPlateau gets the
        validation loss.
    progress : bool, optional
        Show a ``tqdm.auto`` progress bar (a widget in JupyterLab, text in a
        terminal) with the running loss, accuracy and lr. Default: on, except
        in quick mode (``NNEDU_QUICK=1``).
    restore_best : bool
        With a validation set, copy back at the end the weights (and
        BatchNorm statistics) of the epoch with the highest validation accuracy.
    early_stopping_patience : int, optional
        Stop when the validation accuracy has not improved for this many
        epochs (needs ``val_loader``).
    on_epoch_end, on_step : callable, optional
        Called with the History after every epoch / every step (live plots).

    Returns
    -------
    History

    Raises
    ------
    TrainingDivergedError
        The loss became NaN or infinite; the message says where, the learning
        rate, and what to try.
    """
    if epochs < 0:
        raise ValueError(f"fit: epochs must be >= 0, got {epochs}")
    if scheduler_interval not in ("epoch", "step"):
        raise ValueError(f"fit: scheduler_interval must be 'epoch' or 'step', got {scheduler_interval!r}")
    if early_stopping_patience is not None and val_loader is None:
        raise ValueError("fit: early stopping watches the validation accuracy; give a val_loader")
    if progress is None:
        progress = not QUICK
    from tqdm.auto import tqdm

    try:
        steps_per_epoch: int | None = len(train_loader)  # type: ignore[arg-type]
    except TypeError:
        steps_per_epoch = None
    history = History()
    best_state = None
    bar = tqdm(total=steps_per_epoch * epochs if steps_per_epoch is not None else None,
               disable=not progress, unit="batch", dynamic_ncols=True)
    try:
        for epoch in range(1, epochs + 1):
            model.train()
            bar.set_description(f"epoch {epoch}/{epochs}")
            history.lr.append(_lr(optimizer))
            total_loss, correct, seen = 0.0, 0, 0
            start = time.perf_counter()
            for step, (xb, yb) in enumerate(train_loader, start=1):
                logits = model(xb)
                loss = float(criterion(logits, yb))
                if not math.isfinite(loss):
                    lr = _lr(optimizer)
                    raise TrainingDivergedError(
                        _divergence_message(loss, epoch, epochs, step, steps_per_epoch,
                                            len(history.step_loss) + 1, lr),
                        epoch, step, lr, history)
                optimizer.zero_grad()
                model.backward(criterion.backward())
                optimizer.step()
                if scheduler is not None and scheduler_interval == "step":
                    scheduler.step()
                history.step_loss.append(loss)
                n = len(yb)
                total_loss += loss * n
                correct += int(np.count_nonzero(logits.argmax(axis=1) == yb))
                seen += n
                bar.update(1)
                if progress and (step % 10 == 0 or step == steps_per_epoch):
                    bar.set_postfix(loss=f"{total_loss / seen:.4f}", acc=f"{correct / seen:.4f}",
                                    lr=f"{_lr(optimizer):.3g}", refresh=False)
                if on_step is not None:
                    on_step(history)
            history.seconds.append(time.perf_counter() - start)
            _check_weights_finite(model, optimizer, epoch, epochs, history)
            if seen == 0:
                raise ValueError("fit: the training loader produced no batches; check that the training set is "
                                 "not empty (and, with drop_last=True, holds at least batch_size examples)")
            history.train_loss.append(total_loss / seen)
            history.train_acc.append(correct / seen)

            val_loss = None
            if val_loader is not None:
                ev = evaluate(model, val_loader, criterion)
                val_loss = ev.loss
                if not math.isfinite(ev.loss):
                    lr = _lr(optimizer)
                    raise TrainingDivergedError(
                        f"Training diverged: after epoch {epoch}/{epochs} the validation loss is {ev.loss} "
                        f"(learning rate {lr:.3g}); the weights are unusable. What to try: a smaller "
                        f"learning rate (e.g. {lr / 10:.3g}).", epoch, len(history.step_loss), lr, history)
                history.val_loss.append(float(ev.loss))
                history.val_acc.append(ev.accuracy)
                if history.best_val_acc is None or ev.accuracy > history.best_val_acc:
                    history.best_val_acc, history.best_epoch = ev.accuracy, epoch
                    best_state = model.state_dict()  # copies
                bar.set_postfix(loss=f"{history.train_loss[-1]:.4f}", acc=f"{history.train_acc[-1]:.4f}",
                                val_acc=f"{ev.accuracy:.4f}", lr=f"{_lr(optimizer):.3g}")
            if scheduler is not None and scheduler_interval == "epoch":
                _scheduler_step(scheduler, val_loss)
            if on_epoch_end is not None:
                on_epoch_end(history)
            if (early_stopping_patience is not None and history.best_epoch is not None
                    and epoch - history.best_epoch >= early_stopping_patience and epoch < epochs):
                history.stopped_early = True
                break
    finally:
        bar.close()
        model.eval()
    if restore_best and best_state is not None and history.best_epoch != history.epochs:
        model.load_state_dict(best_state)
        history.restored_best = True
    return history
