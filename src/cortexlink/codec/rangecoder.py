"""Byte-wise range coder (carry-propagating, 32-bit range) for numba kernels.

Symbols are coded as intervals of a count total (one division) or as bits with adaptive 12-bit
probabilities (no division). State lives in small int64 arrays so kernels can carry it: encoder
``[low, range, cache, cache size, pos]``, decoder ``[code, range, pos, error]``. Reads past the
payload end give zero bytes and set the error flag: damage never makes a loop leave the buffer.
"""

from __future__ import annotations

import numpy as np
from numba import njit

TOP = 1 << 24
MASK32 = (1 << 32) - 1
RATE = 5
U_TREE = 3  # ``put_u``: a tree of this many adaptive bits, then an adaptive Elias-gamma code
U_ESC = (1 << U_TREE) - 1
U_ROW = 32  # probabilities ``put_u`` uses: the tree's nodes 1..U_ESC, then the Elias-gamma code's


@njit(cache=True, inline="always")
def shift_low(e, out):
    low = e[0]
    if low < 0xFF000000 or low > MASK32:
        carry = low >> 32
        temp = e[2]
        p = e[4]
        while True:
            if p < out.shape[0]:
                out[p] = (temp + carry) & 0xFF
            p += 1
            temp = 0xFF
            e[3] -= 1
            if e[3] == 0:
                break
        e[4] = p
        e[2] = (low >> 24) & 0xFF
    e[3] += 1
    e[0] = (low & 0xFFFFFF) << 8


@njit(cache=True)
def enc_init():
    """Fresh encoder state."""
    e = np.zeros(5, np.int64)
    e[1] = MASK32
    e[3] = 1
    return e


@njit(cache=True, inline="always")
def enc(e, out, cum, freq, total):
    """Code the interval ``[cum, cum + freq)`` of ``total``."""
    r = e[1] // total
    e[0] += r * cum
    e[1] = r * freq
    while e[1] < TOP:
        e[1] <<= 8
        shift_low(e, out)


@njit(cache=True, inline="always")
def enc_bits(e, out, value, n):
    """Code the ``n`` low bits of ``value`` at probability one half each."""
    for b in range(n - 1, -1, -1):
        e[1] >>= 1
        e[0] += e[1] * ((value >> b) & 1)
        if e[1] < TOP:
            e[1] <<= 8
            shift_low(e, out)


@njit(cache=True, inline="always")
def enc_bit(e, out, p, i, bit):
    """Code ``bit`` with the adaptive probability ``p[i]`` (12-bit, of a zero) and update it."""
    q = np.int64(p[i])
    bound = (e[1] >> 12) * q
    if bit:
        e[0] += bound
        e[1] -= bound
        p[i] = q - (q >> RATE)
    else:
        e[1] = bound
        p[i] = q + ((4096 - q) >> RATE)
    if e[1] < TOP:
        e[1] <<= 8
        shift_low(e, out)


@njit(cache=True)
def enc_flush(e, out):
    """Write the last bytes; returns the payload length."""
    for _ in range(5):
        shift_low(e, out)
    return e[4]


@njit(cache=True, inline="always")
def _byte(d, buf):
    p = d[2]
    d[2] = p + 1
    if p < buf.shape[0]:
        return np.int64(buf[p])
    d[3] = 1
    return np.int64(0)


@njit(cache=True)
def dec_init(buf, start):
    """Decoder state reading ``buf`` from ``start``."""
    d = np.zeros(4, np.int64)
    d[1] = MASK32
    d[2] = start + 1  # the encoder's first byte is always zero
    for _ in range(4):
        d[0] = (d[0] << 8) | _byte(d, buf)
    return d


@njit(cache=True, inline="always")
def dec_target(d, total):
    """Value in ``[0, total)`` that the next symbol's interval contains (clamped when damaged)."""
    d[1] //= total
    v = d[0] // d[1]
    if v >= total:
        d[3] = 1
        v = total - 1
    return v


@njit(cache=True, inline="always")
def dec_update(d, buf, cum, freq):
    """Consume the symbol ``[cum, cum + freq)`` after ``dec_target``."""
    d[0] -= d[1] * cum
    d[1] *= freq
    while d[1] < TOP:
        d[1] <<= 8
        d[0] = ((d[0] << 8) | _byte(d, buf)) & MASK32


@njit(cache=True, inline="always")
def dec_bits(d, buf, n):
    """Read ``n`` bits coded by ``enc_bits``."""
    v = 0
    for _ in range(n):
        d[1] >>= 1
        b = 1 if d[0] >= d[1] else 0
        d[0] -= d[1] * b
        v = (v << 1) | b
        if d[1] < TOP:
            d[1] <<= 8
            d[0] = ((d[0] << 8) | _byte(d, buf)) & MASK32
    return v


@njit(cache=True, inline="always")
def dec_bit(d, buf, p, i):
    """Read a bit coded by ``enc_bit``."""
    q = np.int64(p[i])
    bound = (d[1] >> 12) * q
    if d[0] < bound:
        d[1] = bound
        p[i] = q + ((4096 - q) >> RATE)
        bit = 0
    else:
        d[0] -= bound
        d[1] -= bound
        p[i] = q - (q >> RATE)
        bit = 1
    if d[1] < TOP:
        d[1] <<= 8
        d[0] = ((d[0] << 8) | _byte(d, buf)) & MASK32
    return bit


@njit(cache=True)
def put_u(e, out, p, row, u):
    """Code ``u >= 0`` with the adaptive probabilities ``p[row:row + U_ROW]``."""
    sym = min(u, U_ESC)
    node = 1
    for b in range(U_TREE - 1, -1, -1):
        bit = (sym >> b) & 1
        enc_bit(e, out, p, row + node, bit)
        node = 2 * node + bit
    if sym == U_ESC:
        v = u - U_ESC + 1
        nb = 0
        while (v >> nb) > 1:
            enc_bit(e, out, p, row + U_ESC + 1 + nb, 1)
            nb += 1
        enc_bit(e, out, p, row + U_ESC + 1 + nb, 0)
        enc_bits(e, out, v, nb)


@njit(cache=True)
def get_u(d, buf, p, row):
    """Inverse of ``put_u`` after its tree said ``U_ESC`` (damage sets the error flag)."""
    nb = 0
    while dec_bit(d, buf, p, row + U_ESC + 1 + nb):
        nb += 1
        if nb > 20:
            d[3] = 1
            return 0
    return ((1 << nb) | dec_bits(d, buf, nb)) + U_ESC - 1


@njit(cache=True)
def get_tree(d, buf, p, row):
    """Full inverse of ``put_u`` (the slow path, for rare escapes)."""
    node = 1
    for _ in range(U_TREE):
        node = 2 * node + dec_bit(d, buf, p, row + node)
    return get_u(d, buf, p, row) if node == 2 * U_ESC + 1 else node - U_ESC - 1
