"""``PopulationConfig``: every knob of a simulated motor-cortex implant, checked on construction."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import Any

from cortexlink.core.errors import InvalidParameterError
from cortexlink.core.validation import check_sample_rate


@dataclass(frozen=True)
class PopulationConfig:
    """One implant: electrodes, the units they record, the background and the ADC.

    Rates are in Hz, amplitudes in microvolts, times in ms unless the name says otherwise.
    Velocities are in workspace units per second (cm/s); ``max_speed`` is the speed at which a
    unit's cosine tuning reaches its full ``modulation_depth`` (a fraction of its baseline).
    ``unit_count_probs[k]`` is the probability that an electrode records exactly ``k`` units.
    Each electrode's multi-unit hash (``mua_*``: small spikes of distant neurons) is tuned too,
    towards the mean preferred direction of its units, up to ``mua_modulation_depth``.
    """

    n_channels: int = 96
    sample_rate: float = 30000.0
    gain_uv: float = 0.25
    # units and their tuning
    unit_count_probs: tuple[float, ...] = (0.25, 0.45, 0.2, 0.1)
    baseline_rate_range: tuple[float, float] = (5.0, 50.0)
    modulation_depth_range: tuple[float, float] = (0.2, 0.9)
    max_speed: float = 20.0
    refractory_ms: float = 2.0
    # waveforms
    amplitude_range_uv: tuple[float, float] = (30.0, 300.0)
    waveform_width_ms_range: tuple[float, float] = (0.8, 1.5)
    triphasic_fraction: float = 0.3
    spread_fraction: float = 0.1
    # background
    thermal_noise_uv: float = 5.0
    noise_spread: float = 0.2
    pink_noise_uv: float = 6.0
    mua_rate_hz: float = 300.0
    mua_amplitude_uv: float = 12.0
    mua_modulation_depth: float = 0.3
    lfp: bool = True
    lfp_amplitude_uv: float = 40.0
    # behaviour sampling
    control_rate: float = 1000.0

    def __post_init__(self) -> None:
        if not isinstance(self.n_channels, int | float) or int(self.n_channels) != self.n_channels \
                or int(self.n_channels) < 1:
            raise InvalidParameterError(
                f"n_channels must be a whole number of at least 1, got {self.n_channels!r}"
            )
        object.__setattr__(self, "n_channels", int(self.n_channels))
        object.__setattr__(self, "sample_rate", check_sample_rate(self.sample_rate))
        object.__setattr__(self, "control_rate", check_sample_rate(self.control_rate, "control_rate"))
        for name in ("gain_uv", "max_speed"):
            _positive(self, name)
        for name in ("refractory_ms", "thermal_noise_uv", "pink_noise_uv", "mua_rate_hz",
                     "mua_amplitude_uv", "lfp_amplitude_uv"):
            _non_negative(self, name)
        for name in ("triphasic_fraction", "spread_fraction", "noise_spread", "mua_modulation_depth"):
            value = _non_negative(self, name)
            if value > 1:
                raise InvalidParameterError(f"{name} must lie in [0, 1], got {value!r}")
        _range(self, "baseline_rate_range", lower=0.0)
        _range(self, "modulation_depth_range", lower=0.0, upper=1.0)
        _range(self, "amplitude_range_uv", lower=0.0, strictly=True)
        _range(self, "waveform_width_ms_range", lower=0.0, strictly=True)
        probs = tuple(float(p) for p in self.unit_count_probs)
        if not probs or any(not math.isfinite(p) or p < 0 for p in probs) or not math.isclose(sum(probs), 1.0,
                                                                                            abs_tol=1e-6):
            raise InvalidParameterError(
                f"unit_count_probs must be non-negative probabilities of 0, 1, 2, ... units per "
                f"electrode summing to 1, got {self.unit_count_probs!r}"
            )
        object.__setattr__(self, "unit_count_probs", probs)
        max_rate = self.baseline_rate_range[1] * (1 + self.modulation_depth_range[1])
        if self.refractory_ms * 1e-3 * max_rate >= 0.9:
            raise InvalidParameterError(
                f"a refractory period of {self.refractory_ms} ms cannot sustain rates up to {max_rate:g} Hz; "
                "shorten refractory_ms or lower baseline_rate_range / modulation_depth_range"
            )
        object.__setattr__(self, "lfp", bool(self.lfp))

    @property
    def control_period_samples(self) -> int:
        """Samples per control period: the behaviour and firing rates change once per period."""
        return max(1, int(round(self.sample_rate / self.control_rate)))

    @property
    def refractory_samples(self) -> int:
        """The refractory period in whole samples (at least 1: one spike per sample at most)."""
        return max(1, int(math.ceil(self.refractory_ms * 1e-3 * self.sample_rate - 1e-9)))

    def with_changes(self, **changes: Any) -> PopulationConfig:
        """A copy with some fields changed (checked again)."""
        unknown = set(changes) - {f.name for f in fields(self)}
        if unknown:
            raise InvalidParameterError(
                f"unknown simulator parameter(s) {sorted(unknown)}; "
                f"known: {sorted(f.name for f in fields(self))}"
            )
        return replace(self, **changes)


def _number(config: PopulationConfig, name: str) -> float:
    value = getattr(config, name)
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(v):
        raise InvalidParameterError(f"{name} must be finite, got {value!r}")
    object.__setattr__(config, name, v)
    return v


def _positive(config: PopulationConfig, name: str) -> float:
    v = _number(config, name)
    if v <= 0:
        raise InvalidParameterError(f"{name} must be positive, got {v!r}")
    return v


def _non_negative(config: PopulationConfig, name: str) -> float:
    v = _number(config, name)
    if v < 0:
        raise InvalidParameterError(f"{name} must not be negative, got {v!r}")
    return v


def _range(config: PopulationConfig, name: str, lower: float, upper: float = math.inf,
           strictly: bool = False) -> None:
    value = getattr(config, name)
    try:
        lo, hi = (float(x) for x in value)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"{name} must be a (low, high) pair of numbers, got {value!r}") from None
    bad_low = lo <= lower if strictly else lo < lower
    if not (math.isfinite(lo) and math.isfinite(hi)) or bad_low or hi < lo or hi > upper:
        bound = f"({lower:g}, {upper:g}]" if strictly else f"[{lower:g}, {upper:g}]"
        raise InvalidParameterError(f"{name} must be a (low, high) pair with low <= high within {bound}, "
                                    f"got {value!r}")
    object.__setattr__(config, name, (lo, hi))
