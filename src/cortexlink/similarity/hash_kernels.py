"""Compiled kernels of the hash families: sign sketches, n-gram weighted min-hash, p-stable bins.

The weighted min-hash is Ioffe's consistent weighted sampling (ICWS) kept as its 0-bit variant:
for hash ``j`` and n-gram bin ``k`` with count ``c`` the sample's key is
``ln a = ln(g) - r (floor(ln c / r + beta) - beta) - r`` with ``r, g ~ Gamma(2, 1)``,
``beta ~ U(0, 1)``. Counts are whole numbers no larger than the number of n-grams in a window, so
every key is precomputed in a table ``keys[k, c, j]`` and all hashes of a window are one pass of
integer mins over the n-gram bins present (at most min(bins, n-grams) of them): bounded work
whatever its content (the fixed cost Hull asks of its min-hash), no random numbers drawn at
hashing time.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from cortexlink.similarity.exact_search import envelope


@njit(cache=True, inline="always")
def combine(h: np.uint64, value: np.int64) -> np.uint64:
    """Fold one integer into a running 64-bit code (splitmix64 finaliser of ``h + value``)."""
    z = h + np.uint64(value) + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def icws_keys(rng: np.random.Generator, n_hashes: int, n_bins: int, max_count: int) -> np.ndarray:
    """Table ``keys[k, c, j]`` of ICWS keys for counts ``c = 0..max_count`` (c = 0 is +inf), packed
    as int64: the float32 key's bits mapped to an order-preserving int32 in the high half, the bin
    ``k`` in the low half. The arg-min bin of a hash is then the low half of a plain integer min
    (ties go to the lower bin), which vectorises where a compare-and-keep-index loop does not."""
    r = rng.gamma(2.0, 1.0, size=(n_hashes, n_bins, 1))
    g = rng.gamma(2.0, 1.0, size=(n_hashes, n_bins, 1))
    beta = rng.uniform(0.0, 1.0, size=(n_hashes, n_bins, 1))
    counts = np.arange(max_count + 1, dtype=np.float64)[None, None, :]
    with np.errstate(divide="ignore"):
        log_c = np.log(counts)
    t = np.floor(log_c / r + beta)
    keys = np.log(g) - r * (t - beta) - r
    keys[:, :, 0] = np.inf
    bits = np.ascontiguousarray(keys.transpose(1, 2, 0), dtype=np.float32).view(np.int32).astype(np.int64)
    ordered = np.where(bits >= 0, bits, bits ^ 0x7FFFFFFF)   # negative floats: reverse their order
    return (ordered << 32) | np.arange(n_bins, dtype=np.int64)[:, None, None]


@njit(cache=True, inline="always")
def sign_bit(x: np.ndarray, row: int, start: int, filt: np.ndarray) -> np.uint8:
    """One sketch bit: 1 when the filter's dot product with ``x[row, start:start+len(filt)]`` is > 0."""
    acc = 0.0
    for i in range(filt.shape[0]):
        acc += filt[i] * x[row, start + i]
    return np.uint8(1) if acc > 0.0 else np.uint8(0)


@njit(cache=True, inline="always")
def hash_sketch(bits: np.ndarray, row: int, first: int, n_sub: int, ngram: int, keys: np.ndarray,
                per_table: int, scratch: tuple, out: np.ndarray, out_row: int) -> None:
    """Codes of one window from its ``n_sub`` sketch bits, read from ring ``bits[row]`` at ``first``.

    ``scratch`` is ``make_scratch(keys, n_sub, ngram)``; ``out[out_row]`` gets one uint64 per table, each
    folding ``per_table`` min-hash bins together. The arg-mins run once over each bin present, at
    most ``min(bins, n-grams)`` of them: the work per window is bounded whatever its content.
    """
    counts, grams, best = scratch
    capacity = bits.shape[1]
    n_grams = n_sub - ngram + 1
    n_hashes = keys.shape[2]
    mask = keys.shape[0] - 1
    g = 0
    pos = first
    for q in range(n_sub):
        g = ((g << 1) | np.int64(bits[row, pos])) & mask
        pos += 1
        if pos == capacity:
            pos = 0
        if q >= ngram - 1:
            grams[q - ngram + 1] = g
            counts[g] += 1
    best[:] = np.iinfo(np.int64).max
    # each bin present once, with its count (a bin's later n-grams find its count already zeroed)
    for p in range(n_grams):
        b = grams[p]
        c = counts[b]
        if c:
            counts[b] = 0
            for j in range(n_hashes):
                best[j] = min(best[j], keys[b, c, j])
    for t in range(out.shape[1]):
        h = np.uint64(t)
        for kk in range(per_table):
            h = combine(h, best[t * per_table + kk] & 0xFFFFFFFF)   # the arg-min bin
        out[out_row, t] = h


