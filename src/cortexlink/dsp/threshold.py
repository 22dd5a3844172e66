"""Threshold crossings at ``k`` x RMS with a lockout carried across chunk edges.

A crossing is the first sample beyond the threshold after a sample that was not (for negative
``k``: ``x[t] < thr <= x[t-1]``). After a crossing a channel is locked out for ``lockout_ms``
(1 ms by default). The RMS comes from a calibration segment (``calibrate``: by default the
robust noise estimate ``median(|x|) / 0.6745``, which large, frequent spikes do not inflate the
way they inflate a plain RMS; ``estimator="rms"`` gives the plain one), from ``rms`` given
directly, or from a running estimate (exponential mean of squares with time constant
``running_rms_s``; no crossings are reported during its first ``running_rms_s`` of warm-up
unless it was seeded by ``calibrate``). Output: a ``(n_channels, n_samples)`` uint8 chunk at the
input rate, 1 where a crossing happened; ``crossing_events`` turns that into event lists.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit

from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import InvalidDataError, InvalidParameterError, NotFittedError
from cortexlink.core.recording import Recording
from cortexlink.dsp.block import Block, input_array, samples_for, samples_for_ms
from cortexlink.dsp.noise import Estimator, NoiseEstimate, check_estimator, noise_level


@njit(cache=True, boundscheck=False, error_model="numpy")
def _crossings(x, thr, sign, prev, lock_left, lockout, out):
    """Fixed thresholds ``thr`` per channel; ``sign`` -1 detects downward, +1 upward crossings."""
    n_ch, n_s = x.shape
    for c in range(n_ch):
        p = prev[c]
        left = lock_left[c]
        th = sign * thr[c]
        if n_s == 0:
            continue
        # most channels do not cross in a short chunk: a branch-free scan finds those first
        found = (sign * np.float64(x[c, 0]) > th) and p <= th
        for t in range(1, n_s):
            found |= (sign * np.float64(x[c, t]) > th) & (sign * np.float64(x[c, t - 1]) <= th)
        if not found:
            for t in range(n_s):
                out[c, t] = 0
            prev[c] = sign * np.float64(x[c, n_s - 1])
            lock_left[c] = max(left - n_s, 0)
            continue
        for t in range(n_s):
            v = sign * np.float64(x[c, t])
            hit = 0
            if left > 0:
                left -= 1
            elif v > th and p <= th:
                hit = 1
                left = lockout - 1
            out[c, t] = hit
            p = v
        prev[c] = p
        lock_left[c] = left


@njit(cache=True, boundscheck=False, error_model="numpy")
def _crossings_running(x, k, sign, mean_sq, n_seen, alpha_min, warmup, prev, lock_left, lockout, out):
    """Thresholds ``k * sqrt(mean_sq)`` from a running mean of squares updated after each sample."""
    n_ch, n_s = x.shape
    for c in range(n_ch):
        p = prev[c]
        left = lock_left[c]
        ms = mean_sq[c]
        for t in range(n_s):
            xv = np.float64(x[c, t])
            v = sign * xv
            th = sign * k * math.sqrt(ms)
            n = n_seen + t
            hit = 0
            if left > 0:
                left -= 1
            elif n >= warmup and v > th and p <= th:
                hit = 1
                left = lockout - 1
            out[c, t] = hit
            p = v
            alpha = max(1.0 / (n + 1), alpha_min)
            ms += alpha * (xv * xv - ms)
        prev[c] = p
        lock_left[c] = left
        mean_sq[c] = ms


class CrossingState(NamedTuple):
    """Per-channel state of fixed-threshold crossings: ``thresholds`` (k x rms), ``sign`` (-1:
    downward), the previous sample times ``sign``, samples of lockout left, and the lockout length."""

    thresholds: np.ndarray
    sign: float
    previous: np.ndarray
    lock_left: np.ndarray
    lockout: int


class ThresholdCrossings(Block):
    """Per-sample crossing events of ``k`` x RMS (default -4.5), 1 ms lockout."""

    def __init__(self, sample_rate: float, k: float = -4.5, lockout_ms: float = 1.0,
                 rms: np.ndarray | None = None, running_rms_s: float | None = None) -> None:
        super().__init__(sample_rate)
        if not isinstance(k, (int, float, np.number)) or not math.isfinite(k) or k == 0:
            raise InvalidParameterError(f"threshold multiplier k must be a non-zero number, got {k!r}")
        self.k = float(k)
        self.lockout = samples_for_ms(lockout_ms, self.sample_rate, "lockout_ms") if lockout_ms != 0 else 1
        self.running_rms_s = running_rms_s
        self._alpha_min = 0.0
        self._warmup = 0
        if running_rms_s is not None:
            tau = samples_for(running_rms_s, self.sample_rate, "running_rms_s")
            self._alpha_min = 1.0 / tau
            self._warmup = tau
        self.rms: np.ndarray | None = None
        if rms is not None:
            self.rms = self._checked_rms(rms)
        self._prev = np.zeros(0)
        self._lock = np.zeros(0, dtype=np.int64)
        self._mean_sq = np.zeros(0)
        self._n_seen = 0

    def calibrate(self, signal: Recording | np.ndarray, estimator: Estimator = "robust") -> np.ndarray:
        """Set the per-channel noise RMS from a calibration segment (same units as the stream).

        May be called mid-stream; the new thresholds hold from the next chunk.

        ``"robust"``: ``median(|x|) / 0.6745`` over the samples more than 1 ms away from any
        excursion beyond 4 first-pass estimates (the RMS of Gaussian noise, unmoved by spikes even
        on electrodes where large units fire often);
        ``"mad"``: ``median(|x|) / 0.6745`` (``cortexlink.dsp.noise``: what a stream measures on itself);
        ``"rms"``: ``sqrt(mean(x**2))``. Returns the estimate.
        """
        check_estimator(estimator)
        data = input_array(signal, self.sample_rate, "ThresholdCrossings.calibrate")
        if data.shape[1] == 0:
            raise InvalidDataError(
                "calibration segment has no samples; give at least a few seconds of signal"
            )
        x = data.astype(np.float64)
        if not np.isfinite(x).all():
            raise InvalidDataError("calibration segment holds NaN or infinite values; clean it first")
        return self.set_rms(noise_level(x, self.sample_rate, estimator))

    def set_rms(self, rms: np.ndarray) -> np.ndarray:
        """Fix the thresholds at ``k`` x ``rms`` (per channel), mid-stream too: from the next chunk."""
        self.rms = self._checked_rms(rms)
        if self._n_channels is not None:
            self._thr = self.k * self.rms
            self._mean_sq = self.rms ** 2
            self._n_seen = max(self._n_seen, self._warmup)
        return self.rms

    def continue_after(self, last: np.ndarray) -> None:
        """Take ``last`` (one sample per channel) as the sample before the next chunk, so a crossing
        on the next chunk's first sample needs ``last`` not beyond the threshold (a fresh stream
        takes 0). Locks the block onto ``last``'s channel count."""
        x = np.asarray(last, dtype=np.float64).reshape(-1)
        if self._n_channels is None:
            self.lock(Chunk(x[:, None], 0, self.sample_rate))
        if x.size != self._n_channels:
            raise InvalidDataError(f"continue_after needs {self._n_channels} samples (one per channel), "
                                   f"got {x.size}")
        self._prev[:] = self._sign * x

    def fused_state(self) -> CrossingState:
        """The arrays ``process`` advances in place, for a kernel that finds crossings inside a fused
        pass (``SpikeFrontEnd``) with exactly ``_crossings``'s arithmetic. Fixed thresholds only;
        call ``lock(chunk)`` first so they are allocated."""
        if self.running_rms_s is not None:
            raise InvalidParameterError("a running RMS has no fixed thresholds to fuse; use process()")
        return CrossingState(self._thr, self._sign, self._prev, self._lock, self.lockout)

    @property
    def thresholds(self) -> np.ndarray | None:
        """Fixed per-channel thresholds ``k * rms``, or None without a calibration."""
        return None if self.rms is None else self.k * self.rms

    def _checked_rms(self, rms: np.ndarray) -> np.ndarray:
        r = np.asarray(rms, dtype=np.float64).ravel()
        if r.size == 0 or not np.isfinite(r).all() or (r < 0).any():
            raise InvalidParameterError("rms must be one finite, non-negative value per channel")
        if self._n_channels is not None and r.size != self._n_channels:
            raise InvalidParameterError(
                f"rms has {r.size} values but the stream has {self._n_channels} channels"
            )
        return r

    def _allocate(self, n_channels: int) -> None:
        if self.rms is not None and self.rms.size != n_channels:
            raise InvalidDataError(
                f"ThresholdCrossings was calibrated on {self.rms.size} channels but the stream has "
                f"{n_channels}; calibrate on the same channels"
            )
        if self.rms is None and self.running_rms_s is None:
            raise NotFittedError(
                "ThresholdCrossings has no RMS: call calibrate(segment), pass rms=..., or set running_rms_s"
            )
        sign = -1.0 if self.k < 0 else 1.0
        self._prev = np.zeros(n_channels)
        self._lock = np.zeros(n_channels, dtype=np.int64)
        self._mean_sq = np.zeros(n_channels) if self.rms is None else self.rms.astype(np.float64) ** 2
        self._n_seen = 0 if self.rms is None else self._warmup  # a calibrated estimate needs no warm-up
        self._sign = sign
        self._thr = np.zeros(n_channels) if self.rms is None else self.k * self.rms

    def _reset_state(self) -> None:
        self._prev = np.zeros(0)

    def _process(self, chunk: Chunk, data: np.ndarray) -> Chunk:
        out = np.empty(data.shape, dtype=np.uint8)
        if self.running_rms_s is None:
            _crossings(data, self._thr, self._sign, self._prev, self._lock, self.lockout, out)
        else:
            _crossings_running(data, self.k, self._sign, self._mean_sq, self._n_seen, self._alpha_min,
                               self._warmup, self._prev, self._lock, self.lockout, out)
            self._n_seen += data.shape[1]
        return chunk.derive(out)


