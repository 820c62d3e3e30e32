r"""Checks for notebook 07: the training loop, evaluation, accuracy and the confusion matrix.

The student writes

* ``train_one_epoch(model, loss_fn, optimizer, loader) -> mean training loss``: one pass over the
  loader in training mode (forward, loss, backward, ``optimizer.step()``, zero the gradients), the
  loss averaged over the *examples*;
* ``evaluate(model, loss_fn, loader) -> (mean loss, accuracy)``: one pass in evaluation mode, the
  model left unchanged;
* ``accuracy(logits, labels) -> float``: the fraction of rows whose largest logit is the true class;
* ``confusion_matrix(labels, predictions, num_classes) -> M``: ``M[i, j]`` counts the examples of true
  class ``i`` predicted as ``j``.

A training loop's result lies partly in its arguments: it changes the model. So the cases of
``train_one_epoch`` and ``evaluate`` (a tiny seeded MLP with dropout, a loss, an optimizer, a loader
whose last batch is smaller) run every implementation on fresh copies and compare, besides the
returned numbers, the model's parameters after the call (for ``evaluate`` also its running
statistics and gradients, which evaluation must not touch).
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from nnedu import metrics, nn, optim, train
from nnedu.data import DataLoader
from nnedu.exercises import reference as ref
from nnedu.exercises.checker import Bug, Case, Convention, Exercise, check
from nnedu.exercises.report import CheckResult
from nnedu.models import MLP

NOTEBOOK = "07_mlp_mnist"


# -- the tiny training set-ups ----------------------------------------------------------------------
def _setup(seed: int, n: int, batch_size: int, *, dropout: float = 0.0, batchnorm: bool = False,
           momentum: float = 0.0, lr: float = 0.5, training: bool = True, shuffle: bool = True
           ) -> tuple[Any, Any, Any, DataLoader]:
    """``(model, loss_fn, optimizer, loader)``: a seeded 6-8-3 MLP on ``n`` random examples."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 6)).astype(np.float32)
    y = rng.integers(0, 3, n)
    model = MLP(sizes=(6, 8, 3), dropout=dropout, batchnorm=batchnorm, rng=seed)
    model.train(training)
    optimizer = optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    return model, nn.CrossEntropyLoss(), optimizer, DataLoader(x, y, batch_size, shuffle=shuffle, seed=seed)


def _flat(arrays: Any) -> np.ndarray:
    return np.concatenate([np.asarray(a, dtype=np.float64).ravel() for a in arrays])


def _run_train(fn: Callable[..., Any], args: tuple, kwargs: dict) -> tuple[Any, np.ndarray]:
    """The returned loss and every parameter after the epoch (one flat vector)."""
    model = args[0]
    loss = fn(*args, **kwargs)
    return loss, _flat(p.data for p in model.parameters())


def _run_evaluate(fn: Callable[..., Any], args: tuple, kwargs: dict) -> tuple[Any, Any, np.ndarray]:
    """The returned (loss, accuracy) and the whole model afterwards: parameters, running statistics, gradients."""
    model = args[0]
    result = fn(*args, **kwargs)
    loss, acc = result if isinstance(result, (tuple, list)) and len(result) == 2 else (result, None)
    after = _flat([*model.state_dict().values(), *(p.grad for p in model.parameters())])
    return loss, acc, after


# -- train_one_epoch -------------------------------------------------------------------------------
def _train_variant(*, zero_grad: bool = True, step_first: bool = False, set_train: bool = True,
                   result: str = "mean") -> Callable[..., Any]:
    """A training loop with one thing changed (the bug signatures)."""
    def fn(model, loss_fn, optimizer, loader):
        if set_train:
            model.train()
        losses, sizes = [], []
        for X, y in loader:
            loss = loss_fn(model(X), y)
            if step_first:
                optimizer.step()
            model.backward(loss_fn.backward())
            if not step_first:
                optimizer.step()
            if zero_grad:
                optimizer.zero_grad()
            losses.append(loss)
            sizes.append(len(y))
        losses, sizes = np.array(losses), np.array(sizes)
        return {"mean": float(losses @ sizes / sizes.sum()), "batch means": float(losses.mean()),
                "per batch": float(losses @ sizes / len(losses)),
                "last": float(losses[-1]), "sum": float(losses.sum())}[result]
    return fn


