"""nnedu.diagnostics: per-layer statistics and update ratios."""
import numpy as np
import pytest

import nnedu
from nnedu import nn
from nnedu.diagnostics import format_layer_statistics, layer_statistics, update_ratios
from nnedu.models import MLP


def test_layer_statistics_follow_the_signal_and_the_gradient():
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(64, 64, rng=0), nn.ReLU(), nn.Linear(64, 10, rng=1))
    x, y = rng.standard_normal((256, 64)), rng.integers(0, 10, 256)
    stats = layer_statistics(model, x, y, nn.CrossEntropyLoss())
    assert [s.name for s in stats] == ["0 (Linear)", "1 (ReLU)", "2 (Linear)"]
    h = model[0](x)
    assert stats[0].out_std == pytest.approx(h.std())
    assert stats[1].frac_zero == pytest.approx(np.mean(np.maximum(h, 0) == 0))
    loss = nn.CrossEntropyLoss()
    loss(model(x), y)
    assert stats[2].grad_std == pytest.approx(loss.backward().std())
    assert "out std" in format_layer_statistics(stats)


def test_layer_statistics_needs_a_sequential():
    with pytest.raises(TypeError, match="Sequential"):
        layer_statistics(nn.Linear(2, 2), np.ones((1, 2)), np.zeros(1, int), nn.CrossEntropyLoss())


def test_update_ratio_is_step_size_over_weight_size():
    model = MLP(sizes=(4, 3, 2), rng=0)
    for p in model.parameters():
        p.grad[...] = 1.0
    w = model.fc1.weight.data.copy()
    ratios = update_ratios(model, nnedu.optim.SGD(model.parameters(), lr=0.01).step)
    assert set(ratios) == {"fc1.weight", "fc2.weight"}
    assert ratios["fc1.weight"] == pytest.approx(0.01 * np.sqrt(w.size) / np.linalg.norm(w))
