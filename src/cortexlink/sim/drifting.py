"""A long session at the level of binned spike counts: tuned channels that drift and fail.

Hours of 30 kHz signal are too slow to simulate for a decoder-adaptation study, and the decoder
only sees binned counts anyway. ``DriftingPopulation`` makes those counts directly: each channel
has a cosine-tuned rate ``b + m * max(0, ...)``, counted as Poisson spikes per bin, and over the
session (all of it a function of time and seed, so results do not depend on how it is stepped):

- rate baseline shifts: each channel's baseline follows a slow random walk in log space
  (``baseline_walk`` is its SD per sqrt(hour));
- amplitude decay: spikes shrink, so fewer cross threshold: counts are thinned by a detection
  probability falling linearly to ``final_detection`` on the channels that decay;
- unit turnover: at ``turnover_per_hour`` per channel a channel's unit is replaced by a new
  one (new baseline, depth and preferred direction);
- electrode faults at scheduled times: ``dead`` channels count nothing, ``noisy`` ones count
  untuned noise at a high rate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cortexlink.core.errors import InvalidParameterError

BINNED_FAULT_KINDS = ("dead", "noisy")


@dataclass(frozen=True)
class DriftConfig:
    """How the population changes over the session (see the module docstring)."""

    baseline_walk: float = 0.6          # SD of log baseline per sqrt(hour)
    decaying_fraction: float = 0.3      # channels whose spikes shrink
    final_detection: float = 0.3        # detection probability those reach at ``decay_s``
    decay_s: float = 1800.0
    turnover_per_hour: float = 0.3      # unit replacements per channel per hour
    faults: tuple[tuple[str, int, float], ...] = ()  # (kind, channel, start_s)

    def __post_init__(self) -> None:
        if self.baseline_walk < 0 or self.turnover_per_hour < 0 or not 0 <= self.decaying_fraction <= 1:
            raise InvalidParameterError(
                "baseline_walk and turnover_per_hour must be >= 0 and decaying_fraction within [0, 1]")
        if not 0 <= self.final_detection <= 1 or not self.decay_s > 0:
            raise InvalidParameterError("final_detection must lie in [0, 1] and decay_s be positive")
        for kind, channel, start in self.faults:
            if kind not in BINNED_FAULT_KINDS or int(channel) < 0 or not start >= 0:
                raise InvalidParameterError(
                    f"a fault is (kind in {BINNED_FAULT_KINDS}, channel >= 0, start_s >= 0), "
                    f"got {(kind, channel, start)}"
                )


    @classmethod
    def for_session(cls, duration_s: float, faults: tuple[tuple[str, int, float], ...] = (),
                    turnover: float = 1.0, baseline_sd: float = 0.45) -> DriftConfig:
        """The long-session scenario's drift, scaled to the session so that any length sees the same
        amount of change by its end: on average ``turnover`` unit replacements per channel
        (1: about 63% of the units are new by the end), log baselines that have wandered
        ``baseline_sd``, and decaying channels at ``final_detection``: days of change in one session."""
        if not duration_s > 0:
            raise InvalidParameterError(f"duration_s must be positive, got {duration_s}")
        hours = duration_s / 3600.0
        return cls(baseline_walk=baseline_sd / np.sqrt(hours), decay_s=duration_s,
                   turnover_per_hour=turnover / hours, faults=faults)


@dataclass
class _Units:
    baseline: np.ndarray   # Hz at rest
    depth: np.ndarray      # Hz of modulation at max_speed along the preferred direction
    direction: np.ndarray  # (n, 2) unit vectors


class DriftingPopulation:
    """Spike counts of ``n_channels`` tuned channels in bins of ``bin_s``; call ``counts`` with
    the intended velocity of each consecutive bin."""

    def __init__(self, n_channels: int = 96, bin_s: float = 0.02, max_speed: float = 20.0,
                 drift: DriftConfig | None = None, seed: int = 0, noisy_rate_hz: float = 150.0) -> None:
        if int(n_channels) < 1 or not bin_s > 0 or not max_speed > 0:
            raise InvalidParameterError("need n_channels >= 1, bin_s > 0 and max_speed > 0")
        self.n, self.bin_s, self.max_speed = int(n_channels), float(bin_s), float(max_speed)
        self.drift = drift or DriftConfig()
        if any(c >= self.n for _, c, _ in self.drift.faults):
            raise InvalidParameterError(f"a fault names a channel outside 0..{self.n - 1}")
        self.noisy_rate_hz = float(noisy_rate_hz)
        self._rng = np.random.default_rng(seed)
        self.units = self._new_units(self.n)
        self._log_shift = np.zeros(self.n)
        self._decays = self._rng.random(self.n) < self.drift.decaying_fraction
        self.bin_index = 0

    def _new_units(self, n: int) -> _Units:
        r = self._rng
        angle = r.uniform(0, 2 * np.pi, n)
        return _Units(r.uniform(5.0, 40.0, n), r.uniform(10.0, 40.0, n),
                      np.stack([np.cos(angle), np.sin(angle)], axis=1))

    @property
    def time_s(self) -> float:
        return self.bin_index * self.bin_s

    def detection(self, t: float) -> np.ndarray:
        """Probability that a spike of each channel is detected at time ``t`` (s)."""
        d = self.drift
        fall = 1.0 + (d.final_detection - 1.0) * min(t / d.decay_s, 1.0)
        return np.where(self._decays, fall, 1.0)

    def counts(self, velocity: np.ndarray) -> np.ndarray:
        """Counts ``(n_channels, n_bins)`` for intended velocities ``(2, n_bins)`` of the next bins."""
        v = np.asarray(velocity, dtype=np.float64).reshape(2, -1)
        out = np.empty((self.n, v.shape[1]))
        hours_per_bin = self.bin_s / 3600.0
        for k in range(v.shape[1]):
            self._evolve(hours_per_bin)
            u = self.units
            drive = (u.direction @ v[:, k]) / self.max_speed
            rate = np.maximum(u.baseline * np.exp(self._log_shift) + u.depth * drive, 0.0)
            out[:, k] = self._rng.poisson(rate * self.bin_s * self.detection(self.time_s))  # thinned Poisson
            self._faults(out[:, k])
            self.bin_index += 1
        return out

    def _evolve(self, hours: float) -> None:
        d = self.drift
        self._log_shift += self._rng.normal(0.0, d.baseline_walk * np.sqrt(hours), self.n)
        swapped = np.flatnonzero(self._rng.random(self.n) < d.turnover_per_hour * hours)
        if swapped.size:
            new = self._new_units(swapped.size)
            self.units.baseline[swapped] = new.baseline
            self.units.depth[swapped] = new.depth
            self.units.direction[swapped] = new.direction
            self._log_shift[swapped] = 0.0

    def _faults(self, column: np.ndarray) -> None:
        for kind, channel, start in self.drift.faults:
            if self.time_s >= start:
                noise = self._rng.poisson(self.noisy_rate_hz * self.bin_s)
                column[channel] = 0.0 if kind == "dead" else noise

    def faulty_channels(self, t: float | None = None) -> np.ndarray:
        """Channels whose fault has started by ``t`` (default: now)."""
        t = self.time_s if t is None else t
        return np.array(sorted({c for _, c, s in self.drift.faults if s <= t}), dtype=np.int64)


def scheduled_faults(n_channels: int, duration_s: float, n_faults: int, seed: int = 0,
                     kinds: tuple[str, ...] = BINNED_FAULT_KINDS) -> tuple[tuple[str, int, float], ...]:
    """``n_faults`` faults on distinct random channels at random times in the middle of the session."""
    rng = np.random.default_rng(seed)
    channels = rng.choice(n_channels, size=min(n_faults, n_channels), replace=False)
    times = np.sort(rng.uniform(0.2 * duration_s, 0.8 * duration_s, channels.size))
    pairs = zip(channels, times, strict=True)
    return tuple((kinds[i % len(kinds)], int(c), float(t)) for i, (c, t) in enumerate(pairs))

