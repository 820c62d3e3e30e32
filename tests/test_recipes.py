"""Recipes: factories by name, standardised data, shift augmentation."""
import numpy as np
import pytest

from nnedu import optim
from nnedu.data import DataLoader
from nnedu.models import LeNet5, MLP
from nnedu.optim import lr_scheduler
from nnedu.recipes import (OPTIMIZERS, RECIPES, ShiftAugment, load_data, make_model, make_optimizer,
                           make_scheduler, random_shift)


def test_default_recipes():
    assert RECIPES["mlp"].epochs <= 10 and RECIPES["lenet5"].epochs <= 10
    r = RECIPES["lenet5"].replace(lr=0.1, epochs=None)
    assert r.lr == 0.1 and r.epochs == RECIPES["lenet5"].epochs and RECIPES["lenet5"].lr == 1e-3
    assert isinstance(make_model("mlp"), MLP) and isinstance(make_model("lenet5"), LeNet5)
    with pytest.raises(ValueError, match="unknown model"):
        make_model("vgg")


def test_optimizer_and_scheduler_factories():
    params = list(MLP((4, 3, 2), rng=0).parameters())
    kinds = {"sgd": optim.SGD, "momentum": optim.SGD, "nesterov": optim.SGD, "adagrad": optim.Adagrad,
             "rmsprop": optim.RMSprop, "adam": optim.Adam, "adamw": optim.AdamW}
    assert set(kinds) == set(OPTIMIZERS)
    for name, cls in kinds.items():
        opt = make_optimizer(name, params, lr=0.01, momentum=0.8, weight_decay=1e-4)
        assert type(opt) is cls and opt.param_groups[0]["lr"] == 0.01
        assert opt.param_groups[0]["weight_decay"] == 1e-4
    assert make_optimizer("momentum", params, 0.1, momentum=0.8).param_groups[0]["momentum"] == 0.8
    assert make_optimizer("nesterov", params, 0.1).param_groups[0]["nesterov"] is True
    opt = make_optimizer("sgd", params, 0.1)
    assert make_scheduler("none", opt, 10) is None
    assert isinstance(make_scheduler("cosine", opt, 10), lr_scheduler.CosineAnnealingLR)
    assert isinstance(make_scheduler("step", opt, 9), lr_scheduler.StepLR)
    assert isinstance(make_scheduler("exponential", opt, 9), lr_scheduler.ExponentialLR)
    with pytest.raises(ValueError):
        make_optimizer("lion", params, 0.1)
    with pytest.raises(ValueError):
        make_scheduler("warmup", opt, 3)


def test_load_data_standardises_with_training_statistics():
    d = load_data("mnist", limit=1000, seed=0)
    assert d.x_train.shape == (1000, 1, 28, 28) and d.x_test.shape == (10000, 1, 28, 28)
    assert d.x_train.dtype == np.float32
    assert d.mean == pytest.approx(0.1307, abs=1e-4) and d.std == pytest.approx(0.3081, abs=1e-4)
    assert abs(float(d.x_test.mean())) < 0.05 and abs(float(d.x_test.std()) - 1) < 0.05
    assert np.bincount(d.y_train).min() >= 85  # stratified


def test_random_shift_moves_each_image_by_its_own_offset():
    imgs = np.zeros((50, 1, 9, 9), np.float32)
    imgs[:, 0, 4, 4] = 1.0  # one bright pixel in the middle
    out = random_shift(imgs, 2, rng=0)
    assert out.shape == imgs.shape and out.flags.c_contiguous
    rng = np.random.default_rng(0)
    dy, dx = rng.integers(0, 5, 50), rng.integers(0, 5, 50)
    for k in range(50):
        y, x = np.argwhere(out[k, 0] == 1.0)[0]
        assert (y, x) == (4 + 2 - dy[k], 4 + 2 - dx[k])
        assert out[k].sum() == 1.0
    assert random_shift(imgs, 0) is imgs


def test_shift_augment_wraps_a_loader_reproducibly():
    x = np.random.default_rng(0).random((40, 1, 8, 8), dtype=np.float32)
    y = np.arange(40) % 4
    a = list(ShiftAugment(DataLoader(x, y, 16, seed=1), 1, seed=2))
    b = list(ShiftAugment(DataLoader(x, y, 16, seed=1), 1, seed=2))
    assert len(ShiftAugment(DataLoader(x, y, 16), 1)) == 3 and len(a) == 3
    for (xa, ya), (xb, yb) in zip(a, b):
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(ya, yb)
    plain = list(DataLoader(x, y, 16, seed=1))
    np.testing.assert_array_equal(a[0][1], plain[0][1])  # labels and order untouched
    assert not np.array_equal(a[0][0], plain[0][0])
