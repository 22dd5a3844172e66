"""Lossless compression of hash codes for the wire: Hull's HCOMP scheme, tuned for hash streams.

Codes ``(..., n_tables)`` are coded one table (last axis) at a time, because each table's codes
repeat over time. A codebook of every distinct code, most frequent first, is stored once (tables
of one family often share codes). Per table:

1. a dictionary of the table's distinct codes, most frequent first, so the common codes get small
   indices; each entry is the code's rank in the codebook;
2. run-length coding of the dictionary indices;
3. a variable-length integer code of each run's index and of its length, chosen per table from
   two textbook families: exponential-Golomb (Elias-gamma at order 0) and Golomb-Rice (unary at
   order 0, which suits tables whose runs are mostly 1 long). A run's index is never the previous
   run's, so indices above it are coded one lower.

Sliding-window hashes change with the hash's sub-window step: the windows ``t`` and ``t + step``
share almost all of their sketch, neighbours ``t`` and ``t + 1`` do not. So rows are first
regrouped by ``row % period`` (rows ``0, P, 2P, ...`` then ``1, P + 1, ...``), with the period
``P`` (1..16) that leaves the fewest runs on a sample of the rows; runs get several times longer.

Format (little-endian)::

    b"CXH" version:u8 dtype_len:u8 dtype:ascii ndim:u8 shape:u64*ndim period:u32 payload_len:u64
    payload (bits, MSB first, zero-padded to a byte)   crc32:u32 of everything before it

The payload holds gamma(codebook size), the codebook at the dtype's width and the code id (5 bits)
of the dictionary entries; then per table gamma(dictionary size), its entries, and, when there
is more than one, the code ids (5 bits each) of its run indices and lengths, and the runs. The
CRC is checked and every declared size is checked against its limits before anything is
allocated, so a damaged stream raises ``CorruptDataError`` instead of decoding to wrong codes.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np
from numba import njit

from cortexlink.core.errors import CorruptDataError, InvalidDataError
from cortexlink.similarity._bits import best_code, eg_lengths, get, get_code, get_eg, put, put_code, put_eg

__all__ = ["compress_hashes", "decompress_hashes", "MAX_ELEMENTS"]

MAGIC = b"CXH"
VERSION = 1
MAX_ELEMENTS = 1 << 28  # 2 GiB of uint64 codes per stream; compress longer streams in parts
MAX_NDIM = 32
MAX_PERIOD = 16
PERIOD_SAMPLE_ROWS = 4096
CODE_BITS = 5  # a code id: Golomb-Rice flag and order
_DTYPES = {f"{order}{kind}{size}" for order in "<>|" for kind in "iu" for size in (1, 2, 4, 8)
           if (order == "|") == (size == 1)}


# ---------------------------------------------------------------- kernels


@njit(cache=True, nogil=True)
def _write(codebook, rank_code, dict_ranks, dict_off, k_idx, k_run, run_idx, run_len, run_off, width,
           n_bytes):
    """Pack the codebook and every table's dictionary and runs into a zeroed buffer of ``n_bytes``."""
    buf = np.zeros(n_bytes, dtype=np.uint8)
    pos = put_eg(buf, 0, codebook.size - 1, 0)
    for i in range(codebook.size):
        pos = put(buf, pos, codebook[i], width)
    pos = put(buf, pos, rank_code, CODE_BITS)
    for c in range(dict_off.size - 1):
        n_dict = dict_off[c + 1] - dict_off[c]
        pos = put_eg(buf, pos, n_dict - 1, 0)
        for i in range(dict_off[c], dict_off[c + 1]):
            pos = put_code(buf, pos, dict_ranks[i], rank_code)
        if n_dict > 1:
            pos = put(buf, pos, k_idx[c], CODE_BITS)
            pos = put(buf, pos, k_run[c], CODE_BITS)
            for r in range(run_off[c], run_off[c + 1]):
                pos = put_code(buf, pos, run_idx[r], k_idx[c])
                pos = put_code(buf, pos, run_len[r] - 1, k_run[c])
    return buf, pos


