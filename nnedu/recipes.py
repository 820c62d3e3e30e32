"""Default training recipes and the factories behind them (used by the CLI, notebooks, benchmarks).

A recipe is every choice that decides the result of a training run:
model, optimizer and its settings, learning-rate schedule, batch size,
epochs, data preparation and augmentation. The defaults here are the ones
whose test accuracy ``benchmarks/README.md`` records (MLP >= 98 %, LeNet-5
>= 99 % on MNIST within 10 epochs).

>>> from nnedu.recipes import RECIPES
>>> RECIPES["lenet5"].optimizer
'adam'
"""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass, replace
from typing import Any, Iterator

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from nnedu.nn.module import Module
from nnedu.rng import get_rng

OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw")
SCHEDULERS = ("none", "step", "cosine", "exponential")
DATASETS = ("mnist", "fashion-mnist")


@dataclass(frozen=True)
class Recipe:
    """The settings of one training run (see :data:`RECIPES` for the defaults).

    Attributes
    ----------
    model : {"mlp", "lenet5"}
    epochs, batch_size : int
    optimizer : one of :data:`OPTIMIZERS`
        ``"momentum"`` is SGD with ``momentum``; ``"nesterov"`` its Nesterov form.
    lr, momentum, weight_decay : float
    scheduler : one of :data:`SCHEDULERS`
        ``"cosine"``: cosine annealing from ``lr`` to 0 over ``epochs``;
        ``"step"``: times 0.1 every ``max(1, epochs // 3)`` epochs;
        ``"exponential"``: times 0.9 every epoch. Stepped once per epoch.
    augment_shift : int
        Random translation of each training image by up to this many pixels
        in each direction (0 = no augmentation).
    seed : int
        Seeds the initial weights, the batch order and the augmentation.
    """

    model: str
    epochs: int = 10
    batch_size: int = 128
    optimizer: str = "adam"
    lr: float = 1e-3
    momentum: float = 0.9
    weight_decay: float = 0.0
    scheduler: str = "cosine"
    augment_shift: int = 0
    seed: int = 0

    def replace(self, **changes: Any) -> "Recipe":
        """A copy with some settings changed; ``None`` values are ignored."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def to_dict(self) -> dict[str, Any]:
        """The settings as a plain dict (JSON-serialisable)."""
        return asdict(self)


RECIPES: dict[str, Recipe] = {
    "mlp": Recipe("mlp", epochs=10, batch_size=128, optimizer="adam", lr=1e-3, scheduler="cosine"),
    "lenet5": Recipe("lenet5", epochs=10, batch_size=64, optimizer="adam", lr=1e-3, scheduler="cosine"),
}


def make_model(name: str, seed: int | np.random.Generator | None = 0) -> Module:
    """``"mlp"`` -> ``MLP()``, ``"lenet5"`` -> ``LeNet5()`` with weights drawn from ``seed``."""
    from nnedu.models import LeNet5, MLP
    if name == "mlp":
        return MLP(rng=seed)
    if name == "lenet5":
        return LeNet5(rng=seed)
    raise ValueError(f"make_model: unknown model {name!r}; choose 'mlp' or 'lenet5'")


def make_optimizer(name: str, params: Any, lr: float, momentum: float = 0.9, weight_decay: float = 0.0) -> Any:
    """Build an :mod:`nnedu.optim` optimizer by name (one of :data:`OPTIMIZERS`)."""
    from nnedu import optim
    params = list(params)
    if name == "sgd":
        return optim.SGD(params, lr=lr, weight_decay=weight_decay)
    if name in ("momentum", "nesterov"):
        return optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay, nesterov=name == "nesterov")
    if name == "adagrad":
        return optim.Adagrad(params, lr=lr, weight_decay=weight_decay)
    if name == "rmsprop":
        return optim.RMSprop(params, lr=lr, weight_decay=weight_decay)
    if name == "adam":
        return optim.Adam(params, lr=lr, weight_decay=weight_decay)
    if name == "adamw":
        return optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    raise ValueError(f"make_optimizer: unknown optimizer {name!r}; choose one of {OPTIMIZERS}")


def make_scheduler(name: str, optimizer: Any, epochs: int) -> Any | None:
    """Build a per-epoch scheduler by name (one of :data:`SCHEDULERS`); ``"none"`` gives None."""
    from nnedu.optim import lr_scheduler
    if name == "none":
        return None
    if name == "cosine":
        return lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(1, epochs))
    if name == "step":
        return lr_scheduler.StepLR(optimizer, step_size=max(1, epochs // 3), gamma=0.1)
    if name == "exponential":
        return lr_scheduler.ExponentialLR(optimizer, gamma=0.9)
    raise ValueError(f"make_scheduler: unknown scheduler {name!r}; choose one of {SCHEDULERS}")


@dataclass
class Data:
    """Standardised training and test sets and the statistics used (see :func:`load_data`)."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    mean: float
    std: float


