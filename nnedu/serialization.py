"""Save and load models (and optimizer state) as one ``.npz`` file, without pickle.

Layout of the file (a NumPy ``.npz``, i.e. a zip of ``.npy`` arrays)::

    __nnedu__            format tag and version, e.g. "nnedu-checkpoint 1"
    __meta__             JSON string: the model's architecture ``config``, the
                         names of the arrays, optimizer/scheduler structure
    model/<name>         one array per parameter and buffer (BatchNorm running
                         statistics), e.g. "model/c1.weight"
    optimizer/<i>        the optimizer's arrays (momentum buffers, moments)
    scheduler/<i>        the scheduler's arrays, if it has any

Everything that is not an array (the config, hyper-parameters, step counts)
is JSON text stored as a string array. Loading uses
``np.load(allow_pickle=False)``: a file can never make Python run code.
"""
from __future__ import annotations

import json
import os
import zipfile
from dataclasses import dataclass
from typing import Any

import numpy as np

from nnedu.nn.module import Module

FORMAT = "nnedu-checkpoint"
VERSION = 1


class CheckpointError(ValueError):
    """The file is not a readable nnedu checkpoint (truncated, corrupted, or another kind of file)."""


# -- nested state <-> (JSON, arrays) ---------------------------------------------------------
def _encode(obj: Any, prefix: str, arrays: dict[str, np.ndarray]) -> Any:
    """Turn a nested structure into JSON-able data; arrays go to ``arrays`` and leave a reference."""
    if isinstance(obj, np.ndarray):
        key = f"{prefix}/{len(arrays)}"
        arrays[key] = obj
        return {"__array__": key}
    if isinstance(obj, np.generic):
        return {"__scalar__": obj.item(), "dtype": obj.dtype.str}
    if isinstance(obj, dict):
        return {"__dict__": [[_encode(k, prefix, arrays), _encode(v, prefix, arrays)] for k, v in obj.items()]}
    if isinstance(obj, tuple):
        return {"__tuple__": [_encode(v, prefix, arrays) for v in obj]}
    if isinstance(obj, list):
        return [_encode(v, prefix, arrays) for v in obj]
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise TypeError(f"nnedu.save: cannot store a {type(obj).__name__} in a checkpoint (value {obj!r})")


def _decode(obj: Any, arrays: Any) -> Any:
    if isinstance(obj, list):
        return [_decode(v, arrays) for v in obj]
    if isinstance(obj, dict):
        if "__array__" in obj:
            return np.array(arrays[obj["__array__"]])
        if "__scalar__" in obj:
            return np.dtype(obj["dtype"]).type(obj["__scalar__"])
        if "__dict__" in obj:
            return {_hashable(_decode(k, arrays)): _decode(v, arrays) for k, v in obj["__dict__"]}
        if "__tuple__" in obj:
            return tuple(_decode(v, arrays) for v in obj["__tuple__"])
        raise CheckpointError(f"unknown entry in checkpoint metadata: {sorted(obj)}")
    return obj


def _hashable(k: Any) -> Any:
    return tuple(k) if isinstance(k, list) else k


