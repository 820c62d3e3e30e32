"""Ready-made models: :class:`MLP` and :class:`LeNet5`, with ``summary()`` and a config registry.

Every model has a ``config`` dict, ``{"name": ..., "kwargs": {...}}``, from which
:func:`build_model` rebuilds the same architecture; :func:`nnedu.save` stores
it so that :func:`nnedu.load` needs nothing but the file.
"""
from __future__ import annotations

import inspect
from typing import Any

from nnedu.models.lenet5 import LeNet5
from nnedu.models.mlp import MLP
from nnedu.models.summary import summary_table
from nnedu.nn.module import Module

MODELS: dict[str, type] = {"MLP": MLP, "LeNet5": LeNet5}


def build_model(config: dict[str, Any]) -> Module:
    """Build a fresh model from its ``config`` (new random weights).

    Raises
    ------
    ValueError
        Unknown model name or malformed config.
    """
    if not isinstance(config, dict) or "name" not in config:
        raise ValueError(f"build_model: expected a dict with 'name' and 'kwargs', got {config!r}")
    if config["name"] not in MODELS:
        raise ValueError(f"build_model: unknown model {config['name']!r}; known models: {sorted(MODELS)}")
    return MODELS[config["name"]](**config.get("kwargs", {}))


def parameter_count(config: dict[str, Any]) -> int:
    """Number of trainable scalars of the model ``config`` describes, computed without building it.

    :func:`nnedu.load` compares it with the weights stored in a file before
    calling :func:`build_model`, so that a forged config (an MLP a million
    units wide) is refused before it allocates gigabytes.
    MLP: ``sum_i (n_i + 1) n_{i+1}`` for widths ``n_0 .. n_L`` (weights and
    biases), plus ``2 n_i`` per hidden BatchNorm (gamma, beta). LeNet-5 has a
    fixed size, so it is simply built.
    """
    if isinstance(config, dict) and config.get("name") == "MLP":
        kwargs = config.get("kwargs", {})
        sizes = [int(n) for n in kwargs.get("sizes", inspect.signature(MLP).parameters["sizes"].default)]
        count = sum((a + 1) * b for a, b in zip(sizes, sizes[1:]))
        return count + (2 * sum(sizes[1:-1]) if kwargs.get("batchnorm") else 0)
    return build_model(config).num_parameters()


__all__ = ["MLP", "LeNet5", "MODELS", "build_model", "parameter_count", "summary_table"]
