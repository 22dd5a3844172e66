"""PopulationConfig refuses bad parameters with messages that say what to change."""

import pytest

from cortexlink.core.errors import InvalidParameterError
from cortexlink.sim import PopulationConfig


@pytest.mark.parametrize("changes, words", [
    ({"n_channels": 0}, "n_channels"),
    ({"n_channels": -3}, "n_channels"),
    ({"n_channels": 2.5}, "n_channels"),
    ({"sample_rate": 0}, "sample_rate"),
    ({"sample_rate": -30000.0}, "sample_rate"),
    ({"sample_rate": float("nan")}, "sample_rate"),
    ({"gain_uv": 0}, "gain_uv"),
    ({"refractory_ms": -1}, "refractory_ms"),
    ({"thermal_noise_uv": float("inf")}, "thermal_noise_uv"),
    ({"baseline_rate_range": (50, 5)}, "baseline_rate_range"),
    ({"baseline_rate_range": (-1, 5)}, "baseline_rate_range"),
    ({"modulation_depth_range": (0.5, 1.5)}, "modulation_depth_range"),
    ({"amplitude_range_uv": (0, 100)}, "amplitude_range_uv"),
    ({"unit_count_probs": (0.5, 0.2)}, "unit_count_probs"),
    ({"spread_fraction": 2}, "spread_fraction"),
    ({"refractory_ms": 20.0}, "refractory"),
    ({"control_rate": 0}, "control_rate"),
])
def test_bad_parameters_raise(changes, words):
    with pytest.raises(InvalidParameterError, match=words):
        PopulationConfig(**changes)


def test_unknown_field_is_named():
    with pytest.raises(InvalidParameterError, match="unknown simulator parameter.*bogus"):
        PopulationConfig().with_changes(bogus=1)


def test_control_period_and_refractory_in_samples():
    cfg = PopulationConfig(sample_rate=30000.0, refractory_ms=2.0)
    assert cfg.control_period_samples == 30
    assert cfg.refractory_samples == 60
    low = PopulationConfig(sample_rate=500.0, refractory_ms=1.0)
    assert low.control_period_samples == 1
    assert low.refractory_samples == 1
