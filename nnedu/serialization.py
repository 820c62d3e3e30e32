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
import math
import os
import zipfile
from contextlib import closing
from dataclasses import dataclass
from typing import Any

import numpy as np

from nnedu._atomic import atomic_write
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
            dtype = np.dtype(obj["dtype"])
            if dtype.kind not in _ARRAY_KINDS:
                raise CheckpointError(f"checkpoint metadata holds a scalar of dtype {dtype}, expected a number")
            return dtype.type(obj["__scalar__"])
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

    The file is written to a temporary file with a unique name in the same
    folder and renamed into place, so an interrupted save never leaves a
    half-written checkpoint and concurrent saves to one path never mix: the
    last one to finish wins, whole.
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
    with atomic_write(path) as f:
        np.savez(f, __nnedu__=np.array(f"{FORMAT} {VERSION}"), __meta__=np.array(meta_json), **arrays)


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


# -- reading, with every size checked before anything is allocated ---------------------------------
#: Largest metadata (JSON) accepted; a real checkpoint's is a few kilobytes.
MAX_META_BYTES = 1 << 20
#: Numeric kinds a checkpoint array may have: bool, int, unsigned, float.
_ARRAY_KINDS = "biuf"


def _fail(path: str, problem: str) -> CheckpointError:
    return CheckpointError(f"nnedu.load: {path}: {problem}. Save the model again or restore the file from a copy.")


