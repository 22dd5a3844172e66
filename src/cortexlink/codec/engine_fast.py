"""The ``fast`` kernel: sign-sign LMS prediction and an adaptive multi-symbol residual model.

Each channel carries its state (LMS history and weights, magnitude context, symbol counts) in
arrays, so a stream of chunks codes exactly as one block. A residual ``e`` is zig-zagged to ``u``;
``u < 16`` is its own symbol, larger ``u`` is a symbol for (bit length, next bit) plus raw low bits.
The symbol counts are chosen by a context of recent residual magnitudes.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from cortexlink.codec import rangecoder as rc

ORDER = 4
SHIFT = 10
NSYM = 42
NCTX = 12
INC = 24
LIMIT = 1 << 16
H, W, PREV, AVG, NSTATE = 0, ORDER, 2 * ORDER, 2 * ORDER + 1, 2 * ORDER + 2


def new_state(n_channels: int, top: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Fresh (int64 predictor state, int64 symbol counts with the total last) per channel."""
    counts = np.ones((n_channels, NCTX, NSYM + 1), np.int64)
    counts[:, :, NSYM] = NSYM
    return np.zeros((n_channels, NSTATE), np.int64), counts


@njit(cache=True, inline="always")
def _predict(st, hi):
    acc = np.int64(1 << (SHIFT - 1))
    for j in range(ORDER):
        acc += st[W + j] * st[H + j]
    p = st[PREV] + (acc >> SHIFT)
    return min(max(p, 0), hi)


@njit(cache=True, inline="always")
def _update(st, x, e):
    if e != 0:
        for j in range(ORDER):
            h = st[H + j]
            if h != 0:
                st[W + j] += 1 if (e > 0) == (h > 0) else -1
    for j in range(ORDER - 1, 0, -1):
        st[H + j] = st[H + j - 1]
    st[H] = x - st[PREV]
    st[PREV] = x
    u = 2 * e if e >= 0 else -2 * e - 1
    st[AVG] += u * 16 - (st[AVG] >> 3)


@njit(cache=True, inline="always")
def _ctx(st):
    a = st[AVG] >> 7
    c = 0
    while a > 0 and c < NCTX - 1:
        a >>= 1
        c += 1
    return c


@njit(cache=True, inline="always")
def _count(f, sym):
    f[sym] += INC
    f[NSYM] += INC
    if f[NSYM] > LIMIT:
        t = 0
        for i in range(NSYM):
            f[i] = (f[i] + 1) >> 1
            t += f[i]
        f[NSYM] = t


@njit(cache=True)
def put_u(e, out, f, u):
    """Code ``u >= 0`` with the adaptive symbol counts ``f``."""
    if u < 16:
        sym, nx = u, 0
    else:
        nb = 0
        while (u >> nb) > 0:
            nb += 1
        sym, nx = 16 + 2 * (nb - 5) + ((u >> (nb - 2)) & 1), nb - 2
    cum = 0
    for j in range(sym):
        cum += f[j]
    rc.enc(e, out, cum, f[sym], f[NSYM])
    if nx > 0:
        rc.enc_bits(e, out, u & ((1 << nx) - 1), nx)
    _count(f, sym)


@njit(cache=True)
def get_u(d, buf, f):
    """Inverse of ``put_u``."""
    v = rc.dec_target(d, f[NSYM])
    sym, cum = 0, 0
    while cum + f[sym] <= v:
        cum += f[sym]
        sym += 1
    rc.dec_update(d, buf, cum, f[sym])
    _count(f, sym)
    if sym < 16:
        return sym
    nx = (sym - 16) // 2 + 3
    return ((2 | ((sym - 16) & 1)) << nx) | rc.dec_bits(d, buf, nx)


@njit(cache=True)
def encode(k, top, st, counts, out):
    """Code int32 codes ``k`` (C, N) with per-channel maxima ``top``; returns bytes written to ``out``."""
    e = rc.enc_init()
    for c in range(k.shape[0]):
        s = st[c]
        for i in range(k.shape[1]):
            x = np.int64(k[c, i])
            r = x - _predict(s, top[c])
            put_u(e, out, counts[c, _ctx(s)], 2 * r if r >= 0 else -2 * r - 1)
            _update(s, x, r)
    return rc.enc_flush(e, out)


@njit(cache=True)
def decode(buf, start, top, st, counts, k):
    """Inverse of ``encode`` into ``k`` (C, N); returns False when the payload is damaged."""
    d = rc.dec_init(buf, start)
    for c in range(k.shape[0]):
        s = st[c]
        for i in range(k.shape[1]):
            p = _predict(s, top[c])
            u = get_u(d, buf, counts[c, _ctx(s)])
            r = u >> 1 if (u & 1) == 0 else -((u + 1) >> 1)
            x = p + r
            if x < 0 or x > top[c] or d[3]:
                return False
            k[c, i] = x
            _update(s, x, r)
    return True
