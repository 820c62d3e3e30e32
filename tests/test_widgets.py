"""Headless tests of nnedu.widgets: the plain functions behind each widget, and the widgets driven
programmatically (set a control's value, read the recomputed result), as a student's clicks would."""
from __future__ import annotations

import base64
import math

import ipywidgets as widgets
import numpy as np
import pytest

from nnedu import landscapes, optim
from nnedu.nn import Parameter
from nnedu.optim import lr_scheduler as lrs
from nnedu.widgets import (OPTIMIZER_NAMES, SCHEDULER_KINDS, OptimizerPlayground, RunSettings, SchedulerExplorer,
                           TrainingDashboard, compute_trajectories, compute_trajectory, draw_dashboard, draw_runs,
                           draw_schedules, optimizer_spec, scheduler_lrs, train_run)
from nnedu.widgets.schedules import parse_milestones
from nnedu.widgets.softmax_explorer import SoftmaxExplorer

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _sliders(obj) -> list[widgets.Widget]:
    return [w for w in vars(obj).values()
            if isinstance(w, (widgets.FloatSlider, widgets.FloatLogSlider, widgets.IntSlider, widgets.Text))]


# --------------------------------------------------------------------------- playground functions
@pytest.mark.parametrize("name", OPTIMIZER_NAMES)
def test_optimizer_spec_builds_the_named_nnedu_optimizer(name):
    cls, kw = optimizer_spec(name, lr=0.02, beta=0.8)
    opt = cls([Parameter(np.zeros(2))], **kw)
    group = opt.param_groups[0]
    assert group["lr"] == 0.02
    expected = {"SGD": (optim.SGD, dict(momentum=0.0, nesterov=False)),
                "Momentum": (optim.SGD, dict(momentum=0.8, nesterov=False)),
                "Nesterov": (optim.SGD, dict(momentum=0.8, nesterov=True)),
                "AdaGrad": (optim.Adagrad, {}),
                "RMSprop": (optim.RMSprop, dict(alpha=0.8)),
                "Adam": (optim.Adam, dict(betas=(0.8, 0.999)))}[name]
    assert type(opt) is expected[0]
    for key, value in expected[1].items():
        assert group[key] == value


@pytest.mark.parametrize("bad", [dict(name="Lion", lr=0.1), dict(name="SGD", lr=0.0),
                                 dict(name="Adam", lr=0.1, beta=1.0)])
def test_optimizer_spec_rejects_bad_settings(bad):
    with pytest.raises(ValueError):
        optimizer_spec(**bad)


@pytest.mark.parametrize("name", OPTIMIZER_NAMES)
def test_trajectory_is_the_optimizer_stepping_the_landscape_gradient(name):
    """The playground's path equals a hand-written loop over the same nnedu optimizer."""
    s = RunSettings("rosenbrock", name, lr=1e-3, beta=0.7, steps=25)
    run = compute_trajectory(s)
    land = landscapes.get_landscape("rosenbrock")
    assert run.trajectory.shape == (26, 2) and run.losses.shape == (26,)
    p = Parameter(np.array(land.start, dtype=np.float64))
    cls, kw = optimizer_spec(name, s.lr, s.beta)
    opt = cls([p], **kw)
    expected = [p.data.copy()]
    for _ in range(25):
        p.grad[...] = land.gradient(p.data)
        opt.step()
        expected.append(p.data.copy())
    np.testing.assert_allclose(run.trajectory, np.array(expected), rtol=0, atol=1e-12)
    np.testing.assert_allclose(run.losses, [land.value(q) for q in expected], rtol=1e-12)
    assert not run.diverged


def test_momentum_beats_sgd_in_the_narrow_valley_and_paths_differ():
    sgd, mom = compute_trajectories([RunSettings("quadratic", "SGD", 0.01, steps=100),
                                     RunSettings("quadratic", "Momentum", 0.01, beta=0.9, steps=100)])
    assert mom.final_loss < 1e-3 * sgd.final_loss
    assert not np.allclose(sgd.trajectory, mom.trajectory)


