"""The Module API on real layers: parameters, state dicts with buffers, train/eval, gradient accumulation,
dtypes, and a whole Sequential network against PyTorch."""
from __future__ import annotations

import numpy as np
import pytest

import nnedu
from nnedu import nn
from nnedu.checking import gradcheck

from helpers import default_dtype


def make_net(rng=0) -> nn.Sequential:
    return nn.Sequential(nn.Linear(6, 5, rng=rng), nn.BatchNorm1d(5), nn.ReLU(), nn.Dropout(0.5, rng=rng),
                         nn.Linear(5, 3, rng=rng))


def test_parameters_and_names_in_order():
    net = make_net()
    names = [n for n, _ in net.named_parameters()]
    assert names == ["0.weight", "0.bias", "1.weight", "1.bias", "4.weight", "4.bias"]
    assert [p.shape for p in net.parameters()] == [(6, 5), (5,), (5,), (5,), (5, 3), (3,)]
    assert net.num_parameters() == 30 + 5 + 5 + 5 + 15 + 3
    assert [n for n, _ in net.named_buffers()] == ["1.running_mean", "1.running_var"]


def test_state_dict_round_trip_includes_buffers():
    x = np.random.default_rng(0).standard_normal((8, 6)).astype(np.float32)
    a = make_net(1)
    a(x)                                                    # updates the running statistics
    state = a.state_dict()
    assert list(state) == ["0.weight", "0.bias", "1.weight", "1.bias", "4.weight", "4.bias",
                           "1.running_mean", "1.running_var"]
    assert not np.allclose(state["1.running_mean"], 0)
    b = make_net(2)
    b.load_state_dict(state)
    for key, value in b.state_dict().items():
        np.testing.assert_array_equal(value, state[key])
    a.eval(), b.eval()
    np.testing.assert_array_equal(a(x), b(x))
    state["0.bias"][0] = 99.0                               # a copy, not a view
    assert a[0].bias.data[0] != 99.0


def test_load_state_dict_mismatch_messages():
    net = make_net()
    state = net.state_dict()
    state["1.running_var"] = np.ones(4, dtype=np.float32)
    with pytest.raises(ValueError, match=r"'1.running_var' has shape \(5,\) in the model but \(4,\) in the "
                                         r"state dict"):
        net.load_state_dict(state)
    state = net.state_dict()
    del state["1.running_mean"]
    state["9.weight"] = np.zeros(2)
    with pytest.raises(KeyError, match=r"missing keys \['1.running_mean'\], unexpected keys \['9.weight'\]"):
        net.load_state_dict(state)
    net.load_state_dict({"0.bias": np.full(5, 2.0)}, strict=False)
    np.testing.assert_array_equal(net[0].bias.data, 2.0)


def test_train_eval_switches_every_layer():
    net = make_net()
    x = np.random.default_rng(0).standard_normal((16, 6)).astype(np.float32)
    assert all(m.training for m in net.modules())
    net.eval()
    assert not any(m.training for m in net.modules())
    np.testing.assert_array_equal(net(x), net(x))          # deterministic: no dropout, running stats
    running = net[1].running_mean.copy()
    net(x)
    np.testing.assert_array_equal(net[1].running_mean, running)   # eval does not update the statistics
    net.train()
    assert all(m.training for m in net.modules())
    assert not np.array_equal(net(x), net(x))              # dropout masks differ
    assert not np.array_equal(net[1].running_mean, running)


def test_gradients_accumulate_until_zero_grad():
    net = make_net()
    net[3].p = 0.0                                          # deterministic
    x = np.random.default_rng(0).standard_normal((4, 6)).astype(np.float32)
    G = np.ones((4, 3), dtype=np.float32)
    net(x)
    net.backward(G)
    first = [p.grad.copy() for p in net.parameters()]
    net(x)
    net.backward(G)
    for g1, p in zip(first, net.parameters()):
        np.testing.assert_allclose(p.grad, 2 * g1, rtol=1e-6, atol=1e-6)
    assert any(np.abs(g).max() > 0 for g in first)
    net.zero_grad()
    assert all(not p.grad.any() for p in net.parameters())


