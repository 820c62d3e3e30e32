"""Downloading data files safely: mirrors in order, verify, then rename into place.

A download never leaves a half-written or unverified file where the loader
looks. The bytes go to a temporary file (``.NAME.XXXX.part``) in the target
folder; only after the whole transfer has arrived *and* its decompressed IDX
payload has the known SHA-256 is it renamed (atomically) to its real name. A
corrupted file, a cut-off transfer, a network error or Ctrl-C deletes the
temporary file, and the next mirror is tried.

The mirror list comes from the data set registry
(:mod:`nnedu.data.checksums`); the ``mirrors=`` argument or the environment
variable ``NNEDU_MIRRORS`` (base URLs separated by spaces, e.g. a classroom
server; ``{dataset}`` in a URL stands for ``mnist`` or ``fashion-mnist``)
replaces it.
"""
from __future__ import annotations

import math
import os
import signal
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager, suppress
from functools import partial
from http.client import HTTPException
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np
from tqdm.auto import tqdm

from nnedu._atomic import new_temp_file
from nnedu.data.checksums import DataFile, DataIntegrityError, Dataset, get_dataset, sha256, verify_payload
from nnedu.data.idx import IDXFormatError, parse_idx, read_payload
from nnedu.data.paths import candidate_dirs, download_dir

MIRRORS_ENV_VAR = "NNEDU_MIRRORS"
_CHUNK = 1 << 16
#: Temporary files older than this (seconds) are left over from a killed process and removed.
STALE_PART_AGE = 3600.0
#: Seconds allowed for one file from one mirror, start to finish (Fashion-MNIST's largest is 26 MB).
DEADLINE = 600.0