def test_too_large_a_learning_rate_is_reported_as_divergence_not_an_exception():
    run = compute_trajectory(RunSettings("quadratic", "SGD", lr=0.5, steps=200))
    assert run.diverged
    assert len(run.losses) < 201 and np.all(np.isfinite(run.trajectory)) and np.all(np.isfinite(run.losses))


def test_draw_runs_draws_contours_paths_and_losses():
    runs = compute_trajectories([RunSettings("beale", n, 0.01, steps=20) for n in ("SGD", "Adam")])
    fig = draw_runs("beale", runs)
    ax, ax_loss = fig.axes
    assert len(ax_loss.lines) == 2
    labels = [t.get_text() for t in ax_loss.get_legend().get_texts()]
    assert any(lbl.startswith("SGD") for lbl in labels) and any(lbl.startswith("Adam") for lbl in labels)
    assert ax.get_xlim() == landscapes.get_landscape("beale").xlim


# --------------------------------------------------------------------------- playground widget
def test_playground_sliders_do_not_update_while_dragging():
    pg = OptimizerPlayground()
    assert pg.lr.__class__ is widgets.FloatLogSlider
    assert all(s.continuous_update is False for s in _sliders(pg))


def test_playground_recomputes_and_redraws_when_controls_change():
    pg = OptimizerPlayground(function="quadratic", optimizer="SGD", lr=0.01, steps=50)
    assert pg.png.startswith(PNG_MAGIC)
    first_png, first_path = pg.png, pg.current.trajectory.copy()
    pg.lr.value = 0.03  # what moving the slider in the browser does
    assert pg.current.settings.lr == pytest.approx(0.03)
    assert pg.png != first_png
    assert not np.allclose(pg.current.trajectory, first_path)
    np.testing.assert_array_equal(pg.current.trajectory,
                                  compute_trajectory(RunSettings("quadratic", "SGD", pg.lr.value, pg.beta.value,
                                                                 50)).trajectory)
    assert pg.beta.disabled  # SGD has no momentum
    pg.optimizer.value = "Adam"
    assert not pg.beta.disabled and pg.current.settings.optimizer == "Adam"
    pg.steps.value = 120
    assert pg.current.trajectory.shape == (121, 2)


def test_playground_comparison_overlays_runs_and_resets_with_the_function():
    pg = OptimizerPlayground(function="quadratic", optimizer="SGD", lr=0.01, steps=30)
    pg.add_button.click()
    pg.optimizer.value = "Momentum"
    pg.add_to_comparison()
    assert [r.settings.optimizer for r in pg.comparison] == ["SGD", "Momentum"]
    pg.optimizer.value = "Adam"
    assert pg.status.value.startswith("Adam")
    pg.function.value = "rosenbrock"
    assert pg.comparison == [] and pg.current.settings.function == "rosenbrock"
    pg.add_to_comparison()
    pg.clear_button.click()
    assert pg.comparison == []


def test_playground_reports_divergence_in_its_status_line():
    pg = OptimizerPlayground(function="quadratic", optimizer="SGD", lr=0.01)
    pg.lr.value = 1.0
    assert pg.current.diverged and "diverged" in pg.status.value


# --------------------------------------------------------------------------- schedules
def test_scheduler_lrs_match_the_formulas():
    assert scheduler_lrs("StepLR", 7, lr=1.0, step_size=3, gamma=0.1) == pytest.approx(
        [1, 1, 1, 0.1, 0.1, 0.1, 0.01])
    assert scheduler_lrs("MultiStepLR", 6, lr=2.0, milestones="2, 4", gamma=0.5) == pytest.approx(
        [2, 2, 1, 1, 0.5, 0.5])
    assert scheduler_lrs("ExponentialLR", 5, lr=1.0, gamma=0.9) == pytest.approx([0.9 ** t for t in range(5)])
    cos = scheduler_lrs("CosineAnnealingLR", 11, lr=1.0, T_max=10, eta_min=0.1)
    assert cos == pytest.approx([0.1 + 0.45 * (1 + math.cos(math.pi * t / 10)) for t in range(11)], abs=1e-12)
    assert scheduler_lrs("Constant", 4, lr=0.3) == pytest.approx([0.3] * 4)


