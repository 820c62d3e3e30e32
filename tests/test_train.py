"""The training loop: real accuracy on real digits, reproducibility, NaN stop, best weights, early stopping."""
import numpy as np
import pytest

import nnedu
from nnedu.data import DataLoader, load_mnist, stratified_subset
from nnedu.models import MLP
from nnedu.nn import CrossEntropyLoss
from nnedu.optim import SGD, Adam, lr_scheduler
from nnedu.train import History, TrainingDivergedError, evaluate, fit, predict


@pytest.fixture(scope="module")
def mnist_small():
    """2,000 stratified training digits and the full 10,000-digit test set, pixels in [0, 1]."""
    x, y = load_mnist("train", normalize=True)
    x, y = stratified_subset(x, y, 2000, seed=0)
    xt, yt = load_mnist("test", normalize=True)
    return x, y, xt, yt


def _tiny(seed=0, n=256):
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((4, 20)) * 2
    y = rng.integers(0, 4, n)
    x = (centers[y] + rng.standard_normal((n, 20))).astype(np.float32)
    return x, y


def test_one_epoch_on_2000_digits_beats_85_percent(mnist_small):
    x, y, xt, yt = mnist_small
    model = MLP(rng=0)
    hist = fit(model, CrossEntropyLoss(), Adam(model.parameters(), lr=1e-3),
               DataLoader(x, y, batch_size=32, seed=0), epochs=1, progress=False)
    result = evaluate(model, (xt, yt))
    assert result.accuracy > 0.85, result.accuracy
    assert hist.epochs == 1 and len(hist.step_loss) == 63
    assert hist.step_loss[-1] < hist.step_loss[0] / 3


def _run(seed):
    x, y = _tiny()
    model = MLP((20, 32, 32, 4), batchnorm=True, dropout=0.3, rng=seed)
    opt = SGD(model.parameters(), lr=0.05, momentum=0.9)
    sched = lr_scheduler.CosineAnnealingLR(opt, T_max=3)
    hist = fit(model, CrossEntropyLoss(), opt, DataLoader(x, y, 32, seed=seed), 3,
               val_loader=(x[:64], y[:64]), scheduler=sched, progress=False)
    return hist, model


def test_same_seed_same_history_bit_for_bit():
    (h1, m1), (h2, m2) = _run(11), _run(11)
    assert h1 == h2  # every field but seconds
    assert h1.step_loss == h2.step_loss and h1.val_acc == h2.val_acc
    for (k, v), w in zip(m1.state_dict().items(), m2.state_dict().values()):
        np.testing.assert_array_equal(v, w, err_msg=k)
    h3, _ = _run(12)
    assert h3 != h1
    assert len(h1.seconds) == 3 and all(s > 0 for s in h1.seconds)
    assert h1.lr[0] == 0.05 and h1.lr[1] < 0.05  # cosine schedule stepped per epoch


def test_history_fields_and_files(tmp_path):
    hist, model = _run(0)
    assert hist.epochs == 3 and len(hist.step_loss) == 3 * 8
    assert len(hist.train_loss) == len(hist.val_acc) == len(hist.lr) == 3
    assert 0 <= min(hist.train_acc) and max(hist.val_acc) <= 1
    assert not model.training  # fit leaves the model in eval mode
    hist.to_json(str(tmp_path / "h.json"))
    assert History.from_json(str(tmp_path / "h.json")) == hist
    hist.to_csv(str(tmp_path / "h.csv"))
    rows = (tmp_path / "h.csv").read_text().splitlines()
    assert rows[0] == "epoch,train_loss,train_acc,val_loss,val_acc,lr,seconds" and len(rows) == 4
    assert float(rows[1].split(",")[1]) == hist.train_loss[0]


def test_nan_loss_stops_with_a_clear_message():
    x, y = _tiny()
    x[100] = np.nan  # sample 100 sits in batch 4 without shuffling
    model = MLP((20, 16, 4), rng=0)
    with pytest.raises(TrainingDivergedError) as info:
        fit(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), DataLoader(x, y, 32, shuffle=False),
            2, progress=False)
    msg = str(info.value)
    assert "NaN" in msg and "epoch 1/2, step 4/8" in msg and "learning rate 0.1" in msg
    assert "smaller learning rate" in msg
    assert info.value.step == 4 and len(info.value.history.step_loss) == 3


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning", "ignore:invalid value:RuntimeWarning")
def test_exploding_learning_rate_is_caught():
    x, y = _tiny()
    model = MLP((20, 64, 4), rng=0)
    with pytest.raises(TrainingDivergedError, match=r"(?s)learning rate 1e\+06.*e\.g\. 1e\+05"):
        fit(model, CrossEntropyLoss(), SGD(model.parameters(), lr=1e6), DataLoader(x * 100, y, 32, seed=0),
            5, progress=False)


