"""nnedu.optim.lr_scheduler: lr sequences equal PyTorch's, initial step, state dicts, bad input."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from nnedu import optim
from nnedu.nn import Parameter
from nnedu.optim import lr_scheduler as L

STEPS = 100
LRS = (0.1, 0.03)  # two parameter groups with different lrs


def _nnedu_optimizer(cls=optim.SGD, **kwargs):
    groups = [{"params": [Parameter(np.zeros(2))]}, {"params": [Parameter(np.zeros(3))], "lr": LRS[1]}]
    return cls(groups, lr=LRS[0], **kwargs)


def _torch_optimizer(torch):
    groups = [{"params": [torch.zeros(2, requires_grad=True)]},
              {"params": [torch.zeros(3, requires_grad=True)], "lr": LRS[1]}]
    return torch.optim.SGD(groups, lr=LRS[0])


def _lr_sequence(opt, sched, metrics=None, steps=STEPS) -> np.ndarray:
    seq = [sched.get_last_lr()]
    for k in range(steps):
        opt.step()
        if metrics is None:
            sched.step()
        else:
            sched.step(metrics[k])
        seq.append(sched.get_last_lr())
        assert [g["lr"] for g in opt.param_groups] == list(seq[-1])
    return np.array(seq, dtype=np.float64)


def _metric_sequence() -> np.ndarray:
    """Improves, plateaus with noise, improves a bit, plateaus: ReduceLROnPlateau has work to do."""
    rng = np.random.default_rng(0)
    return np.concatenate([np.linspace(2.0, 1.0, 15), 1.0 + 0.02 * rng.standard_normal(35),
                           np.linspace(0.98, 0.7, 10), 0.7 + 0.01 * rng.standard_normal(40)])


CASES = {
    "StepLR": lambda M, o: M.StepLR(o, step_size=7, gamma=0.5),
    "MultiStepLR": lambda M, o: M.MultiStepLR(o, milestones=[10, 25, 60], gamma=0.3),
    "ExponentialLR": lambda M, o: M.ExponentialLR(o, gamma=0.95),
    "CosineAnnealingLR": lambda M, o: M.CosineAnnealingLR(o, T_max=100),
    "CosineAnnealingLR-eta_min": lambda M, o: M.CosineAnnealingLR(o, T_max=30, eta_min=0.001),
    "LinearLR": lambda M, o: M.LinearLR(o, start_factor=0.1, end_factor=1.0, total_iters=10),
    "LinearLR-decay": lambda M, o: M.LinearLR(o, start_factor=1.0, end_factor=0.2, total_iters=40),
    "SequentialLR-warmup-cosine": lambda M, o: M.SequentialLR(
        o, [M.LinearLR(o, start_factor=0.1, total_iters=10), M.CosineAnnealingLR(o, T_max=90, eta_min=1e-4)],
        milestones=[10]),
    "SequentialLR-three": lambda M, o: M.SequentialLR(
        o, [M.LinearLR(o, start_factor=0.25, total_iters=5), M.StepLR(o, 10, 0.5), M.ExponentialLR(o, 0.9)],
        milestones=[5, 40]),
}
PLATEAU_CASES = {
    "min-rel": dict(factor=0.5, patience=3),
    "min-abs-cooldown-min_lr": dict(factor=0.5, patience=2, threshold=0.01, threshold_mode="abs", cooldown=3,
                                    min_lr=[0.01, 0.001]),
    "max-rel": dict(mode="max", factor=0.2, patience=4, threshold=1e-3),
    "max-abs": dict(mode="max", factor=0.7, patience=0, threshold=0.005, threshold_mode="abs", min_lr=1e-3),
}


@pytest.mark.parametrize("case", list(CASES))
def test_lr_sequence_matches_torch(case):
    torch = pytest.importorskip("torch")
    ours_opt = _nnedu_optimizer()
    ours = _lr_sequence(ours_opt, CASES[case](L, ours_opt))
    theirs_opt = _torch_optimizer(torch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = _lr_sequence(theirs_opt, CASES[case](torch.optim.lr_scheduler, theirs_opt))
    assert ours.shape == (STEPS + 1, 2)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=0)
    assert len(np.unique(ours[:, 0])) > 3  # the schedule really changes the lr


@pytest.mark.parametrize("case", list(PLATEAU_CASES))
def test_reduce_lr_on_plateau_matches_torch(case):
    torch = pytest.importorskip("torch")
    metrics = _metric_sequence()
    if PLATEAU_CASES[case].get("mode") == "max":
        metrics = -metrics
    ours_opt, theirs_opt = _nnedu_optimizer(), _torch_optimizer(torch)
    ours = _lr_sequence(ours_opt, L.ReduceLROnPlateau(ours_opt, **PLATEAU_CASES[case]), metrics)
    theirs = _lr_sequence(theirs_opt, torch.optim.lr_scheduler.ReduceLROnPlateau(theirs_opt, **PLATEAU_CASES[case]),
                          metrics)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=0)
    assert ours[-1, 0] < ours[0, 0]


def test_scheduled_training_trajectory_matches_torch():
    """Scheduler and optimizer together: SGD with momentum under warm-up + cosine."""
    torch = pytest.importorskip("torch")
    x0 = np.linspace(-1, 1, 5)
    p, t = Parameter(x0), torch.tensor(x0, requires_grad=True)
    ours, theirs = optim.SGD([p], lr=0.2, momentum=0.9), torch.optim.SGD([t], lr=0.2, momentum=0.9)
    s_ours = L.SequentialLR(ours, [L.LinearLR(ours, 0.1, total_iters=5), L.CosineAnnealingLR(ours, 45)], [5])
    TL = torch.optim.lr_scheduler
    s_theirs = TL.SequentialLR(theirs, [TL.LinearLR(theirs, 0.1, total_iters=5), TL.CosineAnnealingLR(theirs, 45)],
                               [5])
    for k in range(STEPS):
        p.grad[...] = p.data ** 3 + np.sin(k)
        t.grad = t.detach() ** 3 + math.sin(k)
        ours.step()
        theirs.step()
        s_ours.step()
        s_theirs.step()
    np.testing.assert_allclose(p.data, t.detach().numpy(), rtol=0, atol=1e-12)


# ------------------------------------------------------------------------------ semantics
def test_initial_step_at_construction():
    opt = _nnedu_optimizer()
    sched = L.LinearLR(opt, start_factor=0.5, total_iters=4)
    assert sched.last_epoch == 0
    assert sched.get_last_lr() == [0.05, 0.015]
    assert [g["lr"] for g in opt.param_groups] == [0.05, 0.015]
    assert [g["initial_lr"] for g in opt.param_groups] == list(LRS) == sched.base_lrs
    sched.step()
    assert sched.last_epoch == 1
    assert sched.get_last_lr() == pytest.approx([0.0625, 0.01875])


def test_step_lr_by_hand():
    opt = _nnedu_optimizer()
    sched = L.StepLR(opt, step_size=3, gamma=0.1)
    seq = [sched.get_last_lr()[0]]
    for _ in range(7):
        sched.step()
        seq.append(sched.get_last_lr()[0])
    np.testing.assert_allclose(seq, [0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.001, 0.001], rtol=1e-12)


@pytest.mark.parametrize("case", ["StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR-eta_min", "LinearLR"])
def test_recursive_and_closed_forms_agree(case):
    opt = _nnedu_optimizer()
    sched = CASES[case](L, opt)
    for _ in range(STEPS):
        sched.step()
        np.testing.assert_allclose(sched.get_last_lr(), sched._get_closed_form_lr(), rtol=1e-12, atol=1e-15)


def test_cosine_reaches_eta_min_at_t_max_and_rises_after():
    opt = _nnedu_optimizer()
    sched = L.CosineAnnealingLR(opt, T_max=20, eta_min=0.01)
    lrs = _lr_sequence(opt, sched, steps=40)[:, 0]
    assert lrs[20] == pytest.approx(0.01, abs=1e-15)
    assert lrs[10] == pytest.approx(0.01 + 0.5 * (0.1 - 0.01), rel=1e-12)
    assert np.all(np.diff(lrs[:21]) < 0) and np.all(np.diff(lrs[20:]) > 0)
    assert lrs[40] == pytest.approx(0.1, rel=1e-12)


def test_schedulers_chain_with_outside_changes():
    """As in PyTorch, a decay multiplies the current lr, so a slider's change is kept."""
    opt = _nnedu_optimizer()
    sched = L.ExponentialLR(opt, gamma=0.5)
    opt.param_groups[0]["lr"] = 1.0
    sched.step()
    assert sched.get_last_lr()[0] == 0.5