def test_warmup_ramps_linearly_then_hands_over_to_the_main_schedule():
    lr = scheduler_lrs("CosineAnnealingLR", 12, lr=1.0, warmup_epochs=4, warmup_start_factor=0.2)
    assert lr[:4] == pytest.approx([0.2, 0.4, 0.6, 0.8])
    assert lr[4] == pytest.approx(1.0)
    main = [0.5 * (1 + math.cos(math.pi * t / 8)) for t in range(8)]  # T_max = epochs - warm-up
    assert lr[4:] == pytest.approx(main, abs=1e-12)


def test_scheduler_lrs_is_what_the_nnedu_scheduler_produces():
    p = Parameter(np.zeros(1))
    opt = optim.SGD([p], lr=0.5)
    sched = lrs.StepLR(opt, step_size=2, gamma=0.3)
    direct = []
    for _ in range(9):
        direct.append(opt.param_groups[0]["lr"])
        sched.step()
    assert scheduler_lrs("StepLR", 9, lr=0.5, step_size=2, gamma=0.3) == direct


@pytest.mark.parametrize("bad", [dict(kind="OneCycle"), dict(kind="StepLR", warmup_epochs=10),
                                 dict(kind="MultiStepLR", milestones="5, 2"),
                                 dict(kind="MultiStepLR", milestones="five")])
def test_scheduler_lrs_rejects_bad_settings(bad):
    with pytest.raises(ValueError):
        scheduler_lrs(epochs=10, **bad)


def test_parse_milestones():
    assert parse_milestones(" 3, 7;9 ") == [3, 7, 9]
    assert parse_milestones((1, 2)) == [1, 2]


def test_explorer_follows_its_controls_and_shows_only_relevant_settings():
    ex = SchedulerExplorer(kind="StepLR", epochs=20, lr=0.1)
    assert all(s.continuous_update is False for s in _sliders(ex))
    assert ex.lrs == pytest.approx(scheduler_lrs("StepLR", 20, lr=0.1, step_size=10, gamma=0.5))
    assert ex.milestones.layout.display == "none" and ex.step_size.layout.display is None
    png = ex.png
    ex.kind.value = "ExponentialLR"
    ex.gamma.value = 0.8
    assert ex.lrs[1] == pytest.approx(0.08) and ex.png != png
    assert ex.step_size.layout.display == "none"
    ex.epochs.value = 30
    assert len(ex.lrs) == 30
    ex.warmup_epochs.value = 5
    assert ex.lrs[0] == pytest.approx(0.01) and ex.lrs[5] == pytest.approx(0.1)


def test_explorer_keeps_curves_and_survives_bad_milestones():
    ex = SchedulerExplorer(kind="MultiStepLR", epochs=40)
    ex.keep_button.click()
    ex.kind.value = "CosineAnnealingLR"
    assert len(ex.kept) == 1
    fig = draw_schedules({**ex.kept, ex.label: ex.lrs})
    assert len(fig.axes[0].lines) == 2
    ex.kind.value = "MultiStepLR"
    ex.milestones.value = "30, 10"
    assert ex.error is not None and "increasing" in ex.error  # shown in the widget, not raised
    ex.milestones.value = "10, 30"
    assert ex.error is None and ex.lrs[10] == pytest.approx(ex.lrs[0] * ex.gamma.value)
    ex.clear_button.click()
    assert ex.kept == {}