# -- public API ----------------------------------------------------------------------------
def save(model: Module, path: str | os.PathLike, optimizer: Any | None = None,
         scheduler: Any | None = None, extra: dict[str, Any] | None = None) -> None:
    """Write ``model`` (architecture, weights, BatchNorm statistics) and optionally the optimizer to ``path``.

    Parameters
    ----------
    model : Module
        Its ``config`` attribute (models from :mod:`nnedu.models` have one)
        is stored so that :func:`load` can rebuild it; a model without
        ``config`` can still be saved and later loaded into an existing
        instance with ``load(path, model=...)``.
    path : str or PathLike
        Usually ending in ``.npz`` (NumPy adds it if missing, so we add it too).
    optimizer : Optimizer, optional
        Its ``state_dict()`` (hyper-parameters, momentum buffers, step counts),
        so that training resumes exactly where it stopped.
    scheduler : learning-rate scheduler, optional
        Its ``state_dict()``, if it has one.
    extra : dict, optional
        Small JSON-able facts to keep with the model (epoch, accuracy, ...).

    The file is written to a temporary name first and renamed into place,
    so an interrupted save never leaves a half-written checkpoint.
    """
    path = os.fspath(path)
    if not path.endswith(".npz"):
        path += ".npz"
    state = model.state_dict()
    arrays = {f"model/{name}": value for name, value in state.items()}
    meta: dict[str, Any] = {
        "model_class": type(model).__name__,
        "config": getattr(model, "config", None),
        "model_keys": list(state),
        "optimizer": None,
        "optimizer_class": None,
        "scheduler": None,
        "extra": extra,
    }
    if optimizer is not None:
        meta["optimizer_class"] = type(optimizer).__name__
        meta["optimizer"] = _encode(optimizer.state_dict(), "optimizer", arrays)
    if scheduler is not None:
        meta["scheduler"] = _encode(scheduler.state_dict(), "scheduler", arrays)
    meta_json = json.dumps(meta, allow_nan=True)
    tmp = path + ".tmp.npz"
    try:
        np.savez(tmp, __nnedu__=np.array(f"{FORMAT} {VERSION}"), __meta__=np.array(meta_json), **arrays)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


@dataclass
class Checkpoint:
    """Everything in a checkpoint file, as returned by :func:`load_checkpoint`.

    Attributes
    ----------
    model : Module
        The rebuilt model with its weights (or the model passed in).
    optimizer_state, scheduler_state : dict or None
        Ready for ``optimizer.load_state_dict`` / ``scheduler.load_state_dict``.
    config : dict or None
        The architecture config the model was built from.
    extra : dict or None
        What was passed as ``extra=`` to :func:`save`.
    """

    model: Module
    optimizer_state: dict[str, Any] | None
    scheduler_state: dict[str, Any] | None
    config: dict[str, Any] | None
    extra: dict[str, Any] | None


def _read(path: str) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Open, validate and fully read a checkpoint; every failure becomes a clear CheckpointError."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"nnedu.load: no such file: {path}")
    try:
        with np.load(path, allow_pickle=False) as z:
            files = list(z.files)
            if "__nnedu__" not in files or "__meta__" not in files:
                raise CheckpointError(
                    f"nnedu.load: {path} is a .npz file but not an nnedu checkpoint (no '__nnedu__' "
                    f"header; arrays found: {files[:5]}{'...' if len(files) > 5 else ''})")
            data = {k: z[k] for k in files}  # reading every member checks every CRC
    except CheckpointError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError, zipfile.LargeZipFile) as e:
        if isinstance(e, ValueError) and "allow_pickle" in str(e):
            raise CheckpointError(
                f"nnedu.load: {path} contains pickled Python objects; nnedu checkpoints never do, and "
                "nnedu never unpickles (it could run code from the file). Refusing to load it.") from e
        raise CheckpointError(
            f"nnedu.load: cannot read {path}: the file is truncated or corrupted "
            f"({type(e).__name__}: {e}). Save the model again or restore the file from a copy."
        ) from e
    tag = str(data.pop("__nnedu__"))
    fmt, _, version = tag.partition(" ")
    if fmt != FORMAT or not version.isdigit():
        raise CheckpointError(f"nnedu.load: {path} has an unknown header {tag!r}")
    if int(version) > VERSION:
        raise CheckpointError(f"nnedu.load: {path} was written by a newer nnedu (format {version}, "
                              f"this version reads up to {VERSION}); upgrade nnedu")
    try:
        meta = json.loads(str(data.pop("__meta__")))
    except json.JSONDecodeError as e:
        raise CheckpointError(f"nnedu.load: the metadata in {path} is corrupted ({e})") from e
    return meta, data


