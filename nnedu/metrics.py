"""Evaluation metrics: accuracy, confusion matrix, per-class accuracy, confident mistakes.

All functions take plain NumPy arrays. ``scores`` may be logits (any real
numbers, shape ``(N, C)``) or already-predicted class indices (shape ``(N,)``);
the predicted class is ``argmax`` over the last axis.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def _predictions(scores: np.ndarray) -> np.ndarray:
    """Class indices from logits ``(N, C)`` or pass-through of indices ``(N,)``."""
    scores = np.asarray(scores)
    if scores.ndim == 2:
        return scores.argmax(axis=1)
    if scores.ndim == 1:
        if not np.issubdtype(scores.dtype, np.integer):
            raise ValueError(
                f"metrics: 1-D predictions must be integer class indices, got dtype {scores.dtype}; "
                "pass logits of shape (N, C) instead"
            )
        return scores
    raise ValueError(f"metrics: expected logits (N, C) or class indices (N,), got shape {scores.shape}")


def _check_lengths(pred: np.ndarray, labels: np.ndarray) -> np.ndarray:
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.shape[0] != pred.shape[0]:
        raise ValueError(
            f"metrics: labels must have shape ({pred.shape[0]},) to match the predictions, got {labels.shape}"
        )
    return labels


def accuracy(scores: np.ndarray, labels: np.ndarray) -> float:
    r"""Fraction of correct predictions, ``mean_n [argmax_c s_{nc} = y_n]``.

    Parameters
    ----------
    scores : np.ndarray
        Logits ``(N, C)`` or predicted class indices ``(N,)``.
    labels : np.ndarray
        True classes ``(N,)``.

    Returns
    -------
    float
        In ``[0, 1]``; ``nan`` for an empty batch.

    Examples
    --------
    >>> accuracy(np.array([[2.0, 1.0], [0.0, 3.0]]), np.array([0, 0]))
    0.5
    """
    pred = _predictions(scores)
    labels = _check_lengths(pred, labels)
    if pred.shape[0] == 0:
        return float("nan")
    return float(np.mean(pred == labels))


def confusion_matrix(labels: np.ndarray, scores: np.ndarray, num_classes: int | None = None) -> np.ndarray:
    """Count matrix ``M[i, j]`` = number of examples of true class ``i`` predicted as ``j``.

    Rows are true classes, columns predicted classes (the convention of
    scikit-learn), so the diagonal holds the correct predictions and each row
    sums to the number of examples of that class.

    Parameters
    ----------
    labels : np.ndarray
        True classes ``(N,)``.
    scores : np.ndarray
        Logits ``(N, C)`` or predicted class indices ``(N,)``.
    num_classes : int, optional
        ``C``; by default the number of logit columns, else ``max(label, prediction) + 1``.

    Returns
    -------
    np.ndarray
        int64 array of shape ``(C, C)``.
    """
    scores = np.asarray(scores)
    pred = _predictions(scores)
    labels = _check_lengths(pred, labels).astype(np.int64)
    if num_classes is None:
        if scores.ndim == 2:
            num_classes = scores.shape[1]
        else:
            num_classes = int(max(labels.max(initial=-1), pred.max(initial=-1))) + 1
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes or pred.min() < 0
                        or pred.max() >= num_classes):
        raise ValueError(f"confusion_matrix: classes must lie in [0, {num_classes}), "
                         f"got labels in [{labels.min()}, {labels.max()}] and predictions "
                         f"in [{pred.min()}, {pred.max()}]")
    # Each (true, predicted) pair becomes one flat index i*C + j; bincount counts them all at once.
    flat = np.bincount(labels * num_classes + pred, minlength=num_classes * num_classes)
    return flat.reshape(num_classes, num_classes).astype(np.int64)


def per_class_accuracy(labels: np.ndarray, scores: np.ndarray, num_classes: int | None = None) -> np.ndarray:
    """Accuracy within each true class (the recall): ``M[i, i] / sum_j M[i, j]``.

    Returns
    -------
    np.ndarray
        float64 ``(C,)``; ``nan`` for a class with no examples.
    """
    m = confusion_matrix(labels, scores, num_classes)
    totals = m.sum(axis=1)
    return np.where(totals > 0, np.diag(m) / np.maximum(totals, 1), np.nan)  # max(., 1): no 0/0 to warn about


@dataclass
class ConfidentMistakes:
    """The misclassified examples the model was most sure about.

    Attributes
    ----------
    indices : np.ndarray
        Positions in the evaluated data set, most confident first.
    predicted, true : np.ndarray
        The predicted and the correct class of each.
    confidence : np.ndarray
        The softmax probability the model gave to its (wrong) prediction.
    """

    indices: np.ndarray
    predicted: np.ndarray
    true: np.ndarray
    confidence: np.ndarray

    def __len__(self) -> int:
        return len(self.indices)


def most_confidently_wrong(logits: np.ndarray, labels: np.ndarray, k: int = 16) -> ConfidentMistakes:
    r"""The ``k`` wrong predictions with the highest softmax probability.

    The confidence of example ``n`` is ``max_c softmax(z_n)_c``, computed
    stably as ``1 / sum_c exp(z_{nc} - max_c z_{nc})``.

    Parameters
    ----------
    logits : np.ndarray
        ``(N, C)`` raw scores.
    labels : np.ndarray
        ``(N,)`` true classes.
    k : int
        How many to return (fewer if the model made fewer mistakes).

    Returns
    -------
    ConfidentMistakes
    """
    logits = np.asarray(logits)
    if logits.ndim != 2:
        raise ValueError(f"most_confidently_wrong: expected logits of shape (N, C), got {logits.shape}")
    pred = logits.argmax(axis=1)
    labels = _check_lengths(pred, labels)
    z = logits.astype(np.float64)
    confidence = 1.0 / np.exp(z - z.max(axis=1, keepdims=True)).sum(axis=1)
    wrong = np.flatnonzero(pred != labels)
    # stable sort on -confidence: ties keep data-set order, so the result is deterministic
    order = wrong[np.argsort(-confidence[wrong], kind="stable")][:k]
    return ConfidentMistakes(indices=order, predicted=pred[order], true=labels[order],
                             confidence=confidence[order])


def format_confusion_matrix(matrix: np.ndarray, class_names: list[str] | None = None) -> str:
    """The confusion matrix as a text table: rows true classes, columns predicted, plus per-class accuracy.

    Parameters
    ----------
    matrix : np.ndarray
        ``(C, C)`` counts from :func:`confusion_matrix`.
    class_names : list of str, optional
        Row labels (default ``0 .. C-1``); columns are numbered.
    """
    matrix = np.asarray(matrix)
    c = matrix.shape[0]
    names = [str(i) for i in range(c)] if class_names is None else [f"{i} {n}" for i, n in enumerate(class_names)]
    corner = "true \\ pred"
    w_name = max(len(corner), *(len(n) for n in names))
    w = max(5, len(str(int(matrix.max(initial=0)))) + 1)
    totals = matrix.sum(axis=1)
    lines = [f"{corner:<{w_name}}" + "".join(f"{j:>{w}}" for j in range(c)) + "   accuracy"]
    for i in range(c):
        acc = f"{100 * matrix[i, i] / totals[i]:8.2f}%" if totals[i] else "       -"
        lines.append(f"{names[i]:<{w_name}}" + "".join(f"{int(v):>{w}}" for v in matrix[i]) + "  " + acc)
    return "\n".join(lines)
