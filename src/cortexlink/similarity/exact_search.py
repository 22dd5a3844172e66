"""Exact nearest-window search: the top ``k`` windows, or all within a threshold, under one measure.

For DTW the scan uses the UCR-suite cascade so most windows never reach the quadratic kernel:

1. LB_Kim: the first and last samples are always matched, so their cost bounds the distance (O(1)).
2. LB_Keogh of the window against the query's envelope (the query's running max/min over the
   band), summed in the order where the query is furthest from its mean so it abandons early.
3. LB_Keogh the other way round: the query against the window's envelope.
4. DTW that abandons as soon as its cheapest cell in a row plus what the bounds say the remaining
   rows still cost exceeds the current k-th best.

Every bound is a true lower bound, so the result is exactly what brute force gives (ties go to the
lower index). The bounds need windows as long as the query; for other lengths only LB_Kim and the
abandoning DTW prune. Euclidean, cross-correlation and EMD are cheap enough to compute in full.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from cortexlink.core.errors import InvalidParameterError
from cortexlink.similarity._checks import as_window, as_windows, check_int, check_measure
from cortexlink.similarity.measures import (
    DTW_LANES,
    band_width,
    distances,
    dtw_sq_kernel,
    dtw_sq_lanes,
    measure_params,
)

__all__ = ["exact_top_k", "ranked_top_k", "within", "STAT_NAMES"]

#: what ``stats`` counts: windows pruned by each stage, and DTWs run to the end
STAT_NAMES = ("lb_kim", "lb_keogh_query", "lb_keogh_window", "dtw_abandoned", "dtw_full")
_SLACK = 1.0 + 1e-9  # bounds and DTW sum in different orders; never prune on a rounding difference


@njit(cache=True, nogil=True)
def envelope(x, radius, upper, lower, pre, suf):
    """Running max and min of ``x`` over ``[i - radius, i + radius]`` (clipped to the ends).

    Van Herk / Gil-Werman: blocks of ``2 radius + 1`` samples, running max/min from each block's
    start (``pre``) and to its end (``suf``); a full-width range spans at most two blocks, so each
    output is one comparison, O(n) without branches on the data (and no divisions: block edges are
    counted). ``pre`` and ``suf`` are scratch ``(2, n)`` arrays.
    """
    n = x.size
    m = 2 * radius + 1
    j = 0
    for i in range(n):
        if j == 0:
            pre[0, i] = x[i]
            pre[1, i] = x[i]
        else:
            pre[0, i] = max(pre[0, i - 1], x[i])
            pre[1, i] = min(pre[1, i - 1], x[i])
        j += 1
        if j == m:
            j = 0
    j = n % m   # (i + 1) mod m for i = n - 1; 0 marks a block's last sample
    for i in range(n - 1, -1, -1):
        if i == n - 1 or j == 0:
            suf[0, i] = x[i]
            suf[1, i] = x[i]
        else:
            suf[0, i] = max(suf[0, i + 1], x[i])
            suf[1, i] = min(suf[1, i + 1], x[i])
        j -= 1
        if j < 0:
            j += m
    last_block = n - 1 - (n - 1) % m
    for i in range(n):
        a = i - radius
        b = i + radius
        if a < 0:   # clipped on the left: [0, min(b, n - 1)] lies in the first block
            b = min(b, n - 1)
            upper[i] = pre[0, b]
            lower[i] = pre[1, b]
        elif b >= n and a >= last_block:   # [a, n - 1] inside the last block
            upper[i] = suf[0, a]
            lower[i] = suf[1, a]
        else:       # a full range, or one clipped on the right: two blocks at most
            b = min(b, n - 1)
            upper[i] = max(suf[0, a], pre[0, b])
            lower[i] = min(suf[1, a], pre[1, b])


@njit(cache=True, nogil=True)
def _lb_keogh(x, upper, lower, order, cutoff, contrib):
    """Squared LB_Keogh of ``x`` against an envelope, summed in ``order``; stops past ``cutoff``."""
    s = 0.0
    for t in range(order.size):
        i = order[t]
        v = x[i]
        if v > upper[i]:
            d = v - upper[i]
            d = d * d
        elif v < lower[i]:
            d = lower[i] - v
            d = d * d
        else:
            d = 0.0
        contrib[i] = d
        s += d
        if s > cutoff:
            return s
    return s


@njit(cache=True, nogil=True)
def _suffix(contrib, out):
    """``out[t]`` = sum of ``contrib[t:]``; ``out`` has one more element (0 at the end)."""
    n = contrib.size
    out[n] = 0.0
    for t in range(n - 1, -1, -1):
        out[t] = out[t + 1] + contrib[t]


@njit(cache=True, nogil=True)
def _worst(idx, sq, k):
    """Slot of the kept window to drop next: the largest distance, the highest index among equals."""
    worst = 0
    for s in range(1, k):
        if sq[s] > sq[worst] or (sq[s] == sq[worst] and idx[s] > idx[worst]):
            worst = s
    return worst


@njit(cache=True, nogil=True)
def _dtw_scan(query, windows, band, k, keep_all, cutoff_sq, out_idx, out_sq, counters):
    """Scan ``windows`` for the ``k`` smallest squared DTWs to ``query`` (or all <= ``cutoff_sq``).

    Fills ``out_idx``/``out_sq`` (unsorted) and returns how many it kept; ``counters`` gets the
    ``STAT_NAMES`` counts. ``keep_all`` keeps every window within the fixed ``cutoff_sq``.
    """
    n = windows.shape[0]
    lw = windows.shape[1]
    lq = query.size
    same = lw == lq
    radius = band_width(lw, lq, band) - 1
    prev = np.empty(lq + 1)
    curr = np.empty(lq + 1)
    tail = np.zeros(lw + 1)
    q_up = np.empty(lq)
    q_lo = np.empty(lq)
    w_up = np.empty(lq)
    w_lo = np.empty(lq)
    pre = np.empty((2, lq))
    suf = np.empty((2, lq))
    c_eq = np.zeros(lq)
    c_ec = np.zeros(lq)
    s_eq = np.zeros(lq + 1)
    s_ec = np.zeros(lq + 1)
    order = np.argsort(-np.abs(query - query.mean()))
    if same:
        envelope(query, radius, q_up, q_lo, pre, suf)
    count = 0
    worst = 0  # slot of the kept window to drop next, once k are kept
    cutoff = cutoff_sq
    for w_i in range(n):
        c = windows[w_i]
        limit = cutoff * _SLACK
        d0 = c[0] - query[0]
        lb = d0 * d0
        if lw > 1 or lq > 1:
            d1 = c[lw - 1] - query[lq - 1]
            lb += d1 * d1
        if lb > limit:
            counters[0] += 1
            continue
        if same:
            if _lb_keogh(c, q_up, q_lo, order, limit, c_eq) > limit:
                counters[1] += 1
                continue
            envelope(c, radius, w_up, w_lo, pre, suf)
            if _lb_keogh(query, w_up, w_lo, order, limit, c_ec) > limit:
                counters[2] += 1
                continue
            # rows are the window's samples: rows after i still cost at least their LB_Keogh
            # terms, and columns past i + radius (the query's samples) are not reached yet
            _suffix(c_eq, s_eq)
            _suffix(c_ec, s_ec)
            for t in range(lw + 1):
                a = s_eq[t]
                b = s_ec[min(lq, t + radius)]
                tail[t] = a if a > b else b
        d = dtw_sq_kernel(c, query, band, limit, tail, prev, curr)
        if d == np.inf:
            counters[3] += 1
            continue
        counters[4] += 1
        if keep_all:
            if d <= limit:
                out_idx[count] = w_i
                out_sq[count] = d
                count += 1
        elif count < k:
            out_idx[count] = w_i
            out_sq[count] = d
            count += 1
            if count == k:
                worst = _worst(out_idx, out_sq, k)
                cutoff = out_sq[worst]
        elif d < cutoff:
            out_idx[worst] = w_i
            out_sq[worst] = d
            worst = _worst(out_idx, out_sq, k)
            cutoff = out_sq[worst]
    return count


@njit(cache=True, nogil=True)
def _lb_survivors(query, windows, radius, cutoff_sq):
    """Rows of ``windows`` whose LB_Kim and LB_Keogh (against the query's envelope) are both within
    ``cutoff_sq``: the only ones whose DTW can be."""
    n, length = windows.shape
    upper = np.empty(length)
    lower = np.empty(length)
    envelope(query, radius, upper, lower, np.empty((2, length)), np.empty((2, length)))
    order = np.argsort(-np.abs(query - query.mean()))
    contrib = np.empty(length)
    keep = np.empty(n, dtype=np.int64)
    count = 0
    limit = cutoff_sq * _SLACK
    for i in range(n):
        c = windows[i]
        d0 = c[0] - query[0]
        d1 = c[length - 1] - query[length - 1]
        if d0 * d0 + d1 * d1 <= limit and _lb_keogh(c, upper, lower, order, limit, contrib) <= limit:
            keep[count] = i
            count += 1
    return keep[:count]


def _prepare(query, windows, measure, params):
    query = as_window(query, "query")
    windows = as_windows(windows, "windows")
    check_measure(measure)
    param = measure_params(measure, params, min(query.size, windows.shape[1]))
    return query, windows, param


def _fill_stats(stats: dict | None, counters: np.ndarray) -> None:
    if stats is not None:
        stats.update({name: int(v) for name, v in zip(STAT_NAMES, counters, strict=True)})


def exact_top_k(query: np.ndarray, windows: np.ndarray, k: int, measure: str = "dtw", *,
                stats: dict | None = None, **params) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` rows of ``windows`` nearest to ``query``: ``(indices, distances)``, nearest first.

    Exact (the same as sorting all distances; ties go to the lower index). Fewer than ``k`` come
    back when ``windows`` has fewer rows. ``params`` are the measure's (``band`` for dtw,
    ``max_lag`` for xcor). For dtw, a ``stats`` dict receives how many windows each stage pruned
    (``STAT_NAMES``).
    """
    query, windows, param = _prepare(query, windows, measure, params)
    k = min(check_int(k, "k", 1), windows.shape[0])
    if measure != "dtw":
        d = distances(query, windows, measure, **params)
        idx = np.argsort(d, kind="stable")[:k]
        return idx.astype(np.int64), d[idx]
    out_idx = np.empty(k, dtype=np.int64)
    out_sq = np.empty(k)
    counters = np.zeros(len(STAT_NAMES), dtype=np.int64)
    count = _dtw_scan(query, windows, param, k, False, np.inf, out_idx, out_sq, counters)
    _fill_stats(stats, counters)
    order = np.lexsort((out_idx[:count], out_sq[:count]))
    return out_idx[order], np.sqrt(out_sq[order])


def ranked_top_k(query: np.ndarray, windows: np.ndarray, k: int, measure: str = "dtw",
                 **params) -> tuple[np.ndarray, np.ndarray]:
    """``exact_top_k`` for windows that come roughly nearest first (ranked hash candidates).

    The same result. For DTW it computes the first ``DTW_LANES`` windows in full, takes their k-th
    distance as the bar, drops every other window whose LB_Kim or LB_Keogh exceeds it, and computes
    the rest many at a time (``measures.dtw_sq_lanes``) instead of one by one: with a good order the
    bar is tight from the start, and the vectorised DTW costs a fraction of the abandoning one.
    """
    query, windows, param = _prepare(query, windows, measure, params)
    k = min(check_int(k, "k", 1), windows.shape[0])
    n, length = windows.shape
    if measure != "dtw" or length != query.size:
        return exact_top_k(query, windows, k, measure, **params)
    head = min(n, max(k, DTW_LANES))
    sq = np.full(n, np.inf)
    dtw_sq_lanes(query, windows, np.arange(head), param, DTW_LANES, sq[:head])
    bar = np.partition(sq[:head], k - 1)[k - 1]
    rest = head + _lb_survivors(query, windows[head:], band_width(length, length, param) - 1, bar)
    out = np.empty(rest.size)
    dtw_sq_lanes(query, windows, rest, param, DTW_LANES, out)
    sq[rest] = out
    return _smallest(sq, k)


def _smallest(sq: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` smallest squared distances, nearest first (ties: lower index), as distances."""
    pool = np.flatnonzero(sq <= np.partition(sq, k - 1)[k - 1])
    idx = pool[np.lexsort((pool, sq[pool]))][:k]
    return idx.astype(np.int64), np.sqrt(sq[idx])


def within(query: np.ndarray, windows: np.ndarray, threshold: float, measure: str = "dtw", *,
           stats: dict | None = None, **params) -> np.ndarray:
    """Indices (ascending) of the rows of ``windows`` within ``threshold`` of ``query`` under ``measure``."""
    query, windows, param = _prepare(query, windows, measure, params)
    try:
        thr = float(threshold)
    except (TypeError, ValueError):
        thr = math.nan
    if not (math.isfinite(thr) and thr >= 0):
        raise InvalidParameterError(f"threshold must be a finite distance >= 0, got {threshold!r}")
    if measure != "dtw":
        return np.flatnonzero(distances(query, windows, measure, **params) <= thr).astype(np.int64)
    n = windows.shape[0]
    out_idx = np.empty(n, dtype=np.int64)
    out_sq = np.empty(n)
    counters = np.zeros(len(STAT_NAMES), dtype=np.int64)
    count = _dtw_scan(query, windows, param, 1, True, thr * thr, out_idx, out_sq, counters)
    _fill_stats(stats, counters)
    keep = np.sqrt(out_sq[:count]) <= thr
    return np.sort(out_idx[:count][keep])
