"""Seizure episodes: rhythmic spike-and-wave discharges that slow down and grow, added to a site.

A discharge starts at ``start_hz`` and slows linearly to ``end_hz`` (both within 3-20 Hz); each
cycle is a sharp negative spike followed by a slow positive wave. Its amplitude grows from zero
to ``amplitude_uv`` over most of the episode and falls quickly at the end, and the units fire
faster while it lasts. Everything is a closed-form function of time, so chunking cannot change it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cortexlink.core.errors import InvalidParameterError


@dataclass
class SeizureEpisode:
    """One episode at one site, as a ``SignalSource`` for its ``MotorSimulator``."""

    onset_s: float
    duration_s: float
    sample_rate: float
    channel_weights: np.ndarray        # (n_channels,) how strongly each electrode sees it
    period_samples: int = 30
    start_hz: float = 14.0
    end_hz: float = 4.0
    amplitude_uv: float = 500.0
    rate_boost: float = 1.5            # unit rates x (1 + rate_boost * envelope)

    def __post_init__(self) -> None:
        for name in ("start_hz", "end_hz"):
            f = getattr(self, name)
            if not 3.0 <= f <= 20.0:
                raise InvalidParameterError(f"seizure {name} must lie within 3-20 Hz, got {f!r}")
        if not self.duration_s > 0:
            raise InvalidParameterError(f"seizure duration must be positive, got {self.duration_s!r} s")
        if not self.onset_s >= 0:
            raise InvalidParameterError(f"seizure onset must not be negative, got {self.onset_s!r} s")

    @property
    def offset_s(self) -> float:
        return self.onset_s + self.duration_s

    def envelope(self, t: np.ndarray) -> np.ndarray:
        """Amplitude (0..1) at times ``t`` (s): grows over 80% of the episode, ends in 5%."""
        tau = (t - self.onset_s) / self.duration_s
        rise = np.clip(tau / 0.8, 0.0, 1.0) ** 1.5
        fall = np.clip((1.0 - tau) / 0.05, 0.0, 1.0)
        return np.where((tau >= 0) & (tau < 1), rise * fall, 0.0)

    def frequency(self, t: np.ndarray) -> np.ndarray:
        """Discharge rate (Hz) at times ``t`` within the episode."""
        tau = np.clip((t - self.onset_s) / self.duration_s, 0.0, 1.0)
        return self.start_hz + (self.end_hz - self.start_hz) * tau

    def waveform(self, t: np.ndarray) -> np.ndarray:
        """The discharge in uV (before per-channel weights) at times ``t``."""
        tau = t - self.onset_s
        cycles = self.start_hz * tau + (self.end_hz - self.start_hz) * tau * tau / (2 * self.duration_s)
        u = cycles - np.floor(cycles)
        spike = -np.exp(-0.5 * ((u - 0.12) / 0.035) ** 2)
        wave = 0.45 * np.exp(-0.5 * ((u - 0.5) / 0.14) ** 2)
        return self.amplitude_uv * self.envelope(t) * (spike + wave)

    def rate_gain(self, start_period: int, n_periods: int) -> np.ndarray | None:
        t0 = start_period * self.period_samples / self.sample_rate
        t1 = (start_period + n_periods) * self.period_samples / self.sample_rate
        if t1 <= self.onset_s or t0 >= self.offset_s:
            return None
        mid = (start_period + np.arange(n_periods) + 0.5) * self.period_samples / self.sample_rate
        return 1.0 + self.rate_boost * self.envelope(mid)

    def render(self, start_sample: int, signal_uv: np.ndarray) -> None:
        n = signal_uv.shape[1]
        a = max(start_sample, int(np.floor(self.onset_s * self.sample_rate)))
        b = min(start_sample + n, int(np.ceil(self.offset_s * self.sample_rate)))
        if b <= a:
            return
        t = np.arange(a, b) / self.sample_rate
        w = self.waveform(t).astype(np.float32)
        weights = self.channel_weights.astype(np.float32)[:, None]
        signal_uv[:, a - start_sample:b - start_sample] += weights * w
