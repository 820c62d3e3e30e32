"""Models: LeNet-5 feature maps as in the 1998 paper, parameter counts, summary, MLP options."""
import numpy as np
import pytest

import nnedu
from nnedu.checking import rel_error
from nnedu.models import LeNet5, MLP, build_model, summary_table
from nnedu.nn import AvgPool2d, BatchNorm1d, CrossEntropyLoss, Dropout, MaxPool2d, ReLU, Tanh

PAPER_SHAPES = {  # LeCun et al. 1998, Fig. 2 (per image)
    "c1": (6, 28, 28), "s2": (6, 14, 14), "c3": (16, 10, 10), "s4": (16, 5, 5),
    "c5": (120, 1, 1), "f6": (84,), "output": (10,),
}


@pytest.mark.parametrize("variant", ["modern", "classic"])
def test_lenet5_feature_maps_match_the_paper(variant):
    model = LeNet5(variant, rng=0)
    x = np.random.default_rng(0).standard_normal((3, 1, 28, 28)).astype(np.float32)
    seen = {}
    for name, layer in model.named_children():
        x = layer(x)
        seen[name] = x.shape[1:]
    for name, shape in PAPER_SHAPES.items():
        assert seen[name] == shape, name
    assert x.shape == (3, 10)


def test_lenet5_parameter_counts():
    model = LeNet5(rng=0)
    counts = {name: sum(p.size for p in layer.parameters()) for name, layer in model.named_children()}
    assert counts["c1"] == 156  # 6 * (5*5*1) + 6
    assert counts["c3"] == 2416  # full connections: 16 * (5*5*6) + 16
    assert counts["c5"] == 48120
    assert counts["f6"] == 10164
    assert counts["output"] == 850
    assert model.num_parameters() == 61706


def test_lenet5_variants_use_the_right_layers():
    modern, classic = LeNet5("modern"), LeNet5("classic")
    assert isinstance(modern.act1, ReLU) and isinstance(modern.s2, MaxPool2d)
    assert isinstance(classic.act1, Tanh) and isinstance(classic.s2, AvgPool2d)
    assert "full" in LeNet5.__doc__ and "C3" in LeNet5.__doc__
    with pytest.raises(ValueError, match="variant"):
        LeNet5("lecun")


def test_summary_table_text(capsys):
    model = LeNet5(rng=0)
    model.summary()
    text = capsys.readouterr().out
    assert text == summary_table(model) + "\n"
    c1 = next(line for line in text.splitlines() if line.startswith("c1"))
    assert "(6, 28, 28)" in c1 and c1.rstrip().endswith("156")
    assert "Total parameters: 61,706" in text
    for shape in ["(6, 14, 14)", "(16, 10, 10)", "(16, 5, 5)", "(120, 1, 1)", "(84,)", "(10,)"]:
        assert shape in text
    mlp_text = summary_table(MLP())
    assert "Linear 784->256" in mlp_text and "200,960" in mlp_text and "Total parameters: 235,146" in mlp_text


def test_summary_leaves_model_state_alone():
    model = MLP(batchnorm=True, dropout=0.5, rng=0)
    model.train()
    before = model.state_dict()
    summary_table(model)
    assert model.training and model.bn1.training
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v, before[k])


def _numeric_check(model, x, y, n_entries=6, h=1e-6):
    """Analytic parameter gradients of the whole model vs central differences at a few entries."""
    crit = CrossEntropyLoss()
    model.zero_grad()
    crit(model(x), y)
    model.backward(crit.backward())
    rng = np.random.default_rng(1)
    worst = 0.0
    for name, p in model.named_parameters():
        flat, gflat = p.data.reshape(-1), p.grad.reshape(-1)
        idx = rng.choice(flat.size, size=min(n_entries, flat.size), replace=False)
        nums = []
        for i in idx:
            old = flat[i]
            flat[i] = old + h
            plus = crit(model(x), y)
            flat[i] = old - h
            minus = crit(model(x), y)
            flat[i] = old
            nums.append((plus - minus) / (2 * h))
        worst = max(worst, rel_error(gflat[idx], np.array(nums)))
    return worst


@pytest.mark.parametrize("variant", ["modern", "classic"])
def test_lenet5_forward_backward(variant, float64):
    model = LeNet5(variant, rng=0)
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((4, 1, 28, 28)), rng.integers(0, 10, 4)
    logits = model(x)
    assert logits.shape == (4, 10) and logits.dtype == np.float64
    crit = CrossEntropyLoss()
    crit(logits, y)
    model.zero_grad()
    assert model.backward(crit.backward()) is None  # C1 skips dL/dx by default
    for name, p in model.named_parameters():
        assert np.any(p.grad != 0), name
    model.c1.needs_input_grad = True
    crit(model(x), y)
    assert model.backward(crit.backward()).shape == x.shape
    assert _numeric_check(model, x, y) < 1e-5


def test_mlp_accepts_images_and_flat_input():
    model = MLP(rng=0)
    x = np.random.default_rng(0).random((5, 1, 28, 28), dtype=np.float32)
    out = model(x)
    assert out.shape == (5, 10) and out.dtype == np.float32
    np.testing.assert_array_equal(model(x.reshape(5, 28, 28)), out)
    np.testing.assert_array_equal(model(x.reshape(5, 784)), out)
    assert model.backward(np.ones((5, 10), np.float32)).shape == (5, 784)


def test_mlp_options(float64):
    model = MLP((20, 16, 8, 3), activation="tanh", batchnorm=True, dropout=0.25, rng=0)
    names = [n for n, _ in model.named_children()]
    assert names == ["flatten", "fc1", "bn1", "act1", "drop1", "fc2", "bn2", "act2", "drop2", "fc3"]
    assert isinstance(model.bn1, BatchNorm1d) and isinstance(model.drop2, Dropout)
    assert isinstance(model.act1, Tanh)
    model.eval()  # dropout off: deterministic, so the numerical check is valid
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((6, 20)), rng.integers(0, 3, 6)
    assert _numeric_check(MLP((20, 16, 8, 3), activation="tanh", rng=0), x, y) < 1e-6
    with pytest.raises(ValueError, match="activation"):
        MLP(activation="swish")
    with pytest.raises(ValueError, match="sizes"):
        MLP(sizes=(784,))
    with pytest.raises(ValueError, match="dropout"):
        MLP(dropout=1.0)


def test_same_seed_same_weights_and_config_rebuilds():
    a, b = MLP(batchnorm=True, rng=7), MLP(batchnorm=True, rng=7)
    for (k, v), w in zip(a.state_dict().items(), b.state_dict().values()):
        np.testing.assert_array_equal(v, w, err_msg=k)
    nnedu.manual_seed(3)
    c = LeNet5()
    nnedu.manual_seed(3)
    d = LeNet5()
    np.testing.assert_array_equal(c.c1.weight.data, d.c1.weight.data)
    rebuilt = build_model(a.config)
    assert type(rebuilt) is MLP and rebuilt.config == a.config
    assert [k for k in rebuilt.state_dict()] == [k for k in a.state_dict()]
    assert build_model(LeNet5("classic").config).variant == "classic"
    with pytest.raises(ValueError, match="unknown model"):
        build_model({"name": "ResNet50", "kwargs": {}})
