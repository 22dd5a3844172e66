"""The noise level of each channel, measured on the first samples of a stream, chunk by chunk.

Threshold crossings need a per-channel noise level before they can be counted. A stream that sets
its thresholds on itself (as BRAND's threshold node does) feeds ``NoiseEstimate`` its first
``n_samples``, in any chunking; the result does not depend on it. Estimators:

- ``mad``: ``median(|x|) / 0.6745``, the noise sigma of spike detection (Quiroga et al. 2004): spikes
  barely move a median. It is read off a per-channel histogram of ``|x|`` (128 bins per octave,
  linear within a bin: within about 0.1 % of the exact median), so nothing is buffered and nothing
  stalls the stream when the estimate completes.
- ``rms``: ``sqrt(mean(x**2))`` (BRAND's), accumulated as a sum of squares. Spikes and a filter's
  start-up response raise it above the noise.
- ``robust``: ``ThresholdCrossings.calibrate``'s spike-free median (the segment is kept and the
  estimate computed once at the end: a stall of a fraction of a second for hundreds of channels).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numba import njit
from scipy.ndimage import maximum_filter1d

from cortexlink.core.errors import InvalidParameterError
from cortexlink.dsp.block import samples_for_ms

Estimator = Literal["mad", "rms", "robust"]
ESTIMATORS = ("mad", "rms", "robust")

_MANTISSA_BITS = 7
_PER_OCTAVE = 1 << _MANTISSA_BITS  # 128 bins per octave
_LOW_OCTAVE = -12       # |x| below 2**-12 counts as zero (bin 0)
_OCTAVES = 36           # up to 2**24 (larger values share the top bin)
_N_BINS = 1 + _PER_OCTAVE * _OCTAVES
_MAD_TO_SIGMA = 0.6745


@njit(cache=True, boundscheck=False, error_model="numpy")
def _log_histogram(bits: np.ndarray, counts: np.ndarray) -> None:
    """Add ``|x|`` of every channel (``bits``: float32 samples viewed as uint32) to its row of
    ``counts``: bin 0 holds |x| < 2**-12, then each octave has 128 equal bins (widths 0.4-0.8 % of
    their values), read straight off the exponent and the top 7 bits of the mantissa."""
    n_ch, n_s = bits.shape
    top = counts.shape[1] - 1
    for c in range(n_ch):
        row = counts[c]
        for t in range(n_s):
            u = bits[c, t] & 0x7FFFFFFF
            octave = np.int64(u >> 23) - 127 - _LOW_OCTAVE
            b = 0
            if octave >= 0:
                b = 1 + octave * _PER_OCTAVE + np.int64((u & 0x7FFFFF) >> (23 - _MANTISSA_BITS))
                if b > top:
                    b = top
            row[b] += 1


@njit(cache=True, boundscheck=False, error_model="numpy")
def _histogram_median(counts: np.ndarray, n: int, out: np.ndarray) -> None:
    """``out[c]``: the median of the ``n`` values ``_log_histogram`` counted in row ``c``,
    interpolated linearly inside its bin (0 when it lies in bin 0)."""
    half = n / 2.0
    for c in range(counts.shape[0]):
        row = counts[c]
        cum = 0.0
        b = 0
        while b < row.shape[0] - 1 and cum + row[b] < half:
            cum += row[b]
            b += 1
        if b == 0:
            out[c] = 0.0
            continue
        frac = min(max((half - cum) / max(row[b], 1), 0.0), 1.0)
        octave = (b - 1) // _PER_OCTAVE + _LOW_OCTAVE
        out[c] = 2.0 ** octave * (1.0 + ((b - 1) % _PER_OCTAVE + frac) / _PER_OCTAVE)


def check_estimator(estimator: str) -> None:
    """Raise unless ``estimator`` names one of ``ESTIMATORS``."""
    if estimator not in ESTIMATORS:
        raise InvalidParameterError(f"estimator must be one of {', '.join(ESTIMATORS)}, got {estimator!r}")


class NoiseEstimate:
    """Per-channel noise (``estimator``) of the first ``n_samples`` samples of a ``sample_rate`` stream."""

    def __init__(self, n_channels: int, n_samples: int, sample_rate: float,
                 estimator: Estimator = "mad") -> None:
        check_estimator(estimator)
        self.estimator = estimator
        self.target = max(1, int(n_samples))
        self.sample_rate = sample_rate
        self.fill = 0
        self._sum_sq = np.zeros(n_channels) if estimator == "rms" else None
        self._counts = np.zeros((n_channels, _N_BINS), np.uint32) if estimator == "mad" else None
        self._segment = np.empty((n_channels, self.target), np.float32) if estimator == "robust" else None

    @property
    def needed(self) -> int:
        """Samples still to be seen before the estimate is known."""
        return self.target - self.fill

    def add(self, data: np.ndarray) -> np.ndarray | None:
        """Take the first ``needed`` samples of ``data`` (n_channels, n_samples); the per-channel
        noise once ``n_samples`` were seen, else None."""
        part = data[:, :self.needed]
        if self._segment is not None:
            self._segment[:, self.fill:self.fill + part.shape[1]] = part
        elif self._counts is not None:
            _log_histogram(np.ascontiguousarray(part, dtype=np.float32).view(np.uint32), self._counts)
        else:
            p64 = part.astype(np.float64)
            self._sum_sq += np.einsum("ij,ij->i", p64, p64)
        self.fill += part.shape[1]
        if self.fill < self.target:
            return None
        if self._segment is not None:
            segment, self._segment = self._segment, None
            return noise_level(segment, self.sample_rate, "robust")
        if self._counts is not None:
            counts, self._counts = self._counts, None
            median = np.empty(counts.shape[0])
            _histogram_median(counts, self.fill, median)
            return median / _MAD_TO_SIGMA
        return np.sqrt(self._sum_sq / self.fill)


def noise_level(data: np.ndarray, sample_rate: float, estimator: Estimator = "mad") -> np.ndarray:
    """The per-channel noise of a whole ``(n_channels, n_samples)`` segment: what a
    ``NoiseEstimate`` of its length gives when fed it in any chunking."""
    if estimator == "robust":  # at the data's own precision (a stream keeps float32)
        return spike_free_mad(np.abs(data.astype(np.float64)), samples_for_ms(1.0, sample_rate, "window"))
    return NoiseEstimate(data.shape[0], data.shape[1], sample_rate, estimator).add(data)


def spike_free_mad(mag: np.ndarray, half_window: int) -> np.ndarray:
    """Per-row ``median(mag) / 0.6745`` after masking +-``half_window`` samples around spikes.

    A plain median of |x| is pulled up by the samples inside spike waveforms: on an electrode
    with busy large units that inflates the threshold enough to miss small units beside them.
    """
    first = np.median(mag, axis=1) / _MAD_TO_SIGMA
    spikes = mag > 4.0 * first[:, None]
    near = maximum_filter1d(spikes, size=2 * half_window + 1, axis=1)
    kept = np.where(near, np.nan, mag)
    with np.errstate(all="ignore"):
        est = np.nanmedian(kept, axis=1) / _MAD_TO_SIGMA
    # a row that is nothing but excursions keeps its first-pass estimate
    return np.where(np.isfinite(est), est, first)
