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
from cortexlink.dsp.reference import CommonAverageReference
from cortexlink.dsp.spike_band_power import SpikeBandPower
from cortexlink.dsp.threshold import ThresholdCrossings


@njit(cache=True, boundscheck=False, error_model="numpy")
def _reref_row(y: np.ndarray, ref: float, v: np.ndarray, acc: np.ndarray) -> None:
    """``v[c]``: the CAR block's float32 output for one sample of every channel, as float64;
    its square added to the channel's power sum ``acc[c]``."""
    for c in range(v.shape[0]):
        x = np.float64(np.float32(y[c] - ref))
        v[c] = x
        acc[c] += x * x


@njit(cache=True, boundscheck=False, error_model="numpy")
def _find_crossings(v, thr, sign, prev, lock_left, hits) -> int:
    """``hits[c]``: whether channel ``c`` crosses at this sample (``_crossings``'s test); returns
    how many do."""
    n = 0
    for c in range(v.shape[0]):
        th = sign * thr[c]
        hit = (lock_left[c] == 0) & (sign * v[c] > th) & (prev[c] <= th)
        hits[c] = hit
        n += hit
    return n


@njit(cache=True, boundscheck=False, error_model="numpy")
def _advance_crossings(v, sign, hits, lockout, prev, lock_left) -> None:
    """Carry the previous sample and the lockout past this sample, as ``_crossings`` does."""
    for c in range(v.shape[0]):
        lock_left[c] = lockout - 1 if hits[c] else max(lock_left[c] - 1, 0)
        prev[c] = sign * v[c]


@njit(cache=True, boundscheck=False, error_model="numpy")
def _car_crossings_power(y_tc, n_s, n_ch, used, ref, v, hits, thr, sign, prev, lock_left, lockout,
                         bin_acc, fill, bin_samples, crossings, power):
    """Re-reference the filtered chunk ``y_tc`` (float32, time-major: ``y_tc[t, c]``) to the mean of
    the ``used`` channels, mark threshold crossings and accumulate mean-square bins: per channel
    and sample the operations of ``_car_mean``, ``_crossings`` and ``bin_chunk`` (square, mean),
    a sample of every channel at a time so the loops run across channels. ``v`` (float64) and
    ``hits`` (uint8) are scratch of ``n_ch``, ``ref`` of ``n_s``. Returns the new bin fill."""
    for t in range(n_s):
        ref[t] = 0.0
    n_used = 0
    for c in range(n_ch):  # in channel order, as the CAR block sums
        if used[c]:
            n_used += 1
            for t in range(n_s):
                ref[t] += y_tc[t, c]
    for t in range(n_s):
        ref[t] /= n_used
    flat = crossings.reshape(-1)
    for i in range(flat.shape[0]):
        flat[i] = 0
    f = fill
    k = 0
    for t in range(n_s):
        _reref_row(y_tc[t], ref[t], v, bin_acc)
        if _find_crossings(v, thr, sign, prev, lock_left, hits):
            for c in range(n_ch):
                if hits[c]:
                    crossings[c, t] = 1
        _advance_crossings(v, sign, hits, lockout, prev, lock_left)
        f += 1
        if f == bin_samples:
            for c in range(n_ch):
                power[c, k] = bin_acc[c] / bin_samples
                bin_acc[c] = 0.0
            k += 1
            f = 0
    return f


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
        self._v = np.zeros(0)  # one sample of every channel, re-referenced
        self._hits = np.zeros(0, dtype=np.uint8)

    @property
    def fused(self) -> bool:
        """Whether CAR, crossings and power run as one pass (mean CAR and fixed thresholds)."""
        return self.car.mode == "mean" and self.crossings.running_rms_s is None

    @property
    def calibrated(self) -> bool:
        """Whether crossings can be counted: thresholds set, or a running estimate."""
        return self.crossings.rms is not None or self.crossings.running_rms_s is not None

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

    def referenced(self, chunk: Chunk) -> tuple[Chunk, Chunk]:
        """Consume one chunk before the thresholds are set: (the band-passed, re-referenced chunk, to
        measure the noise on; power bins it completed). Crossings are not looked for."""
        ref = self.car.process_trusted(self.bandpass.process(chunk))
        return ref, self.power.process_trusted(ref)

    def process(self, chunk: Chunk) -> tuple[Chunk, Chunk]:
        """Consume one chunk; return (crossings at the input rate, power bins it completed)."""
        if not self.fused:
            ref = self.car.process_trusted(self.bandpass.process(chunk))
            return self.crossings.process_trusted(ref), self.power.process_trusted(ref)
        rows = self.bandpass.process_time_major(chunk)  # checks the input, values included
        n_ch, n_s = chunk.data.shape
        for b in (self.car, self.crossings, self.power):
            if b.n_channels != n_ch:  # first chunk of a stream: lock on and allocate (or raise)
                b.lock(chunk)
        if self._v.shape[0] != n_ch:
            self._v = np.empty(n_ch)
            self._hits = np.empty(n_ch, dtype=np.uint8)
        tc, bins = self.crossings.fused_state(), self.power.bins
        crossings = np.empty((n_ch, n_s), dtype=np.uint8)
        power = bins.output_buffer(n_ch, n_s)
        bins.fill = _car_crossings_power(
            rows, n_s, n_ch, self.car.used, self.car.mean_buffer(n_s), self._v, self._hits, tc.thresholds,
            tc.sign, tc.previous, tc.lock_left, tc.lockout, bins.acc, bins.fill, bins.bin_samples, crossings,
            power,
        )
        return chunk.derive(crossings), bins.emit(chunk, power, self.power.output_rate)

    def apply(self, signal: Recording | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Process a whole recording (or array) as one fresh stream: (crossings, power) arrays."""
        data = input_array(signal, self.sample_rate, "SpikeFrontEnd")
        self.reset()
        crossings, power = self.process(Chunk(data, 0, self.sample_rate))
        return crossings.data, power.data
