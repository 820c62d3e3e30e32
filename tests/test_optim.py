"""nnedu.optim optimizers: agreement with torch.optim, hand-computed steps, state dicts, bad input."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnedu import optim
from nnedu.nn import Linear, Parameter, Sequential

STEPS = 100
SHAPES = [(3, 4), (5,), (2, 2)]

# (name, nnedu class, torch class name, constructor kwargs); every torch.optim feature the issue lists.
SETTINGS = [
    ("sgd", optim.SGD, "SGD", dict(lr=0.05)),
    ("sgd-wd", optim.SGD, "SGD", dict(lr=0.05, weight_decay=0.1)),
    ("momentum", optim.SGD, "SGD", dict(lr=0.05, momentum=0.9)),
    ("momentum-dampening", optim.SGD, "SGD", dict(lr=0.05, momentum=0.9, dampening=0.3)),
    ("nesterov", optim.SGD, "SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("nesterov-wd", optim.SGD, "SGD", dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.05)),
    ("adagrad", optim.Adagrad, "Adagrad", dict(lr=0.1)),
    ("adagrad-decay", optim.Adagrad, "Adagrad",
     dict(lr=0.2, lr_decay=0.05, weight_decay=0.1, initial_accumulator_value=0.3, eps=1e-8)),
    ("rmsprop", optim.RMSprop, "RMSprop", dict(lr=0.01)),
    ("rmsprop-centered", optim.RMSprop, "RMSprop", dict(lr=0.01, alpha=0.9, centered=True)),
    ("rmsprop-momentum", optim.RMSprop, "RMSprop", dict(lr=0.01, momentum=0.7, weight_decay=0.05)),
    ("rmsprop-centered-momentum", optim.RMSprop, "RMSprop", dict(lr=0.005, momentum=0.5, centered=True)),
    ("adam", optim.Adam, "Adam", dict(lr=0.02)),
    ("adam-wd", optim.Adam, "Adam", dict(lr=0.02, betas=(0.8, 0.99), weight_decay=0.1, eps=1e-6)),
    ("amsgrad", optim.Adam, "Adam", dict(lr=0.02, amsgrad=True)),
    ("adamw", optim.AdamW, "AdamW", dict(lr=0.02)),
    ("adamw-amsgrad", optim.AdamW, "AdamW", dict(lr=0.02, weight_decay=0.3, amsgrad=True)),
]
IDS = [s[0] for s in SETTINGS]


def _initial_params(seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s) for s in SHAPES]


def _quadratic(seed: int = 1) -> list[np.ndarray]:
    """One symmetric positive definite matrix per parameter: loss = sum 1/2 p^T A p."""
    rng = np.random.default_rng(seed)
    mats = []
    for s in SHAPES:
        n = int(np.prod(s))
        B = rng.standard_normal((n, n))
        mats.append(B @ B.T / n + 0.1 * np.eye(n))
    return mats


def _random_grads(steps: int, seed: int = 2) -> list[list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    return [[rng.standard_normal(s) for s in SHAPES] for _ in range(steps)]


def _numpy_grad(kind: str, k: int, i: int, data: np.ndarray, mats, seq) -> np.ndarray:
    if kind == "random":
        return seq[k][i]
    return (mats[i] @ data.ravel()).reshape(data.shape) + 0.1 * math.sin(k)


def run_nnedu(cls, kwargs, kind: str, steps: int = STEPS, groups: list[dict] | None = None) -> np.ndarray:
    params = [Parameter(x) for x in _initial_params()]
    mats, seq = _quadratic(), _random_grads(steps)
    if groups is None:
        opt = cls(params, **kwargs)
    else:
        opt = cls([{**g, "params": [params[j] for j in g["params"]]} for g in groups], **kwargs)
    path = []
    for k in range(steps):
        opt.zero_grad()
        for i, p in enumerate(params):
            p.grad += _numpy_grad(kind, k, i, p.data, mats, seq)
        opt.step()
        path.append(np.concatenate([p.data.ravel() for p in params]))
    return np.array(path)


def run_torch(torch, name, kwargs, kind: str, steps: int = STEPS, groups: list[dict] | None = None) -> np.ndarray:
    params = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in _initial_params()]
    mats = [torch.tensor(a) for a in _quadratic()]
    seq = _random_grads(steps)
    cls = getattr(torch.optim, name)
    if groups is None:
        opt = cls(params, **kwargs)
    else:
        opt = cls([{**g, "params": [params[j] for j in g["params"]]} for g in groups], **kwargs)
    path = []
    for k in range(steps):
        opt.zero_grad()
        for i, p in enumerate(params):
            if kind == "random":
                p.grad = torch.tensor(seq[k][i])
            else:
                p.grad = (mats[i] @ p.detach().ravel()).reshape(p.shape) + 0.1 * math.sin(k)
        opt.step()
        path.append(np.concatenate([p.detach().numpy().ravel() for p in params]))
    return np.array(path)


@pytest.mark.parametrize("kind", ["random", "quadratic"])
@pytest.mark.parametrize("name,cls,torch_name,kwargs", SETTINGS, ids=IDS)
def test_trajectory_matches_torch(name, cls, torch_name, kwargs, kind):
    torch = pytest.importorskip("torch")
    ours = run_nnedu(cls, kwargs, kind)
    theirs = run_torch(torch, torch_name, kwargs, kind)
    assert ours.shape == theirs.shape == (STEPS, sum(int(np.prod(s)) for s in SHAPES))
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)
    assert np.abs(ours[-1] - ours[0]).max() > 1e-3  # the parameters really moved


GROUPS = [{"params": [0]}, {"params": [1], "lr": 0.003}, {"params": [2], "lr": 0.2, "weight_decay": 0.05}]


@pytest.mark.parametrize("name,cls,torch_name,kwargs", [
    ("momentum", optim.SGD, "SGD", dict(lr=0.05, momentum=0.9)),
    ("adagrad", optim.Adagrad, "Adagrad", dict(lr=0.05, lr_decay=0.01)),
    ("rmsprop-centered", optim.RMSprop, "RMSprop", dict(lr=0.01, centered=True, momentum=0.3)),
    ("amsgrad", optim.Adam, "Adam", dict(lr=0.02, amsgrad=True)),
    ("adamw", optim.AdamW, "AdamW", dict(lr=0.02)),
], ids=["momentum", "adagrad", "rmsprop-centered", "amsgrad", "adamw"])
def test_param_groups_with_different_lrs_match_torch(name, cls, torch_name, kwargs):
    torch = pytest.importorskip("torch")
    ours = run_nnedu(cls, kwargs, "quadratic", groups=GROUPS)
    theirs = run_torch(torch, torch_name, kwargs, "quadratic", groups=GROUPS)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)


def test_lr_changed_mid_training_matches_torch():
    """A slider or scheduler writes group["lr"]; both libraries read it at every step."""
    torch = pytest.importorskip("torch")
    x0 = _initial_params()[0]
    p = Parameter(x0)
    t = torch.tensor(x0, requires_grad=True)
    ours, theirs = optim.SGD([p], lr=0.1, momentum=0.9), torch.optim.SGD([t], lr=0.1, momentum=0.9)
    for k in range(STEPS):
        if k % 10 == 0:
            ours.param_groups[0]["lr"] = theirs.param_groups[0]["lr"] = 0.1 / (1 + k)
        p.grad[...] = np.cos(k + x0)
        t.grad = torch.tensor(np.cos(k + x0))
        ours.step()
        theirs.step()
    np.testing.assert_allclose(p.data, t.detach().numpy(), rtol=0, atol=1e-12)


# ---------------------------------------------------------------------------- hand-computed steps
def test_one_adam_step_by_hand():
    theta0, g = np.array([0.5, -1.0, 2.0]), np.array([0.2, -3.0, 0.0])
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    p = Parameter(theta0)
    opt = optim.Adam([p], lr=lr, betas=(b1, b2), eps=eps)
    p.grad[...] = g
    opt.step()
    m = (1 - b1) * g                      # m_1 = 0.9 * 0 + 0.1 g
    v = (1 - b2) * g ** 2                 # v_1 = 0.999 * 0 + 0.001 g^2
    m_hat = m / (1 - b1 ** 1)             # = g
    v_hat = v / (1 - b2 ** 1)             # = g^2
    expected = theta0 - lr * m_hat / (np.sqrt(v_hat) + eps)
    np.testing.assert_allclose(p.data, expected, rtol=1e-14)
    # i.e. a step of about lr * sign(g), whatever the size of g; no step where g = 0
    np.testing.assert_allclose(p.data, [0.5 - 0.01, -1.0 + 0.01, 2.0], rtol=1e-6)
    assert opt.state[p]["step"] == 1


def test_two_adam_steps_bias_correction_by_hand():
    p = Parameter(np.array([1.0]))
    opt = optim.Adam([p], lr=0.1, betas=(0.5, 0.75), eps=0.0)
    p.grad[...] = 2.0
    opt.step()
    assert p.data[0] == pytest.approx(0.9, abs=1e-15)            # m_hat = 2, v_hat = 4: step 0.1 * 2/2
    p.grad[...] = 4.0
    opt.step()
    m = 0.5 * (0.5 * 2.0) + 0.5 * 4.0                            # m_2 = 2.5
    v = 0.75 * (0.25 * 4.0) + 0.25 * 16.0                        # v_2 = 4.75
    step = 0.1 * (m / (1 - 0.5 ** 2)) / math.sqrt(v / (1 - 0.75 ** 2))
    assert p.data[0] == pytest.approx(0.9 - step, abs=1e-15)


def test_one_momentum_step_by_hand():
    p = Parameter(np.array([1.0, -2.0]))
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    p.grad[...] = [0.5, 1.0]
    opt.step()                                   # b_1 = g_1, theta -= 0.1 b
    np.testing.assert_allclose(p.data, [0.95, -2.1], rtol=1e-15)
    p.grad[...] = [1.0, 0.0]
    opt.step()                                   # b_2 = 0.9 b_1 + g_2 = [1.45, 0.9]
    np.testing.assert_allclose(opt.state[p]["momentum_buffer"], [1.45, 0.9], rtol=1e-15)
    np.testing.assert_allclose(p.data, [0.95 - 0.145, -2.1 - 0.09], rtol=1e-15)


def test_one_nesterov_step_by_hand():
    p = Parameter(np.array([0.0]))
    opt = optim.SGD([p], lr=0.5, momentum=0.5, nesterov=True)
    p.grad[...] = 2.0
    opt.step()                                   # b = 2, d = g + mu b = 3
    assert p.data[0] == pytest.approx(-1.5, abs=1e-15)


def test_adagrad_and_rmsprop_first_step_by_hand():
    p = Parameter(np.array([1.0, 1.0]))
    opt = optim.Adagrad([p], lr=0.1, initial_accumulator_value=1.0, eps=0.0)
    p.grad[...] = [3.0, 0.0]
    opt.step()                                   # G = 1 + 9, step = 0.1 * 3 / sqrt(10)
    np.testing.assert_allclose(p.data, [1.0 - 0.3 / math.sqrt(10.0), 1.0], rtol=1e-15)
    q = Parameter(np.array([0.0]))
    opt = optim.RMSprop([q], lr=0.01, alpha=0.99, eps=0.0)
    q.grad[...] = -2.0
    opt.step()                                   # v = 0.01 * 4, step = 0.01 * (-2) / 0.2
    assert q.data[0] == pytest.approx(0.1, abs=1e-15)


def test_classroom_momentum_form_equals_pytorch_form_for_constant_lr():
    """v <- mu v - eta g, theta <- theta + v  is  b <- mu b + g, theta <- theta - eta b  with v = -eta b."""
    mu, eta = 0.9, 0.05
    grads = _random_grads(50)
    p = Parameter(np.zeros(4))
    opt = optim.SGD([p], lr=eta, momentum=mu)
    theta, v = np.zeros(4), np.zeros(4)
    for k in range(50):
        g = grads[k][0][0]
        p.grad[...] = g
        opt.step()
        v = mu * v - eta * g
        theta = theta + v
    np.testing.assert_allclose(p.data, theta, rtol=1e-12, atol=1e-14)


def test_classroom_momentum_form_differs_when_lr_changes():
    """After a 10x lr drop PyTorch's form shrinks the whole step at once; the classroom form keeps its velocity."""
    mu = 0.9
    p = Parameter(np.zeros(1))
    opt = optim.SGD([p], lr=1.0, momentum=mu)
    theta, v = 0.0, 0.0
    for k in range(20):
        eta = 1.0 if k < 10 else 0.1
        opt.param_groups[0]["lr"] = eta
        p.grad[...] = 1.0
        before = p.data[0]
        opt.step()
        v = mu * v - eta * 1.0
        theta += v
        if k == 10:  # the first step after the drop
            assert abs(p.data[0] - before) < 0.2 * abs(v)
    assert abs(p.data[0] - theta) > 1.0


