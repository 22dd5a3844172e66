"""Band-pass and local whitening: what the sorter sees instead of the raw signal.

The band-pass is ``dsp.ButterworthFilter`` (causal, so the online sorter filters each chunk exactly
as the offline one filters the whole recording). Whitening makes the noise independent across
nearby channels with unit variance: each channel's row of the whitening matrix is its row of the
ZCA whitener of the noise covariance of the channels within ``whiten_radius_um`` (covariance
measured on samples away from large excursions, so spikes do not enter it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numba import njit, prange
from scipy.ndimage import maximum_filter1d

from cortexlink.core.errors import InvalidDataError
from cortexlink.dsp import ButterworthFilter
from cortexlink.dsp.noise import noise_level
from cortexlink.sort.params import SortParams
from cortexlink.sort.probe import Probe

_FIT_SECONDS = 10.0  # at most this much signal sets the whitener
_EPS = 1e-3          # regularisation of the covariance, relative to its mean diagonal
_PARALLEL_MIN = 4096  # samples per thread worth a parallel whitening


@njit(cache=True, boundscheck=False, nogil=True)
def _whiten_range(index, weight, x, out, t0, t1):
    for t in range(t0, t1):
        for c in range(index.shape[0]):
            acc = np.float32(0.0)
            for k in range(index.shape[1]):
                j = index[c, k]
                if j < 0:
                    break
                acc += weight[c, k] * x[j, t]
            out[c, t] = acc


@njit(cache=True, parallel=True)
def _whiten_parallel(index, weight, x, out, n_blocks):
    n = x.shape[1]
    step = (n + n_blocks - 1) // n_blocks
    for b in prange(n_blocks):
        _whiten_range(index, weight, x, out, b * step, min(n, (b + 1) * step))


@dataclass
class Whitener:
    """``y[c] = sum_k weight[c, k] * x[index[c, k]]`` per sample: the rows of a local whitening
    matrix (n_channels, n_channels) kept sparse. Summed in a fixed order, so a sample's output
    does not depend on how the stream is chunked."""

    matrix: np.ndarray
    index: np.ndarray = field(init=False, repr=False)
    weight: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        m = np.asarray(self.matrix, np.float32)
        nz = m != 0
        width = max(1, int(nz.sum(axis=1).max()))
        self.index = np.full((m.shape[0], width), -1, np.int64)
        self.weight = np.zeros((m.shape[0], width), np.float32)
        for c in range(m.shape[0]):
            cols = np.flatnonzero(nz[c])
            self.index[c, : cols.size] = cols
            self.weight[c, : cols.size] = m[c, cols]
        self.matrix = m

    def apply(self, x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        x = np.ascontiguousarray(x, dtype=np.float32)
        out = np.empty_like(x) if out is None else out
        if x.shape[1] >= 4 * _PARALLEL_MIN:
            _whiten_parallel(self.index, self.weight, x, out, 16)
        else:
            _whiten_range(self.index, self.weight, x, out, 0, x.shape[1])
        return out

    def unwhiten(self, y: np.ndarray) -> np.ndarray:
        """Back to filtered microvolts (templates for people)."""
        return np.linalg.solve(self.matrix.astype(np.float64), y.reshape(y.shape[0], -1)).reshape(y.shape)


def band_pass(params: SortParams, sample_rate: float) -> ButterworthFilter:
    """The sorter's band-pass block (its high edge lowered below Nyquist when the rate is low)."""
    high = min(params.high_hz, 0.45 * sample_rate)
    return ButterworthFilter(sample_rate, params.low_hz, high, params.filter_order)


def fit_whitener(filtered: np.ndarray, sample_rate: float, probe: Probe, params: SortParams) -> Whitener:
    """A local whitener of ``filtered`` (n_channels, n_samples) microvolts (module doc)."""
    n_ch, n_s = filtered.shape
    seg = filtered[:, : int(min(n_s, _FIT_SECONDS * sample_rate))].astype(np.float64)
    noise = noise_level(seg.astype(np.float32), sample_rate, "mad")
    if not np.all(noise > 0):
        raise InvalidDataError("some channels are flat after band-pass filtering; remove them before sorting")
    big = (np.abs(seg) > 4.0 * noise[:, None]).any(axis=0)
    quiet = ~maximum_filter1d(big, size=2 * int(sample_rate * 1e-3) + 1)
    if quiet.sum() < 10 * n_ch:
        quiet[:] = True
    x = seg[:, quiet]
    cov = (x @ x.T) / x.shape[1]
    neighbours = probe.neighbours(params.whiten_radius_um)
    matrix = np.zeros((n_ch, n_ch))
    for c in range(n_ch):
        idx = neighbours[c][neighbours[c] >= 0]
        sub = cov[np.ix_(idx, idx)]
        sub = sub + _EPS * np.mean(np.diag(sub)) * np.eye(idx.size)
        vals, vecs = np.linalg.eigh(sub)
        zca = (vecs / np.sqrt(np.maximum(vals, 1e-12))) @ vecs.T
        matrix[c, idx] = zca[0]  # channel c is first in its own neighbourhood
    return Whitener(matrix.astype(np.float32))


def preprocess(data: np.ndarray, sample_rate: float, probe: Probe, params: SortParams,
               whitener: Whitener | None = None) -> tuple[np.ndarray, Whitener]:
    """Band-passed, whitened float32 traces of ``data`` (microvolts), and the whitener used
    (fitted on ``data`` unless given)."""
    filtered = band_pass(params, sample_rate).apply(np.asarray(data, dtype=np.float32))
    if whitener is None:
        whitener = fit_whitener(filtered, sample_rate, probe, params)
    return whitener.apply(filtered), whitener
