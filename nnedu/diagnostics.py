r"""Looking inside a network while it trains: per-layer statistics and update ratios.

Three numbers tell most of what goes wrong in a network that does not learn:

* the **spread of the activations** layer by layer, :math:`\mathrm{std}(h_\ell)`: it should stay
  of the same order through the depth; shrinking to 0 or growing without bound means a bad
  initialisation (notebook 09);
* the **spread of the gradients** :math:`\mathrm{std}(\partial L / \partial h_\ell)`, the same
  seen from the backward pass (vanishing or exploding gradients);
* the **update-to-weight ratio** :math:`\|\Delta W\| / \|W\|` of one optimizer step: about
  :math:`10^{-3}` is healthy; :math:`10^{-1}` or more means the learning rate is too large,
  :math:`10^{-6}` or less that the layer barely learns.

Both functions work on a :class:`~nnedu.nn.Sequential` (``MLP`` and ``LeNet5`` are one): they run
the layers one at a time and record what passes between them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from nnedu.nn import Sequential


@dataclass
class LayerStats:
    """What passed through one layer in one forward and backward pass.

    Attributes
    ----------
    name : str
        The layer's attribute name, e.g. ``"fc1"``, and its type, e.g. ``"fc1 (Linear)"``.
    out_mean, out_std : float
        Mean and standard deviation of the layer's output over the batch.
    frac_zero : float
        Fraction of exactly-zero outputs (dead ReLU units show up here).
    grad_std : float
        Standard deviation of ``dL/d(output)``; ``nan`` when no gradient reached the layer.
    """

    name: str
    out_mean: float
    out_std: float
    frac_zero: float
    grad_std: float


def layer_statistics(model: Sequential, x: np.ndarray, y: np.ndarray, criterion: Any) -> list[LayerStats]:
    """Forward and backward one batch layer by layer, recording activations and gradients.

    The parameters' ``.grad`` receive this batch's gradients (call ``zero_grad`` before a step).

    Parameters
    ----------
    model : Sequential
        The network.
    x, y : np.ndarray
        One batch of inputs and integer labels.
    criterion : CrossEntropyLoss or similar
        ``criterion(logits, y)`` and ``criterion.backward()``.

    Returns
    -------
    list of LayerStats
        One entry per layer, input to output.
    """
    if not isinstance(model, Sequential):
        raise TypeError(f"layer_statistics: expected a Sequential model (MLP, LeNet5, nn.Sequential), "
                        f"got {type(model).__name__}")
    layers = list(model.named_children())
    outputs = []
    h = x
    for _, layer in layers:
        h = layer(h)
        outputs.append(h)
    criterion(h, y)
    grads: list[np.ndarray | None] = [None] * len(layers)
    g: np.ndarray | None = criterion.backward()
    for i in range(len(layers) - 1, -1, -1):
        grads[i] = g
        g = layers[i][1].backward(g)
        if g is None:
            break
    stats = []
    for (name, layer), out, grad in zip(layers, outputs, grads):
        out = np.asarray(out, dtype=np.float64)
        stats.append(LayerStats(
            f"{name} ({type(layer).__name__})", float(out.mean()), float(out.std()),
            float(np.mean(out == 0)), float(np.std(grad)) if grad is not None else float("nan")))
    return stats


def update_ratios(model: Any, step: Any) -> dict[str, float]:
    r"""``||W_after - W_before|| / ||W_before||`` of every weight for one call of ``step()``.

    Parameters
    ----------
    model : Module
        Its ``named_parameters()`` are compared before and after.
    step : callable
        Performs the update, usually ``optimizer.step``.

    Returns
    -------
    dict
        ``{parameter name: ratio}`` for every parameter with more than one dimension (the weights;
        biases start at zero, where the ratio means nothing).
    """
    before = {name: p.data.astype(np.float64, copy=True) for name, p in model.named_parameters() if len(p.shape) > 1}
    step()
    ratios = {}
    for name, p in model.named_parameters():
        if name in before:
            norm = float(np.linalg.norm(before[name]))
            ratios[name] = float(np.linalg.norm(p.data - before[name])) / norm if norm else float("inf")
    return ratios


def format_layer_statistics(stats: list[LayerStats]) -> str:
    """A fixed-width table of :func:`layer_statistics`, one row per layer."""
    lines = [f"{'layer':<20s} {'out mean':>10s} {'out std':>10s} {'zeros':>7s} {'grad std':>10s}"]
    for s in stats:
        lines.append(f"{s.name:<20s} {s.out_mean:>10.3g} {s.out_std:>10.3g} {s.frac_zero:>7.1%} {s.grad_std:>10.3g}")
    return "\n".join(lines)


def lr_range_test(model: Any, criterion: Any, optimizer: Any, loader: Any, lr_min: float = 1e-6,
                  lr_max: float = 10.0, steps: int = 100, smoothing: float = 0.9
                  ) -> tuple[list[float], list[float]]:
    r"""Train for ``steps`` mini-batches with a learning rate growing geometrically from ``lr_min`` to ``lr_max``.

    The loss first hardly moves (lr too small), then falls fastest, then blows up (lr too large)
    (Smith, 2017). A common heuristic (popularised by the fastai library) takes a learning rate
    about ten times below the one where the smoothed loss is lowest. Mini-batch losses are noisy,
    so the losses returned are an exponential moving average,
    :math:`s_t = \beta s_{t-1} + (1 - \beta) L_t`, divided by :math:`1 - \beta^t` (as Adam's
    bias correction). The run stops early once the smoothed loss exceeds four times its lowest
    value or the loss is not finite. The model is changed: run the test on a fresh model.

    Parameters
    ----------
    model, criterion, optimizer :
        As for :func:`nnedu.train.fit`; every parameter group's ``lr`` is overwritten.
    loader : iterable of ``(x, y)``
        Cycled through as often as needed.
    lr_min, lr_max : float
        First and last learning rate, ``0 < lr_min < lr_max``.
    steps : int
        Number of mini-batches (at least 2).
    smoothing : float
        :math:`\beta` of the moving average, ``0 <= smoothing < 1`` (0: the raw mini-batch losses).

    Returns
    -------
    (lrs, losses)
        The learning rate and the smoothed loss of every step taken.
    """
    if not 0 < lr_min < lr_max or steps < 2:
        raise ValueError(f"lr_range_test: need 0 < lr_min < lr_max and steps >= 2, got {lr_min}, {lr_max}, {steps}")
    if not 0 <= smoothing < 1:
        raise ValueError(f"lr_range_test: smoothing must be in [0, 1), got {smoothing}")
    factor = (lr_max / lr_min) ** (1 / (steps - 1))
    lrs: list[float] = []
    losses: list[float] = []
    average = 0.0
    model.train()
    batches = iter(())
    for i in range(steps):
        try:
            x, y = next(batches)
        except StopIteration:
            batches = iter(loader)
            x, y = next(batches)
        lr = lr_min * factor ** i
        for group in optimizer.param_groups:
            group["lr"] = lr
        loss = float(criterion(model(x), y))
        average = smoothing * average + (1 - smoothing) * loss
        lrs.append(lr)
        losses.append(average / (1 - smoothing ** (i + 1)))
        if not np.isfinite(loss) or losses[-1] > 4 * min(losses):
            break
        optimizer.zero_grad()
        model.backward(criterion.backward())
        optimizer.step()
    return lrs, losses


def overfit_batch(model: Any, criterion: Any, optimizer: Any, x: np.ndarray, y: np.ndarray,
                  steps: int = 300) -> tuple[list[float], float]:
    """Train on one fixed batch for ``steps`` steps: a healthy network memorises it (loss near 0).

    Returns
    -------
    (losses, accuracy)
        The loss before every step, and the accuracy on the batch afterwards (in eval mode).
    """
    losses = []
    model.train()
    for _ in range(steps):
        losses.append(float(criterion(model(x), y)))
        optimizer.zero_grad()
        model.backward(criterion.backward())
        optimizer.step()
    model.eval()
    return losses, float(np.mean(model(x).argmax(axis=1) == y))