def _train_one_epoch_exercise() -> Exercise:
    cases = [
        Case("a 6-8-3 MLP, plain SGD, 12 examples in 3 equal batches of 4", _setup(2, 12, 4)),
        Case("batch norm, SGD with momentum 0.5; 10 examples in batches of 4, 4 and 2",
             _setup(3, 10, 4, batchnorm=True, momentum=0.5, lr=0.1),
             hint="the last batch holds two examples: each counts once in the mean over examples"),
        Case("dropout 0.5, the model handed over in evaluation mode; SGD with momentum 0.9; "
             "10 examples in batches of 4, 4 and 2",
             _setup(1, 10, 4, dropout=0.5, momentum=0.9, lr=0.2, training=False),
             hint="the model may arrive in evaluation mode (e.g. after evaluate): switch it to training mode"),
    ]
    return Exercise(
        "train_one_epoch", ref.train_one_epoch, cases, ("mean loss", "parameters after the epoch (all, flattened)"),
        notebook=NOTEBOOK, run=_run_train,
        hint="for each batch: forward, loss, backward, optimizer step, and clear the gradients before the "
             "next backward adds to them; the result is the loss per example, averaged over the whole epoch",
        formula="model.train(); for X, y in loader: loss = loss_fn(model(X), y); "
                "model.backward(loss_fn.backward()); optimizer.step(); optimizer.zero_grad(); "
                "total += loss * len(y); count += len(y);  return total / count",
        conventions=[Convention(
            "you averaged the batch means (sum of losses / number of batches). With equal batches that is "
            "the mean over examples; with a smaller last batch it weighs those examples more. For a number "
            "that only monitors training (its parameters change during the epoch anyway) both are used "
            "(PyTorch's tutorials print yours); this course averages over examples, as evaluate() must.",
            _train_variant(result="batch means"))],
        bugs=[
            Bug("you never cleared the gradients: backward ADDS to .grad, so every step used the sum of all "
                "gradients so far; call optimizer.zero_grad() after each step (or before each backward)",
                _train_variant(zero_grad=False)),
            Bug("the parameters never moved: no gradient reached them before optimizer.step() (a step before "
                "the backward pass, or loss_fn.backward() whose result never went into model.backward); call "
                "model.backward(loss_fn.backward()) before optimizer.step()",
                _train_variant(step_first=True)),
            Bug("the model was not put in training mode (model.train()): it arrived in evaluation mode, so "
                "dropout and batch norm behaved as in testing while it trained", _train_variant(set_train=False)),
            Bug("you returned the loss of the last batch: return the mean loss over all the epoch's examples",
                _train_variant(result="last")),
            Bug("you returned the sum of the batch losses: divide by the number of examples (each batch "
                "loss is already a mean over its batch: multiply it by len(y) first)",
                _train_variant(result="sum")),
            Bug("you divided the example-weighted sum of the batch losses by the number of batches: divide "
                "it by the number of examples", _train_variant(result="per batch")),
        ],
        library=(train.fit,),
    )


# -- evaluate ----------------------------------------------------------------------------------------
def _evaluate_variant(*, set_eval: bool = True, backward: bool = False, loss: str = "mean",
                      acc: str = "mean", swapped: bool = False) -> Callable[..., Any]:
    def fn(model, loss_fn, loader):
        if set_eval:
            model.eval()
        losses, right, sizes = [], [], []
        for X, y in loader:
            logits = model(X)
            losses.append(loss_fn(logits, y))
            if backward:
                model.backward(loss_fn.backward())
            right.append(int((logits.argmax(axis=1) == y).sum()))
            sizes.append(len(y))
        losses, right, sizes = np.array(losses), np.array(right), np.array(sizes)
        mean_loss = float(losses @ sizes / sizes.sum()) if loss == "mean" else float(losses.mean())
        accuracy = {"mean": right.sum() / sizes.sum(), "count": float(right.sum()),
                    "batch means": float(np.mean(right / sizes)), "percent": 100 * right.sum() / sizes.sum()}[acc]
        return (float(accuracy), mean_loss) if swapped else (mean_loss, float(accuracy))
    return fn


