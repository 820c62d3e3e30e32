"""The softmax explorer of notebook 02: its numbers are softmax cross-entropy's, and it redraws on a change."""
from __future__ import annotations

import numpy as np
import pytest

from nnedu import nn
from nnedu.checking import numerical_gradient
from nnedu.widgets.softmax_explorer import SoftmaxExplorer, draw_softmax, softmax_view

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_view_is_softmax_cross_entropy_with_temperature():
    z, T, y = np.array([3.0, -1.0, 0.5, 2.0]), 2.0, 3
    view = softmax_view(z, T, y)
    loss = nn.CrossEntropyLoss()(z[None] / T, np.array([y]))
    assert view.loss == pytest.approx(loss, rel=1e-12)
    np.testing.assert_allclose(view.probabilities.sum(), 1.0)
    zc = z.copy()
    numeric = numerical_gradient(lambda: softmax_view(zc, T, y).loss, zc)
    np.testing.assert_allclose(view.gradient, numeric, atol=1e-8)       # d loss / d z, the 1/T included


def test_view_is_finite_for_extreme_logits_and_rejects_bad_settings():
    view = softmax_view([1000.0, -1000.0, 0.0], 1.0, 1)
    assert view.loss == pytest.approx(2000.0) and np.all(np.isfinite(view.gradient))
    with pytest.raises(ValueError, match="temperature"):
        softmax_view([1.0, 2.0], 0.0)
    with pytest.raises(ValueError, match="true_class"):
        softmax_view([1.0, 2.0], 1.0, 2)


def test_draw_softmax_hatches_the_true_class():
    fig = draw_softmax(softmax_view([2.0, 1.0, 0.1], 1.0, 2))
    logits_ax, prob_ax, grad_ax = fig.axes
    assert [p.get_hatch() or "" for p in prob_ax.patches] == ["", "", "//"]
    assert "(true)" in prob_ax.get_xticklabels()[2].get_text()


def test_explorer_recomputes_and_redraws_when_a_control_changes():
    ex = SoftmaxExplorer(logits=(2.0, 1.0, 0.1))
    assert ex.png.startswith(PNG_MAGIC) and all(not w.continuous_update for w in ex.logit)
    before = ex.png
    ex.logit[2].value = 6.0
    assert ex.view.probabilities.argmax() == 2 and ex.png != before
    ex.true_class.value = 2
    assert ex.view.gradient[2] < 0 < ex.view.gradient[0]
    ex.temperature.value = 100.0
    assert np.ptp(ex.view.probabilities) < 0.05