class _Archive:
    """The members of a checkpoint (a zip of ``.npy`` files), inspected by their headers before reading.

    Every member is stored uncompressed, so the sizes the members declare add
    up to at most the file's size, and each member's shape and dtype are known
    before a byte of its data is read: a forged file (a compressed "zip bomb",
    an array declared as terabytes, a pickled object) is refused before it
    costs memory.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.zip = zipfile.ZipFile(path)
        self.headers: dict[str, tuple[tuple[int, ...], np.dtype, zipfile.ZipInfo]] = {}
        try:
            self._read_headers()
        except BaseException:
            self.zip.close()
            raise

    def _read_headers(self) -> None:
        path = self.path
        members = self.zip.infolist()
        if sum(info.file_size for info in members) > os.path.getsize(path):
            raise _fail(path, "its members claim to hold more bytes than the file has")
        for info in members:
            if not info.filename.endswith(".npy"):
                raise _fail(path, f"unexpected member {info.filename!r} (a checkpoint holds only .npy arrays)")
            if info.compress_type != zipfile.ZIP_STORED:
                raise _fail(path, f"member {info.filename!r} is compressed; nnedu.save stores arrays uncompressed, "
                                  "so that no member can claim more memory than its bytes on disk")
            with self.zip.open(info) as f:
                version = np.lib.format.read_magic(f)
                read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
                    np.lib.format.read_array_header_2_0
                shape, _, dtype = read_header(f)
                header_size = f.tell()
            name = info.filename[:-len(".npy")]
            if dtype.hasobject:
                raise CheckpointError(
                    f"nnedu.load: {path} contains pickled Python objects (member {name!r}); nnedu checkpoints "
                    "never do, and nnedu never unpickles (it could run code from the file). Refusing to load it.")
            if dtype.kind not in _ARRAY_KINDS + "U" or dtype.itemsize == 0:
                raise _fail(path, f"member {name!r} has dtype {dtype}, expected a numeric array")
            if header_size + math.prod(shape) * dtype.itemsize != info.file_size:
                raise _fail(path, f"member {name!r} declares shape {shape} of {dtype} "
                                  f"but holds {info.file_size - header_size} bytes of data")
            self.headers[name] = (shape, dtype, info)

    def close(self) -> None:
        self.zip.close()

    def text(self, name: str, max_bytes: int) -> str:
        """A string member (the header tag, the JSON metadata), refused if larger than ``max_bytes``."""
        shape, dtype, info = self.headers[name]
        if shape != () or dtype.kind != "U" or info.file_size > max_bytes:
            raise _fail(self.path, f"member {name!r} should be a short string, found {dtype} of shape {shape} "
                                   f"({info.file_size} bytes)")
        return str(self.array(name))

    def array(self, name: str) -> np.ndarray:
        """Read a member (its zip CRC is checked as the last byte arrives)."""
        with self.zip.open(self.headers[name][2]) as f:
            return np.lib.format.read_array(f, allow_pickle=False)


def _array_refs(obj: Any, refs: list[str]) -> list[str]:
    """The ``{"__array__": key}`` references inside encoded optimizer or scheduler state."""
    if isinstance(obj, list):
        for v in obj:
            _array_refs(v, refs)
    elif isinstance(obj, dict):
        if "__array__" in obj:
            refs.append(obj["__array__"])
        for v in obj.values():
            _array_refs(v, refs)
    return refs


def _check_meta(meta: Any, path: str) -> None:
    """The metadata must have the layout :func:`save` writes; anything else is a forged or damaged file."""
    expected = {"model_class": str, "model_keys": list, "config": (dict, type(None)),
                "extra": (dict, type(None)), "optimizer": object, "optimizer_class": (str, type(None)),
                "scheduler": object}
    if not isinstance(meta, dict) or set(meta) != set(expected):
        found = sorted(meta) if isinstance(meta, dict) else type(meta).__name__
        raise _fail(path, f"the metadata should be a JSON object with the keys {sorted(expected)}, found {found}")
    for key, kind in expected.items():
        if not isinstance(meta[key], kind):
            raise _fail(path, f"metadata entry {key!r} is a {type(meta[key]).__name__}")
    if not all(isinstance(k, str) for k in meta["model_keys"]):
        raise _fail(path, "metadata entry 'model_keys' must list parameter names")


def load_checkpoint(path: str | os.PathLike, model: Module | None = None) -> Checkpoint:
    """Read a checkpoint written by :func:`save`.

    Sizes, shapes and dtypes are checked from the file's headers before any
    array is read, and the weights must be finite, so a damaged or forged
    file costs no more memory than the model it claims to hold and never
    produces a model that silently computes NaN.

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
        Truncated, corrupted, forged or foreign file (the message says what is wrong).
    ValueError
        The stored weights do not fit the model; the message names the
        parameter and both shapes.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"nnedu.load: no such file: {path}")
    try:
        with closing(_Archive(path)) as archive:
            return _load_checkpoint(archive, model)
    except (CheckpointError, FileNotFoundError):
        raise
    except RecursionError as e:
        raise _fail(path, "the metadata is nested too deeply") from e
    except (zipfile.BadZipFile, EOFError, OSError, zipfile.LargeZipFile) as e:
        raise CheckpointError(
            f"nnedu.load: cannot read {path}: the file is truncated or corrupted "
            f"({type(e).__name__}: {e}). Save the model again or restore the file from a copy.") from e
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as e:
        if isinstance(e, ValueError) and str(e).startswith("nnedu.load:"):
            raise  # ours: the architecture does not match, or the file cannot be rebuilt without a model
        raise CheckpointError(f"nnedu.load: cannot read {path}: the file is truncated, corrupted or forged "
                              f"({type(e).__name__}: {e})") from e


