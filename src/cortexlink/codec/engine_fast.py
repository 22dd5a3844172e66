"""The ``fast`` kernel: sign-sign LMS prediction and adaptive binary coding of residuals.

Each channel carries its state (LMS history and weights, magnitude context, bit probabilities) in
arrays, so a stream of chunks codes exactly as one block. A residual's magnitude, less ``sh`` low
bits chosen by a context of recent magnitudes, goes down a three-level binary tree of adaptive
probabilities (7 and above continue as an adaptive Elias-gamma code); the low bits and the sign
are near-uniform, so they skip the range coder and go to a plain bit stream beside it.
A payload is the range-coded part's length (u32 little-endian), that part, then the plain bits
(most significant first). No division on the usual path and no calls in the hot loop.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from cortexlink.codec import predict as lms
from cortexlink.codec import rangecoder as rc

ORDER = 4
NCTX = 20
TREE = 3
ESC = (1 << TREE) - 1
_LOG = np.ceil(np.log2(np.arange(2048) + 1)).astype(np.int64)  # bit length
NSTATE = 2 * ORDER + 2  # predictor fields, then the magnitude average
ROW = 32  # probabilities of one context: the tree's nodes 1..ESC, then the escape code's from ESC + 1


def new_state(n_channels: int, top: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Fresh (predictor state, bit probabilities) per channel."""
    return np.zeros((n_channels, NSTATE), np.int64), np.full(n_channels * NCTX * ROW, 2048, np.int16)


@njit(cache=True)
def put_u(e, out, p, row, u):
    """Code ``u >= 0`` with the adaptive probabilities ``p[row:row + ROW]``."""
    sym = min(u, ESC)
    node = 1
    for b in range(TREE - 1, -1, -1):
        bit = (sym >> b) & 1
        rc.enc_bit(e, out, p, row + node, bit)
        node = 2 * node + bit
    if sym == ESC:
        v = u - ESC + 1
        nb = 0
        while (v >> nb) > 1:
            rc.enc_bit(e, out, p, row + ESC + 1 + nb, 1)
            nb += 1
        rc.enc_bit(e, out, p, row + ESC + 1 + nb, 0)
        rc.enc_bits(e, out, v, nb)


@njit(cache=True)
def get_u(d, buf, p, row):
    """Inverse of ``put_u`` after its tree said ``ESC`` (damage sets the error flag)."""
    nb = 0
    while rc.dec_bit(d, buf, p, row + ESC + 1 + nb):
        nb += 1
        if nb > 20:
            d[3] = 1
            return 0
    return ((1 << nb) | rc.dec_bits(d, buf, nb)) + ESC - 1


@njit(cache=True)
def get_tree(d, buf, p, row):
    """Full inverse of ``put_u`` (the slow path, for rare escapes)."""
    node = 1
    for _ in range(TREE):
        node = 2 * node + rc.dec_bit(d, buf, p, row + node)
    return get_u(d, buf, p, row) if node == 2 * ESC + 1 else node - ESC - 1


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
    """Prediction, probability row and raw low-bit count (from the recent magnitude: scale free)."""
    a = min(avg >> 7, (1 << 22) - 1)
    b = _LOG[a] if a < 2048 else 11 + _LOG[a >> 11]
    pr = min(max(last + ((1024 + w0 * h0 + w1 * h1 + w2 * h2 + w3 * h3) >> lms.SHIFT), 0), tc)
    return pr, (c * NCTX + b) * ROW, max(b - 2, 0)


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