def load_checkpoint(path: str | os.PathLike, model: Module | None = None) -> Checkpoint:
    """Read a checkpoint written by :func:`save`.

    Parameters
    ----------
    path : str or PathLike
        The ``.npz`` file.
    model : Module, optional
        Load the weights into this existing model instead of rebuilding one
        from the stored config. Its architecture must match.

    Returns
    -------
    Checkpoint

    Raises
    ------
    CheckpointError
        Truncated, corrupted or foreign file.
    ValueError
        The stored weights do not fit the model; the message names the
        parameter and both shapes.
    """
    path = os.fspath(path)
    meta, data = _read(path)
    state = {}
    for name in meta["model_keys"]:
        key = f"model/{name}"
        if key not in data:
            raise CheckpointError(f"nnedu.load: {path} lists parameter '{name}' but does not contain it")
        state[name] = data[key]
    if model is None:
        if meta.get("config") is None:
            raise ValueError(
                f"nnedu.load: {path} holds a {meta.get('model_class')} without an architecture config, "
                "so it cannot be rebuilt; create the model yourself and pass it: load(path, model=model)")
        from nnedu.models import build_model
        model = build_model(meta["config"])
    _load_weights(model, state, path)
    return Checkpoint(
        model=model,
        optimizer_state=_decode(meta["optimizer"], data) if meta.get("optimizer") is not None else None,
        scheduler_state=_decode(meta["scheduler"], data) if meta.get("scheduler") is not None else None,
        config=meta.get("config"),
        extra=meta.get("extra"),
    )


def _load_weights(model: Module, state: dict[str, np.ndarray], path: str) -> None:
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    for name, value in own.items():
        if name in state and state[name].shape != value.shape:
            raise ValueError(
                f"nnedu.load: architecture mismatch for parameter '{name}': the model "
                f"({type(model).__name__}) has shape {value.shape}, the file {path} has shape "
                f"{state[name].shape}")
    if missing or unexpected:
        raise ValueError(
            f"nnedu.load: architecture mismatch: {path} does not fit this {type(model).__name__}; "
            f"missing from the file: {missing}; in the file but not in the model: {unexpected}")
    model.load_state_dict({k: v.astype(own[k].dtype, copy=False) for k, v in state.items()})


def load(path: str | os.PathLike, model: Module | None = None, optimizer: Any | None = None,
         scheduler: Any | None = None) -> Module:
    """Load a model saved with :func:`save`; optionally restore the optimizer to resume training.

    Parameters
    ----------
    path : str or PathLike
        The ``.npz`` file.
    model : Module, optional
        Load into this model (its architecture must match) instead of
        rebuilding a new one from the stored config.
    optimizer, scheduler : optional
        Restore their saved state into these. The optimizer must be built on
        ``model.parameters()``, so pass ``model`` too::

            model = LeNet5(); opt = SGD(model.parameters(), lr=0.01, momentum=0.9)
            nnedu.load("ckpt.npz", model=model, optimizer=opt)   # resume exactly

    Returns
    -------
    Module
        The model, in eval mode.
    """
    if (optimizer is not None or scheduler is not None) and model is None:
        raise ValueError(
            "nnedu.load: to restore an optimizer, build the model and the optimizer on its parameters "
            "first and pass both: load(path, model=model, optimizer=optimizer). (Or use "
            "load_checkpoint(path), which returns the rebuilt model and the optimizer state.)")
    ckpt = load_checkpoint(path, model=model)
    if optimizer is not None:
        if ckpt.optimizer_state is None:
            raise ValueError(f"nnedu.load: {os.fspath(path)} holds no optimizer state (save with optimizer=...)")
        optimizer.load_state_dict(ckpt.optimizer_state)
    if scheduler is not None:
        if ckpt.scheduler_state is None:
            raise ValueError(f"nnedu.load: {os.fspath(path)} holds no scheduler state (save with scheduler=...)")
        scheduler.load_state_dict(ckpt.scheduler_state)
    ckpt.model.eval()
    return ckpt.model
