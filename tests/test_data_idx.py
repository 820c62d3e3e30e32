"""The IDX reader: valid files of every type round-trip; every malformed file gets a clear error."""
import gzip
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from nnedu.data import IDXFormatError, parse_idx, read_idx, write_idx
from nnedu.data.idx import IDX_DTYPES


def idx_bytes(array, code=None):
    """An IDX file built by hand (independently of write_idx)."""
    array = np.asarray(array)
    if code is None:
        code = {np.dtype(d).newbyteorder("="): c for c, d in IDX_DTYPES.items()}[array.dtype.newbyteorder("=")]
    header = bytes([0, 0, code, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    return header + array.astype(IDX_DTYPES[code]).tobytes()


def test_parse_by_hand_example():
    payload = bytes([0, 0, 0x08, 2, 0, 0, 0, 2, 0, 0, 0, 3]) + bytes(range(6))
    out = parse_idx(payload)
    assert out.dtype == np.uint8 and out.shape == (2, 3)
    assert out.tolist() == [[0, 1, 2], [3, 4, 5]]


def test_big_endian_int32_and_float():
    ints = np.array([1, -2, 70000], dtype=np.int32)
    payload = bytes([0, 0, 0x0C, 1, 0, 0, 0, 3]) + ints.astype(">i4").tobytes()
    out = parse_idx(payload)
    assert out.dtype == np.dtype(np.int32) and out.dtype.isnative
    np.testing.assert_array_equal(out, ints)
    floats = np.array([[0.5, -1.25]], dtype=np.float64)
    np.testing.assert_array_equal(parse_idx(idx_bytes(floats)), floats)


@settings(max_examples=30, deadline=None)
@given(hnp.arrays(dtype=st.sampled_from([np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]),
                  shape=hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=5)),
       st.booleans())
def test_write_read_round_trip(tmp_path_factory, array, compress):
    path = tmp_path_factory.mktemp("idx") / ("a.idx.gz" if compress else "a.idx")
    write_idx(path, array)
    assert (path.read_bytes()[:2] == b"\x1f\x8b") == compress
    out = read_idx(path)
    assert out.dtype == array.dtype.newbyteorder("=") and out.shape == array.shape
    np.testing.assert_array_equal(out, array)
    assert parse_idx(idx_bytes(array)).tobytes() == out.tobytes()


def test_gzip_is_detected_by_content_not_name(tmp_path):
    a = np.arange(12, dtype=np.uint8).reshape(3, 4)
    (tmp_path / "raw.gz").write_bytes(idx_bytes(a))
    (tmp_path / "packed").write_bytes(gzip.compress(idx_bytes(a)))
    np.testing.assert_array_equal(read_idx(tmp_path / "raw.gz"), a)
    np.testing.assert_array_equal(read_idx(tmp_path / "packed"), a)


def test_result_is_writable_copy():
    payload = idx_bytes(np.zeros(4, dtype=np.uint8))
    out = parse_idx(payload)
    out[0] = 7
    assert out.flags.writeable and payload[8] == 0


GOOD = idx_bytes(np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3))


@pytest.mark.parametrize("payload, pattern", [
    (b"", r"empty file \(0 bytes\)"),
    (b"\x00\x00\x08", r"4-byte IDX magic number, found only 3 bytes"),
    (b"\x00\x00\x08\x03\x00\x00\x00\x02\x00\x00", r"16-byte header for 3 dimensions, found only 10 bytes"),
    (b"\x1f\x00" + GOOD[2:], r"magic bytes 0x00 0x00, found 0x1F 0x00"),
    (b"PK\x03\x04" + GOOD[4:], r"magic bytes 0x00 0x00, found 0x50 0x4B"),
    (GOOD[:2] + b"\x07" + GOOD[3:], r"data type byte in \{0x08, .*0x0E\}, found 0x07"),
    (GOOD[:3] + b"\x00" + GOOD[4:], r"at least one dimension, found 0"),
    (GOOD[:-1], r"34 bytes .* shape \(2, 3, 3\), found 33 bytes \(truncated\)"),
    (GOOD + b"\x00", r"34 bytes .* found 35 bytes \(trailing bytes\)"),
    (GOOD[:16], r"34 bytes .* found 16 bytes \(truncated\)"),
], ids=["empty", "short-magic", "short-header", "magic-gzip-like", "magic-zip", "unknown-dtype", "zero-dims",
        "one-byte-short", "one-byte-extra", "header-only"])
def test_malformed_payloads_name_file_expected_and_found(payload, pattern):
    with pytest.raises(IDXFormatError, match=r"^weird\.idx: expected .*" + pattern):
        parse_idx(payload, "weird.idx")


def test_wrong_dtype_byte_for_expected_type():
    payload = idx_bytes(np.zeros(3, dtype=np.int32))
    with pytest.raises(IDXFormatError, match=r"labels\.idx: expected data type uint8 \(0x08\), found int32 \(0x0C\)"):
        parse_idx(payload, "labels.idx", expected_dtype=np.uint8)


def test_wrong_kind_of_file_images_given_as_labels():
    with pytest.raises(IDXFormatError, match=re.escape("expected dimensions (N,), found (2, 3, 3)")):
        parse_idx(GOOD, "x", np.uint8, (None,))
    with pytest.raises(IDXFormatError, match=re.escape("expected dimensions (N, 28, 28), found (2, 3, 3)")):
        parse_idx(GOOD, "x", np.uint8, (None, 28, 28))
    assert parse_idx(GOOD, "x", np.uint8, (2, None, 3)).shape == (2, 3, 3)


def test_truncated_gzip_file(tmp_path):
    packed = gzip.compress(GOOD * 100)
    path = tmp_path / "cut.gz"
    path.write_bytes(packed[: len(packed) // 2])
    with pytest.raises(IDXFormatError, match=r"^cut\.gz: expected a complete gzip stream, found a truncated"):
        read_idx(path)


def test_corrupt_gzip_file(tmp_path):
    packed = bytearray(gzip.compress(GOOD))
    packed[-6] ^= 0xFF  # inside the CRC / length trailer
    path = tmp_path / "bad.gz"
    path.write_bytes(bytes(packed))
    with pytest.raises(IDXFormatError, match=r"bad\.gz"):
        read_idx(path)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "nothing.gz")
