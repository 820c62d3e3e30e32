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


def test_lr_range_test_grows_the_lr_geometrically_and_stops_at_the_blow_up():
    from nnedu.data import DataLoader
    from nnedu.diagnostics import lr_range_test
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((128, 8)).astype(np.float32), rng.integers(0, 3, 128)
    model = MLP(sizes=(8, 16, 3), rng=0)
    lrs, losses = lr_range_test(model, nn.CrossEntropyLoss(), nnedu.optim.SGD(model.parameters(), lr=1.0),
                                DataLoader(x, y, 32, seed=0), lr_min=1e-4, lr_max=1e4, steps=50)
    assert len(lrs) == len(losses) <= 50
    assert np.allclose(np.diff(np.log(lrs)), np.log(1e8) / 49)
    assert len(lrs) < 50 and (not np.isfinite(losses[-1]) or losses[-1] > 4 * min(losses))
    with pytest.raises(ValueError, match="lr_min < lr_max"):
        lr_range_test(model, nn.CrossEntropyLoss(), nnedu.optim.SGD(model.parameters(), lr=1.0), [], 1.0, 0.1)


def test_planted_mysteries_have_their_bugs():
    from nnedu.exercises.planted import mystery
    a, b, c = (mystery(w, n=64) for w in "ABC")
    assert a.x.max() > 100 and b.x.max() <= 1.0
    assert c.optimizer.param_groups[0]["lr"] > 1 > b.optimizer.param_groups[0]["lr"]
    nnedu.set_default_dtype(np.float64)
    try:
        x = np.random.default_rng(0).standard_normal((4, 20))
        assert nnedu.gradcheck(mystery("B", n=16, sizes=(20, 16, 8, 10)).model, x) > 1e-2
        assert nnedu.gradcheck(mystery("A", n=16, sizes=(20, 16, 8, 10)).model, x) < 1e-7
    finally:
        nnedu.set_default_dtype(np.float32)
    with pytest.raises(ValueError, match="'A', 'B' or 'C'"):
        mystery("D")


def test_overfit_batch_memorises_a_few_examples():
    from nnedu.diagnostics import overfit_batch
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((8, 6)).astype(np.float32), rng.integers(0, 3, 8)
    model = MLP(sizes=(6, 32, 3), rng=0)
    losses, acc = overfit_batch(model, nn.CrossEntropyLoss(), nnedu.optim.Adam(model.parameters(), lr=1e-2),
                                x, y, steps=200)
    assert len(losses) == 200 and losses[-1] < 0.05 * losses[0] and acc == 1.0
