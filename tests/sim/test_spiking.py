"""DeadTimePoisson: asked rates are met despite the dead time, in any grouping of periods."""

import numpy as np
import pytest

from cortexlink.sim.rng import stream_key
from cortexlink.sim.spiking import DeadTimePoisson


@pytest.mark.parametrize("rate, dead", [(20.0, 60), (100.0, 60), (400.0, 15), (1000.0, 3)])
def test_mean_rate_matches_despite_dead_time(rate, dead):
    proc = DeadTimePoisson(20, stream_key(np.random.SeedSequence(1)), 30000.0, dead)
    seconds = 4000.0 / rate   # about 4000 events per process
    periods = int(seconds * 1000)
    onsets, ids = proc.onsets(np.full((20, periods), rate), 30, 0)
    counts = np.bincount(ids, minlength=20)
    assert abs(counts.sum() / (20 * rate * seconds) - 1) < 0.02
    for k in range(20):
        assert np.diff(onsets[ids == k]).min() >= dead


def test_grouping_of_periods_does_not_matter():
    key = stream_key(np.random.SeedSequence(2))
    rates = np.random.default_rng(0).uniform(0, 300, size=(7, 100))
    a = DeadTimePoisson(7, key, 30000.0, 30)
    whole = a.onsets(rates, 30, 0)
    b = DeadTimePoisson(7, key, 30000.0, 30)
    parts, p = [], 0
    for g in (1, 2, 30, 7, 60):
        parts.append(b.onsets(rates[:, p:p + g], 30, p * 30))
        p += g
    np.testing.assert_array_equal(whole[0], np.concatenate([x[0] for x in parts]))
    np.testing.assert_array_equal(whole[1], np.concatenate([x[1] for x in parts]))