@njit(cache=True)
def make_scratch(keys: np.ndarray, n_sub: int, ngram: int) -> tuple:
    """Work arrays of ``hash_sketch``: bin counts, n-grams and each hash's smallest packed key."""
    return (np.zeros(keys.shape[0], dtype=np.int64), np.empty(n_sub - ngram + 1, dtype=np.int64),
            np.empty(keys.shape[2], dtype=np.int64))


@njit(cache=True)
def sketch_windows(windows: np.ndarray, filt: np.ndarray, step: int, ngram: int,
                   keys: np.ndarray, per_table: int, n_tables: int) -> np.ndarray:
    """Codes ``(n_windows, n_tables)`` of independent windows ``(n_windows, window)``."""
    n, length = windows.shape
    m = filt.shape[0]
    n_sub = (length - m) // step + 1
    bits = np.empty((1, n_sub), dtype=np.uint8)
    scratch = make_scratch(keys, n_sub, ngram)
    out = np.empty((n, n_tables), dtype=np.uint64)
    for w in range(n):
        for i in range(n_sub):
            bits[0, i] = sign_bit(windows, w, i * step, filt)
        hash_sketch(bits, 0, 0, n_sub, ngram, keys, per_table, scratch, out, w)
    return out


@njit(cache=True)
def sketch_stream(ext: np.ndarray, ext_start: int, next_sub: int, total: int, filt: np.ndarray,
                  step: int, hop: int, window: int, ngram: int, keys: np.ndarray, per_table: int,
                  bits: np.ndarray, out_codes: np.ndarray, out_starts: np.ndarray) -> tuple:
    """Advance every channel's sketch over ``ext`` (samples ``ext_start..total`` of the stream).

    Each sub-window dot product on the global grid ``p = 0, step, 2 step, ...`` is computed once,
    starting at ``next_sub``; its bit goes to the per-channel ring ``bits`` (n_channels, n_sub).
    As soon as the last sub-window of a window starting on the ``hop`` grid is in, that window is
    hashed into ``out_codes[i * n_channels + c]``. Returns (next sub-window position, windows emitted).
    """
    n_ch = ext.shape[0]
    m = filt.shape[0]
    n_sub = bits.shape[1]
    scratch = make_scratch(keys, n_sub, ngram)
    last_offset = (n_sub - 1) * step
    p = next_sub
    n_out = 0
    while p + m <= total:
        slot = (p // step) % n_sub
        for c in range(n_ch):
            bits[c, slot] = sign_bit(ext, c, p - ext_start, filt)
        w = p - last_offset
        if w >= 0 and w % hop == 0:
            first = (w // step) % n_sub
            for c in range(n_ch):
                hash_sketch(bits, c, first, n_sub, ngram, keys, per_table, scratch, out_codes,
                            n_out * n_ch + c)
            out_starts[n_out] = w
            n_out += 1
        p += step
    return p, n_out


@njit(cache=True)
def pstable_windows(projected: np.ndarray, offsets: np.ndarray, width: float, per_table: int,
                    n_tables: int) -> np.ndarray:
    """Fold ``per_table`` quantised projections ``floor((a.x + b) / width)`` into one code per table."""
    n = projected.shape[0]
    out = np.empty((n, n_tables), dtype=np.uint64)
    for w in range(n):
        for t in range(n_tables):
            h = np.uint64(t)
            for kk in range(per_table):
                j = t * per_table + kk
                h = combine(h, np.int64(np.floor((projected[w, j] + offsets[j]) / width)))
            out[w, t] = h
    return out


@njit(cache=True)
def pstable_neighbours(projected: np.ndarray, offsets: np.ndarray, width: float,
                       reach: int) -> tuple:
    """Multi-probe look-up of one-hash tables: the codes of the ``2 reach + 1`` buckets nearest each
    projection, its own bucket first (``codes[p, t, 0]``, as ``pstable_windows`` codes it), then
    the buckets 1 below, 1 above, 2 below, ...
    and their weights ``cap - (u - centre)**2``, ``u`` the projection and ``centre`` the bucket's middle
    in bucket widths, ``cap`` the same for the nearest bucket not probed (so weights are >= 0).
    ``floor[p] = -sum(cap)``: ``floor + sum of the weights hit`` is minus the squared distance from the
    projections to the stored window's bucket centres, every bucket beyond reach counted as at cap.
    """
    n, n_tables = projected.shape
    n_alt = 2 * reach + 1
    codes = np.empty((n, n_tables, n_alt), dtype=np.uint64)
    weights = np.empty((n, n_tables, n_alt), dtype=np.float64)
    floor = np.zeros(n, dtype=np.float64)
    for w in range(n):
        for t in range(n_tables):
            u = (projected[w, t] + offsets[t]) / width
            b = np.floor(u)
            f = u - b
            cap = min(reach + 0.5 + f, reach + 1.5 - f) ** 2
            floor[w] -= cap
            for a in range(n_alt):
                d = (a + 1) // 2 * (1 if a % 2 == 0 else -1)   # 0, -1, 1, -2, 2, ...
                codes[w, t, a] = combine(np.uint64(t), np.int64(b) + d)
                weights[w, t, a] = cap - (f - 0.5 - d) ** 2
    return codes, weights, floor


@njit(cache=True, inline="always")
def znormalise_row(x: np.ndarray, out: np.ndarray) -> None:
    """``out`` = ``x`` minus its mean over its standard deviation (a flat row: zeros), as
    ``hashes.znormalise`` does for a whole array, without the temporaries."""
    n = x.size
    mean = 0.0
    for i in range(n):
        mean += x[i]
    mean /= n
    var = 0.0
    for i in range(n):
        out[i] = x[i] - mean
        var += out[i] * out[i]
    sd = np.sqrt(var / n)
    if sd > 0:
        for i in range(n):
            out[i] /= sd


@njit(cache=True)
def envelope_features(windows: np.ndarray, radius: int) -> np.ndarray:
    """``(n, 2 L)``: each z-normalised row's running max over ``[i - radius, i + radius]`` (clipped to
    the row), then its running min: the p-stable DTW hash's features, O(L) per row."""
    n, length = windows.shape
    out = np.empty((n, 2 * length))
    z = np.empty(length)
    pre = np.empty((2, length))
    suf = np.empty((2, length))
    upper = np.empty(length)
    lower = np.empty(length)
    for w in range(n):
        znormalise_row(windows[w], z)
        envelope(z, radius, upper, lower, pre, suf)
        out[w, :length] = upper
        out[w, length:] = lower
    return out


@njit(cache=True)
def paa_features(windows: np.ndarray, factor: int) -> np.ndarray:
    """``(n, L // factor)`` float32: the mean of every ``factor`` samples of each z-normalised row
    (samples past the last whole block left out): the PAA summaries DTW candidates are re-ranked by."""
    n, length = windows.shape
    m = length // factor
    out = np.empty((n, m), dtype=np.float32)
    z = np.empty(length)
    for w in range(n):
        znormalise_row(windows[w], z)
        for j in range(m):
            acc = 0.0
            for i in range(j * factor, (j + 1) * factor):
                acc += z[i]
            out[w, j] = acc / factor
    return out