# --------------------------------------------------------------------------- training dashboard
def test_train_run_learns_and_is_reproducible():
    a = train_run(lr=0.05, momentum=0.9, epochs=1, hidden=32, n_train=1000, n_val=500, seed=3)
    b = train_run(lr=0.05, momentum=0.9, epochs=1, hidden=32, n_train=1000, n_val=500, seed=3)
    assert a.diverged is None
    assert a.history.step_loss == b.history.step_loss and a.history.val_acc == b.history.val_acc
    assert a.final_val_acc > 0.75  # 10 classes: chance is 0.1
    assert len(a.history.step_loss) == math.ceil(1000 / 64)
    c = train_run(lr=0.05, momentum=0.0, epochs=1, hidden=32, n_train=1000, n_val=500, seed=3)
    assert c.history.step_loss != a.history.step_loss


def test_dashboard_trains_with_slider_values_and_keeps_earlier_runs():
    dash = TrainingDashboard(n_train=600, n_val=300, epochs=1, hidden=16, redraw_seconds=0.0,
                             click_guard_seconds=0.0)
    assert all(s.continuous_update is False for s in _sliders(dash))
    empty_png = dash.png
    dash.lr.value, dash.momentum.value = 0.1, 0.5
    dash.train_button.click()
    assert len(dash.runs) == 1 and dash.png != empty_png
    run = dash.runs[0]
    assert (run.lr, run.momentum, run.hidden) == (pytest.approx(0.1), 0.5, 16)
    assert run.history.epochs == 1 and 0 < run.final_val_acc <= 1
    assert "validation accuracy" in dash.status.value
    dash.epochs.value = 2
    second = dash.train()
    assert len(dash.runs) == 2 and second.history.epochs == 2 and not dash.train_button.disabled
    fig = draw_dashboard(dash.runs)
    assert len(fig.axes[0].lines) == 2 and len(fig.axes[1].lines) == 2
    dash.clear_button.click()
    assert dash.runs == []


def test_a_diverging_run_is_kept_and_explained_not_raised(monkeypatch):
    import nnedu.widgets.dashboard as dashboard_module
    from nnedu.train import History, TrainingDivergedError

    def exploding_fit(*args, **kwargs):
        h = History(step_loss=[2.3, 40.0])
        raise TrainingDivergedError("the loss became inf at step 3 of epoch 1 (lr 5)\nwhat to try: ...", 1, 3, 5.0, h)

    monkeypatch.setattr(dashboard_module, "fit", exploding_fit)
    run = train_run(lr=5.0, momentum=0.9, epochs=1, hidden=16, n_train=200, n_val=100)
    assert run.diverged == "the loss became inf at step 3 of epoch 1 (lr 5)"
    assert run.history.step_loss == [2.3, 40.0] and run.final_val_acc is None
    dash = TrainingDashboard(n_train=200, n_val=100, epochs=1, hidden=16)
    dash.train()
    assert "diverged" in dash.status.value and len(dash.runs) == 1 and not dash.train_button.disabled


def test_dashboard_ignores_clicks_made_while_a_run_is_in_progress(monkeypatch):
    import nnedu.widgets.dashboard as dashboard_module
    clock = [100.0]
    monkeypatch.setattr(dashboard_module.time, "monotonic", lambda: clock[0])
    dash = TrainingDashboard(n_train=200, n_val=100, epochs=1, hidden=16)
    seen = []
    real = dashboard_module.train_run

    def fake_train_run(*args, on_step=None, on_epoch_end=None, **kwargs):
        seen.append((dash.running, dash.train_button.disabled, dash.train_button.description))
        dash.train_button.click()        # a click while the run is in progress: ignored
        return real(*args, **kwargs)

    monkeypatch.setattr(dashboard_module, "train_run", fake_train_run)
    dash.train_button.click()
    # the kernel delivers the second click of a double-click only after the first run has ended
    clock[0] += 0.1
    dash.train_button.click()
    dash.clear_button.click()
    assert len(dash.runs) == 1 and dash.ignored_clicks == 3
    assert seen == [(True, True, "training…")]
    assert dash.train_button.description == "train" and not dash.train_button.disabled
    clock[0] += 5.0                      # a deliberate click later trains again; clear says what it did
    dash.train_button.click()
    assert len(dash.runs) == 2
    clock[0] += 5.0
    dash.clear_button.click()
    assert dash.runs == [] and "Cleared 2 run(s)" in dash.status.value


