"""SeizureEpisode: 3-20 Hz discharges that grow, as a closed-form function of time."""

import numpy as np
import pytest

from cortexlink.core.errors import InvalidParameterError
from cortexlink.sim import SeizureEpisode


def _episode(**kw):
    base = dict(onset_s=1.0, duration_s=10.0, sample_rate=1000.0, channel_weights=np.ones(2),
                period_samples=1)
    return SeizureEpisode(**{**base, **kw})


def test_discharge_rhythm_slows_within_3_to_20_hz_and_grows():
    ep = _episode(start_hz=15.0, end_hz=4.0)
    t = np.arange(0, 12.0, 1e-3)
    w = ep.waveform(t)
    assert np.all(w[t < 1.0] == 0) and np.all(w[t >= 11.0] == 0)
    spikes = np.flatnonzero((w[1:-1] < w[:-2]) & (w[1:-1] <= w[2:]) & (w[1:-1] < -0.2 * ep.amplitude_uv))
    times = t[1:-1][spikes]
    early = 1 / np.median(np.diff(times[times < 6.0]))
    late = 1 / np.median(np.diff(times[times > 8.0]))
    assert 3 <= late < early <= 20
    amp_early = -w[(t > 2) & (t < 3)].min()
    amp_late = -w[(t > 8) & (t < 9)].min()
    assert amp_late > 2 * amp_early


def test_render_is_chunk_independent():
    ep = _episode()
    whole = np.zeros((2, 12000), np.float32)
    ep.render(0, whole)
    pieces = np.zeros((2, 12000), np.float32)
    for a in range(0, 12000, 777):
        block = pieces[:, a:a + 777]
        ep.render(a, block)
    np.testing.assert_array_equal(whole, pieces)
    gain = ep.rate_gain(0, 12000)
    assert gain[500] == 1.0 and gain[9000] > 2.0


@pytest.mark.parametrize("kw", [{"start_hz": 25.0}, {"end_hz": 1.0}, {"duration_s": 0.0}, {"onset_s": -1.0}])
def test_bad_episode(kw):
    with pytest.raises(InvalidParameterError):
        _episode(**kw)
