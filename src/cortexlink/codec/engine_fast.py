"""The ``fast`` kernel: sign-sign LMS prediction, one adaptive bit and plain bits per residual.

Each channel carries its state (LMS history and weights, magnitude average, bit probabilities) in
arrays, so a stream of chunks codes exactly as one block. A residual's magnitude, less ``sh`` low
bits chosen from the recent magnitudes, is ``t``: whether ``t`` is zero is one range-coded bit of
adaptive probability (per channel and magnitude context), the rest is plain bits: ``t - 1`` in
unary (16 and above: 16 zeros and 16 bits), the low bits, then the sign. One coded decision a
sample and no branch on the data in the usual path keep the hot loop short for live streams (the
loop writes its plain bits itself: numba compiles a helper that returns its state much slower).
A payload is the range-coded part's length (u32 little-endian), that part, then the plain bits
(most significant first).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from cortexlink.codec import predict as lms
from cortexlink.codec import rangecoder as rc

ORDER = 4
NCTX = 20
UNARY = 16  # longest unary run; longer ones are escaped to 16 plain bits
_LOG = np.ceil(np.log2(np.arange(2048) + 1)).astype(np.int64)  # bit length
_ZEROS = (8 - _LOG[:256]).astype(np.int64)  # leading zeros of a byte
NSTATE = 2 * ORDER + 2  # predictor fields, then the magnitude average


def new_state(n_channels: int, top: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Fresh (predictor state, bit probabilities) per channel."""
    return np.zeros((n_channels, NSTATE), np.int64), np.full(n_channels * NCTX, 2048, np.int16)


@njit(cache=True, inline="always")
def _sign(v):
    return (v > 0) - np.int64(v < 0)


@njit(cache=True, inline="always")
def _setup(st, c, top):
    """A channel's predictor state as locals (no memory round trips per sample)."""
    h0, h1, h2, h3, w0, w1, w2, w3, last, avg = st[c]
    return h0, h1, h2, h3, w0, w1, w2, w3, last, avg, top[c]


@njit(cache=True, inline="always")
def _predict(h0, h1, h2, h3, w0, w1, w2, w3, last, avg, tc, c):
    """Prediction, probability index and plain low-bit count (from the recent magnitude: scale free)."""
    a = min(avg >> 7, (1 << 22) - 1)
    b = _LOG[a] if a < 2048 else 11 + _LOG[a >> 11]
    pr = min(max(last + ((1024 + w0 * h0 + w1 * h1 + w2 * h2 + w3 * h3) >> lms.SHIFT), 0), tc)
    return pr, np.uint64(c * NCTX + b), max(b - 2, 0)


@njit(cache=True, inline="always")
def _learn(h0, h1, h2, h3, w0, w1, w2, w3, last, avg, x, r):
    """Sign-sign LMS step on differences and the magnitude average (as ``predict.update``)."""
    sg = _sign(r)
    w0, w1, w2, w3 = w0 + sg * _sign(h0), w1 + sg * _sign(h1), w2 + sg * _sign(h2), w3 + sg * _sign(h3)
    return x - last, h0, h1, h2, w0, w1, w2, w3, x, avg + abs(r) * 32 - (avg >> 3)


@njit(cache=True, inline="always")
def _renorm(e, out, low, rng):
    while rng < rc.TOP:
        rng <<= 8
        if low < 0xFF000000 or low > rc.MASK32:
            carry, temp = low >> 32, e[2]
            while True:
                if e[4] < out.shape[0]:
                    out[e[4]] = (temp + carry) & 0xFF
                e[4] += 1
                temp = 0xFF
                e[3] -= 1
                if e[3] == 0:
                    break
            e[2] = (low >> 24) & 0xFF
        e[3] += 1
        low = (low & 0xFFFFFF) << 8
    return low, rng


@njit(cache=True, inline="always")
def _put32(buf, pos, w):
    for j in range(4):
        buf[pos + j] = (w >> (24 - 8 * j)) & 0xFF