def standardize(images: np.ndarray, mean: float, std: float) -> np.ndarray:
    """``(x - mean) / std`` in float32, for images already scaled to [0, 1]."""
    return (np.asarray(images, dtype=np.float32) - np.float32(mean)) / np.float32(std)


def load_data(dataset: str = "mnist", limit: int | None = None, seed: int = 0,
              data_dir: str | os.PathLike | None = None) -> Data:
    """Training and test sets, float32 ``(N, 1, 28, 28)``, standardised with the training mean and std.

    ``x <- (x / 255 - mean) / std``, with ``mean`` and ``std`` of all training
    pixels (MNIST: 0.1307 and 0.3081), so inputs have mean 0 and variance 1.

    Parameters
    ----------
    dataset : {"mnist", "fashion-mnist"}
        The statistics are those of the full training set, also with ``limit``.
    limit : int, optional
        Train on a stratified subset of this many images (the test set stays whole).
    seed : int
        Seed of the subset.
    data_dir : path, optional
        Folder holding the data sets (default: ``NNEDU_DATA_DIR`` or the repository's ``data/``).
    """
    from nnedu import data
    if dataset not in DATASETS:
        raise ValueError(f"load_data: unknown dataset {dataset!r}; choose one of {DATASETS}")
    load = data.load_mnist if dataset == "mnist" else data.load_fashion_mnist
    x_train, y_train = load("train", normalize=True, data_dir=data_dir)
    x_test, y_test = load("test", normalize=True, data_dir=data_dir)
    mean, std = float(x_train.mean(dtype=np.float64)), float(x_train.std(dtype=np.float64))
    if limit is not None and limit < len(y_train):
        x_train, y_train = data.stratified_subset(x_train, y_train, limit, seed=seed)
    return Data(standardize(x_train, mean, std), y_train, standardize(x_test, mean, std), y_test, mean, std)


def random_shift(images: np.ndarray, max_shift: int, rng: np.random.Generator | int | None = None) -> np.ndarray:
    """Translate each image ``(N, C, H, W)`` by its own random ``(dy, dx)`` in ``[-s, s]^2``.

    Pixels shifted in from outside take the smallest value of the batch (the
    background). Vectorised: pad by ``s``, view every ``H x W`` window of the
    padded images (``sliding_window_view``), pick one window per image.
    """
    if max_shift <= 0:
        return images
    s = int(max_shift)
    n, _, h, w = images.shape
    gen = get_rng(rng)
    dy = gen.integers(0, 2 * s + 1, n)
    dx = gen.integers(0, 2 * s + 1, n)
    padded = np.pad(images, ((0, 0), (0, 0), (s, s), (s, s)), constant_values=images.min())
    windows = sliding_window_view(padded, (h, w), axis=(2, 3))       # (N, C, 2s+1, 2s+1, H, W)
    return np.ascontiguousarray(windows[np.arange(n), :, dy, dx])     # (N, C, H, W)


class ShiftAugment:
    """Wrap a loader of ``(x, y)`` batches so that every training image is randomly shifted.

    ``len()`` and the batch order are those of the wrapped loader; the shifts
    are drawn from ``seed``, so a run is reproducible.
    """

    def __init__(self, loader: Any, max_shift: int, seed: int | np.random.Generator | None = 0) -> None:
        self.loader, self.max_shift = loader, int(max_shift)
        self.rng = np.random.default_rng(seed)  # a Generator is returned as it is

    def __len__(self) -> int:
        return len(self.loader)

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        for x, y in self.loader:
            yield random_shift(x, self.max_shift, self.rng), y
