"""Spiking statistics: configured rates, refractory periods, and the kernels' chunk independence."""

import numpy as np
import pytest

from cortexlink.sim import kernels, simulate
from cortexlink.sim.rng import stream_key


@pytest.fixture(scope="module")
def steady():
    """Units at fixed 40-50 Hz baselines (no behaviour) for 40 s: about 1800 spikes per unit."""
    return simulate(8, 40.0, seed=5, task=None, baseline_rate_range=(40.0, 50.0), lfp=False).truth


def test_rates_within_ten_percent_of_configured(steady):
    expected = steady.baseline_rates_hz * 40.0
    counts = steady.spike_counts()
    assert steady.n_units >= 4
    assert np.all(expected > 1500)
    np.testing.assert_allclose(counts, expected, rtol=0.10)
    assert abs(counts.sum() / expected.sum() - 1) < 0.03


def test_tuned_rates_match_expectation_under_behaviour():
    """With cosine tuning the expected count follows the velocity actually used."""
    tr = simulate(8, 30.0, seed=11, task="pursuit", baseline_rate_range=(30.0, 50.0), lfp=False).truth
    v = tr.velocity
    d = tr.preferred_directions[:, None]
    proj = (np.cos(d) * v[0] + np.sin(d) * v[1]) / tr.max_speed
    rates = np.maximum(tr.baseline_rates_hz[:, None] * (1 + tr.modulation_depths[:, None] * proj), 0)
    expected = rates.sum(axis=1) * tr.control_period_samples / tr.sample_rate
    np.testing.assert_allclose(tr.spike_counts(), expected, rtol=0.10)


def test_no_interval_shorter_than_refractory(steady):
    assert steady.refractory_samples >= 2.0e-3 * steady.sample_rate
    for unit in range(steady.n_units):
        isi = np.diff(steady.spikes_of(unit))
        assert isi.min() >= steady.refractory_samples


def test_refractory_holds_at_high_rates():
    tr = simulate(4, 5.0, seed=2, task=None, baseline_rate_range=(150.0, 200.0), refractory_ms=3.0,
                  modulation_depth_range=(0.0, 0.0), lfp=False).truth
    for unit in range(tr.n_units):
        assert np.diff(tr.spikes_of(unit)).min() >= 90


def test_spike_kernel_is_independent_of_block_size():
    """Whole control periods in any grouping give the same onsets and the same final state."""
    rng = np.random.default_rng(0)
    hazard = rng.uniform(0, 0.01, size=(5, 40))
    key = stream_key(np.random.SeedSequence(3))

    def run(groups):
        state = [np.zeros(5), kernels.exponential_draws(key, 5, 0), np.zeros(5, np.int64),
                 np.zeros(5, np.int64)]
        onsets = []
        p = 0
        for g in groups:
            out_on = np.empty(5000, np.int64)
            out_u = np.empty(5000, np.int32)
            m = kernels.unit_spike_onsets(hazard[:, p:p + g], 30, p * 30, key, *state, 3, out_on, out_u)
            onsets += sorted(zip(out_on[:m].tolist(), out_u[:m].tolist(), strict=True))
            p += g
        return sorted(onsets), [s.copy() for s in state]

    whole, s1 = run([40])
    pieces, s2 = run([1, 3, 7, 13, 16])
    assert whole == pieces and len(whole) > 0
    for a, b in zip(s1, s2, strict=True):
        np.testing.assert_array_equal(a, b)