@njit(cache=True, nogil=True)
def _read(buf, rows, cols, width, out):
    """Unpack ``cols`` tables of ``rows`` codes into ``out`` (cols, rows); the bit position, or -1."""
    n_codes, pos = get_eg(buf, 0, 0)
    n_codes += 1
    if pos < 0 or n_codes > rows * cols:
        return -1
    codebook = np.empty(n_codes, dtype=np.uint64)
    for i in range(n_codes):
        value, pos = get(buf, pos, width)
        codebook[i] = value
    rank_code, pos = get(buf, pos, CODE_BITS)
    if pos < 0:
        return -1
    rc = np.int64(rank_code)
    dictionary = np.empty(min(rows, n_codes), dtype=np.uint64)
    for c in range(cols):
        n_dict, pos = get_eg(buf, pos, 0)
        n_dict += 1
        if pos < 0 or n_dict > dictionary.size:
            return -1
        for i in range(n_dict):
            rank, pos = get_code(buf, pos, rc, n_codes - 1)
            if pos < 0:
                return -1
            dictionary[i] = codebook[rank]
        if n_dict == 1:
            for t in range(rows):
                out[c, t] = dictionary[0]
            continue
        order_idx, pos = get(buf, pos, CODE_BITS)
        order_run, pos = get(buf, pos, CODE_BITS)
        if pos < 0:
            return -1
        ki = np.int64(order_idx)
        kr = np.int64(order_run)
        filled = 0
        prev = -1
        while filled < rows:
            e, pos = get_code(buf, pos, ki, n_dict - 1)
            length, pos = get_code(buf, pos, kr, rows - filled - 1)
            if pos < 0:
                return -1
            idx = e + 1 if (prev >= 0 and e >= prev) else e
            length += 1
            if idx >= n_dict or length > rows - filled:
                return -1
            v = dictionary[idx]
            for t in range(filled, filled + length):
                out[c, t] = v
            filled += length
            prev = idx
    return pos


# ---------------------------------------------------------------- layout


def _as_table(codes: np.ndarray) -> tuple[np.ndarray, np.dtype, int]:
    """Codes as unsigned 64-bit values ``(rows, tables)``, their dtype, and its width in bits."""
    arr = np.asarray(codes)
    if arr.dtype.kind not in "iu":
        raise InvalidDataError(f"hash codes must be integers, got dtype {arr.dtype}; pass the codes a hash "
                               "family returned")
    if arr.size > MAX_ELEMENTS:
        raise InvalidDataError(f"{arr.size} codes are more than one stream holds ({MAX_ELEMENTS}); "
                               "compress them in parts")
    native = arr.astype(arr.dtype.newbyteorder("="), copy=False)
    unsigned = native.view(f"u{arr.dtype.itemsize}").astype(np.uint64)
    cols = arr.shape[-1] if arr.ndim else 1
    rows = arr.size // cols if cols else 0
    return unsigned.reshape(rows, cols), arr.dtype, 8 * arr.dtype.itemsize


def _phase_order(rows: int, period: int) -> np.ndarray:
    """Row order grouped by ``row % period`` (stable within each group)."""
    return np.argsort(np.arange(rows) % period, kind="stable")


def _best_period(table: np.ndarray) -> int:
    """The regrouping period (1..16) that leaves the fewest runs on the first rows."""
    sample = table[:PERIOD_SAMPLE_ROWS]
    best, best_changes = 1, None
    for period in range(1, min(MAX_PERIOD, max(sample.shape[0] - 1, 1)) + 1):
        changes = int(np.count_nonzero(sample[period:] != sample[:-period]))
        if best_changes is None or changes < best_changes:
            best, best_changes = period, changes
    return best


# ---------------------------------------------------------------- public API