def _load_checkpoint(archive: _Archive, model: Module | None) -> Checkpoint:
    path, headers = archive.path, archive.headers
    if "__nnedu__" not in headers or "__meta__" not in headers:
        files = sorted(headers)
        raise CheckpointError(
            f"nnedu.load: {path} is a .npz file but not an nnedu checkpoint (no '__nnedu__' "
            f"header; arrays found: {files[:5]}{'...' if len(files) > 5 else ''})")
    tag = archive.text("__nnedu__", 1024)
    fmt, _, version = tag.partition(" ")
    if fmt != FORMAT or not version.isdigit():
        raise CheckpointError(f"nnedu.load: {path} has an unknown header {tag!r}")
    if int(version) > VERSION:
        raise CheckpointError(f"nnedu.load: {path} was written by a newer nnedu (format {version}, "
                              f"this version reads up to {VERSION}); upgrade nnedu")
    try:
        meta = json.loads(archive.text("__meta__", MAX_META_BYTES))
    except json.JSONDecodeError as e:
        raise CheckpointError(f"nnedu.load: the metadata in {path} is corrupted ({e})") from e
    _check_meta(meta, path)

    # every member must be referenced by the metadata, and every reference present
    model_names = [f"model/{k}" for k in meta["model_keys"]]
    other_names = _array_refs(meta["optimizer"], []) + _array_refs(meta["scheduler"], [])
    unused = sorted(set(headers) - {"__nnedu__", "__meta__", *model_names, *other_names})
    if unused:
        raise _fail(path, f"it holds arrays its metadata does not use: {unused[:5]}")
    for name in model_names + other_names:
        if not isinstance(name, str) or name not in headers:
            raise CheckpointError(f"nnedu.load: {path} lists the array {name!r} but does not contain it")

    if model is None:
        if meta["config"] is None:
            raise ValueError(
                f"nnedu.load: {path} holds a {meta['model_class']} without an architecture config, "
                "so it cannot be rebuilt; create the model yourself and pass it: load(path, model=model)")
        from nnedu.models import build_model, parameter_count
        stored = sum(math.prod(headers[n][0]) for n in model_names)
        if parameter_count(meta["config"]) > stored:  # checked before building: a forged config is cheap
            raise _fail(path, f"the architecture config {json.dumps(meta['config'])[:200]} describes "
                              f"{parameter_count(meta['config']):,} parameters, but the file stores {stored:,} "
                              "values")
        model = build_model(meta["config"])
    own = model.state_dict()
    _check_architecture(model, own, {k: headers[f"model/{k}"][0] for k in meta["model_keys"]}, path)
    # optimizer and scheduler arrays are per-parameter buffers: each has the shape of a parameter
    param_shapes = {v.shape for v in own.values()}
    for name in other_names:
        if headers[name][0] not in param_shapes:
            raise _fail(path, f"the array {name!r} has shape {headers[name][0]}, which is no parameter's shape")

    state = {k: archive.array(f"model/{k}") for k in meta["model_keys"]}
    for name, value in state.items():
        if not np.isfinite(value).all():
            raise _fail(path, f"parameter '{name}' contains NaN or infinite values (the run it comes from "
                              "diverged)")
    model.load_state_dict({k: v.astype(own[k].dtype, copy=False) for k, v in state.items()})
    arrays = {name: archive.array(name) for name in set(other_names)}
    return Checkpoint(
        model=model,
        optimizer_state=_decode(meta["optimizer"], arrays) if meta["optimizer"] is not None else None,
        scheduler_state=_decode(meta["scheduler"], arrays) if meta["scheduler"] is not None else None,
        config=meta["config"],
        extra=meta["extra"],
    )


def _check_architecture(model: Module, own: dict[str, np.ndarray], shapes: dict[str, tuple[int, ...]],
                        path: str) -> None:
    missing = [k for k in own if k not in shapes]
    unexpected = [k for k in shapes if k not in own]
    for name, value in own.items():
        if name in shapes and shapes[name] != value.shape:
            raise ValueError(
                f"nnedu.load: architecture mismatch for parameter '{name}': the model "
                f"({type(model).__name__}) has shape {value.shape}, the file {path} has shape "
                f"{shapes[name]}")
    if missing or unexpected:
        raise ValueError(
            f"nnedu.load: architecture mismatch: {path} does not fit this {type(model).__name__}; "
            f"missing from the file: {missing}; in the file but not in the model: {unexpected}")


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
    for name, target, saved in (("optimizer", optimizer, ckpt.optimizer_state),
                                ("scheduler", scheduler, ckpt.scheduler_state)):
        if target is None:
            continue
        if saved is None:
            raise ValueError(f"nnedu.load: {os.fspath(path)} holds no {name} state (save with {name}=...)")
        try:
            target.load_state_dict(saved)  # validates the hyper-parameters (a NaN or negative lr is refused)
        except (KeyError, TypeError, IndexError, AttributeError) as e:
            raise CheckpointError(f"nnedu.load: the {name} state in {os.fspath(path)} is malformed "
                                  f"({type(e).__name__}: {e})") from e
    ckpt.model.eval()
    return ckpt.model
