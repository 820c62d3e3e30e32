"""Reading IDX files, the format MNIST and Fashion-MNIST are distributed in.

An IDX file is a tiny header followed by a dense array, big-endian::

    bytes 0-1   0x00 0x00                magic: always zero
    byte  2     data type code           0x08 ubyte, 0x09 byte, 0x0B short,
                                         0x0C int, 0x0D float, 0x0E double
    byte  3     number of dimensions d
    4 * d       dimension sizes          unsigned 32-bit, big-endian
    ...         prod(sizes) * itemsize   the values, row-major

MNIST images are ``ubyte`` with ``d = 3`` (``N, 28, 28``), labels ``ubyte``
with ``d = 1`` (``N``). Files may be gzip-compressed (``.gz``) or raw.

Every check raises :class:`IDXFormatError` naming the file, what was expected
and what was found, so that a truncated download or a wrong file never turns
into silently wrong numbers.
"""
from __future__ import annotations

import gzip
import math
import os
import zlib
from pathlib import Path
from typing import Sequence

import numpy as np

from nnedu._atomic import atomic_write

#: IDX data type byte -> big-endian NumPy dtype.
IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

_GZIP_MAGIC = b"\x1f\x8b"


class IDXFormatError(ValueError):
    """A file is not a well-formed IDX file of the expected kind."""


#: Largest decompressed IDX file :func:`read_idx` accepts by default (Fashion-MNIST's largest is 47 MB).
MAX_IDX_BYTES = 1 << 30
#: NumPy arrays have at most 32 dimensions on every supported NumPy version.
MAX_IDX_DIMS = 32


def read_payload(path: str | os.PathLike, max_bytes: int | None = MAX_IDX_BYTES) -> bytes:
    """Return the IDX bytes of ``path``, decompressing it if it is gzip, never more than ``max_bytes``.

    Gzip is recognised by its magic bytes, not by the file name. It is
    decompressed incrementally and abandoned as soon as it yields more than
    ``max_bytes``, so a small file that would decompress to gigabytes (a
    "gzip bomb") costs at most ``max_bytes`` of memory.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    IDXFormatError
        If the file is gzip but the compressed stream is truncated or corrupt,
        or if it holds more than ``max_bytes``.
    """
    path = Path(path)
    limit = max_bytes if max_bytes is not None else -1
    with open(path, "rb") as f:
        on_disk = os.fstat(f.fileno()).st_size
        if f.read(2) != _GZIP_MAGIC:
            f.seek(0)
            payload = f.read(limit + 1 if max_bytes is not None else -1)
        else:
            f.seek(0)
            try:
                with gzip.GzipFile(fileobj=f) as stream:
                    payload = stream.read(limit + 1 if max_bytes is not None else -1)
            except (EOFError, OSError, zlib.error) as exc:
                raise IDXFormatError(
                    f"{path.name}: expected a complete gzip stream, found a truncated or corrupt one "
                    f"({on_disk} bytes on disk; {exc}). Delete it and download it again."
                ) from exc
    if max_bytes is not None and len(payload) > max_bytes:
        raise IDXFormatError(f"{path.name}: expected at most {max_bytes:,} bytes of IDX data, found more "
                             f"({on_disk:,} bytes on disk); not the expected file. Delete it.")
    return payload