def test_min_lr_floor_is_an_nnedu_addition():
    opt = _nnedu_optimizer()
    sched = L.ExponentialLR(opt, gamma=0.5, min_lr=0.02)
    lrs = _lr_sequence(opt, sched, steps=10)
    np.testing.assert_allclose(lrs[:4, 0], [0.1, 0.05, 0.025, 0.02])
    assert np.all(lrs[3:, 0] == 0.02)
    assert np.all(lrs[:, 1] <= LRS[1])      # group 1 starts at 0.03: decays to the floor, never below
    assert lrs[-1, 1] == 0.02
    opt = _nnedu_optimizer()
    sched = L.StepLR(opt, step_size=2, gamma=0.1, min_lr=0.05)  # floor above group 1's lr: never raised
    lrs = _lr_sequence(opt, sched, steps=6)
    assert np.all(lrs[:, 1] == LRS[1]) and lrs[-1, 0] == 0.05
    opt = _nnedu_optimizer()
    sched = L.MultiStepLR(opt, milestones=[2, 4, 6], gamma=0.1, min_lr=0.005)
    lrs = _lr_sequence(opt, sched, steps=8)
    np.testing.assert_allclose(lrs[-1], [0.005, 0.005])  # 0.1 -> 0.01 -> floor; 0.03 -> floor
    np.testing.assert_allclose(sched._get_closed_form_lr(), [0.005, 0.005])