@njit(cache=True)
def encode(k, top, st, p, out):
    """Code int32 codes ``k`` (C, N) with per-channel maxima ``top``; returns the payload's length
    (more than ``len(out)`` when it did not fit: nothing beyond ``out`` is written)."""
    e = rc.enc_init()
    e[4] = 4  # the range-coded part's length goes first
    low, rng = e[0], e[1]  # kept in registers; ``e`` is synced around the rare calls
    bits = np.empty(3 * k.size + 8, np.uint8)  # at most 20 plain bits a sample
    acc, nacc, nbytes = np.int64(0), np.int64(0), 0
    for c in range(k.shape[0]):
        h0, h1, h2, h3, w0, w1, w2, w3, last, avg, tc = _setup(st, c, top)
        for i in range(k.shape[1]):
            x = np.int64(k[c, i])
            pr, row, sh = _predict(h0, h1, h2, h3, w0, w1, w2, w3, last, avg, tc, c)
            r = x - pr
            mag = abs(r)
            t = mag >> sh
            if t >= ESC:
                e[0], e[1] = low, rng
                put_u(e, out, p, row, t)
                low, rng = e[0], e[1]
            else:
                node = 1
                for b in range(TREE - 1, -1, -1):
                    bit = (t >> b) & 1
                    m = -bit
                    q = np.int64(p[np.uint64(row + node)])
                    bound = (rng >> 12) * q
                    low += bound & m
                    rng = bound + ((rng - 2 * bound) & m)
                    p[np.uint64(row + node)] = q + (((4096 - q) >> rc.RATE) & ~m) - ((q >> rc.RATE) & m)
                    node = 2 * node + bit
                    low, rng = _renorm(e, out, low, rng)
            nb = sh + (mag != 0)  # the low bits, then the sign when there is one
            acc = (acc << nb) | (((mag << 1) | np.int64(r < 0)) >> (mag == 0)) & ((np.int64(1) << nb) - 1)
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


@njit(cache=True, inline="always")
def _put32(buf, pos, w):
    for j in range(4):
        buf[pos + j] = (w >> (24 - 8 * j)) & 0xFF


@njit(cache=True, inline="always")
def _get32(buf, pos):
    w = np.int64(0)
    for j in range(4):
        w = (w << 8) | (np.int64(buf[pos + j]) if pos + j < buf.shape[0] else 0)
    return w


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
            pr, row, sh = _predict(h0, h1, h2, h3, w0, w1, w2, w3, last, avg, tc, c)
            node, q = 1, np.int64(p[np.uint64(row + 1)])
            for _ in range(TREE):  # both children's probabilities load before the bit is known
                q0, q1 = np.int64(p[np.uint64(row + 2 * node)]), np.int64(p[np.uint64(row + 2 * node + 1)])
                bound = (rng >> 12) * q
                bit = np.int64(code >= bound)
                m = -bit
                code -= bound & m
                rng = bound + ((rng - 2 * bound) & m)
                p[np.uint64(row + node)] = q + (((4096 - q) >> rc.RATE) & ~m) - ((q >> rc.RATE) & m)
                q = q1 if bit else q0
                if rng < rc.TOP:
                    rng <<= 8
                    code = ((code << 8) | (buf[pos] if pos < n else 0)) & rc.MASK32
                    pos += 1
                node = 2 * node + bit
            mag = node - ESC - 1
            if mag == ESC:
                d[0], d[1], d[2] = code, rng, pos
                mag = get_u(d, buf, p, row)
                code, rng, pos = d[0], d[1], d[2]
            if nacc < 21:  # room for the low bits and the sign
                acc = (acc << 32) | _get32(plain, bpos)
                nacc += 32
                bpos += 4
            nacc -= sh
            mag = (mag << sh) | ((acc >> nacc) & ((np.int64(1) << sh) - 1))
            r = mag
            if mag:
                nacc -= 1
                r = mag - 2 * mag * ((acc >> nacc) & 1)
            x = pr + r
            if x < 0 or x > tc or d[3] or pos > n:
                return False
            k[c, i] = x
            h0, h1, h2, h3, w0, w1, w2, w3, last, avg = _learn(
                h0, h1, h2, h3, w0, w1, w2, w3, last, avg, x, r)
        st[c] = (h0, h1, h2, h3, w0, w1, w2, w3, last, avg)
    return 8 * bpos - nacc <= 8 * plain.shape[0]
