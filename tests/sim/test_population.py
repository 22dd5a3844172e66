"""Units on electrodes and their tuning: some electrodes with several units, some with none, and
cosine tuning that linear regression recovers from the spikes."""

import numpy as np

from cortexlink.sim import PopulationConfig, simulate
from cortexlink.sim.population import build_population, grid_neighbours


def test_electrodes_hold_zero_one_or_several_units():
    pop = build_population(PopulationConfig(n_channels=96), np.random.default_rng(0))
    per_channel = np.bincount(pop.unit_channels, minlength=96)
    assert (per_channel == 0).sum() > 5
    assert (per_channel == 1).sum() > 20
    assert (per_channel >= 2).sum() > 10
    assert np.all(np.diff(pop.unit_channels) >= 0)


def test_units_sharing_an_electrode_are_distinct():
    pop = build_population(PopulationConfig(n_channels=128), np.random.default_rng(3))
    shared = 0
    for channel in np.unique(pop.unit_channels):
        units = np.flatnonzero(pop.unit_channels == channel)
        for i, a in enumerate(units):
            for b in units[i + 1:]:
                ta, tb = pop.templates_uv[a], pop.templates_uv[b]
                distance = np.linalg.norm(ta - tb) / max(np.linalg.norm(ta), np.linalg.norm(tb))
                assert distance >= 0.25
                shared += 1
    assert shared > 20


def test_hash_direction_is_its_units_mean_direction():
    pop = build_population(PopulationConfig(n_channels=64), np.random.default_rng(4))
    for ch in np.unique(pop.unit_channels):
        mean = np.angle(np.exp(1j * pop.preferred_directions[pop.unit_channels == ch]).sum())
        assert abs(np.angle(np.exp(1j * (pop.mua_preferred_directions[ch] - mean)))) < 1e-6
    assert np.all((pop.mua_modulation_depths >= 0.15) & (pop.mua_modulation_depths <= 0.3))


def test_unit_parameters_within_configured_ranges():
    cfg = PopulationConfig(n_channels=64, baseline_rate_range=(5, 50), modulation_depth_range=(0.2, 0.9))
    pop = build_population(cfg, np.random.default_rng(1))
    assert np.all((pop.baseline_rates_hz >= 5) & (pop.baseline_rates_hz <= 50))
    assert np.all((pop.modulation_depths >= 0.2) & (pop.modulation_depths <= 0.9))
    assert np.all(np.abs(pop.preferred_directions) <= np.pi)
    amplitude = -pop.templates_uv.min(axis=1)
    assert np.all((amplitude > 29.9) & (amplitude < 300.1))


def test_footprints_include_own_electrode_and_neighbours_only():
    pop = build_population(PopulationConfig(n_channels=100, spread_fraction=0.5), np.random.default_rng(2))
    own = pop.footprint_scales == 1.0
    np.testing.assert_array_equal(pop.footprint_channels[own], pop.unit_channels)
    others = np.flatnonzero(~own)
    assert others.size > 10
    for i in others:
        unit = pop.footprint_units[i]
        assert pop.footprint_channels[i] in grid_neighbours(int(pop.unit_channels[unit]), 100)
        assert 0.2 <= pop.footprint_scales[i] <= 0.5


def test_tuning_recoverable_by_linear_regression():
    """Counts in 250 ms bins regressed on velocity: R^2 > 0.5 and the preferred direction back."""
    tr = simulate(6, 60.0, seed=7, task="pursuit", baseline_rate_range=(30.0, 50.0),
                  modulation_depth_range=(0.8, 0.9), lfp=False).truth
    per_bin = 250
    n_bins = tr.velocity.shape[1] // per_bin
    velocity = tr.velocity[:, :n_bins * per_bin].reshape(2, n_bins, per_bin).mean(axis=2)
    edges = np.arange(n_bins + 1) * per_bin * tr.control_period_samples
    design = np.column_stack([np.ones(n_bins), velocity.T])
    assert tr.n_units >= 4
    for unit in range(tr.n_units):
        counts = np.histogram(tr.spikes_of(unit) - tr.trough_index, edges)[0]
        beta, *_ = np.linalg.lstsq(design, counts, rcond=None)
        resid = counts - design @ beta
        r2 = 1 - resid.var() / counts.var()
        assert r2 > 0.5, (unit, r2)
        error = np.angle(np.exp(1j * (np.arctan2(beta[2], beta[1]) - tr.preferred_directions[unit])))
        assert abs(np.degrees(error)) < 15


def test_untuned_units_do_not_follow_velocity():
    tr = simulate(6, 30.0, seed=7, task="pursuit", baseline_rate_range=(30.0, 50.0),
                  modulation_depth_range=(0.0, 0.0), lfp=False).truth
    per_bin = 250
    n_bins = tr.velocity.shape[1] // per_bin
    velocity = tr.velocity[:, :n_bins * per_bin].reshape(2, n_bins, per_bin).mean(axis=2)
    edges = np.arange(n_bins + 1) * per_bin * tr.control_period_samples
    design = np.column_stack([np.ones(n_bins), velocity.T])
    for unit in range(tr.n_units):
        counts = np.histogram(tr.spikes_of(unit) - tr.trough_index, edges)[0]
        beta, *_ = np.linalg.lstsq(design, counts, rcond=None)
        assert 1 - (counts - design @ beta).var() / counts.var() < 0.2


def test_hash_follows_the_electrodes_units():
    """Spike-band power of the hash alone rises with velocity along the electrode's direction."""
    from scipy import signal

    result = simulate(4, 20.0, seed=3, task="pursuit", unit_count_probs=(1.0,), mua_rate_hz=1000.0,
                      mua_modulation_depth=1.0, lfp=False, thermal_noise_uv=1.0, pink_noise_uv=0.0)
    truth = result.truth
    sos = signal.butter(4, [300, 5000], btype="band", fs=30000.0, output="sos")
    power = signal.sosfilt(sos, result.recording.microvolts(), axis=1) ** 2
    per_bin = 250   # ms
    n_bins = power.shape[1] // (30 * per_bin)
    power = power[:, :n_bins * 30 * per_bin].reshape(4, n_bins, -1).mean(axis=2)
    velocity = truth.velocity[:, :n_bins * per_bin].reshape(2, n_bins, per_bin).mean(axis=2)
    design = np.column_stack([np.ones(n_bins), velocity.T])
    for ch in range(4):
        beta, *_ = np.linalg.lstsq(design, power[ch], rcond=None)
        r2 = 1 - (power[ch] - design @ beta).var() / power[ch].var()
        assert r2 > 0.5, (ch, r2)
        error = np.angle(np.exp(1j * (np.arctan2(beta[2], beta[1]) - truth.mua_preferred_directions[ch])))
        assert abs(np.degrees(error)) < 20