def _evaluate_exercise() -> Exercise:
    def setup(seed: int, n: int, batch_size: int, **kwargs: Any) -> tuple[Any, Any, DataLoader]:
        model, loss_fn, _, loader = _setup(seed, n, batch_size, shuffle=False, **kwargs)
        return model, loss_fn, loader

    cases = [
        Case("a 6-8-3 MLP with dropout 0.5 and batch norm, handed over in training mode; "
             "11 examples in batches of 4, 4 and 3", setup(4, 11, 4, dropout=0.5, batchnorm=True),
             hint="the model arrives in training mode (after train_one_epoch): evaluate in evaluation mode"),
        Case("a plain 6-8-3 MLP; 40 examples in batches of 16, 16 and 8", setup(5, 40, 16),
             hint="the last batch is half the size of the others: count every example once"),
        Case("one batch of 5 examples", setup(6, 5, 8)),
    ]
    return Exercise(
        "evaluate", ref.evaluate, cases, ("mean loss", "accuracy", "the model afterwards"),
        notebook=NOTEBOOK, run=_run_evaluate,
        hint="evaluation measures the model as it is: evaluation mode, forward passes only, and every "
             "example counts once in both the mean loss and the fraction right",
        formula="model.eval(); for X, y in loader: logits = model(X); total += loss_fn(logits, y) * len(y); "
                "correct += (logits.argmax(axis=1) == y).sum(); count += len(y);  "
                "return total / count, correct / count",
        bugs=[
            Bug("the model stayed in training mode: call model.eval() first, or dropout drops units and "
                "batch norm uses (and updates!) the batch statistics while you measure",
                _evaluate_variant(set_eval=False)),
            Bug("your evaluate ran backward: the gradients pile up in .grad and the next optimizer.step() "
                "would use them; evaluation needs only forward passes", _evaluate_variant(backward=True)),
            Bug("the accuracy is a count of right answers: divide by the number of examples",
                _evaluate_variant(acc="count")),
            Bug("you returned the accuracy as a percentage: return the fraction right, in [0, 1]",
                _evaluate_variant(acc="percent")),
            Bug("you returned (accuracy, loss): the order is (mean loss, accuracy)", _evaluate_variant(swapped=True)),
            Bug("you averaged the batch accuracies: with a smaller last batch its examples count more; "
                "add up the right answers and divide by the number of examples",
                _evaluate_variant(acc="batch means")),
            Bug("the loss is the mean of the batch means: with a smaller last batch its examples count more. "
                "An evaluation must not depend on how the data was cut into batches: multiply each batch "
                "loss by len(y), add up, divide by the number of examples", _evaluate_variant(loss="batch means")),
        ],
        library=(train.evaluate,),
    )


# -- accuracy and the confusion matrix ------------------------------------------------------------------
def _accuracy_inputs(seed: int, n: int, c: int, dtype: type = np.float64) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    logits = rng.standard_normal((n, c)).astype(dtype)
    labels = rng.integers(0, c, n)
    labels[: n // 2] = logits[: n // 2].argmax(axis=1)  # about half right, so 0 and 1 are both wrong answers
    return logits, labels


def _accuracy_exercise() -> Exercise:
    cases = [
        Case("ten classes: logits (50, 10)", _accuracy_inputs(31, 50, 10)),
        Case("as many examples as classes: logits (4, 4)", _accuracy_inputs(32, 4, 4),
             hint="rows are examples, columns are classes: the prediction of each example is the argmax of its row"),
        Case("a single example: logits (1, 10)", _accuracy_inputs(33, 1, 10),
             hint="return a fraction in [0, 1], not a count"),
        Case("two classes, odd batch: logits (7, 2)", _accuracy_inputs(34, 7, 2)),
        Case("float32 logits (20, 3)", _accuracy_inputs(35, 20, 3, np.float32)),
    ]
    return Exercise(
        "accuracy", ref.accuracy, cases, ("accuracy",), notebook=NOTEBOOK,
        hint="the prediction of an example is the class with the largest logit; the accuracy is the "
             "fraction of examples whose prediction equals their label",
        formula="float(np.mean(logits.argmax(axis=1) == labels))",
        bugs=[
            Bug("you returned the number of right answers: divide by the number of examples",
                lambda logits, labels: float(np.sum(logits.argmax(axis=1) == labels))),
            Bug("the argmax is over the wrong axis: axis 0 runs over the examples; each example's prediction "
                "is the argmax of its row, argmax(axis=1)",
                lambda logits, labels: float(np.mean(logits.argmax(axis=0) == labels))),
            Bug("you returned a percentage: the accuracy is a fraction in [0, 1]",
                lambda logits, labels: float(100 * np.mean(logits.argmax(axis=1) == labels))),
            Bug("you returned the error rate, the fraction wrong: the accuracy is the fraction right",
                lambda logits, labels: float(np.mean(logits.argmax(axis=1) != labels))),
        ],
        library=(metrics.accuracy,),
    )


def _confusion_inputs(seed: int, n: int, c: int, missing: int | None = None) -> tuple[np.ndarray, np.ndarray, int]:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, c, n)
    preds = np.where(rng.random(n) < 0.6, labels, rng.integers(0, c, n))
    if missing is not None:  # a class that occurs neither as truth nor as prediction
        labels[labels == missing] = (missing + 1) % c
        preds[preds == missing] = (missing + 1) % c
    return labels, preds, c


