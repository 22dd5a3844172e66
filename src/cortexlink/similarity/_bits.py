"""Bit packing for the hash coder: MSB-first fields and two families of integer codes, in numba.

Exponential-Golomb of order ``k`` codes ``x >= 0`` as Elias-gamma of ``x + 2**k`` without its
first ``k`` zeros; ``k = 0`` is Elias-gamma of ``x + 1``. Golomb-Rice of order ``k`` codes
``x >> k`` in unary (that many zeros, then a one) and the low ``k`` bits as they are; ``k = 0`` is
unary, the best code for runs that are mostly 1 long. A code id picks one: ``RICE | k`` or ``k``.
Readers return ``-1`` as the position when the stream ends early or a code is longer than any this
coder writes, so a damaged payload is reported, never read past its end.
"""

from __future__ import annotations

import numpy as np
from numba import njit

U64 = np.uint64
MAX_ZEROS = 40  # no run or index needs a longer gamma prefix (both are < 2**33)
RICE = 16  # code-id flag: Golomb-Rice instead of exponential-Golomb


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


@njit(cache=True, nogil=True, inline="always")
def put_code(buf, pos, x, code):
    """Write ``x >= 0`` with code id ``code`` (``RICE | k`` for Golomb-Rice, else exp-Golomb ``k``)."""
    k = code & 15
    if code & RICE:
        return put(buf, pos + (x >> k), (1 << k) | (x & ((1 << k) - 1)), k + 1)
    return put_eg(buf, pos, x, k)


@njit(cache=True, nogil=True, inline="always")
def get_code(buf, pos, code, limit):
    """Read an integer written with code id ``code``; position -1 on damage or a value over ``limit``."""
    k = code & 15
    if not code & RICE:
        x, pos = get_eg(buf, pos, k)
        return x, (pos if x <= limit else -1)
    q = 0
    n_bits = buf.size * 8
    while True:
        if pos >= n_bits or q > (limit >> k):
            return 0, -1
        if (buf[pos >> 3] >> (7 - (pos & 7))) & 1:
            break
        q += 1
        pos += 1
    low, pos = get(buf, pos + 1, k)
    return (q << k) | np.int64(low), pos


def code_lengths(x: np.ndarray, code: int) -> np.ndarray:
    """Bit lengths of the integers ``x >= 0`` under code id ``code`` (numpy)."""
    k = code & 15
    if code & RICE:
        return (np.asarray(x, dtype=np.int64) >> k) + 1 + k
    return eg_lengths(x, k)


def best_code(x: np.ndarray) -> tuple[int, int]:
    """The code id (exp-Golomb or Golomb-Rice, order 0..15) that writes ``x`` in the fewest bits."""
    best, best_bits = 0, None
    for code in [*range(16), *(RICE | k for k in range(16))]:
        bits = int(code_lengths(x, code).sum())
        if best_bits is None or bits < best_bits:
            best, best_bits = code, bits
    return best, best_bits


def eg_lengths(x: np.ndarray, k: int) -> np.ndarray:
    """Bit lengths of exponential-Golomb codes of order ``k`` for the integers ``x >= 0`` (numpy)."""
    v = np.asarray(x, dtype=np.int64) + (1 << k)
    return 2 * (np.frexp(v.astype(np.float64))[1] - 1) + 1 - k
