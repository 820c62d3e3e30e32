"""Loading MNIST and Fashion-MNIST as NumPy arrays, verified.

>>> from nnedu.data import load_mnist
>>> images, labels = load_mnist("train")            # doctest: +SKIP
>>> images.shape, images.dtype, labels.dtype        # doctest: +SKIP
((60000, 28, 28), dtype('uint8'), dtype('int64'))

Every file is checked before its numbers are used: the IDX header and length
(:mod:`nnedu.data.idx`) and the SHA-256 of the decompressed payload
(:mod:`nnedu.data.checksums`). A file that passed is remembered for the rest
of the process (by path, size and modification time), so loading again is
cheap. A missing file is downloaded (:mod:`nnedu.data.download`) unless
``download=False``.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from nnedu.data.checksums import DataFile, Dataset, get_dataset
from nnedu.data.download import fetch, find_file, read_verified
from nnedu.data.paths import candidate_dirs

# (resolved path, size, mtime_ns) -> verified array; never handed out, only copies of it.
_verified: dict[tuple[str, int, int], np.ndarray] = {}


def _read_verified(dataset: Dataset, datafile: DataFile, path: Path) -> np.ndarray:
    """Parse and hash-check ``path`` once per process; return the cached array."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _verified:
        array = read_verified(dataset, datafile, path)
        array.flags.writeable = False
        _verified[key] = array
    return _verified[key]


def load_file(name: str, split: str, kind: str, data_dir: str | os.PathLike | None = None,
              download: bool = True, copy: bool = True) -> np.ndarray:
    """Load one verified IDX array of a data set.

    Parameters
    ----------
    name : {"mnist", "fashion-mnist"}
    split : {"train", "test"}
    kind : {"images", "labels"}
    data_dir : path, optional
        Cache folder (default :func:`nnedu.data.data_dir`).
    download : bool
        Fetch the file if it is missing.
    copy : bool
        Return a fresh copy, safe to modify (True), or the read-only array
        cached for this process (False).

    Raises
    ------
    FileNotFoundError
        If the file is missing and ``download`` is False.
    nnedu.data.IDXFormatError, nnedu.data.DataIntegrityError
        If the file is malformed or not the known bytes.
    nnedu.data.DownloadError
        If it had to be downloaded and no mirror worked.
    """
    dataset = get_dataset(name)
    datafile = dataset.file(split, kind)
    path = find_file(dataset, datafile, data_dir)
    if path is None:
        if not download:
            where = " or ".join(str(d) for d in candidate_dirs(dataset.name, data_dir))
            raise FileNotFoundError(
                f"{datafile.filename} ({dataset.name} {split} {kind}) is not in {where}. "
                f"Run `python -m nnedu data download {dataset.name}` or pass download=True.")
        path = fetch(dataset, datafile, data_dir)
    array = _read_verified(dataset, datafile, path)
    return array.copy() if copy else array


def load_dataset(name: str, split: str = "train", normalize: bool = False,
                 data_dir: str | os.PathLike | None = None, download: bool = True
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Load ``(images, labels)`` of data set ``name``; see :func:`load_mnist`."""
    if split not in ("train", "test"):
        raise ValueError(f"{name}: split must be 'train' or 'test', got {split!r}")
    images = load_file(name, split, "images", data_dir, download, copy=not normalize)
    labels = load_file(name, split, "labels", data_dir, download, copy=False).astype(np.int64)
    if len(images) != len(labels):
        raise ValueError(f"{name} {split}: {len(images)} images but {len(labels)} labels")
    if normalize:
        scaled = images.astype(np.float32)
        scaled *= np.float32(1.0 / 255.0)
        images = scaled[:, None, :, :]
    return images, labels


def load_mnist(split: str = "train", normalize: bool = False, data_dir: str | os.PathLike | None = None,
               download: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The complete MNIST handwritten digits, verified.

    Parameters
    ----------
    split : {"train", "test"}
        60,000 training or 10,000 test images.
    normalize : bool
        False: images as uint8 ``(N, 28, 28)`` in 0..255. True: float32 in
        ``[0, 1]`` shaped ``(N, 1, 28, 28)``, ready for ``Conv2d``.
    data_dir : path, optional
        Cache folder; default ``NNEDU_DATA_DIR``, else the repository's
        ``data/``, else a per-user cache folder.
    download : bool
        Download missing files from the public mirrors.

    Returns
    -------
    images : numpy.ndarray
        uint8 ``(N, 28, 28)`` or float32 ``(N, 1, 28, 28)``.
    labels : numpy.ndarray
        int64 ``(N,)``, digits 0..9.
    """
    return load_dataset("mnist", split, normalize, data_dir, download)


def load_fashion_mnist(split: str = "train", normalize: bool = False,
                       data_dir: str | os.PathLike | None = None, download: bool = True
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Fashion-MNIST (Zalando), verified; same shapes and options as :func:`load_mnist`.

    Labels 0..9 name clothing classes: ``nnedu.data.FASHION_MNIST.classes``.
    Not shipped with the repository: the first call downloads it into
    ``<data_dir>/fashion-mnist/`` (or point ``NNEDU_DATA_DIR`` at a folder
    that has a ``fashion-mnist/`` sub-folder with the four files).
    """
    return load_dataset("fashion-mnist", split, normalize, data_dir, download)
