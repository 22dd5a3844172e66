"""Map int16 samples onto the lattice of ADC codes they use, and back.

Neural ADC codes of 10 bits stored as int16 use a few hundred values spaced by a step that is no
integer (about 64.06). Coding the code index ``k`` instead of the value removes six bits of
redundancy per sample. The map is ``v = floor(offset + step * k)`` with one offset for negative and
one for non-negative values (converters that round towards zero shift the halves apart), learned
per channel from the values present and verified exactly. Data on no lattice keeps the identity.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def _gap(u, k, j, s):
    """Larger width, of the two halves split at ``j``, by which no offset gives ``u <= off + s*k < u + 1``."""
    gap = -1.0
    for a, b in ((0, j), (j, len(u))):
        if b > a:
            lo = hi = u[a] - s * k[a]
            for i in range(a, b):
                r = u[i] - s * k[i]
                lo, hi = min(lo, r), max(hi, r)
            gap = max(gap, hi - lo - 1.0)
    return gap


@njit(cache=True)
def _mark_hulls(u, k, a, b, keep):
    """Mark the vertices of the upper and lower convex hulls of the points ``(k, u)[a:b]`` (sorted
    by ``k``): only they can hold the extremes of ``u - s * k`` that ``_gap`` looks for."""
    stack = np.empty(max(b - a, 1), np.int64)
    for sign in (1.0, -1.0):
        m = 0
        for i in range(a, b):
            while m >= 2:
                o, p = stack[m - 2], stack[m - 1]
                if (k[p] - k[o]) * sign * (u[i] - u[o]) < sign * (u[p] - u[o]) * (k[i] - k[o]):
                    break
                m -= 1
            stack[m], m = i, m + 1
        for t in range(m):
            keep[stack[t]] = True


@njit(cache=True)
def _step(u, k, j, g, iters=40):
    """The step in the middle of those that fit (the gap is convex in the step: ternary search for
    the best, then bisection for both ends of the interval that fits), so a stream's later values
    fit it too. The search runs on the hull vertices of each half: the same answer, in less time."""
    keep = np.zeros(len(u), np.bool_)
    _mark_hulls(u, k, 0, j, keep)
    _mark_hulls(u, k, j, len(u), keep)
    idx = np.flatnonzero(keep)
    u, k, j = u[idx], k[idx], np.searchsorted(idx, j)
    lo, hi = g - 0.5, g + 1.5
    for _ in range(iters):
        a, b = lo + (hi - lo) / 3, hi - (hi - lo) / 3
        if _gap(u, k, j, a) < _gap(u, k, j, b):
            hi = b
        else:
            lo = a
    best = (lo + hi) / 2
    if _gap(u, k, j, best) >= 0:
        return best
    ends = [best, best]
    for side in range(2):
        inside, out = best, g - 0.5 if side == 0 else g + 1.5
        for _ in range(iters):
            mid = (inside + out) / 2
            if _gap(u, k, j, mid) < 0:
                inside = mid
            else:
                out = mid
        ends[side] = inside
    return (ends[0] + ends[1]) / 2


def _offset(u: np.ndarray, k: np.ndarray, s: float) -> float:
    r = u - s * k
    return float(r.max() + r.min() + 1.0) / 2 if len(u) else 0.0


def values(k: np.ndarray, step, off0, off1, split) -> np.ndarray:
    """Values (float64) of codes ``k``; parameters may be ``(n_channels, 1)`` columns."""
    return np.floor(np.where(k < split, off0, off1) + step * k)


@njit(cache=True)
def samples(k, maps, out):
    """int16 values of codes ``k`` (C, N) under per-channel ``maps`` (as ``values``, clipped)."""
    for c in range(k.shape[0]):
        s, o0, o1, split = maps[c]
        for i in range(k.shape[1]):
            q = k[c, i]
            out[c, i] = min(max(np.floor((o0 if q < split else o1) + s * q), -32768), 32767)
    return out


@njit(cache=True)
def codes(v, maps, k):
    """Codes ``k`` of values ``v`` (C, N) under per-channel ``maps`` rows ``(step, off0, off1, split)``;
    returns per channel whether the map holds all its values (computed as ``values`` does)."""
    return codes_of(v, maps, k, np.arange(v.shape[0]))


@njit(cache=True)
def codes_of(v, maps, k, rows):
    """``codes`` for the channels ``rows`` only (the others are left as they are, and ok)."""
    ok = np.ones(v.shape[0], np.bool_)
    for c in rows:
        s, o0, o1, split = maps[c]
        bad = False  # accumulated without branches: twice as fast as leaving the loop's flow to the data
        for i in range(v.shape[1]):
            x = v[c, i]
            neg = x < 0
            q = np.ceil((x - (o0 if neg else o1)) / s - 1e-9)
            k[c, i] = q
            below = q < split
            bad |= (np.floor((o0 if below else o1) + s * q) != x) | (below != neg) | (q < 0)
        ok[c] = not bad
    return ok


@njit(cache=True)
def _seen(v):
    """Which of the 65536 int16 values occur in ``v`` (one pass, no sort), and those values in order."""
    hit = np.zeros(65536, np.int32)
    for x in v.ravel():
        hit[x + 32768] = 1
    u = np.empty(hit.sum(), np.int64)
    n = 0
    for i in range(65536):
        if hit[i]:
            u[n], n = i - 32768, n + 1
    return hit, u


@njit(cache=True)
def _lookup(lut, v):
    out = np.empty(v.size, np.int32)
    for i, x in enumerate(v.ravel()):
        out[i] = lut[x + 32768]
    return out


@njit(cache=True)
def misses(v, maps, top, rows, k):
    """Flat indices of the samples of channels ``rows`` that their maps miss; their codes ``k`` are
    clamped into ``[0, top]`` so they still code (the values travel beside the coded stream)."""
    out = np.empty(len(rows) * v.shape[1], np.int64)
    n = 0
    for c in rows:
        s, o0, o1, split = maps[c]
        for i in range(v.shape[1]):
            q = min(max(k[c, i], 0), top[c])
            if np.floor((o0 if q < split else o1) + s * q) != v[c, i] or (q < split) != (v[c, i] < 0):
                k[c, i], out[n] = q, c * v.shape[1] + i
                n += 1
    return out[:n]


@njit(cache=True)
def note(v, rows, seen, n_seen):
    """Mark the values of channels ``rows`` in their bitmaps ``seen`` (C, 1024) of int16 values."""
    for c in rows:
        for x in v[c]:
            w, b = (x + 32768) >> 6, np.uint64(1) << np.uint64((x + 32768) & 63)
            if not seen[c, w] & b:
                seen[c, w] |= b
                n_seen[c] += 1


_DEBRUIJN = np.uint64(0x03F79D71B4CB0A89)  # (2**b * _DEBRUIJN) >> 58 differs for every bit b
_DEBRUIJN_INDEX = np.zeros(64, np.int64)
_DEBRUIJN_INDEX[(np.uint64(1) << np.arange(64, dtype=np.uint64)) * _DEBRUIJN >> np.uint64(58)] = np.arange(64)


@njit(cache=True)
def learn_seen(bits, count, anchored):
    """``learn`` for the sorted values of the bitmap ``bits`` (a stream's, ``count`` bits set), all
    in numba; returns ``(found, step, off0, off1, split)``."""
    u = np.empty(count)
    n = 0
    for w in range(bits.size):
        word = bits[w]
        while word and n < count:  # one step per set bit, lowest first
            low = word & (~word + np.uint64(1))
            u[n], n = w * 64 + _DEBRUIJN_INDEX[(low * _DEBRUIJN) >> np.uint64(58)] - 32768, n + 1
            word ^= low
    u = u[:n]
    if n < 2 or np.diff(u).min() < 3:
        return False, 1.0, -32768.0, -32768.0, 32768
    g = np.diff(u).min()
    k = np.zeros(n)
    k[1:] = np.cumsum(np.rint(np.diff(u) / g))
    j = np.searchsorted(u, 0.0)
    s = _step(u, k, j, g, 24 if n < 256 else 40)  # a narrow range needs less precision: quicker
    if anchored:
        k += np.floor((u[0] + 32768) / s)
    off = [0.0, 0.0]
    for h, (a, b) in enumerate(((0, j), (j, n))):
        if b > a:
            r = u[a:b] - s * k[a:b]
            off[h] = (r.max() + r.min() + 1.0) / 2
    split = k[j] if j < n else k[-1] + 1
    for i in range(n):
        if np.floor((off[0] if k[i] < split else off[1]) + s * k[i]) != u[i]:
            return False, 1.0, -32768.0, -32768.0, 32768
    return True, s, off[0], off[1], int(split)


def learn(v: np.ndarray, anchored: bool = False) -> tuple[float, tuple[float, float], int, np.ndarray] | None:
    """Return ``(step, offsets, split, codes)`` that map ``v`` exactly, or None if it is on no lattice.

    Codes count from the smallest value, or (``anchored``) from -32768 so that a stream's codes stay
    put when later values widen the range."""
    v = np.ascontiguousarray(v, np.int16)
    small = v.size < 4096  # a table of all int16 values pays off only for long inputs
    lut, u = (None, None) if small else _seen(v)
    u, inv = np.unique(v.astype(np.int64), return_inverse=True) if small else (u, None)
    d = np.diff(u)
    if len(u) < 2 or int(d.min()) < 3:
        return None
    g = int(d.min())
    u = u.astype(np.float64)
    k = np.concatenate(([0.0], np.cumsum(np.rint(d / g))))
    j = int(np.searchsorted(u, 0))
    s = _step(u, k, j, g)
    if anchored:
        k += np.floor((u[0] + 32768) / s)
    offsets = (_offset(u[:j], k[:j], s), _offset(u[j:], k[j:], s))
    split = int(k[j]) if j < len(k) else int(k[-1]) + 1
    ki = k.astype(np.int64)
    if not np.array_equal(values(ki, s, *offsets, split), u):
        return None
    if small:
        return s, offsets, split, ki.astype(np.int32)[inv.reshape(v.shape)]
    lut[u.astype(np.int64) + 32768] = ki
    return s, offsets, split, _lookup(lut, v).reshape(v.shape)