def test_reduce_lr_on_plateau_by_hand():
    opt = _nnedu_optimizer()
    sched = L.ReduceLROnPlateau(opt, factor=0.5, patience=1)
    assert sched.get_last_lr() == list(LRS)           # no initial step
    for metric, expected in [(1.0, 0.1), (1.0, 0.1), (1.0, 0.05), (0.5, 0.05), (0.6, 0.05), (0.6, 0.025)]:
        sched.step(metric)
        assert sched.get_last_lr()[0] == pytest.approx(expected)


# ------------------------------------------------------------------------------ state dicts
@pytest.mark.parametrize("case", list(CASES) + ["ReduceLROnPlateau"])
def test_state_dict_round_trip_continues_identical_schedule(case):
    metrics = _metric_sequence()

    def build(opt):
        if case == "ReduceLROnPlateau":
            return L.ReduceLROnPlateau(opt, factor=0.5, patience=3, cooldown=2)
        return CASES[case](L, opt)

    def advance(opt, sched, k0, k1):
        out = []
        for k in range(k0, k1):
            opt.step()
            sched.step(metrics[k]) if case == "ReduceLROnPlateau" else sched.step()
            out.append(sched.get_last_lr())
        return out

    opt = _nnedu_optimizer()
    sched = build(opt)
    advance(opt, sched, 0, 30)
    saved_opt, saved_sched = opt.state_dict(), sched.state_dict()
    uninterrupted = advance(opt, sched, 30, STEPS)

    opt2 = _nnedu_optimizer()
    sched2 = build(opt2)  # build the scheduler first, then load (as PyTorch recommends)
    opt2.load_state_dict(saved_opt)
    sched2.load_state_dict(saved_sched)
    assert sched2.last_epoch == 30
    resumed = advance(opt2, sched2, 30, STEPS)
    np.testing.assert_array_equal(np.array(uninterrupted), np.array(resumed))


