"""Writing files whole or not at all (private helper of save, the training CLI and the data cache).

:func:`atomic_write` writes to a fresh temporary file in the destination's
folder (a unique name, so concurrent writers never share it), flushes it to
disk and renames it over the destination with :func:`os.replace`, which is
atomic on POSIX and Windows. A reader therefore sees the old file or the new
one, never a mixture or a truncated file; an error, a full disk or Ctrl-C
removes the temporary file and leaves the destination untouched.
"""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator


def _umask() -> int:
    """The process's umask (reading it means setting it, so it is set back at once)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


#: Permissions of a new file, as ``open()`` would create it (``mkstemp`` would make it private, 0o600).
FILE_MODE = 0o666 & ~_umask()


def new_temp_file(path: str | os.PathLike, suffix: str = ".tmp") -> tuple[int, Path]:
    """A new, empty temporary file next to ``path`` (unique name, ordinary permissions): ``(fd, path)``."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.chmod(tmp, FILE_MODE)
    return fd, Path(tmp)


@contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb", encoding: str | None = None,
                 newline: str | None = None) -> Iterator[IO]:
    """Open a temporary file for writing that replaces ``path`` when the ``with`` block succeeds.

    >>> with atomic_write("history.json", "w", encoding="utf-8") as f:   # doctest: +SKIP
    ...     f.write("{}")
    """
    fd, tmp = new_temp_file(path)
    try:
        with os.fdopen(fd, mode, encoding=encoding, newline=newline) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def check_writable(folder: str | os.PathLike) -> Path:
    """Create ``folder`` if needed and prove that a file can be written in it; raise ``OSError`` if not.

    Called before long work (training) whose results go there, so that a
    read-only or missing output folder is reported at once, not hours later.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    fd, probe = tempfile.mkstemp(prefix=".nnedu-write-test.", dir=folder)
    try:
        os.write(fd, b"ok")
        os.fsync(fd)
    finally:
        os.close(fd)
        os.unlink(probe)
    return folder
