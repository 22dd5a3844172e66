"""simulate(): recordings of any size and rate with complete ground truth; bad arguments refused."""

import numpy as np
import pytest

from cortexlink.core import Recording
from cortexlink.core.errors import InvalidParameterError
from cortexlink.sim import PopulationConfig, simulate


def test_result_is_an_int16_recording_with_truth():
    result = simulate(12, 0.5, seed=1, gain_uv=0.5)
    rec, truth = result.recording, result.truth
    assert isinstance(rec, Recording)
    assert rec.data.dtype == np.int16 and rec.data.shape == (12, 15000)
    assert rec.gain_uv == 0.5 and rec.sample_rate == 30000.0 and rec.site == "0"
    assert truth.spike_samples.dtype == np.int64 and truth.spike_units.dtype == np.int32
    assert np.all(np.diff(truth.spike_samples) >= 0)
    assert np.all(truth.spike_samples < 15000)
    assert truth.velocity.shape == (2, 500)
    assert truth.velocity_times[1] == pytest.approx(1e-3)
    assert truth.noise_rms_uv.shape == (12,) and np.all(truth.spike_band_noise_rms_uv < truth.noise_rms_uv)
    assert truth.target_positions.shape[1] == 2 and truth.target_times.size >= 1
    summary = result.summary()
    assert summary["units"] == truth.n_units and summary["spikes"] == truth.spike_samples.size


def test_spikes_are_visible_at_their_troughs():
    """The recording dips at ground-truth spike times of large units."""
    result = simulate(8, 2.0, seed=2, amplitude_range_uv=(150.0, 300.0), lfp=False)
    truth = result.truth
    uv = result.recording.microvolts()
    ch = truth.unit_channels[truth.spike_units]
    at_spike = uv[ch, truth.spike_samples]
    assert np.median(at_spike) < -100


@pytest.mark.parametrize("rate", [1000.0, 7500.0, 44100.0])
def test_any_sample_rate(rate):
    result = simulate(3, 0.5, sample_rate=rate, seed=0)
    assert result.recording.sample_rate == rate
    assert result.recording.n_samples == int(round(0.5 * rate))
    assert result.truth.spike_samples.size > 0


def test_one_channel_and_more_than_1024():
    assert simulate(1, 0.05, seed=0).recording.n_channels == 1
    big = simulate(1100, 0.01, seed=0)
    assert big.recording.data.shape == (1100, 300)
    assert big.truth.unit_channels.max() < 1100


def test_background_level_matches_truth():
    """Without units and LFP, the measured RMS is the truth's expected noise RMS."""
    result = simulate(6, 4.0, seed=3, task=None, unit_count_probs=(1.0,), lfp=False)
    measured = result.recording.microvolts().std(axis=1)
    np.testing.assert_allclose(measured, result.truth.noise_rms_uv, rtol=0.1)


def test_recording_too_large_for_memory_is_refused_before_work():
    with pytest.raises(InvalidParameterError, match="do not fit in memory.*stream"):
        simulate(1024, 3600.0 * 24 * 30)


def test_config_object_accepted():
    cfg = PopulationConfig(n_channels=5, sample_rate=20000.0)
    result = simulate(config=cfg, seconds=0.1)
    assert result.recording.data.shape == (5, 2000)


@pytest.mark.parametrize("kwargs, words", [
    ({"n_channels": 0}, "n_channels"),
    ({"seconds": 0}, "seconds"),
    ({"seconds": -1}, "seconds"),
    ({"sample_rate": 0}, "sample_rate"),
    ({"sample_rate": -1000}, "sample_rate"),
    ({"seconds": 1e-6}, "less than one sample"),
    ({"seed": -2}, "seed"),
    ({"task": "dance"}, "unknown task"),
    ({"bogus": 3}, "bogus"),
])
def test_bad_arguments(kwargs, words):
    with pytest.raises(InvalidParameterError, match=words):
        simulate(**{"n_channels": 2, "seconds": 0.01, **kwargs})
