"""Hash compression round trips exactly, compresses repeating codes, and reports every damaged byte."""

import struct
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from cortexlink.core.errors import CorruptDataError, InvalidDataError
from cortexlink.similarity.hash_compression import compress_hashes, decompress_hashes

INT_DTYPES = st.sampled_from(["<u8", ">u8", "<u4", ">i4", "<i8", "<u2", ">i2", "u1", "i1"])


@st.composite
def code_arrays(draw):
    """Integer arrays of any layout, with codes that repeat (as hash codes do) or not."""
    dtype = np.dtype(draw(INT_DTYPES))
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=12))
    info = np.iinfo(dtype)
    palette = draw(st.lists(st.integers(int(info.min), int(info.max)), min_size=1, max_size=6))
    elements = st.sampled_from(palette) if draw(st.booleans()) else st.integers(int(info.min), int(info.max))
    return draw(hnp.arrays(dtype, shape, elements=elements))


@settings(max_examples=150, deadline=None)
@given(code_arrays())
def test_round_trip_is_exact_for_any_integer_codes(codes):
    back = decompress_hashes(compress_hashes(codes))
    assert back.dtype == codes.dtype
    assert back.shape == codes.shape
    np.testing.assert_array_equal(back, codes)


def stepped_codes(rng, n_windows=2000, n_tables=8, step=4):
    """Codes like a sliding-window hash's: windows ``step`` apart mostly share a code, neighbours do not."""
    values = rng.integers(0, 2**63, size=(64, n_tables), dtype=np.uint64)
    phase_runs = np.cumsum(rng.random((n_windows // step + 1, n_tables)) < 0.15, axis=0) % 64
    rows = np.arange(n_windows)
    which = (phase_runs[rows // step] + 7 * (rows % step)[:, None]) % 64
    return np.take_along_axis(values, which, axis=0)


def test_repeating_codes_compress_below_generic_sizes():
    codes = stepped_codes(np.random.default_rng(0))
    packed = compress_hashes(codes)
    assert len(packed) < codes.nbytes / 10
    # regrouping rows by the hash step is what makes the runs long: the same codes in a shuffled
    # row order (no step structure) take over twice the room
    shuffled = codes[np.random.default_rng(1).permutation(len(codes))]
    assert len(packed) * 2 < len(compress_hashes(shuffled))
    np.testing.assert_array_equal(decompress_hashes(packed), codes)


def test_every_corrupted_byte_raises_corrupt_data():
    codes = stepped_codes(np.random.default_rng(2), n_windows=300, n_tables=3)
    packed = compress_hashes(codes)
    for i in range(len(packed)):
        for flip in (0x01, 0x80, 0xFF):
            damaged = bytearray(packed)
            damaged[i] ^= flip
            with pytest.raises(CorruptDataError):
                decompress_hashes(bytes(damaged))
    for cut in range(len(packed)):
        with pytest.raises(CorruptDataError):
            decompress_hashes(packed[:cut])
    with pytest.raises(CorruptDataError):
        decompress_hashes(packed + b"\x00")


def test_a_forged_payload_with_a_valid_crc_is_refused_or_decodes_to_the_declared_shape():
    """Past the CRC the decoder still checks every index, run and size against the header."""
    codes = stepped_codes(np.random.default_rng(3), n_windows=200, n_tables=2)
    packed = compress_hashes(codes)
    header_len = 3 + 2 + len(codes.dtype.str) + 1 + 8 * codes.ndim + 4 + 8
    refused = 0
    for i in range(header_len, len(packed) - 4):
        body = bytearray(packed[:-4])
        body[i] ^= 0x5A
        forged = bytes(body) + struct.pack("<I", zlib.crc32(body))
        try:
            back = decompress_hashes(forged)
        except CorruptDataError:
            refused += 1
        else:
            assert back.shape == codes.shape and back.dtype == codes.dtype
    assert refused > 0


def test_absurd_declared_sizes_are_refused_before_allocation():
    packed = bytearray(compress_hashes(np.zeros((4, 2), dtype=np.uint64)))
    shape_at = 3 + 2 + len(np.dtype(np.uint64).str) + 1
    packed[shape_at:shape_at + 8] = struct.pack("<Q", 2**60)
    body = bytes(packed[:-4])
    with pytest.raises(CorruptDataError, match="declares"):
        decompress_hashes(body + struct.pack("<I", zlib.crc32(body)))


def test_non_integer_codes_are_refused():
    with pytest.raises(InvalidDataError):
        compress_hashes(np.zeros(5, dtype=np.float32))
    with pytest.raises(CorruptDataError):
        decompress_hashes(b"not a hash stream at all")


def test_codes_shared_by_tables_are_stored_once():
    rng = np.random.default_rng(4)
    column = rng.integers(0, 2**63, size=200, dtype=np.uint64)  # 200 distinct random codes
    codes = np.repeat(column[:, None], 32, axis=1)  # every table holds the same codes
    packed = compress_hashes(codes)
    # each table's dictionary holds codebook ranks (~2 bytes), not 200 eight-byte codes again
    assert len(packed) < 32 * 200 * 8 / 3
    np.testing.assert_array_equal(decompress_hashes(packed), codes)
