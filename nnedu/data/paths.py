"""Where data files live: the cache folder.

In order of precedence:

1. the environment variable ``NNEDU_DATA_DIR``, if set;
2. the repository's ``data/`` folder, when nnedu runs from a clone (an
   editable install), because that folder ships the complete MNIST;
3. a per-user cache folder when nnedu is installed without the repository:
   ``$XDG_CACHE_HOME/nnedu`` (default ``~/.cache/nnedu``) on Linux,
   ``~/Library/Caches/nnedu`` on macOS, ``%LOCALAPPDATA%\\nnedu\\Cache`` on Windows.

Inside the cache folder each data set has a sub-folder named after it
(``mnist/``, ``fashion-mnist/``), with the official file names. MNIST may also
sit directly in the cache folder: that is how the repository ships it
(``data/train-images-idx3-ubyte.gz``), so ``NNEDU_DATA_DIR`` can point at
either layout.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

ENV_VAR = "NNEDU_DATA_DIR"


def repository_data_dir() -> Path | None:
    """The ``data/`` folder of the repository nnedu is running from, or None if not in a clone."""
    root = Path(__file__).resolve().parents[2]
    data = root / "data"
    if (root / "pyproject.toml").is_file() and (root / "nnedu" / "__init__.py").is_file() and data.is_dir():
        return data
    return None


def user_cache_dir() -> Path:
    """The per-user cache folder for nnedu on this operating system."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
        return base / "nnedu" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "nnedu"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "nnedu"


def data_dir() -> Path:
    """The cache folder (``NNEDU_DATA_DIR``, else the repository's ``data/``, else the user cache)."""
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        return Path(env).expanduser()
    return repository_data_dir() or user_cache_dir()


def candidate_dirs(name: str, root: str | os.PathLike | None = None) -> list[Path]:
    """Folders searched, in order, for the files of data set ``name`` below ``root``.

    ``root / name`` for every data set; for MNIST also ``root`` itself.
    """
    base = Path(root).expanduser() if root is not None else data_dir()
    return [base / name, base] if name == "mnist" else [base / name]


def download_dir(name: str, root: str | os.PathLike | None = None) -> Path:
    """Folder that downloads of data set ``name`` go to.

    ``root / name``, except MNIST in the repository's ``data/`` folder, which
    keeps its files at the top level.
    """
    base = Path(root).expanduser() if root is not None else data_dir()
    repo = repository_data_dir()
    if name == "mnist" and repo is not None and base.resolve() == repo.resolve():
        return base
    return base / name