def _confusion_exercise() -> Exercise:
    def counted(labels, predictions, num_classes):
        M = np.zeros((num_classes, num_classes), dtype=np.int64)
        np.add.at(M, (labels, predictions), 1)
        return M

    def fancy(labels, predictions, num_classes):
        M = np.zeros((num_classes, num_classes), dtype=np.int64)
        M[labels, predictions] += 1
        return M

    def sized_by_max(labels, predictions, num_classes):
        k = int(max(labels.max(), predictions.max())) + 1
        return counted(labels, predictions, k)

    cases = [
        Case("ten classes, N = 200", _confusion_inputs(41, 200, 10)),
        Case("a class that never occurs (class 2 of 5)", _confusion_inputs(42, 60, 5, missing=2)),
        Case("the last class never occurs (class 3 of 4)", _confusion_inputs(43, 40, 4, missing=3),
             hint="the matrix is num_classes x num_classes even when a class is absent"),
        Case("a single example, 3 classes", _confusion_inputs(44, 1, 3)),
    ]
    return Exercise(
        "confusion_matrix", ref.confusion_matrix, cases, ("M",), notebook=NOTEBOOK, exact=True,
        hint="start from a C x C matrix of zeros and add 1 at (true class, predicted class) for every "
             "example; careful, a repeated (i, j) pair must be counted every time",
        formula="M = np.zeros((num_classes, num_classes), int); np.add.at(M, (labels, predictions), 1)",
        bugs=[
            Bug("M[labels, predictions] += 1 counts a repeated (true, predicted) pair only once (fancy-index "
                "assignment writes each cell once); use np.add.at(M, (labels, predictions), 1)", fancy),
            Bug("your matrix is transposed: rows are the true classes, columns the predictions",
                lambda labels, predictions, num_classes: counted(labels, predictions, num_classes).T),
            Bug("you normalised the rows: the confusion matrix holds counts (normalise only to plot it)",
                lambda labels, predictions, num_classes: counted(labels, predictions, num_classes)
                / np.maximum(counted(labels, predictions, num_classes).sum(axis=1, keepdims=True), 1)),
            Bug("the classes are shifted by one: classes are numbered 0 .. C-1 and row i is class i "
                "(no - 1 or + 1 on the labels)",
                lambda labels, predictions, num_classes: counted((labels - 1) % num_classes,
                                                                 (predictions - 1) % num_classes, num_classes)),
            Bug("the size comes from the largest label seen: use num_classes, so that a class that never "
                "occurs still gets its row and column", sized_by_max),
        ],
        library=(metrics.confusion_matrix,),
    )


EXERCISES = {
    "train_one_epoch": _train_one_epoch_exercise,
    "evaluate": _evaluate_exercise,
    "accuracy": _accuracy_exercise,
    "confusion_matrix": _confusion_exercise,
}


def check_train_one_epoch(fn: Callable, reveal: bool = False) -> CheckResult:
    """Check the student's ``train_one_epoch(model, loss_fn, optimizer, loader) -> mean loss``."""
    return check(_train_one_epoch_exercise(), fn, reveal)


def check_evaluate(fn: Callable, reveal: bool = False) -> CheckResult:
    """Check the student's ``evaluate(model, loss_fn, loader) -> (mean loss, accuracy)``."""
    return check(_evaluate_exercise(), fn, reveal)


def check_accuracy(fn: Callable, reveal: bool = False) -> CheckResult:
    """Check the student's ``accuracy(logits, labels) -> float``."""
    return check(_accuracy_exercise(), fn, reveal)


def check_confusion_matrix(fn: Callable, reveal: bool = False) -> CheckResult:
    """Check the student's ``confusion_matrix(labels, predictions, num_classes) -> M``."""
    return check(_confusion_exercise(), fn, reveal)