class DownloadError(RuntimeError):
    """A file could not be fetched and verified from any mirror.

    ``reasons`` lists, one line each, why every mirror failed (``"URL: what happened"``).
    """

    def __init__(self, message: str, reasons: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.reasons = list(reasons) or [message.splitlines()[0]]


def mirrors_for(dataset: Dataset, mirrors: Sequence[str] | None = None) -> list[str]:
    """The base URLs to try for ``dataset``: ``mirrors``, else ``$NNEDU_MIRRORS``, else the registry's.

    ``{dataset}`` in a URL becomes the data set's name, so that one setting serves
    both data sets, e.g. ``NNEDU_MIRRORS="http://classroom.local/{dataset}/"``.
    """
    if mirrors is None:
        env = os.environ.get(MIRRORS_ENV_VAR, "").split()
        mirrors = env or dataset.mirrors
    mirrors = [m.replace("{dataset}", dataset.name) for m in mirrors]
    return [m if m.endswith("/") else m + "/" for m in mirrors]


def download_file(url: str, dest: str | os.PathLike, verify: Callable[[Path], None],
                  progress: bool = True, timeout: float = 30.0, max_bytes: int | None = None,
                  deadline: float | None = DEADLINE) -> Path:
    """Fetch ``url`` to ``dest`` through a temporary file that ``verify`` must accept.

    Parameters
    ----------
    url : str
        The file to fetch.
    dest : path
        Final location; written only after verification, by an atomic rename.
    verify : callable
        Called with the temporary file's path; raises to reject the bytes.
    progress : bool
        Show a tqdm progress bar.
    timeout : float
        Socket timeout in seconds (connecting, and waiting for each piece).
    max_bytes : int, optional
        Refuse a file larger than this: an announced ``Content-Length`` at
        once, anything else as soon as it has sent more.
    deadline : float, optional
        Give up when the whole transfer has not arrived after this many
        seconds (a mirror trickling bytes slowly never hits ``timeout``).

    Returns
    -------
    pathlib.Path
        ``dest``.

    Raises
    ------
    DownloadError
        If the transfer is shorter than the announced ``Content-Length``, too
        large, or too slow.
    Exception
        Whatever the network or ``verify`` raises. In every case (SIGTERM and
        Ctrl-C included) the temporary file is deleted and ``dest`` is left untouched.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_parts(dest)
    give_up = time.monotonic() + deadline if deadline is not None else math.inf
    with _sigterm_as_exit():
        fd, tmp = new_temp_file(dest, suffix=".part")  # readable like any file the user makes
        try:
            request = urllib.request.Request(url, headers={"User-Agent": "nnedu (python urllib)"})
            with os.fdopen(fd, "wb") as out, urllib.request.urlopen(request, timeout=timeout) as response:
                length = response.headers.get("Content-Length")
                total = int(length) if length and length.isdigit() else None
                if max_bytes is not None and total is not None and total > max_bytes:
                    raise DownloadError(f"{url}: the mirror announces {total:,} bytes, expected at most "
                                        f"{max_bytes:,}; not the expected file")
                read_available = getattr(response, "read1", response.read)  # what has arrived, no waiting
                received = 0
                with tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=dest.name,
                          disable=not progress, leave=False) as bar:
                    while chunk := read_available(_CHUNK):
                        received += len(chunk)
                        if max_bytes is not None and received > max_bytes:
                            raise DownloadError(f"{url}: the mirror sent more than {max_bytes:,} bytes, the most "
                                                "this file can have; not the expected file")
                        if time.monotonic() > give_up:
                            raise DownloadError(f"{url}: too slow, {received:,} bytes after {deadline:g} s "
                                                f"(the deadline per file)")
                        out.write(chunk)
                        bar.update(len(chunk))
                if total is not None and received != total:
                    raise DownloadError(f"{url}: transfer interrupted, expected {total} bytes, received {received}")
                out.flush()
                os.fsync(out.fileno())
            verify(tmp)
            os.replace(tmp, dest)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    return dest


@contextmanager
def _sigterm_as_exit() -> Iterator[None]:
    """Let SIGTERM (``kill``, a closing terminal) end the process through Python, so that cleanup runs.

    Python's default for SIGTERM is to die at once, which would leave the
    temporary ``.part`` file behind. Only in the main thread, and only if
    nobody else has installed a handler.
    """
    if threading.current_thread() is not threading.main_thread() or \
            signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        yield
        return

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def remove_stale_parts(dest: str | os.PathLike, max_age: float = STALE_PART_AGE) -> list[Path]:
    """Delete temporary files of ``dest`` (``.NAME.*.part``) older than ``max_age`` seconds.

    Only a process killed without a chance to clean up (``kill -9``, power
    loss) leaves one behind; the loader never reads them, this tidies up.
    Younger ones may belong to a download still running in another process.
    """
    dest = Path(dest)
    now = time.time()
    removed = []
    for part in dest.parent.glob(f".{dest.name}.*.part"):
        try:
            if now - part.stat().st_mtime > max_age:
                part.unlink()
                removed.append(part)
        except FileNotFoundError:
            continue
    return removed


def read_verified(dataset: Dataset, datafile: DataFile, path: Path) -> np.ndarray:
    """The array in ``path``, which must parse as ``datafile``'s IDX array and have its known payload hash.

    Raises
    ------
    nnedu.data.IDXFormatError, nnedu.data.DataIntegrityError
        If the file is malformed or not the known bytes.
    """
    payload = read_payload(path, max_bytes=datafile.payload_size)  # a gzip bomb stops here
    array = parse_idx(payload, datafile.filename, np.uint8, datafile.shape)
    verify_payload(payload, datafile, path, dataset.name)
    return array


def is_official_download(path: str | os.PathLike, datafile: DataFile) -> bool:
    """Whether ``path`` is byte-for-byte the official ``.gz`` (its SHA-256 matches the registry)."""
    return sha256(Path(path).read_bytes()) == datafile.gz_sha256


def find_file(dataset: Dataset, datafile: DataFile, root: str | os.PathLike | None = None) -> Path | None:
    """The first existing copy of ``datafile`` in the cache folder, or None."""
    for folder in candidate_dirs(dataset.name, root):
        path = folder / datafile.filename
        if path.is_file():
            return path
    return None


def fetch(dataset: Dataset, datafile: DataFile, root: str | os.PathLike | None = None,
          mirrors: Sequence[str] | None = None, progress: bool = True, timeout: float = 30.0,
          deadline: float | None = DEADLINE) -> Path:
    """Download one file of ``dataset``, trying each mirror in order until one verifies.

    Raises
    ------
    DownloadError
        Naming every mirror tried and why it failed, if none succeeded.
    """
    dest = download_dir(dataset.name, root) / datafile.filename
    made = [d for d in (dest.parent, *dest.parent.parents) if not d.exists()]  # folders this call creates
    failures = []
    for base in mirrors_for(dataset, mirrors):
        url = base + datafile.filename
        try:
            return download_file(url, dest, partial(read_verified, dataset, datafile), progress=progress,
                                 timeout=timeout, max_bytes=datafile.max_download_size, deadline=deadline)
        except (urllib.error.URLError, HTTPException, OSError, DownloadError, IDXFormatError,
                DataIntegrityError, ValueError) as exc:
            failures.append(f"  {url}: {type(exc).__name__}: {exc}")
    for folder in made:  # leave no empty folder behind
        with suppress(OSError):
            folder.rmdir()
    tried = "\n".join(failures) or "  (no mirrors configured)"
    raise DownloadError(
        f"Could not download and verify {dataset.name} {datafile.filename} from any mirror:\n{tried}\n"
        f"Nothing was written to {dest.parent}. Check the network connection, set {MIRRORS_ENV_VAR} to a "
        f"reachable mirror, or copy the official file there by hand.",
        [line.strip() for line in failures] or ["no mirrors configured"])


def download(name: str, root: str | os.PathLike | None = None, mirrors: Sequence[str] | None = None,
             force: bool = False, progress: bool = True, timeout: float = 30.0,
             deadline: float | None = DEADLINE) -> list[Path]:
    """Make sure all four files of data set ``name`` are in the cache folder, verified.

    Files already present are kept if their payload hash matches; missing or
    (with ``force=True``) all files are downloaded. Every file is attempted
    even if an earlier one fails; the error lists all failures.

    Parameters
    ----------
    name : {"mnist", "fashion-mnist"}
    root : path, optional
        Cache folder (default :func:`nnedu.data.data_dir`).
    mirrors : sequence of str, optional
        Base URLs to try in order instead of the registry's.
    force : bool
        Download even files that are present and valid.
    progress : bool
        Show progress bars.
    timeout : float
        Socket timeout in seconds.
    deadline : float, optional
        Seconds allowed for each file from each mirror (default 600).

    Returns
    -------
    list of pathlib.Path
        The four verified files.

    Raises
    ------
    DownloadError
        If any file could not be fetched and verified from any mirror.
    """
    dataset = get_dataset(name)
    paths, failures = [], []
    for datafile in dataset.files:
        path = find_file(dataset, datafile, root)
        if path is not None and not force:
            try:
                read_verified(dataset, datafile, path)
            except (IDXFormatError, DataIntegrityError):
                path = None
        if path is None or force:
            try:
                path = fetch(dataset, datafile, root, mirrors, progress=progress, timeout=timeout,
                             deadline=deadline)
            except DownloadError as exc:
                failures.append(exc)
                continue
        paths.append(path)
    if failures:
        raise DownloadError(f"{len(failures)} of {len(dataset.files)} {dataset.name} files failed:\n"
                            + "\n".join(str(f) for f in failures), [r for f in failures for r in f.reasons])
    return paths