def parse_idx(payload: bytes, name: str = "<bytes>", expected_dtype: np.dtype | type | None = None,
              expected_shape: Sequence[int | None] | None = None) -> np.ndarray:
    """Parse IDX bytes into a native-endian NumPy array.

    Parameters
    ----------
    payload : bytes
        The (decompressed) IDX file contents.
    name : str
        File name used in error messages.
    expected_dtype : numpy dtype, optional
        If given, the data type byte must encode this type (e.g. ``np.uint8``).
    expected_shape : sequence of int or None, optional
        If given, the number of dimensions must be ``len(expected_shape)`` and
        every entry that is not ``None`` must match, e.g. ``(None, 28, 28)``.

    Returns
    -------
    numpy.ndarray
        A writable array with the file's shape, in native byte order.

    Raises
    ------
    IDXFormatError
        For an empty or truncated header, a non-zero magic, an unknown or
        unexpected data type byte, unexpected dimensions, or a payload whose
        length is not ``prod(dims) * itemsize``.

    Examples
    --------
    >>> parse_idx(bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 8, 9])).tolist()
    [7, 8, 9]
    """
    size = len(payload)
    if size == 0:
        raise IDXFormatError(f"{name}: expected an IDX file, found an empty file (0 bytes)")
    if size < 4:
        raise IDXFormatError(f"{name}: expected a 4-byte IDX magic number, found only {size} bytes")
    if payload[0] != 0 or payload[1] != 0:
        raise IDXFormatError(
            f"{name}: expected IDX magic bytes 0x00 0x00, found 0x{payload[0]:02X} 0x{payload[1]:02X} "
            f"(not an IDX file)")
    code, ndim = payload[2], payload[3]
    if code not in IDX_DTYPES:
        known = ", ".join(f"0x{c:02X}" for c in IDX_DTYPES)
        raise IDXFormatError(f"{name}: expected an IDX data type byte in {{{known}}}, found 0x{code:02X}")
    dtype = IDX_DTYPES[code]
    if expected_dtype is not None and dtype.newbyteorder("=") != np.dtype(expected_dtype).newbyteorder("="):
        expected_code = [c for c, d in IDX_DTYPES.items() if d.newbyteorder("=") == np.dtype(expected_dtype)]
        hint = f" (0x{expected_code[0]:02X})" if expected_code else ""
        raise IDXFormatError(
            f"{name}: expected data type {np.dtype(expected_dtype).name}{hint}, "
            f"found {dtype.newbyteorder('=').name} (0x{code:02X})")
    if ndim == 0:
        raise IDXFormatError(f"{name}: expected at least one dimension, found 0")
    if ndim > MAX_IDX_DIMS:
        raise IDXFormatError(f"{name}: expected at most {MAX_IDX_DIMS} dimensions, found {ndim}")
    header = 4 + 4 * ndim
    if size < header:
        raise IDXFormatError(
            f"{name}: expected a {header}-byte header for {ndim} dimensions, found only {size} bytes "
            f"(truncated header)")
    shape = tuple(int(d) for d in np.frombuffer(payload, dtype=">u4", count=ndim, offset=4))
    if expected_shape is not None:
        want = tuple(expected_shape)
        if len(want) != ndim or any(w is not None and w != s for w, s in zip(want, shape)):
            parts = ["N" if w is None else str(w) for w in want]
            shown = f"({parts[0]},)" if len(parts) == 1 else "(" + ", ".join(parts) + ")"
            raise IDXFormatError(f"{name}: expected dimensions {shown}, found {shape}")
    count = math.prod(shape)  # Python integers: no overflow, whatever the header declares
    expected_size = header + count * dtype.itemsize
    if size != expected_size:
        what = "truncated" if size < expected_size else "trailing bytes"
        raise IDXFormatError(
            f"{name}: expected {expected_size} bytes for a {dtype.newbyteorder('=').name} array of shape "
            f"{shape}, found {size} bytes ({what})")
    data = np.frombuffer(payload, dtype=dtype, count=count, offset=header).reshape(shape)
    return data.astype(dtype.newbyteorder("="), copy=True)


def read_idx(path: str | os.PathLike, expected_dtype: np.dtype | type | None = None,
             expected_shape: Sequence[int | None] | None = None, max_bytes: int | None = MAX_IDX_BYTES
             ) -> np.ndarray:
    """Read an IDX file (gzip or raw) into a NumPy array.

    Parameters
    ----------
    path : str or os.PathLike
        The file, e.g. ``data/train-images-idx3-ubyte.gz``.
    expected_dtype, expected_shape
        Optional checks, see :func:`parse_idx`.
    max_bytes : int or None
        Refuse files holding more IDX bytes than this (decompressed); None: no limit.

    Returns
    -------
    numpy.ndarray
        The array, native byte order.

    Examples
    --------
    >>> from nnedu.data import data_dir
    >>> read_idx(data_dir() / "t10k-labels-idx1-ubyte.gz").shape  # doctest: +SKIP
    (10000,)
    """
    return parse_idx(read_payload(path, max_bytes), Path(path).name, expected_dtype, expected_shape)


def write_idx(path: str | os.PathLike, array: np.ndarray, compress: bool | None = None) -> Path:
    """Write ``array`` as an IDX file (gzip when ``compress`` or when the name ends in ``.gz``).

    The inverse of :func:`read_idx`; used by tests and to export subsets.
    """
    path = Path(path)
    array = np.asarray(array)
    codes = {d.newbyteorder("="): c for c, d in IDX_DTYPES.items()}
    native = array.dtype.newbyteorder("=")
    if native not in codes:
        raise IDXFormatError(f"{path.name}: cannot store dtype {array.dtype} in IDX")
    if not 0 < array.ndim <= MAX_IDX_DIMS:
        raise IDXFormatError(f"{path.name}: expected 1 to {MAX_IDX_DIMS} dimensions, got {array.ndim}")
    header = bytes([0, 0, codes[native], array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    payload = header + np.ascontiguousarray(array, dtype=IDX_DTYPES[codes[native]]).tobytes()
    if compress or (compress is None and path.suffix == ".gz"):
        payload = gzip.compress(payload, compresslevel=6, mtime=0)
    with atomic_write(path) as f:
        f.write(payload)
    return path
