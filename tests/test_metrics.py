"""Metrics: accuracy, confusion matrix, per-class accuracy, most confidently wrong."""
import numpy as np
import pytest

from nnedu.metrics import (accuracy, confusion_matrix, format_confusion_matrix, most_confidently_wrong,
                           per_class_accuracy)


def test_accuracy_from_logits_and_indices():
    logits = np.array([[2.0, 1.0, 0.0], [0.0, 3.0, 1.0], [0.0, 0.0, 5.0], [9.0, 0.0, 0.0]])
    y = np.array([0, 1, 1, 2])
    assert accuracy(logits, y) == 0.5
    assert accuracy(np.array([0, 1, 2, 0]), y) == 0.5
    assert np.isnan(accuracy(np.zeros((0, 3)), np.zeros(0, dtype=int)))


def test_accuracy_rejects_bad_shapes():
    with pytest.raises(ValueError, match=r"labels must have shape \(2,\)"):
        accuracy(np.zeros((2, 3)), np.zeros(3, dtype=int))
    with pytest.raises(ValueError, match="integer class indices"):
        accuracy(np.array([0.2, 0.8]), np.array([0, 1]))


def test_confusion_matrix_matches_a_loop():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 5, 300)
    logits = rng.standard_normal((300, 5))
    pred = logits.argmax(1)
    m = confusion_matrix(y, logits)
    expected = np.zeros((5, 5), dtype=np.int64)
    for t, p in zip(y, pred):
        expected[t, p] += 1
    np.testing.assert_array_equal(m, expected)
    assert m.dtype == np.int64 and m.sum() == 300
    np.testing.assert_array_equal(m.sum(axis=1), np.bincount(y, minlength=5))
    assert np.trace(m) / 300 == accuracy(logits, y)


def test_confusion_matrix_class_range_checked():
    with pytest.raises(ValueError, match=r"classes must lie in \[0, 3\)"):
        confusion_matrix(np.array([0, 3]), np.array([0, 1]), num_classes=3)


def test_per_class_accuracy():
    y = np.array([0, 0, 0, 0, 1, 1, 2])
    pred = np.array([0, 0, 1, 1, 1, 1, 0])
    acc = per_class_accuracy(y, pred, num_classes=4)
    np.testing.assert_allclose(acc[:3], [0.5, 1.0, 0.0])
    assert np.isnan(acc[3])  # no examples of class 3


def test_most_confidently_wrong_orders_by_softmax_probability():
    logits = np.array([
        [5.0, 0.0, 0.0],   # right
        [0.0, 2.0, 0.0],   # wrong (true 0), p = e^2 / (e^2 + 2)
        [0.0, 0.0, 9.0],   # wrong (true 1), very confident
        [1.0, 0.0, 0.0],   # wrong (true 2), least confident
    ])
    y = np.array([0, 0, 1, 2])
    cw = most_confidently_wrong(logits, y, k=10)
    np.testing.assert_array_equal(cw.indices, [2, 1, 3])
    np.testing.assert_array_equal(cw.predicted, [2, 1, 0])
    np.testing.assert_array_equal(cw.true, [1, 0, 2])
    np.testing.assert_allclose(cw.confidence[1], np.exp(2) / (np.exp(2) + 2))
    assert np.all(np.diff(cw.confidence) <= 0)
    assert len(most_confidently_wrong(logits, y, k=2)) == 2
    # huge logits do not overflow
    big = most_confidently_wrong(logits * 1000, y, k=1)
    assert big.confidence[0] == pytest.approx(1.0)


def test_format_confusion_matrix():
    text = format_confusion_matrix(np.array([[3, 1], [0, 4]]), class_names=["cat", "dog"])
    lines = text.splitlines()
    assert "accuracy" in lines[0]
    assert lines[1].startswith("0 cat") and "75.00%" in lines[1]
    assert "100.00%" in lines[2]
