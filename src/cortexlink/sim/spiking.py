"""``DeadTimePoisson``: independent spike trains with a dead time, driven by per-period rates.

Used for the units (dead time = refractory period) and for each electrode's multi-unit hash.
The state lives here between blocks, so any grouping of whole control periods gives the same
spikes.
"""

from __future__ import annotations

import numpy as np

from cortexlink.sim import kernels


class DeadTimePoisson:
    """``n`` point processes whose random numbers come from ``key``; rate compensation makes the
    mean rate equal the asked rate despite the ``dead_samples`` after each event."""

    def __init__(self, n: int, key: np.uint64, sample_rate: float, dead_samples: int) -> None:
        self.n = int(n)
        self.key = key
        self.sample_rate = float(sample_rate)
        self.dead_samples = max(1, int(dead_samples))
        self._hazard = np.zeros(self.n)
        self._threshold = kernels.exponential_draws(key, self.n, 0)
        self._resume = np.zeros(self.n, dtype=np.int64)
        self._counter = np.zeros(self.n, dtype=np.int64)

    def hazard_per_sample(self, rates_hz: np.ndarray) -> np.ndarray:
        """Per-sample hazard giving a mean interval of 1 / rate with the dead time (capped so
        that the dead time takes at most 95% of the time)."""
        fs = self.sample_rate
        dead = self.dead_samples - 0.5
        rates = np.minimum(rates_hz, 0.95 * fs / max(dead, 1.0))
        return rates / np.maximum(fs - rates * dead, 1e-9)

    def onsets(self, rates_hz: np.ndarray, period_samples: int, start: int,
               sort: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Event samples and process ids for rates ``(n, n_periods)`` from sample ``start``
        (a period boundary), sorted by time then id (or by id then time if not ``sort``)."""
        n_periods = rates_hz.shape[1]
        cap = self.n * (n_periods * period_samples // self.dead_samples + 2)
        onsets = np.empty(cap, dtype=np.int64)
        ids = np.empty(cap, dtype=np.int32)
        m = kernels.unit_spike_onsets(self.hazard_per_sample(rates_hz), period_samples, start, self.key,
                                      self._hazard, self._threshold, self._resume, self._counter,
                                      self.dead_samples, onsets, ids)
        onsets, ids = onsets[:m], ids[:m]
        if not sort:
            return onsets, ids
        order = np.lexsort((ids, onsets))
        return onsets[order], ids[order]
