"""Spike detection on whitened traces: negative peaks beyond a threshold that are the lowest value
within ``exclude`` samples and within the channel's spatial neighbourhood (so one spike seen on
several channels is detected once, on its largest channel)."""

from __future__ import annotations

import numpy as np
from numba import njit, prange

_BLOCK = 8192  # samples per parallel detection block


@njit(cache=True, boundscheck=False, nogil=True)
def is_peak(x: np.ndarray, c: int, t: int, neighbours: np.ndarray, exclude: int, thr: float) -> bool:
    """``x[c, t]`` is below ``-thr`` and the lowest of its neighbourhood within ``+-exclude`` samples
    (ties go to the earlier sample, then the lower channel). The caller keeps ``t +- exclude`` inside x."""
    v = x[c, t]
    if v >= -thr:
        return False
    for k in range(neighbours.shape[1]):
        cc = neighbours[c, k]
        if cc < 0:
            break
        for tt in range(t - exclude, t + exclude + 1):
            w = x[cc, tt]
            if w < v or (w == v and (tt < t or (tt == t and cc < c))):
                return False
    return True


@njit(cache=True, boundscheck=False, nogil=True)
def _scan(x, neighbours, exclude, thr, t0, t1, times, chans, fill):
    """Peaks with ``t0 <= t < t1`` (written when ``fill``); returns how many."""
    n = 0
    for t in range(t0, t1):
        for c in range(x.shape[0]):
            if x[c, t] < -thr and is_peak(x, c, t, neighbours, exclude, thr):
                if fill:
                    times[n] = t
                    chans[n] = c
                n += 1
    return n


@njit(cache=True, parallel=True)
def _detect(x, neighbours, exclude, thr, start, stop):
    n_blocks = (stop - start + _BLOCK - 1) // _BLOCK
    counts = np.zeros(n_blocks + 1, np.int64)
    dummy = np.zeros(0, np.int64)
    for b in prange(n_blocks):
        t0 = start + b * _BLOCK
        counts[b + 1] = _scan(x, neighbours, exclude, thr, t0, min(t0 + _BLOCK, stop), dummy, dummy, False)
    offsets = np.cumsum(counts)
    times = np.empty(offsets[-1], np.int64)
    chans = np.empty(offsets[-1], np.int64)
    for b in prange(n_blocks):
        t0 = start + b * _BLOCK
        a = offsets[b]
        _scan(x, neighbours, exclude, thr, t0, min(t0 + _BLOCK, stop), times[a:offsets[b + 1]],
              chans[a:offsets[b + 1]], True)
    return times, chans


def detect_peaks(x: np.ndarray, neighbours: np.ndarray, exclude: int, threshold: float,
                 margin: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``(samples, channels)`` of the peaks of whitened traces ``x`` (module doc), time-sorted,
    ignoring the first and last ``max(margin, exclude)`` samples."""
    edge = max(int(margin), int(exclude))
    stop = x.shape[1] - edge
    if stop <= edge:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return _detect(x, neighbours, int(exclude), float(threshold), edge, stop)