@njit(cache=True)
def encode(k, top, st, p, out):
    """Code int32 codes ``k`` (C, N) with per-channel maxima ``top``; returns the payload's length
    (more than ``len(out)`` when it did not fit: nothing beyond ``out`` is written)."""
    e = rc.enc_init()
    e[4] = 4  # the range-coded part's length goes first
    low, rng = e[0], e[1]  # kept in registers; ``e`` is synced for the flush
    bits = np.empty(7 * k.size + 8, np.uint8)  # at most 53 plain bits a sample
    acc, nacc, nbytes = np.int64(0), np.int64(0), 0
    for c in range(k.shape[0]):
        h0, h1, h2, h3, w0, w1, w2, w3, last, avg, tc = _setup(st, c, top)
        for i in range(k.shape[1]):
            x = np.int64(k[c, i])
            pr, j, sh = _predict(h0, h1, h2, h3, w0, w1, w2, w3, last, avg, tc, c)
            r = x - pr
            mag = abs(r)
            t = mag >> sh
            m = -np.int64(t != 0)
            q = np.int64(p[j])
            bound = (rng >> 12) * q
            low += bound & m
            rng = bound + ((rng - 2 * bound) & m)
            p[j] = q + (((4096 - q) >> rc.RATE) & ~m) - ((q >> rc.RATE) & m)
            low, rng = _renorm(e, out, low, rng)
            u = t - 1  # -1 when t is zero: no bits
            for part in range(2):  # t - 1 in unary (or escaped), then the low bits and any sign
                if part == 0:
                    v, nb = (u, 2 * UNARY) if u >= UNARY else (np.int64(1), u + 1)
                else:
                    v, nb = ((mag << 1) | np.int64(r < 0)) >> (mag == 0), sh + (mag != 0)
                acc = (acc << nb) | (v & ((np.int64(1) << nb) - 1))  # at most 63 bits pending
                nacc += nb
                if nacc >= 32:
                    nacc -= 32
                    _put32(bits, nbytes, acc >> nacc)
                    nbytes += 4
            h0, h1, h2, h3, w0, w1, w2, w3, last, avg = _learn(
                h0, h1, h2, h3, w0, w1, w2, w3, last, avg, x, r)
        st[c] = (h0, h1, h2, h3, w0, w1, w2, w3, last, avg)
    e[0], e[1] = low, rng
    ranged = rc.enc_flush(e, out) - 4
    _put32(bits, nbytes, acc << (32 - nacc))
    nbytes += (nacc + 7) >> 3
    size = 4 + ranged + nbytes
    if size <= out.shape[0]:
        for j in range(4):
            out[j] = (ranged >> (8 * j)) & 0xFF
        out[4 + ranged:size] = bits[:nbytes]
    return size


@njit(cache=True)
def decode(buf, start, top, st, p, k):
    """Inverse of ``encode`` into ``k`` (C, N); returns False when the payload is damaged."""
    if start + 4 > buf.shape[0]:
        return False
    ranged = np.int64(0)
    for j in range(4):
        ranged |= np.int64(buf[start + j]) << (8 * j)
    if ranged > buf.shape[0] - start - 4:
        return False
    plain = buf[start + 4 + ranged:]
    buf = buf[:start + 4 + ranged]
    d = rc.dec_init(buf, start + 4)
    code, rng, pos, n = d[0], d[1], d[2], buf.shape[0]
    acc, nacc, bpos = np.int64(0), np.int64(0), 0
    for c in range(k.shape[0]):
        h0, h1, h2, h3, w0, w1, w2, w3, last, avg, tc = _setup(st, c, top)
        for i in range(k.shape[1]):
            pr, j, sh = _predict(h0, h1, h2, h3, w0, w1, w2, w3, last, avg, tc, c)
            q = np.int64(p[j])
            bound = (rng >> 12) * q
            bit = np.int64(code >= bound)
            m = -bit
            code -= bound & m
            rng = bound + ((rng - 2 * bound) & m)
            p[j] = q + (((4096 - q) >> rc.RATE) & ~m) - ((q >> rc.RATE) & m)
            while rng < rc.TOP:
                rng <<= 8
                code = ((code << 8) | (buf[pos] if pos < n else 0)) & rc.MASK32
                pos += 1
            for part in range(2):  # t - 1 in unary (or escaped), then the low bits and any sign
                if nacc < 32:  # at least 32 plain bits pending: zeros past the end, counted at the end
                    w = np.int64(0)
                    for b in range(4):
                        w = (w << 8) | (np.int64(plain[bpos + b]) if bpos + b < plain.shape[0] else 0)
                    acc, nacc, bpos = (acc << 32) | w, nacc + 32, bpos + 4
                if part == 0:  # read as if ``bit`` were set, kept only if it is: no branch on it
                    hi = (acc >> (nacc - 8)) & 0xFF
                    u = _ZEROS[hi] + (_ZEROS[(acc >> (nacc - 16)) & 0xFF] if hi == 0 else 0)
                    if u < UNARY:
                        t, used = u + 1, u + 1
                    else:
                        t, used = 1 + ((acc >> (nacc - 2 * UNARY)) & ((1 << UNARY) - 1)), 2 * UNARY
                    t, nacc = t & m, nacc - (used & m)
                else:
                    nacc -= sh
                    mag = (t << sh) | ((acc >> nacc) & ((np.int64(1) << sh) - 1))
                    nonzero = np.int64(mag != 0)
                    r = mag - 2 * mag * ((acc >> (nacc - 1)) & 1)  # the sign bit, if there is one
                    nacc -= nonzero
            x = pr + r
            if x < 0 or x > tc or d[3] or pos > n:
                return False
            k[c, i] = x
            h0, h1, h2, h3, w0, w1, w2, w3, last, avg = _learn(
                h0, h1, h2, h3, w0, w1, w2, w3, last, avg, x, r)
        st[c] = (h0, h1, h2, h3, w0, w1, w2, w3, last, avg)
    return 8 * bpos - nacc <= 8 * plain.shape[0]