# ------------------------------------------------------------------------------- behaviour
def test_steps_in_place_and_keep_dtype():
    w = Parameter(np.ones((2, 3), dtype=np.float32))
    data_id = id(w.data)
    for cls in (optim.SGD, optim.Adagrad, optim.RMSprop, optim.Adam, optim.AdamW):
        opt = cls([w], lr=0.01) if cls is not optim.SGD else cls([w], lr=0.01, momentum=0.9)
        w.grad[...] = 1.0
        opt.step()
        opt.step()
        assert id(w.data) == data_id and w.data.dtype == np.float32
        assert all(v.dtype == np.float32 for v in opt.state[w].values() if isinstance(v, np.ndarray))


def test_zero_grad_and_model_parameters_generator():
    model = Sequential(Linear(3, 4, rng=0), Linear(4, 2, rng=1))
    opt = optim.SGD(model.parameters(), lr=0.1)
    assert len(opt.param_groups) == 1 and len(opt.param_groups[0]["params"]) == 4
    for p in model.parameters():
        p.grad[...] = 1.0
    before = [p.data.copy() for p in model.parameters()]
    opt.step()
    for b, p in zip(before, model.parameters()):
        np.testing.assert_allclose(p.data, b - 0.1)
    opt.zero_grad()
    assert all(np.all(p.grad == 0) for p in model.parameters())


