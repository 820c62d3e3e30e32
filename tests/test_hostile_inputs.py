"""Dtypes and shapes no layer or optimizer computes correctly are refused clearly (issue 15, item 7)."""
from __future__ import annotations

import numpy as np
import pytest

from nnedu.models import MLP, LeNet5
from nnedu.nn import (BatchNorm1d, BatchNorm2d, Conv2d, CrossEntropyLoss, Dropout, Flatten, Linear, MSELoss,
                      Parameter, ReLU)
from nnedu.optim import SGD, Adagrad, Adam, AdamW, RMSprop

LAYERS = {
    "Linear": (lambda: Linear(4, 3, rng=0), (2, 4)),
    "Dropout": (lambda: Dropout(0.5, rng=0), (2, 4)),
    "BatchNorm1d": (lambda: BatchNorm1d(4), (2, 4)),
    "BatchNorm2d": (lambda: BatchNorm2d(1), (2, 1, 4, 4)),
    "Conv2d": (lambda: Conv2d(1, 2, 3, rng=0), (2, 1, 5, 5)),
    "Flatten": (lambda: Flatten(), (2, 1, 4, 4)),
    "ReLU": (lambda: ReLU(), (2, 4)),
}


@pytest.mark.parametrize("name", LAYERS)
@pytest.mark.parametrize("dtype", [np.float16, np.complex64, np.str_, object, "datetime64[s]"])
def test_layers_refuse_what_they_cannot_compute(name, dtype):
    make, shape = LAYERS[name]
    x = np.ones(shape).astype(dtype)
    with pytest.raises(TypeError, match=rf"^{name}: expected the input to be real numbers .*got dtype"):
        make()(x)


def test_float16_message_says_how_to_convert():
    with pytest.raises(TypeError, match=r"got dtype float16 \(convert it: x.astype\(np.float32\)\)"):
        BatchNorm1d(4)(np.full((2, 4), 300, dtype=np.float16))  # gave zeros for |x| >= 256
    with pytest.raises(TypeError, match="got dtype object"):
        Linear(4, 3)(None)


@pytest.mark.parametrize("name", LAYERS)
def test_empty_batch_is_refused_naming_the_layer(name):
    make, shape = LAYERS[name]
    with pytest.raises(ValueError, match=rf"^{name}: got an empty batch \(the input has shape \(0,"):
        make()(np.ones((0,) + shape[1:], dtype=np.float32))


def test_losses_refuse_an_empty_batch_instead_of_dividing_by_zero():
    with pytest.raises(ValueError, match=r"CrossEntropyLoss: got an empty batch \(argument 1 has shape \(0, 10\)"):
        CrossEntropyLoss()(np.zeros((0, 10), np.float32), np.zeros(0, np.int64))
    with pytest.raises(ValueError, match=r"MSELoss: got an empty batch"):
        MSELoss()(np.zeros((0, 3)), np.zeros((0, 3)))


def test_models_refuse_bad_input_at_the_top():
    with pytest.raises(TypeError, match=r"^LeNet5: expected the input to be real numbers"):
        LeNet5(rng=0)(np.ones((1, 1, 28, 28), dtype=np.complex128))
    with pytest.raises(ValueError, match=r"^MLP: got an empty batch"):
        MLP(rng=0)(np.ones((0, 784), dtype=np.float32))


def test_accepted_inputs_still_work():
    model = MLP(sizes=(4, 3, 2), rng=0)
    for x in (np.ones((2, 4), np.float32), np.ones((2, 4)), np.ones((2, 4), np.uint8), [[1, 2, 3, 4]]):
        assert model(x).shape == (len(x), 2)


@pytest.mark.parametrize("opt", [SGD, Adam, AdamW, RMSprop, Adagrad])
def test_optimizers_refuse_float16_parameters(opt):
    w = Parameter(np.ones(3, dtype=np.float16))
    with pytest.raises(TypeError, match=rf"{opt.__name__}: parameters must be float32 or float64, got a float16"):
        opt([w], lr=0.1)


def test_optimizer_given_a_model_says_pass_parameters():
    with pytest.raises(TypeError, match=r"SGD: expected the parameters of a model, got the model itself "
                                        r"\(Linear\); pass model.parameters\(\)"):
        SGD(Linear(2, 2), lr=0.1)


@pytest.mark.parametrize("lr", [float("nan"), -1.0, float("inf"), "0.1", None])
def test_learning_rate_changed_after_construction_is_checked_at_the_next_step(lr):
    model = Linear(2, 2, rng=0)
    opt = Adam(model.parameters(), lr=0.1)
    opt.param_groups[0]["lr"] = lr
    before = model.weight.data.copy()
    with pytest.raises(ValueError, match=r"Adam: lr must be a finite number >= 0"):
        opt.step()
    np.testing.assert_array_equal(model.weight.data, before)  # nothing changed
