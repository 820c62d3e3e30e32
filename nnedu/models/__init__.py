"""Ready-made models: :class:`MLP` and :class:`LeNet5`, with ``summary()`` and a config registry.

Every model has a ``config`` dict, ``{"name": ..., "kwargs": {...}}``, from which
:func:`build_model` rebuilds the same architecture; :func:`nnedu.save` stores
it so that :func:`nnedu.load` needs nothing but the file.
"""
from __future__ import annotations

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


__all__ = ["MLP", "LeNet5", "MODELS", "build_model", "summary_table"]
