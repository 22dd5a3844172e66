"""The ``max`` kernel: codes each lattice code directly with a distribution built for it.

The probability of code ``x`` is a learned residual shape around a sign-sign LMS prediction
(chosen by the recent residual magnitude) times a learned weight of ``x`` itself: real ADCs have
codes of unequal width (differential non-linearity), so some codes are hit far more often than
their neighbours. The weight is the code's observed count over the count the model expected
without weights. Residuals beyond the window are escaped to an adaptive integer code (``rangecoder.put_u``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from cortexlink.codec import predict as lms
from cortexlink.codec import rangecoder as rc

ORDER = 16
FRAC = 4
M = 32
ESC = 2 * M + 1
NR = 2 * M + 2
NMAG = 6
NCTX = NMAG
INC = 4
LIMIT = 1 << 16
TABLE = 4096
PRIOR = 4.0
PRIOR_MASS = 256
AVG, NSTATE = 2 * ORDER + 1, 2 * ORDER + 2  # after the predictor's fields


def new_state(n_channels: int, top: np.ndarray | None = None):
    """Fresh per-channel state: predictor, residual shapes, code counts and weights, escape counts."""
    size = TABLE if top is not None and (np.asarray(top) < TABLE).any() else 1
    e = np.exp(-np.abs(np.arange(NR) - M)[None, :] / (1.5 * 2.0 ** np.arange(NCTX) - 0.5)[:, None])
    prior = np.maximum(np.rint(PRIOR_MASS * e / e.sum(1, keepdims=True)), 1).astype(np.int64)
    shapes = np.zeros((n_channels, NCTX, NR + 1), np.int64)
    shapes[:, :, :NR] = prior  # a Laplacian as wide as the context's magnitudes: less to learn
    shapes[:, :, NR] = prior.sum(1)
    return (np.zeros((n_channels, NSTATE), np.int64), shapes, np.zeros((n_channels, size)),
            np.zeros((n_channels, size)), np.full(n_channels * rc.U_ROW, 2048, np.int16))


@njit(cache=True, inline="always")
def _ctx(st, p):
    a = st[AVG] >> 9
    c = 0
    while a > 0 and c < NMAG - 1:
        a >>= 1
        c += 1
    return c


@njit(cache=True)
def _learn(r, n, en, fr, x, j, base, dnl, z):
    """Count the coded residual; for the code weights add the observed code and the model's
    expectation of every code before weighting (weight = observed / expected)."""
    r[j] += INC
    r[NR] += INC
    if r[NR] > LIMIT:
        t = 0
        for i in range(NR):
            r[i] = (r[i] + 1) >> 1
            t += r[i]
        r[NR] = t
    if dnl and j != ESC:
        n[x] += 1.0
        for q in range(2 * M + 1):
            if fr[q]:
                en[base - M + q] += r[q] / z


@njit(cache=True)
def _freqs(r, n, en, base, top, dnl, fr):
    """Frequencies of the candidate codes ``base - M .. base + M`` into ``fr``: the residual shape
    times the code weight, rescaled to the shape's mass. Returns (their sum, the weighted mass)."""
    zr, zw = 0, 0.0
    for j in range(2 * M + 1):
        y = base - M + j
        fr[j] = 0 if y < 0 or y > top else r[j]
        zr += fr[j]
        if dnl and fr[j]:
            zw += r[j] * ((n[y] + PRIOR) / (en[y] + PRIOR))
    if not dnl:
        return zr, 1.0
    tot, k = 0, zr / zw
    for j in range(2 * M + 1):
        if fr[j]:
            y = base - M + j
            fr[j] = max(np.int64(r[j] * ((n[y] + PRIOR) / (en[y] + PRIOR)) * k), 1)
            tot += fr[j]
    return tot, zw


@njit(cache=True)
def encode(k, top, st, shapes, n, w, esc, out):
    """Code int32 codes ``k`` (C, N) with per-channel maxima ``top``; returns bytes written to ``out``."""
    e = rc.enc_init()
    fr = np.empty(2 * M + 1, np.int64)
    for c in range(k.shape[0]):
        s, dnl = st[c], top[c] < n.shape[1]
        for i in range(k.shape[1]):
            x = np.int64(k[c, i])
            p = lms.predict(s, ORDER, FRAC, top[c])
            base = (p + (1 << (FRAC - 1))) >> FRAC
            r = shapes[c, _ctx(s, p)]
            tot, z = _freqs(r, n[c], w[c], base, top[c], dnl, fr)
            j = x - base + M
            if 0 <= j <= 2 * M:
                cum = 0
                for q in range(j):
                    cum += fr[q]
                rc.enc(e, out, cum, fr[j], tot + r[ESC])
            else:
                j = ESC
                rc.enc(e, out, tot, r[ESC], tot + r[ESC])
                rc.put_u(e, out, esc, c * rc.U_ROW, 2 * (x - base) if x > base else 2 * (base - x) - 1)
            _learn(r, n[c], w[c], fr, x, j, base, dnl, z)
            lms.update(s, ORDER, x, x - base)
            s[AVG] += abs(x - base) * 32 - (s[AVG] >> 4)
    return rc.enc_flush(e, out)


@njit(cache=True)
def decode(buf, start, top, st, shapes, n, w, esc, k):
    """Inverse of ``encode`` into ``k`` (C, N); returns False when the payload is damaged."""
    d = rc.dec_init(buf, start)
    fr = np.empty(2 * M + 1, np.int64)
    for c in range(k.shape[0]):
        s, dnl = st[c], top[c] < n.shape[1]
        for i in range(k.shape[1]):
            p = lms.predict(s, ORDER, FRAC, top[c])
            base = (p + (1 << (FRAC - 1))) >> FRAC
            r = shapes[c, _ctx(s, p)]
            tot, z = _freqs(r, n[c], w[c], base, top[c], dnl, fr)
            v = rc.dec_target(d, tot + r[ESC])
            if v >= tot:
                rc.dec_update(d, buf, tot, r[ESC])
                u = rc.get_tree(d, buf, esc, c * rc.U_ROW)
                x, j = base + (u >> 1 if (u & 1) == 0 else -((u + 1) >> 1)), ESC
            else:
                j, cum = 0, 0
                while cum + fr[j] <= v:
                    cum += fr[j]
                    j += 1
                rc.dec_update(d, buf, cum, fr[j])
                x = base - M + j
            if x < 0 or x > top[c] or d[3]:
                return False
            k[c, i] = x
            _learn(r, n[c], w[c], fr, x, j, base, dnl, z)
            lms.update(s, ORDER, x, x - base)
            s[AVG] += abs(x - base) * 32 - (s[AVG] >> 4)
    return True
