"""``SpikeFrontEnd``: band-pass -> common average reference -> threshold crossings and spike band
power, the per-chunk work of an intracortical decoder's front end, in one call.

The four blocks are ordinary ``cortexlink.dsp`` blocks (``bandpass``, ``car``, ``crossings``,
``power``) and keep their own state. In the usual configuration (mean CAR, fixed thresholds,
power of the already band-passed signal) the last three run as one numba pass over the filtered
chunk instead of three: the re-referenced signal is never stored, and the input is validated once.
Each sample goes through exactly the arithmetic of the separate blocks, so the outputs are
identical to running them one after another, and chunk-invariant like them. Other configurations
(median CAR, running RMS) run the blocks one after another.

Every Chunk returned is a new array; nothing handed out is written again.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numba import njit

from cortexlink.core.chunk import Chunk
from cortexlink.core.recording import Recording
from cortexlink.dsp.block import input_array
from cortexlink.dsp.filters import ButterworthFilter
from cortexlink.dsp.reference import CommonAverageReference, column_means
from cortexlink.dsp.spike_band_power import SpikeBandPower
from cortexlink.dsp.threshold import ThresholdCrossings


@njit(cache=True, boundscheck=False, error_model="numpy")
def _car_crossings_power(x, used, ref, v, thr, sign, prev, lock_left, lockout, bin_acc, fill, bin_samples,
                         crossings, power):
    """Re-reference ``x`` (float32 (n_channels, n_samples)) to the mean of the ``used`` channels,
    mark threshold crossings and accumulate mean-square bins: per channel and sample the
    operations of ``_car_mean``, ``_crossings`` and ``bin_chunk`` (square, mean), in one pass.
    ``ref`` and ``v`` are scratch of at least ``n_samples``. Returns the new fill of the partial bin."""
    n_ch, n_s = x.shape
    column_means(x, used, ref)
    for c in range(n_ch):
        row = x[c]
        for t in range(n_s):
            v[t] = np.float32(row[t] - ref[t])  # exactly the CAR block's float32 output
        # crossings: most channels have none in a short chunk, which a branch-free scan shows
        p = prev[c]
        th = sign * thr[c]
        found = False
        if n_s:
            found = (sign * v[0] > th) and p <= th
        for t in range(1, n_s):
            found |= (sign * v[t] > th) & (sign * v[t - 1] <= th)
        left = lock_left[c]
        if found:
            for t in range(n_s):
                s = sign * v[t]
                hit = 0
                if left > 0:
                    left -= 1
                elif s > th and p <= th:
                    hit = 1
                    left = lockout - 1
                crossings[c, t] = hit
                p = s
        else:
            for t in range(n_s):
                crossings[c, t] = 0
            if n_s:
                p = sign * v[n_s - 1]
            left = max(left - n_s, 0)
        prev[c] = p
        lock_left[c] = left
        # spike band power: squares summed in time order, bins closed as they fill
        a = bin_acc[c]
        f = fill
        k = 0
        for t in range(n_s):
            a += v[t] * v[t]
            f += 1
            if f == bin_samples:
                power[c, k] = a / bin_samples
                k += 1
                a = 0.0
                f = 0
        bin_acc[c] = a
    return (fill + n_s) % bin_samples


class SpikeFrontEnd:
    """Crossings of ``k`` x RMS (uint8 per sample) and spike band power (float32 per ``bin_ms``) of
    the ``band``-passed, common-average-referenced signal.

    ``rms`` (per channel, of the filtered and re-referenced signal) or ``calibrate(segment)`` sets
    the thresholds; ``running_rms_s`` uses a running estimate instead (see ``ThresholdCrossings``).
    """

    def __init__(self, sample_rate: float, band: tuple[float, float] = (250.0, 5000.0), order: int = 2,
                 car_mode: Literal["mean", "median"] = "mean", exclude: np.ndarray | list[int] | None = None,
                 k: float = -4.5, lockout_ms: float = 1.0, rms: np.ndarray | None = None,
                 running_rms_s: float | None = None, bin_ms: float = 1.0) -> None:
        self.bandpass = ButterworthFilter(sample_rate, band[0], band[1], order=order)
        self.sample_rate = self.bandpass.sample_rate
        self.car = CommonAverageReference(self.sample_rate, car_mode, exclude)
        self.crossings = ThresholdCrossings(self.sample_rate, k=k, lockout_ms=lockout_ms, rms=rms,
                                            running_rms_s=running_rms_s)
        self.power = SpikeBandPower(self.sample_rate, band=None, bin_ms=bin_ms)
        self._scratch = np.zeros(0)

    @property
    def fused(self) -> bool:
        """Whether CAR, crossings and power run as one pass (mean CAR and fixed thresholds)."""
        return self.car.mode == "mean" and self.crossings.running_rms_s is None

    @property
    def power_rate(self) -> float:
        """Sample rate of the spike band power output (Hz)."""
        return self.power.output_rate

    def calibrate(self, signal: Recording | np.ndarray) -> np.ndarray:
        """Set the thresholds from a calibration segment (raw, as the stream will arrive): it is
        filtered and re-referenced first. Resets the stream state; returns the per-channel RMS."""
        data = input_array(signal, self.sample_rate, "SpikeFrontEnd.calibrate")
        rms = self.crossings.calibrate(self.car.apply(self.bandpass.apply(data)))
        self.reset()
        return rms

    def reset(self) -> None:
        """Start a new stream (thresholds are kept)."""
        for b in (self.bandpass, self.car, self.crossings, self.power):
            b.reset()

    def _samples(self, n_samples: int) -> np.ndarray:
        """Scratch for one channel's re-referenced samples, kept between chunks."""
        if self._scratch.shape[0] < n_samples:
            self._scratch = np.empty(max(n_samples, 64))
        return self._scratch

    def process(self, chunk: Chunk) -> tuple[Chunk, Chunk]:
        """Consume one chunk; return (crossings at the input rate, power bins it completed)."""
        filtered = self.bandpass.process(chunk)  # checks the input, values included
        if not self.fused:
            ref = self.car._process_trusted(filtered)
            return self.crossings._process_trusted(ref), self.power._process_trusted(ref)
        x = filtered.data
        n_ch, n_s = x.shape
        for b in (self.car, self.crossings, self.power):
            if b.n_channels != n_ch:  # first chunk of a stream: lock on and allocate (or raise)
                b._checked_data(filtered, check_values=False)
        tc, bins = self.crossings, self.power._bins
        crossings = np.empty((n_ch, n_s), dtype=np.uint8)
        power = bins.output_buffer(n_ch, n_s)
        bins.fill = _car_crossings_power(
            x, self.car._used, self.car.mean_buffer(n_s), self._samples(n_s), tc._thr, tc._sign, tc._prev,
            tc._lock, tc.lockout, bins.acc, bins.fill, bins.bin_samples, crossings, power,
        )
        return filtered.derive(crossings), bins.emit(chunk, power, self.power.output_rate)

    def apply(self, signal: Recording | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Process a whole recording (or array) as one fresh stream: (crossings, power) arrays."""
        data = input_array(signal, self.sample_rate, "SpikeFrontEnd")
        self.reset()
        crossings, power = self.process(Chunk(data, 0, self.sample_rate))
        return crossings.data, power.data
