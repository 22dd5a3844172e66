"""What the simulator knows and a real recording never tells: ``GroundTruth`` and ``SimResult``."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from cortexlink.core.recording import Recording


@dataclass
class GroundTruth:
    """Spikes, units, behaviour and noise behind one simulated recording.

    Spike times are sample indices of each waveform's trough (``templates_uv[u]`` has its trough
    at ``trough_index``), sorted by time then unit. Velocity is given once per control period:
    ``velocity[:, k]`` holds during samples ``[k * control_period_samples, (k + 1) * ...)``;
    ``velocity_times`` are those periods' start times in seconds. Targets are listed as they
    were shown: ``target_times`` (s) and ``target_positions`` ``(n, 2)`` in cm.
    ``noise_rms_uv`` is the expected RMS of the background (thermal + pink + multi-unit hash, no
    LFP, no units); ``spike_band_noise_rms_uv`` the same inside 300-6000 Hz.
    """

    sample_rate: float
    spike_samples: np.ndarray            # int64
    spike_units: np.ndarray              # int32
    unit_channels: np.ndarray            # int32, each unit's own electrode
    templates_uv: np.ndarray             # (n_units, L) float, on the unit's own electrode
    trough_index: int
    footprint_units: np.ndarray          # (unit, channel, scale) triples: every electrode a unit
    footprint_channels: np.ndarray       # shows on, at what fraction of its template
    footprint_scales: np.ndarray
    baseline_rates_hz: np.ndarray
    preferred_directions: np.ndarray     # radians
    modulation_depths: np.ndarray        # fraction of baseline at max_speed
    max_speed: float
    refractory_samples: int
    control_period_samples: int
    velocity: np.ndarray                 # (2, n_periods) cm/s
    target_times: np.ndarray
    target_positions: np.ndarray         # (n, 2) cm
    noise_rms_uv: np.ndarray             # (n_channels,)
    spike_band_noise_rms_uv: np.ndarray  # (n_channels,)
    n_samples: int = 0
    mua_rate_hz: float = 0.0                                  # the hash: events per second per
    mua_preferred_directions: np.ndarray | None = None        # electrode, its tuning (radians)
    mua_modulation_depths: np.ndarray | None = None
    extra: dict = field(default_factory=dict)

    @property
    def n_units(self) -> int:
        return int(self.unit_channels.shape[0])

    @property
    def spike_times(self) -> np.ndarray:
        """Spike times in seconds."""
        return self.spike_samples / self.sample_rate

    @property
    def velocity_rate(self) -> float:
        """Velocity samples per second."""
        return self.sample_rate / self.control_period_samples

    @property
    def velocity_times(self) -> np.ndarray:
        return np.arange(self.velocity.shape[1]) * (self.control_period_samples / self.sample_rate)

    @property
    def peak_amplitudes_uv(self) -> np.ndarray:
        """Each unit's trough depth on its own electrode (positive uV)."""
        return -self.templates_uv.min(axis=1)

    def spikes_of(self, unit: int) -> np.ndarray:
        """Spike samples of one unit."""
        return self.spike_samples[self.spike_units == unit]

    def spike_counts(self) -> np.ndarray:
        """Spikes per unit."""
        return np.bincount(self.spike_units, minlength=self.n_units)

    def template_on(self, unit: int, channel: int) -> np.ndarray:
        """The unit's template on ``channel`` in uV (zeros where it does not show)."""
        sel = (self.footprint_units == unit) & (self.footprint_channels == channel)
        scale = float(self.footprint_scales[sel].sum())
        return self.templates_uv[unit] * scale

    def velocity_at_samples(self, samples: np.ndarray) -> np.ndarray:
        """Velocity ``(2, len(samples))`` in force at the given sample indices."""
        k = np.clip(np.asarray(samples) // self.control_period_samples, 0, self.velocity.shape[1] - 1)
        return self.velocity[:, k]


@dataclass
class SimResult:
    """A simulated recording (int16 counts, ``gain_uv`` set) and its ground truth."""

    recording: Recording
    truth: GroundTruth

    def summary(self) -> dict:
        """Units, spikes and mean rate, for printing."""
        t = self.truth
        duration = self.recording.duration
        n_spikes = int(t.spike_samples.shape[0])
        return {
            "site": self.recording.site,
            "channels": self.recording.n_channels,
            "seconds": duration,
            "units": t.n_units,
            "spikes": n_spikes,
            "mean_rate_hz": n_spikes / max(t.n_units, 1) / duration if duration else 0.0,
        }