def test_closure_is_called_and_its_loss_returned():
    p = Parameter(np.array([3.0]))
    opt = optim.SGD([p], lr=0.25)

    def closure():
        opt.zero_grad()
        p.grad += 2 * p.data
        return float(p.data[0] ** 2)

    assert opt.step(closure) == 9.0
    assert p.data[0] == pytest.approx(1.5)


def test_adamw_without_weight_decay_is_adam():
    a = run_nnedu(optim.Adam, dict(lr=0.02), "quadratic", steps=30)
    b = run_nnedu(optim.AdamW, dict(lr=0.02, weight_decay=0.0), "quadratic", steps=30)
    np.testing.assert_array_equal(a, b)
    c = run_nnedu(optim.AdamW, dict(lr=0.02), "quadratic", steps=30)
    assert np.abs(a - c).max() > 1e-6  # the default weight decay 0.01 does something


def test_defaults_are_pytorchs():
    p = [Parameter(np.zeros(1))]
    assert optim.Adam(p).defaults == dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False)
    assert optim.AdamW(p).defaults["weight_decay"] == 1e-2
    assert optim.RMSprop(p).defaults == dict(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                                             centered=False)
    assert optim.Adagrad(p).defaults == dict(lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                                             initial_accumulator_value=0.0, eps=1e-10)
    assert optim.SGD(p, lr=0.1).param_groups[0]["momentum"] == 0.0


