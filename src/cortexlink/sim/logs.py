"""Append-only logs of what an endless simulator generated: spikes and velocities.

A stream appends a little every millisecond for hours, so appends are O(1) amortised, reading
the recent past touches only recent blocks, and old spikes can be dropped cheaply.
"""

from __future__ import annotations

import numpy as np

_MERGE_EVERY = 1024     # blocks appended before older ones are merged into one
_KEEP_UNMERGED = 64     # most recent blocks left as they are (cheap to read back)


class SpikeLog:
    """Spike samples (int64, non-decreasing across appends) and units (int32), in blocks."""

    def __init__(self) -> None:
        self._samples: list[np.ndarray] = []
        self._units: list[np.ndarray] = []

    def append(self, samples: np.ndarray, units: np.ndarray) -> None:
        if samples.size == 0:
            return
        self._samples.append(samples)
        self._units.append(units)
        if len(self._samples) >= _MERGE_EVERY:
            cut = len(self._samples) - _KEEP_UNMERGED
            self._samples[:cut] = [np.concatenate(self._samples[:cut])]
            self._units[:cut] = [np.concatenate(self._units[:cut])]

    def since(self, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
        """Spikes with ``start <= sample < stop``, reading only the blocks that can hold them."""
        k = len(self._samples)
        while k > 0 and self._samples[k - 1][0] >= start:
            k -= 1
        first = max(k - 1, 0)
        if first >= len(self._samples):
            return np.zeros(0, np.int64), np.zeros(0, np.int32)
        samples = np.concatenate(self._samples[first:])
        units = np.concatenate(self._units[first:])
        sel = (samples >= start) & (samples < stop)
        return samples[sel], units[sel]

    def forget_before(self, sample: int) -> None:
        """Drop every spike before ``sample``."""
        k = 0
        while k < len(self._samples) and self._samples[k][-1] < sample:
            k += 1
        del self._samples[:k]
        del self._units[:k]
        if self._samples and self._samples[0][0] < sample:
            cut = int(np.searchsorted(self._samples[0], sample))
            self._samples[0] = self._samples[0][cut:].copy()
            self._units[0] = self._units[0][cut:].copy()


class VelocityLog:
    """A growing ``(2, n)`` float64 array of the velocity used in each control period."""

    def __init__(self) -> None:
        self._data = np.zeros((2, 1024))
        self._n = 0

    def append(self, velocity: np.ndarray) -> None:
        k = velocity.shape[1]
        if self._n + k > self._data.shape[1]:
            grown = np.zeros((2, max(2 * self._data.shape[1], self._n + k)))
            grown[:, :self._n] = self._data[:, :self._n]
            self._data = grown
        self._data[:, self._n:self._n + k] = velocity
        self._n += k

    def first(self, n: int) -> np.ndarray:
        """A copy of the first ``n`` periods' velocities."""
        return self._data[:, :min(n, self._n)].copy()