def _by_frequency(values: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Order of ``values`` most frequent first (ties: smaller value first), and each value's rank."""
    order = np.argsort(-counts, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return order, rank


def _gamma_bits(n: int) -> int:
    return int(eg_lengths(np.array([n - 1]), 0)[0])


def _cat(parts: list, dtype: type) -> np.ndarray:
    return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype=dtype)


def _encode(columns: np.ndarray, width: int) -> np.ndarray:
    """The payload for ``columns`` (tables, rows) of unsigned codes of ``width`` bits."""
    cols, rows = columns.shape
    if not columns.size:
        return np.zeros(0, dtype=np.uint8)
    values, counts = np.unique(columns, return_counts=True)
    order, global_rank = _by_frequency(values, counts)
    dict_parts, run_idx_parts, run_len_parts = [], [], []
    n_dict = np.zeros(cols, dtype=np.int64)
    n_runs = np.zeros(cols, dtype=np.int64)
    k_idx = np.zeros(cols, dtype=np.int64)
    k_run = np.zeros(cols, dtype=np.int64)
    n_bits = _gamma_bits(values.size) + values.size * width + CODE_BITS
    for c in range(cols):
        local, inverse, local_counts = np.unique(columns[c], return_inverse=True, return_counts=True)
        local_order, local_rank = _by_frequency(local, local_counts)
        idx = local_rank[inverse.ravel()]
        dict_parts.append(global_rank[np.searchsorted(values, local[local_order])])
        n_dict[c] = local.size
        n_bits += _gamma_bits(local.size)
        if local.size == 1:
            continue
        starts = np.flatnonzero(np.concatenate(([True], idx[1:] != idx[:-1])))
        lengths = np.diff(np.append(starts, rows))
        run_idx = idx[starts]
        prev = np.concatenate(([-1], run_idx[:-1]))
        run_idx = np.where((prev >= 0) & (run_idx > prev), run_idx - 1, run_idx)
        k_idx[c], bits_idx = best_code(run_idx)
        k_run[c], bits_run = best_code(lengths - 1)
        n_bits += 2 * CODE_BITS + bits_idx + bits_run
        run_idx_parts.append(run_idx)
        run_len_parts.append(lengths)
        n_runs[c] = starts.size
    dict_ranks = _cat(dict_parts, np.int64)
    rank_code, bits_ranks = best_code(dict_ranks)
    n_bits += bits_ranks
    payload, used = _write(values[order], rank_code, dict_ranks, np.concatenate(([0], np.cumsum(n_dict))),
                           k_idx, k_run, _cat(run_idx_parts, np.int64), _cat(run_len_parts, np.int64),
                           np.concatenate(([0], np.cumsum(n_runs))), width, (n_bits + 7) // 8)
    if used != n_bits:
        raise RuntimeError(f"hash coder wrote {used} bits where it counted {n_bits}")
    return payload


def compress_hashes(codes: np.ndarray) -> bytes:
    """Losslessly compress integer hash codes (any shape; the last axis is the hash table)."""
    table, dtype, width = _as_table(codes)
    rows, cols = table.shape
    period = _best_period(table) if rows > 2 else 1
    columns = np.ascontiguousarray(table[_phase_order(rows, period)].T)
    payload = _encode(columns, width)
    dtype_str = dtype.str.encode("ascii")
    head = b"".join([MAGIC, struct.pack("<BB", VERSION, len(dtype_str)), dtype_str,
                     struct.pack(f"<B{len(np.shape(codes))}Q", len(np.shape(codes)), *np.shape(codes)),
                     struct.pack("<IQ", period, payload.size)])
    body = head + payload.tobytes()
    return body + struct.pack("<I", zlib.crc32(body))


def decompress_hashes(data: bytes) -> np.ndarray:
    """The codes ``compress_hashes`` packed into ``data``, with their dtype and shape."""
    view = memoryview(bytes(data) if not isinstance(data, bytes | bytearray) else data)
    if len(view) < len(MAGIC) + 4 + 4 or bytes(view[:3]) != MAGIC:
        raise CorruptDataError("not a compressed hash stream (bad magic or too short); pass what "
                               "compress_hashes returned")
    if struct.unpack_from("<I", view, len(view) - 4)[0] != zlib.crc32(view[:-4]):
        raise CorruptDataError("compressed hash stream is damaged (CRC32 mismatch); fetch it again")
    end = len(view) - 4
    pos = 3

    def take(fmt: str) -> tuple:
        nonlocal pos
        size = struct.calcsize(fmt)
        if pos + size > end:
            raise CorruptDataError("compressed hash stream is truncated inside its header")
        out = struct.unpack_from(fmt, view, pos)
        pos += size
        return out

    version, dtype_len = take("<BB")
    if version != VERSION:
        raise CorruptDataError(f"compressed hash stream has version {version}; this build reads {VERSION}")
    dtype_str = bytes(view[pos:pos + dtype_len]).decode("ascii", "replace")
    pos += dtype_len
    if dtype_str not in _DTYPES:
        raise CorruptDataError(f"compressed hash stream declares dtype {dtype_str!r}, not an integer code")
    (ndim,) = take("<B")
    if ndim > MAX_NDIM:
        raise CorruptDataError(f"compressed hash stream declares {ndim} dimensions (at most {MAX_NDIM})")
    shape = take(f"<{ndim}Q")
    size = 1
    for s in shape:
        size *= s
    if size > MAX_ELEMENTS:
        raise CorruptDataError(f"compressed hash stream declares {size} codes, more than {MAX_ELEMENTS}")
    period, payload_len = take("<IQ")
    if not 1 <= period <= MAX_PERIOD or payload_len != end - pos:
        raise CorruptDataError("compressed hash stream has a bad period or payload length")
    dtype = np.dtype(dtype_str)
    cols = shape[-1] if ndim else 1
    rows = size // cols if cols else 0
    columns = np.empty((cols, rows), dtype=np.uint64)
    payload = np.frombuffer(view, dtype=np.uint8, count=payload_len, offset=pos)
    used = _read(payload, rows, cols, 8 * dtype.itemsize, columns) if size else 0
    if used < 0 or (used + 7) // 8 != payload_len or (used % 8 and payload[-1] & ((1 << (8 - used % 8)) - 1)):
        raise CorruptDataError("compressed hash stream payload does not decode to the declared codes")
    table = np.empty((rows, cols), dtype=np.uint64)
    table[_phase_order(rows, period)] = columns.T
    unsigned = table.astype(f"u{dtype.itemsize}")
    return unsigned.view(dtype.newbyteorder("=")).astype(dtype).reshape(shape)
