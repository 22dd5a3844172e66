"""Bit packing for the hash coder: MSB-first fields and exponential-Golomb integers, in numba.

Exponential-Golomb of order ``k`` codes ``x >= 0`` as Elias-gamma of ``x + 2**k`` without its
first ``k`` zeros; ``k = 0`` is Elias-gamma of ``x + 1``. Readers return ``-1`` as the position
when the stream ends early or a code is longer than any this coder writes, so a damaged payload
is reported, never read past its end.
"""

from __future__ import annotations

import numpy as np
from numba import njit

U64 = np.uint64
MAX_ZEROS = 40  # no run or index needs a longer gamma prefix (both are < 2**33)


@njit(cache=True, nogil=True, inline="always")
def put(buf, pos, value, nbits):
    """Write the low ``nbits`` (<= 64) of ``value`` at bit ``pos`` of zeroed ``buf``; new position."""
    v = U64(value)
    while nbits > 0:
        off = pos & 7
        room = 8 - off
        take = nbits if nbits < room else room
        chunk = (v >> U64(nbits - take)) & U64((1 << take) - 1)
        buf[pos >> 3] |= np.uint8(chunk << U64(room - take))
        pos += take
        nbits -= take
    return pos


@njit(cache=True, nogil=True, inline="always")
def get(buf, pos, nbits):
    """Read ``nbits`` (<= 64) at bit ``pos``: ``(value, new position)``, position -1 past the end."""
    if pos < 0 or pos + nbits > buf.size * 8:
        return U64(0), -1
    v = U64(0)
    while nbits > 0:
        off = pos & 7
        room = 8 - off
        take = nbits if nbits < room else room
        chunk = (U64(buf[pos >> 3]) >> U64(room - take)) & U64((1 << take) - 1)
        v = (v << U64(take)) | chunk
        pos += take
        nbits -= take
    return v, pos


@njit(cache=True, nogil=True, inline="always")
def bit_length(v):
    """Number of bits of ``v`` (> 0)."""
    n = 0
    while v > 0:
        v >>= 1
        n += 1
    return n


@njit(cache=True, nogil=True, inline="always")
def put_eg(buf, pos, x, k):
    """Write ``x >= 0`` as exponential-Golomb of order ``k``."""
    v = x + (1 << k)
    nb = bit_length(v)
    pos += nb - 1 - k  # the zero prefix: buf is zeroed
    return put(buf, pos, v, nb)


@njit(cache=True, nogil=True, inline="always")
def get_eg(buf, pos, k):
    """Read an exponential-Golomb integer of order ``k``: ``(x, new position)``, -1 on damage."""
    zeros = 0
    n_bits = buf.size * 8
    while True:
        if pos >= n_bits or zeros > MAX_ZEROS:
            return 0, -1
        if (buf[pos >> 3] >> (7 - (pos & 7))) & 1:
            break
        zeros += 1
        pos += 1
    v, pos = get(buf, pos, zeros + k + 1)
    return np.int64(v) - (1 << k), pos


def eg_lengths(x: np.ndarray, k: int) -> np.ndarray:
    """Bit lengths of exponential-Golomb codes of order ``k`` for the integers ``x >= 0`` (numpy)."""
    v = np.asarray(x, dtype=np.int64) + (1 << k)
    return 2 * (np.frexp(v.astype(np.float64))[1] - 1) + 1 - k