def test_state_dict_excludes_optimizer_and_is_a_copy():
    opt = _nnedu_optimizer()
    sched = L.MultiStepLR(opt, milestones=[2, 5])
    sd = sched.state_dict()
    assert "optimizer" not in sd and sd["last_epoch"] == 0 and sd["milestones"] == [2, 5]
    sd["milestones"].append(7)
    assert sched.milestones == [2, 5]


# ------------------------------------------------------------------------------ bad input
@pytest.mark.parametrize("milestones", [[30, 10], [10, 10], [0, 5], [-3], [2.5]])
def test_milestones_not_increasing_are_rejected(milestones):
    with pytest.raises(ValueError, match="milestones"):
        L.MultiStepLR(_nnedu_optimizer(), milestones=milestones)


def test_sequential_lr_bad_input():
    opt = _nnedu_optimizer()
    a, b, c = L.LinearLR(opt, total_iters=3), L.ExponentialLR(opt, 0.9), L.StepLR(opt, 3)
    with pytest.raises(ValueError, match="strictly increasing"):
        L.SequentialLR(opt, [a, b, c], milestones=[10, 5])
    with pytest.raises(ValueError, match="milestones"):
        L.SequentialLR(opt, [a, b], milestones=[5, 10])
    with pytest.raises(ValueError, match="ReduceLROnPlateau"):
        L.SequentialLR(opt, [a, L.ReduceLROnPlateau(opt)], milestones=[5])
    with pytest.raises(ValueError, match="different optimizer"):
        L.SequentialLR(opt, [a, L.StepLR(_nnedu_optimizer(), 3)], milestones=[5])
    with pytest.raises(ValueError, match="at least one"):
        L.SequentialLR(opt, [], milestones=[])


@pytest.mark.parametrize("make,match", [
    (lambda o: L.StepLR(o, step_size=0), "step_size"),
    (lambda o: L.StepLR(o, step_size=2.5), "step_size"),
    (lambda o: L.StepLR(o, step_size=3, gamma=-0.1), "gamma"),
    (lambda o: L.StepLR(o, step_size=3, min_lr=-1.0), "min_lr"),
    (lambda o: L.ExponentialLR(o, gamma=0.0), "gamma"),
    (lambda o: L.CosineAnnealingLR(o, T_max=0), "T_max"),
    (lambda o: L.CosineAnnealingLR(o, T_max=10, eta_min=-1e-3), "eta_min"),
    (lambda o: L.LinearLR(o, start_factor=0.0), "start_factor"),
    (lambda o: L.LinearLR(o, end_factor=1.5), "end_factor"),
    (lambda o: L.LinearLR(o, total_iters=0), "total_iters"),
    (lambda o: L.ReduceLROnPlateau(o, factor=1.0), "factor"),
    (lambda o: L.ReduceLROnPlateau(o, mode="maximum"), "mode"),
    (lambda o: L.ReduceLROnPlateau(o, threshold_mode="relative"), "threshold_mode"),
    (lambda o: L.ReduceLROnPlateau(o, patience=-1), "patience"),
    (lambda o: L.ReduceLROnPlateau(o, min_lr=[0.1]), "min_lr"),
])
def test_bad_scheduler_arguments_are_rejected(make, match):
    with pytest.raises(ValueError, match=match):
        make(_nnedu_optimizer())


def test_scheduler_needs_an_optimizer():
    with pytest.raises(TypeError, match="Optimizer"):
        L.StepLR([Parameter(np.zeros(1))], step_size=3)
    with pytest.raises(KeyError, match="initial_lr"):
        L.StepLR(_nnedu_optimizer(), step_size=3, last_epoch=5)