def test_repr_lists_groups():
    opt = optim.SGD([{"params": [Parameter(np.zeros(1))]}, {"params": [Parameter(np.zeros(1))], "lr": 0.5}], lr=0.1)
    text = repr(opt)
    assert "Parameter Group 1" in text and "lr: 0.5" in text


# ------------------------------------------------------------------------------- state dicts
@pytest.mark.parametrize("name,cls,torch_name,kwargs", SETTINGS, ids=IDS)
def test_state_dict_round_trip_continues_identical_trajectory(name, cls, torch_name, kwargs):
    mats = _quadratic()

    def train(params, opt, k0, k1):
        for k in range(k0, k1):
            opt.zero_grad()
            for i, p in enumerate(params):
                p.grad += _numpy_grad("quadratic", k, i, p.data, mats, None)
            opt.step()

    params = [Parameter(x) for x in _initial_params()]
    opt = cls([{"params": params[:2]}, {"params": params[2:], "lr": 0.007}], **kwargs)
    train(params, opt, 0, 40)
    saved_params = [p.data.copy() for p in params]
    saved = opt.state_dict()
    train(params, opt, 40, 80)  # keeps going; must not change `saved`
    uninterrupted = [p.data.copy() for p in params]

    params2 = [Parameter(x) for x in saved_params]
    opt2 = cls([{"params": params2[:2]}, {"params": params2[2:], "lr": 0.5}], **kwargs)
    opt2.load_state_dict(saved)
    assert opt2.param_groups[1]["lr"] == 0.007  # hyper-parameters come back too
    train(params2, opt2, 40, 80)
    for a, b in zip(uninterrupted, params2):
        np.testing.assert_array_equal(a, b.data)


