"""Exact distance measures between windows of signal: banded DTW, Euclidean, cross-correlation, EMD.

These confirm what the hashes only suggest. DTW follows the convention of ``dtaidistance`` so the
numbers are comparable: squared-difference cost summed along the warping path, square root at the
end, and a Sakoe-Chiba ``band`` in samples with ``band=1`` the diagonal only (Euclidean) and
``None`` the full matrix. For windows of unequal lengths the band is widened by the length
difference so a path from corner to corner always exists.

Each measure has a one-pair form and a batch form (one query against the rows of ``windows``);
both run the same numba kernel.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from cortexlink.core.errors import InvalidParameterError
from cortexlink.similarity._checks import (
    MEASURES,
    as_window,
    as_windows,
    check_band,
    check_max_lag,
    check_measure,
    check_same_length,
)

__all__ = ["MEASURES", "dtw", "euclidean", "xcor_distance", "emd", "distance", "distances",
           "measure_params"]

_PARAMS = {"dtw": ("band",), "euclidean": (), "xcor": ("max_lag",), "emd": ()}


# ---------------------------------------------------------------- kernels


@njit(cache=True, nogil=True)
def band_width(r: int, c: int, band: int) -> int:
    """The band as the kernels use it: 0 (None from Python) means the full matrix."""
    return max(r, c) if band <= 0 else band


@njit(cache=True, nogil=True)
def dtw_sq_kernel(a, b, band, cutoff, tail, prev, curr):
    """Squared banded DTW of ``a`` (rows) against ``b`` (columns), or inf once it exceeds ``cutoff``.

    ``tail[i]`` is a lower bound of what rows ``i..`` still add (zeros when unknown); a row whose
    cheapest cell plus ``tail[i + 1]`` exceeds ``cutoff`` abandons the rest. ``prev`` and ``curr``
    are scratch rows of ``len(b) + 1``.
    """
    r = a.size
    c = b.size
    w = band_width(r, c, band)
    over_r = max(0, r - c)
    over_c = max(0, c - r)
    for j in range(c + 1):
        prev[j] = np.inf
        curr[j] = np.inf
    prev[0] = 0.0
    for i in range(r):
        lo = max(0, i - over_r - w + 1)
        hi = min(c, i + over_c + w)
        ai = a[i]
        curr[lo] = np.inf
        row_min = np.inf
        left = np.inf
        for j in range(lo, hi):
            diag = prev[j]
            up = prev[j + 1]
            best = diag if diag < up else up
            if left < best:
                best = left
            d = ai - b[j]
            v = best + d * d
            curr[j + 1] = v
            left = v
            if v < row_min:
                row_min = v
        if hi < c:
            curr[hi + 1] = np.inf
        if row_min + tail[i + 1] > cutoff:
            return np.inf
        prev, curr = curr, prev
    return prev[c]


#: windows a ``dtw_sq_lanes`` block holds: enough for the compiler to vectorise across them
DTW_LANES = 64


@njit(cache=True, nogil=True)
def dtw_sq_lanes(query, rows, slots, band, lanes, out):
    """``out[i]`` = squared banded DTW of ``rows[slots[i]]`` (rows) against ``query`` (columns).

    The same cells, in the same order and with the same arithmetic as ``dtw_sq_kernel`` (so the same
    values, without abandoning), for ``lanes`` windows at a time: each block is copied time-major and
    every cell is computed for all of its windows in one inner loop the compiler vectorises, several
    times faster than one window after another. Computes in ``rows``' dtype (float32 rows: float32).
    """
    n = slots.size
    r = rows.shape[1]
    c = query.size
    w = band_width(r, c, band)
    over_r = max(0, r - c)
    over_c = max(0, c - r)
    blk = np.empty((r, lanes), dtype=rows.dtype)
    prev = np.empty((c + 1, lanes), dtype=rows.dtype)
    curr = np.empty((c + 1, lanes), dtype=rows.dtype)
    q = query.astype(rows.dtype)
    for first in range(0, n, lanes):
        used = min(lanes, n - first)
        for lane in range(lanes):   # unused lanes repeat the last window
            row = slots[first + min(lane, used - 1)]
            for i in range(r):
                blk[i, lane] = rows[row, i]
        prev[:] = np.inf
        curr[:] = np.inf
        prev[0] = 0.0
        for i in range(r):
            lo = max(0, i - over_r - w + 1)
            hi = min(c, i + over_c + w)
            curr[lo] = np.inf
            for j in range(lo, hi):
                bj = q[j]
                for lane in range(lanes):
                    diag = prev[j, lane]
                    up = prev[j + 1, lane]
                    best = diag if diag < up else up
                    left = curr[j, lane]
                    if left < best:
                        best = left
                    d = blk[i, lane] - bj
                    curr[j + 1, lane] = best + d * d
            if hi < c:
                curr[hi + 1] = np.inf
            prev, curr = curr, prev
        for lane in range(used):
            out[first + lane] = prev[c, lane]


@njit(cache=True, nogil=True)
def euclidean_sq_kernel(a, b, cutoff):
    """Squared Euclidean distance, or inf once the running sum exceeds ``cutoff``."""
    s = 0.0
    for i in range(a.size):
        d = a[i] - b[i]
        s += d * d
        if s > cutoff:
            return np.inf
    return s


@njit(cache=True, nogil=True)
def xcor_kernel(a, b, max_lag):
    """1 - the largest normalised cross-correlation of ``a`` and ``b`` over ``|lag| <= max_lag``.

    Both windows are centred; the correlation at lag ``k`` is ``sum_t a[t] b[t + k]`` over the
    overlap divided by the product of the full norms (MATLAB's ``xcorr(..., 'coeff')``), so it lies
    in [-1, 1] and the distance in [0, 2]. A flat window correlates with nothing (distance 1),
    except another flat window (distance 0).
    """
    na = a.size
    nb = b.size
    ma = 0.0
    for t in range(na):
        ma += a[t]
    ma /= na
    mb = 0.0
    for t in range(nb):
        mb += b[t]
    mb /= nb
    ssa = 0.0
    for t in range(na):
        ssa += (a[t] - ma) ** 2
    ssb = 0.0
    for t in range(nb):
        ssb += (b[t] - mb) ** 2
    # a flat window's centred samples are rounding noise; compare against the scale of the values
    flat_a = ssa <= 1e-24 * na * (ma * ma + 1.0)
    flat_b = ssb <= 1e-24 * nb * (mb * mb + 1.0)
    if flat_a or flat_b:
        return 0.0 if (flat_a and flat_b) else 1.0
    norm = math.sqrt(ssa * ssb)
    best = -np.inf
    for k in range(max(-max_lag, -(na - 1)), min(max_lag, nb - 1) + 1):
        t0 = max(0, -k)
        t1 = min(na, nb - k)
        s = 0.0
        for t in range(t0, t1):
            s += (a[t] - ma) * (b[t + k] - mb)
        if s > best:
            best = s
    corr = best / norm
    if corr > 1.0:
        corr = 1.0
    return 1.0 - corr


@njit(cache=True, nogil=True)
def emd_kernel(a, b, cutoff):
    """L1 distance between the cumulative sums (1-D earth mover's distance), or inf past ``cutoff``."""
    ca = 0.0
    cb = 0.0
    s = 0.0
    for i in range(a.size):
        ca += a[i]
        cb += b[i]
        s += abs(ca - cb)
        if s > cutoff:
            return np.inf
    return s


@njit(cache=True, nogil=True)
def _batch(code, query, windows, param, out):
    """``out[i]`` = distance of ``query`` to ``windows[i]``; ``code`` picks the measure (MEASURES order)."""
    n = windows.shape[0]
    c = query.size
    prev = np.empty(c + 1)
    curr = np.empty(c + 1)
    tail = np.zeros(windows.shape[1] + 1)
    for i in range(n):
        w = windows[i]
        if code == 0:
            out[i] = math.sqrt(dtw_sq_kernel(w, query, param, np.inf, tail, prev, curr))
        elif code == 1:
            out[i] = math.sqrt(euclidean_sq_kernel(w, query, np.inf))
        elif code == 2:
            out[i] = xcor_kernel(query, w, param)
        else:
            out[i] = emd_kernel(query, w, np.inf)


# ---------------------------------------------------------------- public API


def measure_params(measure: str, params: dict, length: int) -> int:
    """Check ``params`` for ``measure`` and return the one integer its kernel takes.

    dtw: ``band`` (None -> 0, the kernels' "full"); xcor: ``max_lag`` (None -> a quarter of
    ``length``, the shorter window); others take none (0).
    """
    check_measure(measure)
    unknown = sorted(set(params) - set(_PARAMS[measure]))
    if unknown:
        allowed = ", ".join(_PARAMS[measure]) or "no parameters"
        raise InvalidParameterError(
            f"measure {measure!r} does not take {', '.join(unknown)}; it takes {allowed}")
    if measure == "dtw":
        band = check_band(params.get("band"))
        return 0 if band is None else band
    if measure == "xcor":
        max_lag = params.get("max_lag")
        return max(length // 4, 0) if max_lag is None else check_max_lag(max_lag)
    return 0


def dtw(a: np.ndarray, b: np.ndarray, band: int | None = None) -> float:
    """Dynamic time warping distance with a Sakoe-Chiba ``band`` (1 = Euclidean, None = full)."""
    a = as_window(a, "a")
    b = as_window(b, "b")
    w = measure_params("dtw", {"band": band}, min(a.size, b.size))
    prev = np.empty(b.size + 1)
    curr = np.empty(b.size + 1)
    return math.sqrt(dtw_sq_kernel(a, b, w, np.inf, np.zeros(a.size + 1), prev, curr))


def euclidean(a: np.ndarray, b: np.ndarray) -> float:
    """Euclidean distance between two windows of equal length."""
    a = as_window(a, "a")
    b = as_window(b, "b")
    check_same_length(a, b, "euclidean")
    return math.sqrt(euclidean_sq_kernel(a, b, np.inf))


def xcor_distance(a: np.ndarray, b: np.ndarray, max_lag: int | None = None) -> float:
    """1 - the best normalised cross-correlation over ``|lag| <= max_lag`` samples (0..2).

    ``max_lag=None`` uses a quarter of the shorter window.
    """
    a = as_window(a, "a")
    b = as_window(b, "b")
    lag = measure_params("xcor", {"max_lag": max_lag}, min(a.size, b.size))
    return float(xcor_kernel(a, b, lag))


def emd(a: np.ndarray, b: np.ndarray) -> float:
    """1-D earth mover's distance: L1 distance between the cumulative sums of equal-length windows."""
    a = as_window(a, "a")
    b = as_window(b, "b")
    check_same_length(a, b, "emd")
    return float(emd_kernel(a, b, np.inf))


def distance(a: np.ndarray, b: np.ndarray, measure: str, **params) -> float:
    """The distance between two windows under ``measure`` (one of ``MEASURES``)."""
    a = as_window(a, "a")
    b = as_window(b, "b")
    return float(distances(a, b[None, :], measure, **params)[0])


def distances(query: np.ndarray, windows: np.ndarray, measure: str, **params) -> np.ndarray:
    """Distances ``(n,)`` from ``query`` to each row of ``windows`` ``(n, length)`` under ``measure``."""
    query = as_window(query, "query")
    windows = as_windows(windows, "windows")
    param = measure_params(measure, params, min(query.size, windows.shape[1]))
    if measure in ("euclidean", "emd"):
        check_same_length(query, windows, measure)
    out = np.empty(windows.shape[0])
    if measure == "dtw":   # the same values as _batch's, many windows at a time
        dtw_sq_lanes(query, windows, np.arange(windows.shape[0]), param, DTW_LANES, out)
        return np.sqrt(out)
    _batch(MEASURES.index(measure), query, windows, param, out)
    return out