def test_set_default_dtype_controls_new_parameters():
    with default_dtype(np.float64):
        net = make_net()
        assert nnedu.get_default_dtype() == np.float64
    assert all(p.dtype == np.float64 for p in net.parameters())
    assert all(b.dtype == np.float64 for _, b in net.named_buffers())
    assert all(p.dtype == np.float32 for p in make_net().parameters())
    x = np.ones((3, 6), dtype=np.float32)
    assert net(x).dtype == np.float32                      # input dtype wins
    assert net.backward(np.ones((3, 3), dtype=np.float32)).dtype == np.float32


def test_whole_network_gradcheck():
    with default_dtype(np.float64):
        # No bias before BatchNorm: its true gradient is exactly 0, where a relative error means nothing.
        net = nn.Sequential(nn.Linear(5, 4, bias=False, rng=0), nn.BatchNorm1d(4), nn.Tanh(), nn.Linear(4, 4, rng=1),
                            nn.Sigmoid(), nn.Flatten(), nn.Linear(4, 2, rng=2))
        assert gradcheck(net, np.random.default_rng(9).standard_normal((6, 5))) < 1e-6


def test_mlp_train_step_matches_torch():
    """Forward, loss, every gradient and one SGD step of a small MLP agree with PyTorch to 1e-10."""
    torch = pytest.importorskip("torch")
    with default_dtype(np.float64):
        ours = nn.Sequential(nn.Linear(8, 6, rng=0), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 4, rng=1))
    theirs = torch.nn.Sequential(torch.nn.Linear(8, 6), torch.nn.BatchNorm1d(6), torch.nn.ReLU(),
                                 torch.nn.Linear(6, 4)).double()
    with torch.no_grad():
        for i in (0, 3):
            theirs[i].weight.copy_(torch.tensor(ours[i].weight.data.T))
            theirs[i].bias.copy_(torch.tensor(ours[i].bias.data))
    rng = np.random.default_rng(5)
    x, y = rng.standard_normal((10, 8)), rng.integers(0, 4, 10)
    criterion = nn.CrossEntropyLoss()
    for _ in range(3):
        ours.zero_grad()
        loss = criterion(ours(x), y)
        ours.backward(criterion.backward())
        theirs.zero_grad()
        ref = torch.nn.functional.cross_entropy(theirs(torch.tensor(x)), torch.tensor(y))
        ref.backward()
        assert abs(loss - ref.item()) < 1e-10
        for (name, p), tp in zip(ours.named_parameters(), theirs.parameters()):
            ref_grad = tp.grad.numpy().T if name.endswith("weight") and p.data.ndim == 2 else tp.grad.numpy()
            np.testing.assert_allclose(p.grad, ref_grad, rtol=0, atol=1e-10, err_msg=name)
        for p in ours.parameters():
            p.data -= 0.1 * p.grad
        with torch.no_grad():
            for tp in theirs.parameters():
                tp -= 0.1 * tp.grad
    np.testing.assert_allclose(ours[1].running_var, theirs[1].running_var.numpy(), rtol=0, atol=1e-10)


def test_sequential_backward_stops_where_no_input_grad_is_needed():
    net = nn.Sequential(nn.Flatten(), nn.Linear(12, 5, rng=0), nn.ReLU(), nn.Linear(5, 3, rng=1))
    x = np.random.default_rng(0).standard_normal((4, 3, 4))
    y = net(x)
    full = net.backward(np.ones_like(y))
    assert full.shape == x.shape
    w_grad = net[1].weight.grad.copy()

    net.zero_grad()
    net[1].needs_input_grad = False      # the data needs no gradient: Flatten is never asked
    net(x)
    assert net.backward(np.ones_like(y)) is None
    np.testing.assert_array_equal(net[1].weight.grad, w_grad)