def test_state_dict_layout_is_pytorchs():
    p, q = Parameter(np.zeros(2)), Parameter(np.zeros(3))
    opt = optim.Adam([p, q], lr=0.1)
    p.grad[...] = 1.0
    opt.step()
    sd = opt.state_dict()
    assert set(sd) == {"state", "param_groups"}
    assert sd["param_groups"][0]["params"] == [0, 1]
    assert sd["param_groups"][0]["lr"] == 0.1
    assert sd["state"][0]["step"] == 1 and sd["state"][0]["exp_avg"].shape == (2,)


def test_load_state_dict_rejects_mismatches():
    p = Parameter(np.zeros(2))
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    p.grad[...] = 1.0
    opt.step()
    sd = opt.state_dict()
    with pytest.raises(ValueError, match="parameter groups"):
        optim.SGD([{"params": [Parameter(np.zeros(2))]}, {"params": [Parameter(np.zeros(2))]}],
                  lr=0.1).load_state_dict(sd)
    with pytest.raises(ValueError, match="2 parameters in the state dict but 1"):
        two = opt.state_dict()
        two["param_groups"][0]["params"] = [0, 1]
        optim.SGD([Parameter(np.zeros(2))], lr=0.1).load_state_dict(two)
    with pytest.raises(ValueError, match="shape"):
        optim.SGD([Parameter(np.zeros(3))], lr=0.1, momentum=0.9).load_state_dict(sd)


# ------------------------------------------------------------------------------- bad input
ALL = [optim.SGD, optim.Adagrad, optim.RMSprop, optim.Adam, optim.AdamW]


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_negative_lr_is_rejected(cls):
    with pytest.raises(ValueError, match=rf"{cls.__name__}: lr must be .*>= 0, got -0.1"):
        cls([Parameter(np.zeros(1))], lr=-0.1)
    with pytest.raises(ValueError, match="lr"):  # also in a parameter group's override
        cls([{"params": [Parameter(np.zeros(1))], "lr": -1.0}], lr=0.1)


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_empty_parameter_list_is_rejected(cls):
    with pytest.raises(ValueError, match="empty parameter list"):
        cls([], lr=0.1)
    with pytest.raises(ValueError, match="empty parameter list"):
        cls(Sequential().parameters(), lr=0.1)


@pytest.mark.parametrize("betas", [(1.0, 0.999), (0.9, 1.0), (-0.1, 0.999), (0.9, 1.5), (0.9,)])
@pytest.mark.parametrize("cls", [optim.Adam, optim.AdamW], ids=lambda c: c.__name__)
def test_betas_outside_unit_interval_are_rejected(cls, betas):
    with pytest.raises(ValueError, match="beta"):
        cls([Parameter(np.zeros(1))], betas=betas)


