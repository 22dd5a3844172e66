"""Waveform snippets around detected spikes, and their principal components."""

from __future__ import annotations

import numpy as np
from numba import njit
from scipy.linalg import eigh


@njit(cache=True, boundscheck=False, nogil=True)
def _snippets(x, times, channels, start, length, out):
    for i in range(times.size):  # a gather of a few MB: threads would cost more than they save
        t0 = times[i] - start
        for k in range(channels.shape[1]):
            c = channels[i, k]
            if c < 0:
                continue
            for j in range(length):
                out[i, k, j] = x[c, t0 + j]


def snippets(x: np.ndarray, times: np.ndarray, channels: np.ndarray, before: int, length: int) -> np.ndarray:
    """``(n_spikes, n_channels, length)`` float32 waveforms from traces ``x``: spike ``i`` on channels
    ``channels[i]`` (or the same channels for all if 1-D; -1 gives zeros), starting ``before`` samples
    before its time. The caller keeps every window inside ``x``."""
    chans = np.asarray(channels, np.int64)
    if chans.ndim == 1:
        chans = np.broadcast_to(chans, (times.size, chans.size))
    out = np.zeros((times.size, chans.shape[1], length), np.float32)
    _snippets(x, np.asarray(times, np.int64), np.ascontiguousarray(chans), int(before), int(length), out)
    return out


def pca(features: np.ndarray, n_components: int, fit_rows: int = 5000,
        rng: np.random.Generator | None = None) -> np.ndarray:
    """``features`` (n, d) projected on its first ``n_components`` principal axes (fitted on at most
    ``fit_rows`` random rows)."""
    n, d = features.shape
    k = max(1, min(n_components, d, n))
    centred = features - features.mean(axis=0)
    fit = centred
    if n > fit_rows:
        rng = rng or np.random.default_rng(0)
        fit = centred[rng.choice(n, fit_rows, replace=False)]
    fit = fit.astype(np.float64)
    d = fit.shape[1]
    _, vecs = eigh(fit.T @ fit, subset_by_index=[d - k, d - 1])  # top k of d x d: cheaper than an SVD
    axes = vecs[:, ::-1]
    return centred.astype(np.float64) @ axes