def crossing_events(crossings: Chunk | np.ndarray,
                    start_sample: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(sample_index, channel)`` of every event in a crossings chunk or array, sorted by time.

    Sample indices are absolute stream positions for a Chunk (its ``start_sample`` added), else
    relative to ``start_sample`` (default 0).
    """
    if isinstance(crossings, Chunk):
        data = crossings.data
        offset = crossings.start_sample if start_sample is None else start_sample
    else:
        data = np.asarray(crossings)
        offset = 0 if start_sample is None else start_sample
    if data.ndim != 2:
        raise InvalidDataError(f"crossings must be 2-D (n_channels, n_samples), got shape {data.shape}")
    samples, channels = np.nonzero(data.T)
    return samples.astype(np.int64) + int(offset), channels.astype(np.int64)


class SelfCalibratingCrossings(Block):
    """Crossings of ``k`` x the noise of the stream's own first ``calibration_s`` seconds.

    The noise (``estimator``, see ``cortexlink.dsp.noise``) is measured on the first
    ``calibration_s`` of the stream, which carries no crossings (zeros); from the next sample on the
    thresholds stay fixed, as in BRAND's threshold node. The switch happens at the same sample
    whatever the chunking, inside a chunk if it falls there, so streamed output equals ``apply``;
    the last calibration sample is the one before the first that may cross. ``reset`` starts a new
    stream and keeps thresholds already set.
    """

    def __init__(self, sample_rate: float, k: float = -4.5, lockout_ms: float = 1.0,
                 calibration_s: float = 1.0, estimator: Estimator = "mad") -> None:
        super().__init__(sample_rate)
        check_estimator(estimator)
        self.crossings = ThresholdCrossings(self.sample_rate, k=k, lockout_ms=lockout_ms)
        self.calibration_samples = samples_for(calibration_s, self.sample_rate, "calibration_s")
        self.estimator = estimator
        self._noise: NoiseEstimate | None = None

    @property
    def calibrated(self) -> bool:
        """Whether the thresholds are set."""
        return self.crossings.rms is not None

    @property
    def rms(self) -> np.ndarray | None:
        """The per-channel noise the thresholds were set from (None until then)."""
        return self.crossings.rms

    def _allocate(self, n_channels: int) -> None:
        if not self.calibrated:
            self._noise = NoiseEstimate(n_channels, self.calibration_samples, self.sample_rate,
                                        self.estimator)

    def _reset_state(self) -> None:
        self.crossings.reset()
        self._noise = None

    def _process(self, chunk: Chunk, data: np.ndarray) -> Chunk:
        if self._noise is None:
            return self.crossings.process_trusted(chunk)
        n = self._noise.needed
        rms = self._noise.add(data)
        out = np.zeros(data.shape, dtype=np.uint8)
        if rms is not None:
            self._noise = None
            self.crossings.set_rms(rms)
            self.crossings.continue_after(data[:, n - 1])
            if n < data.shape[1]:
                rest = chunk.derive(data[:, n:], chunk.start_sample + n)
                out[:, n:] = self.crossings.process_trusted(rest).data
        return chunk.derive(out)
