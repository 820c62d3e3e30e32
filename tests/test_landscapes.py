"""nnedu.landscapes: gradients against finite differences, metadata, and run_optimizer behaviour."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from nnedu import optim
from nnedu.nn import Parameter
from nnedu.checking import numerical_gradient, rel_error
from nnedu.landscapes import (LANDSCAPES, OPTIMIZERS, DivergenceWarning, Landscape, get_landscape,
                              ill_conditioned_quadratic, make_optimizer, run_optimizer)
from nnedu.optim.lr_scheduler import StepLR

ROTATED = ill_conditioned_quadratic(kappa=10.0, angle=0.6)
ALL = list(LANDSCAPES.values()) + [ROTATED]
IDS = list(LANDSCAPES) + ["quadratic-rotated"]


@pytest.mark.parametrize("land", ALL, ids=IDS)
def test_gradient_matches_finite_differences(land):
    rng = np.random.default_rng(0)
    lo, hi = np.array([land.xlim[0], land.ylim[0]]), np.array([land.xlim[1], land.ylim[1]])
    for point in lo + (hi - lo) * rng.random((25, 2)):
        x = point.copy()
        numeric = numerical_gradient(lambda: land.value(x), x, h=1e-6)
        assert rel_error(land.gradient(point), numeric) < 1e-7, point


@pytest.mark.parametrize("land", ALL, ids=IDS)
def test_metadata_is_consistent(land):
    assert land.xlim[0] < land.start[0] < land.xlim[1] and land.ylim[0] < land.start[1] < land.ylim[1]
    for m in land.minima:
        assert land.value(m) == pytest.approx(land.min_value, abs=1e-9)
        assert np.abs(land.gradient(m)).max() < 1e-4
        assert land.xlim[0] <= m[0] <= land.xlim[1] and land.ylim[0] <= m[1] <= land.ylim[1]
    X, Y, Z = land.grid(50)
    assert X.shape == Y.shape == Z.shape == (50, 50)
    assert Z.min() >= land.min_value - 1e-12
    assert land.value(land.start) > land.min_value + 1e-3
    gx, gy = land.grad(X, Y)  # the gradient broadcasts over grids too (for quiver plots)
    assert gx.shape == gy.shape == (50, 50)


def test_registry_and_lookup():
    assert list(LANDSCAPES) == ["quadratic", "rosenbrock", "beale", "saddle", "himmelblau"]
    assert get_landscape("beale") is LANDSCAPES["beale"]
    assert get_landscape(ROTATED) is ROTATED
    assert all(isinstance(v, Landscape) and v.name == k for k, v in LANDSCAPES.items())
    with pytest.raises(ValueError, match="unknown landscape 'rastrigin'"):
        get_landscape("rastrigin")
    with pytest.raises(ValueError, match="kappa"):
        ill_conditioned_quadratic(kappa=0.5)


def test_saddle_point_is_a_saddle():
    land = LANDSCAPES["saddle"]
    assert np.all(land.gradient((0.0, 0.0)) == 0)
    assert land.value((0.1, 0.0)) > 0 > land.value((0.0, 0.1))


# ------------------------------------------------------------------------------ run_optimizer
def test_run_optimizer_shapes_and_losses():
    land = LANDSCAPES["himmelblau"]
    path, losses = run_optimizer("himmelblau", "momentum", steps=40, lr=0.005)
    assert path.shape == (41, 2) and losses.shape == (41,)
    np.testing.assert_array_equal(path[0], land.start)
    np.testing.assert_allclose(losses, [land.value(p) for p in path])
    path, losses = run_optimizer(land, "adam", start=(1.0, -1.0), steps=0)
    assert path.shape == (1, 2) and losses[0] == land.value((1.0, -1.0))


def test_run_optimizer_is_plain_gradient_descent_on_the_quadratic():
    """On 1/2 (x^2 + kappa y^2), SGD multiplies x by (1 - lr) and y by (1 - lr kappa) per step."""
    land = ill_conditioned_quadratic(kappa=25.0)
    lr, steps = 0.03, 30
    path, _ = run_optimizer(land, "sgd", start=(-4.0, 1.5), steps=steps, lr=lr)
    k = np.arange(steps + 1)
    np.testing.assert_allclose(path[:, 0], -4.0 * (1 - lr) ** k, rtol=1e-12)
    np.testing.assert_allclose(path[:, 1], 1.5 * (1 - lr * 25) ** k, rtol=1e-12)


def test_run_optimizer_uses_the_real_optimizer():
    land = LANDSCAPES["rosenbrock"]
    path, _ = run_optimizer(land, optim.RMSprop, steps=25, lr=0.01, centered=True)
    p = Parameter(np.array(land.start))
    opt = optim.RMSprop([p], lr=0.01, centered=True)
    for k in range(25):
        p.grad[...] = land.gradient(p.data)
        opt.step()
        np.testing.assert_array_equal(path[k + 1], p.data)


def test_adam_reaches_rosenbrocks_minimum():
    land = LANDSCAPES["rosenbrock"]
    path, losses = run_optimizer("rosenbrock", "adam", steps=2000, lr=0.05)
    assert land.distance_to_minimum(path[-1]) < 1e-2
    assert losses[-1] < 1e-4 < losses[0]


@pytest.mark.parametrize("name,kwargs", [("momentum", dict(lr=0.05)), ("nesterov", dict(lr=0.05)),
                                         ("adam", dict(lr=0.05)), ("adagrad", dict(lr=0.5)),
                                         ("rmsprop", dict(lr=0.02))])
def test_every_preset_finds_bowls_minimum(name, kwargs):
    path, losses = run_optimizer("quadratic", name, steps=500, **kwargs)
    assert LANDSCAPES["quadratic"].distance_to_minimum(path[-1]) < 0.05
    assert np.all(np.isfinite(losses))


def test_momentum_escapes_the_saddle_faster_than_sgd():
    land = LANDSCAPES["saddle"]
    escaped = {}
    for name in ("sgd", "momentum", "adam"):
        path, _ = run_optimizer(land, name, steps=500, lr=0.01)
        escaped[name] = int(np.argmax(np.abs(path[:, 1]) > 0.5))  # first step off the ridge
    assert 0 < escaped["adam"] < escaped["momentum"] < escaped["sgd"]


def test_sgd_with_huge_lr_diverges_and_is_reported():
    with pytest.warns(DivergenceWarning, match="sgd on rosenbrock: diverged at step"):
        path, losses = run_optimizer("rosenbrock", "sgd", steps=100, lr=1.0)
    assert path.shape == (101, 2)
    assert np.isnan(path[-1]).all() and np.isnan(losses[-1])
    last = np.flatnonzero(~np.isnan(losses))[-1]
    assert 0 < last < 100 and np.all(np.isfinite(path[: last + 1]))

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # with return_info the caller is told instead of warned
        path, losses, info = run_optimizer("quadratic", "sgd", steps=50, lr=1.0, return_info=True)
    assert info["diverged"] and 0 < info["steps_taken"] < 50 and "smaller learning rate" in info["message"]

    path, losses, info = run_optimizer("quadratic", "sgd", steps=50, lr=0.01, return_info=True)
    assert not info["diverged"] and info["steps_taken"] == 50 and info["message"] == ""


def test_non_finite_values_stop_the_run():
    with np.errstate(all="ignore"), pytest.warns(DivergenceWarning):
        path, losses = run_optimizer("beale", "sgd", steps=50, lr=10.0, max_abs=np.inf)
    assert np.isnan(losses[-1]) and np.isfinite(losses[0])


def test_scheduler_and_optimizer_forms():
    path, losses, info = run_optimizer("quadratic", "momentum", steps=20, lr=0.02,
                                       scheduler=lambda o: StepLR(o, step_size=5, gamma=0.5), return_info=True)
    np.testing.assert_allclose(info["lrs"][[0, 4, 5, 10, 20]], [0.02, 0.02, 0.01, 0.005, 0.00125])
    a, _ = run_optimizer("beale", optim.Adam, steps=10, lr=0.1)
    b, _ = run_optimizer("beale", "adam", steps=10, lr=0.1)
    c, _ = run_optimizer("beale", lambda params, **kw: optim.Adam(params, **kw), steps=10, lr=0.1)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, c)
    opt = make_optimizer("nesterov", [Parameter(np.zeros(2))], lr=0.1,
                         momentum=0.5)
    assert opt.param_groups[0]["nesterov"] and opt.param_groups[0]["momentum"] == 0.5
    assert set(OPTIMIZERS) >= {"sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"}


def test_run_optimizer_bad_input():
    with pytest.raises(ValueError, match="unknown optimizer 'adamax'"):
        run_optimizer("quadratic", "adamax")
    with pytest.raises(ValueError, match="steps"):
        run_optimizer("quadratic", "sgd", steps=-1)
    with pytest.raises(ValueError, match="start"):
        run_optimizer("quadratic", "sgd", start=(1.0, 2.0, 3.0))
    with pytest.raises(ValueError, match="lr"):
        run_optimizer("quadratic", "adam", lr=-0.1)
    with pytest.raises(TypeError, match="not an nnedu.optim.Optimizer"):
        run_optimizer("quadratic", lambda params, **kw: None)