def _legend_sizes(fig):
    legends = fig.legends + [ax.get_legend() for ax in fig.axes if ax.get_legend()]
    return [t.get_fontsize() for legend in legends for t in legend.get_texts()]


def test_widget_legends_are_at_least_9_points():
    run = compute_trajectory(RunSettings("quadratic", "SGD", lr=0.05, steps=20))
    h = train_run(lr=0.05, epochs=1, hidden=16, n_train=200, n_val=100)
    for fig in (draw_runs("quadratic", [run]), draw_schedules({"a": [0.1, 0.05]}), draw_dashboard([h])):
        sizes = _legend_sizes(fig)
        assert sizes and min(sizes) >= 9, sizes


def test_keep_this_curve_changes_the_picture_and_says_so_at_once():
    ex = SchedulerExplorer(kind="StepLR", epochs=30)
    before = ex.png
    ex.keep_button.click()
    assert ex.png != before, "keeping a curve must change the figure right away"
    assert "Kept" in ex.status.value and "StepLR" in ex.status.value
    fig = draw_schedules({ex.label: ex.lrs}, kept=[ex.label])
    assert [t.get_text() for t in fig.legends[0].get_texts()] == [ex.label + " (kept)"]
    ex.gamma.value = 0.2
    assert len(ex.kept) == 1 and "1 kept" in ex.status.value
    ex.clear_button.click()
    assert ex.kept == {} and "Cleared 1 kept curve(s)" in ex.status.value


def test_playground_add_and_clear_say_what_they_did():
    pg = OptimizerPlayground(function="quadratic", optimizer="SGD", lr=0.01, steps=30)
    before = pg.png
    pg.add_button.click()
    assert "Pinned" in pg.status.value and "SGD" in pg.status.value
    pg.add_button.click()                # the same run twice is pinned (and drawn) once
    assert len(pg.comparison) == 1 and pg.png == before
    pg.clear_button.click()
    assert pg.comparison == [] and "Cleared 1 pinned run(s)" in pg.status.value


@pytest.mark.parametrize("make", [lambda: OptimizerPlayground(steps=20), lambda: SchedulerExplorer(epochs=10),
                                  lambda: TrainingDashboard(n_train=200, n_val=100, epochs=1),
                                  lambda: SoftmaxExplorer()])
def test_a_widget_cell_stores_a_text_hint_and_a_picture_that_later_redraws_replace(make, monkeypatch):
    import nnedu.widgets._render as render
    shown, updated = [], []
    monkeypatch.setattr(render, "display", lambda obj, raw=False, display_id=None: shown.append((obj, display_id)))
    monkeypatch.setattr(render, "update_display", lambda obj, raw=False, display_id=None: updated.append(
        (obj, display_id)))
    w = make()
    assert shown == [] and updated == []          # nothing is published before the widget is displayed
    w._ipython_display_()
    (controls, no_id), (figure, fig_id) = shown
    assert no_id is None and "application/vnd.jupyter.widget-view+json" in controls
    assert "run this cell" in controls["text/plain"] and "Box(" not in controls["text/plain"]
    assert fig_id and base64.b64decode(figure["image/png"]) == w.png
    w.figure.show_png(b"new picture")
    assert updated == [({"image/png": base64.b64encode(b"new picture").decode(), "text/plain": updated[0][0][
        "text/plain"]}, fig_id)]