@pytest.mark.parametrize("cls,kwargs,match", [
    (optim.SGD, dict(momentum=-0.5), "momentum"),
    (optim.SGD, dict(weight_decay=-1e-4), "weight_decay"),
    (optim.SGD, dict(nesterov=True), "nesterov"),
    (optim.SGD, dict(nesterov=True, momentum=0.9, dampening=0.1), "nesterov"),
    (optim.SGD, dict(lr=float("nan")), "lr"),
    (optim.Adagrad, dict(lr_decay=-1.0), "lr_decay"),
    (optim.Adagrad, dict(initial_accumulator_value=-1.0), "initial_accumulator_value"),
    (optim.Adagrad, dict(eps=-1e-10), "eps"),
    (optim.RMSprop, dict(alpha=1.0), "alpha"),
    (optim.RMSprop, dict(alpha=-0.1), "alpha"),
    (optim.RMSprop, dict(momentum=-0.1), "momentum"),
    (optim.Adam, dict(eps=-1e-8), "eps"),
    (optim.Adam, dict(weight_decay=-0.1), "weight_decay"),
])
def test_bad_hyperparameters_are_rejected(cls, kwargs, match):
    kwargs = {"lr": 0.1, **kwargs}
    with pytest.raises(ValueError, match=match):
        cls([Parameter(np.zeros(1))], **kwargs)


def test_bad_params_are_rejected():
    p = Parameter(np.zeros(1))
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)
    with pytest.raises(ValueError, match="twice"):
        optim.SGD([p, p], lr=0.1)
    with pytest.raises(TypeError, match="Parameter"):
        optim.SGD([np.zeros(3)], lr=0.1)
    with pytest.raises(TypeError, match="set"):
        optim.SGD({p}, lr=0.1)
    opt = optim.SGD([p], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [p]})
    q = Parameter(np.zeros(1))
    opt.add_param_group({"params": q, "lr": 0.5})
    assert opt.param_groups[1]["lr"] == 0.5 and opt.param_groups[1]["params"] == [q]


# ------------------------------------------------------------------------------- random settings
@settings(max_examples=30, deadline=None)
@given(
    which=st.sampled_from(["SGD", "Adagrad", "RMSprop", "Adam", "AdamW"]),
    lr=st.floats(1e-4, 0.1), mu=st.floats(0.0, 0.99), decay=st.floats(0.0, 0.2),
    beta2=st.floats(0.5, 0.9999), flag=st.booleans(), seed=st.integers(0, 2 ** 16),
)
def test_random_hyperparameters_match_torch(which, lr, mu, decay, beta2, flag, seed):
    torch = pytest.importorskip("torch")
    kwargs = {
        "SGD": dict(lr=lr, momentum=mu, weight_decay=decay, nesterov=flag and mu > 0,
                    dampening=0.0 if flag else decay),
        "Adagrad": dict(lr=lr, lr_decay=decay, weight_decay=decay, initial_accumulator_value=mu),
        "RMSprop": dict(lr=lr, alpha=beta2, momentum=mu, centered=flag, weight_decay=decay),
        "Adam": dict(lr=lr, betas=(mu, beta2), weight_decay=decay, amsgrad=flag),
        "AdamW": dict(lr=lr, betas=(mu, beta2), weight_decay=decay, amsgrad=flag),
    }[which]
    rng = np.random.default_rng(seed)
    x0, grads = rng.standard_normal(6), rng.standard_normal((30, 6))
    p, t = Parameter(x0), torch.tensor(x0, requires_grad=True)
    ours, theirs = getattr(optim, which)([p], **kwargs), getattr(torch.optim, which)([t], **kwargs)
    for g in grads:
        p.grad[...] = g
        t.grad = torch.tensor(g)
        ours.step()
        theirs.step()
    np.testing.assert_allclose(p.data, t.detach().numpy(), rtol=0, atol=1e-12)