def _sabotage_from(epoch_to_break, snapshots):
    """on_epoch_end callback: remember each epoch's weights; wreck them after a given epoch.

    With all weights zero the ReLU network is dead: no gradient reaches the
    hidden layers again, so every later epoch stays near chance accuracy.
    """
    def callback(hist, model):
        snapshots.append(model.state_dict())
        if hist.epochs == epoch_to_break:
            for p in model.parameters():
                p.data[...] = 0  # a dead network: ~chance accuracy afterwards
    return callback


def _fit_sabotaged(epochs, snapshots=None, **fit_kwargs):
    """Fit a small MLP on the tiny set (validated on itself) whose weights are wrecked after epoch 2."""
    x, y = _tiny()
    model = MLP((20, 32, 4), rng=0)
    cb = _sabotage_from(2, [] if snapshots is None else snapshots)
    hist = fit(model, CrossEntropyLoss(), Adam(model.parameters(), lr=1e-2), DataLoader(x, y, 32, seed=0),
               epochs, val_loader=(x, y), progress=False, on_epoch_end=lambda h: cb(h, model), **fit_kwargs)
    return hist, model, (x, y)


def test_best_weights_are_restored():
    snapshots = []
    hist, model, (x, y) = _fit_sabotaged(4, snapshots)
    assert hist.best_epoch in (1, 2) and hist.restored_best
    assert hist.val_acc[hist.best_epoch - 1] == hist.best_val_acc > max(hist.val_acc[2:])
    for (k, v), w in zip(model.state_dict().items(), snapshots[hist.best_epoch - 1].values()):
        np.testing.assert_array_equal(v, w, err_msg=k)
    assert evaluate(model, (x, y)).accuracy == hist.best_val_acc


def test_restore_best_can_be_switched_off():
    hist, model, (x, y) = _fit_sabotaged(3, restore_best=False)
    assert not hist.restored_best
    assert evaluate(model, (x, y)).accuracy == hist.val_acc[-1]


def test_early_stopping():
    hist, model, (x, y) = _fit_sabotaged(20, early_stopping_patience=2)
    assert hist.stopped_early and hist.epochs == hist.best_epoch + 2 < 20
    with pytest.raises(ValueError, match="val_loader"):
        fit(model, CrossEntropyLoss(), Adam(model.parameters()), DataLoader(x, y, 32), 1,
            early_stopping_patience=2, progress=False)


def test_evaluate_and_predict_restore_the_mode():
    x, y = _tiny()
    model = MLP((20, 16, 4), batchnorm=True, dropout=0.5, rng=0)
    model.train()
    ev = evaluate(model, DataLoader(x, y, 50, shuffle=False), CrossEntropyLoss())
    assert model.training and model.drop1.training
    np.testing.assert_allclose(ev.logits, predict(model, x, batch_size=7), rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(ev.labels, y)
    assert ev.accuracy == np.mean(ev.predictions == y)
    ev2 = evaluate(model, (x, y), CrossEntropyLoss(), batch_size=1000)
    assert ev2.loss == pytest.approx(ev.loss, rel=1e-6)
    with pytest.raises(ValueError, match="empty"):
        evaluate(model, [])


def test_progress_bar_shows_loss_accuracy_and_lr(capsys):
    x, y = _tiny()
    model = MLP((20, 16, 4), rng=0)
    fit(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), DataLoader(x, y, 32, seed=0), 1,
        progress=True)
    err = capsys.readouterr().err
    assert "epoch 1/1" in err and "loss=" in err and "acc=" in err and "lr=0.1" in err
    fit(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), DataLoader(x, y, 32, seed=0), 1,
        progress=False)
    assert capsys.readouterr().err == ""


def test_scheduler_per_step_and_plateau():
    x, y = _tiny()
    model = MLP((20, 16, 4), rng=0)
    opt = SGD(model.parameters(), lr=0.1)
    sched = lr_scheduler.StepLR(opt, step_size=4, gamma=0.5)  # 8 steps per epoch -> halves twice per epoch
    hist = fit(model, CrossEntropyLoss(), opt, DataLoader(x, y, 32, seed=0), 2, scheduler=sched,
               scheduler_interval="step", progress=False)
    assert hist.lr == [0.1, 0.025]
    opt = SGD(model.parameters(), lr=0.1)
    plateau = lr_scheduler.ReduceLROnPlateau(opt, patience=0, factor=0.5)
    with pytest.raises(ValueError, match="val_loader"):
        fit(model, CrossEntropyLoss(), opt, DataLoader(x, y, 32, seed=0), 1, scheduler=plateau, progress=False)
