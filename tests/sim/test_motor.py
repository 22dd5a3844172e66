"""MotorSimulator: seeded, chunking-independent streams, closed-loop velocity and ground truth."""

import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cortexlink.core import Chunk
from cortexlink.core.errors import InvalidParameterError
from cortexlink.sim import MotorSimulator, PopulationConfig, simulate

SMALL = {"n_channels": 6, "sample_rate": 30000.0}


@pytest.fixture(scope="module")
def whole():
    return simulate(6, 0.6, seed=3, task="center_out")


def test_stream_of_one_ms_chunks_equals_simulate(whole):
    sim = MotorSimulator(PopulationConfig(**SMALL), seed=3, task="center_out")
    before = time.monotonic_ns()
    chunks = [c for _, c in zip(range(600), sim.stream(chunk_ms=1.0), strict=False)]
    assert all(isinstance(c, Chunk) and c.data.shape == (6, 30) and c.data.dtype == np.int16 for c in chunks)
    assert [c.start_sample for c in chunks] == list(range(0, 18000, 30))
    assert all(c.origin_ns >= before for c in chunks)
    np.testing.assert_array_equal(np.concatenate([c.data for c in chunks], axis=1), whole.recording.data)
    truth = sim.truth()
    np.testing.assert_array_equal(truth.spike_samples, whole.truth.spike_samples)
    np.testing.assert_array_equal(truth.spike_units, whole.truth.spike_units)
    np.testing.assert_array_equal(truth.velocity, whole.truth.velocity)


@pytest.mark.parametrize("chunk_ms", [0.7, 3.3, 25.0])
def test_stream_in_other_chunk_sizes_equals_simulate(whole, chunk_ms):
    sim = MotorSimulator(PopulationConfig(**SMALL), seed=3, task="center_out")
    parts, n = [], 0
    for chunk in sim.stream(chunk_ms):
        parts.append(chunk.data)
        n += chunk.n_samples
        if n >= 18000:
            break
    np.testing.assert_array_equal(np.concatenate(parts, axis=1)[:, :18000], whole.recording.data)


def test_random_reads_equal_simulate(whole):
    sim = MotorSimulator(PopulationConfig(**SMALL), seed=3, task="center_out")
    rng = np.random.default_rng(1)
    parts, n = [], 0
    while n < 18000:
        k = min(int(rng.integers(1, 2000)), 18000 - n)
        parts.append(sim.read(k))
        n += k
    np.testing.assert_array_equal(np.concatenate(parts, axis=1), whole.recording.data)


@settings(max_examples=15, deadline=None)
@given(sizes=st.lists(st.integers(1, 2500), min_size=1, max_size=12),
       task=st.sampled_from(["center_out", "pursuit", None]))
def test_any_chunking_equals_whole_property(sizes, task):
    total = sum(sizes)
    whole = MotorSimulator(PopulationConfig(n_channels=3), seed=12, task=task).read(total)
    sim = MotorSimulator(PopulationConfig(n_channels=3), seed=12, task=task)
    np.testing.assert_array_equal(np.concatenate([sim.read(k) for k in sizes], axis=1), whole)


def test_waveforms_straddling_chunk_edges_continue():
    """Without background, 1 ms chunks hold exactly the truth's templates at the truth's spike
    times, including waveforms cut by a chunk edge."""
    quiet = dict(thermal_noise_uv=0.0, pink_noise_uv=0.0, mua_rate_hz=0.0, lfp=False, gain_uv=0.25)
    sim = MotorSimulator(PopulationConfig(n_channels=4, **quiet), seed=2)
    data = np.concatenate([c.data for _, c in zip(range(300), sim.stream(1.0), strict=False)], axis=1)
    truth = sim.truth()
    expected = np.zeros((4, 9000 + truth.templates_uv.shape[1]))
    for sample, unit in zip(truth.spike_samples, truth.spike_units, strict=True):
        onset = sample - truth.trough_index
        for u, ch, scale in zip(truth.footprint_units, truth.footprint_channels, truth.footprint_scales,
                                strict=True):
            if u == unit:
                expected[ch, onset:onset + truth.templates_uv.shape[1]] += scale * truth.templates_uv[unit]
    onsets = truth.spike_samples - truth.trough_index
    assert np.count_nonzero(onsets % 30 > 30 - truth.templates_uv.shape[1] // 2) > 5
    np.testing.assert_allclose(data * 0.25, expected[:, :9000], atol=0.2)


def test_same_seed_same_data_different_seed_different():
    a = simulate(4, 0.2, seed=9).recording.data
    b = simulate(4, 0.2, seed=9).recording.data
    c = simulate(4, 0.2, seed=10).recording.data
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_closed_loop_velocity_drives_the_units():
    cfg = PopulationConfig(n_channels=8, baseline_rate_range=(30, 40), modulation_depth_range=(0.9, 0.9),
                           lfp=False)
    sim = MotorSimulator(cfg, seed=4, task="center_out")
    stream = sim.stream(chunk_ms=1.0)
    next(stream)
    direction = sim.population.preferred_directions[0]
    push = cfg.max_speed * np.array([np.cos(direction), np.sin(direction)])
    sim.set_intended_velocity(push)
    np.testing.assert_array_equal(sim.current_velocity, push)
    for _ in range(3000):
        next(stream)
    sim.set_intended_velocity(-push)
    for _ in range(3000):
        next(stream)
    truth = sim.truth()
    np.testing.assert_allclose(truth.velocity[:, 1:3001], np.repeat(push[:, None], 3000, axis=1))
    np.testing.assert_allclose(truth.velocity[:, 3001:], np.repeat(-push[:, None], 3000, axis=1))
    spikes = truth.spikes_of(0)
    towards = np.count_nonzero((spikes >= 30 * 1) & (spikes < 30 * 3001))
    away = np.count_nonzero(spikes >= 30 * 3001)
    expected_ratio = (1 + 0.9) / (1 - 0.9)
    assert towards / max(away, 1) > expected_ratio / 2
    sim.set_intended_velocity(None)
    next(stream)
    assert not np.array_equal(sim.current_velocity, -push)


def test_bad_velocity_refused():
    sim = MotorSimulator(PopulationConfig(n_channels=2), seed=0)
    with pytest.raises(InvalidParameterError, match="two finite numbers"):
        sim.set_intended_velocity([1.0, np.nan])
    with pytest.raises(InvalidParameterError, match="two finite numbers"):
        sim.set_intended_velocity([1.0, 2.0, 3.0])


def test_spikes_since_reports_only_what_was_read():
    sim = MotorSimulator(PopulationConfig(n_channels=8), seed=1)
    sim.read(15000)
    samples, units = sim.spikes_since(0)
    assert samples.size > 0 and samples.max() < 15000
    later, _ = sim.spikes_since(9000)
    assert np.all(later >= 9000) and later.size < samples.size
    sim.read(100)
    assert sim.spikes_since(15000)[0].max(initial=15000) < 15100


def test_truth_window_forgets_old_spikes():
    sim = MotorSimulator(PopulationConfig(n_channels=8), seed=1, truth_window_s=0.1)
    for _ in range(1000):
        sim.read(30)
    samples, _ = sim.spikes_since(0)
    assert samples.size > 0 and samples.min() >= 30000 - 3000 - 3000 // 4 - 30
    assert sim.truth().velocity.shape == (2, 1000)


@pytest.mark.parametrize("bad", [-1, 1.5, "x", True])
def test_bad_seed_refused(bad):
    with pytest.raises(InvalidParameterError, match="seed"):
        MotorSimulator(PopulationConfig(n_channels=2), seed=bad)


def test_config_must_be_a_population_config():
    with pytest.raises(InvalidParameterError, match="PopulationConfig"):
        MotorSimulator({"n_channels": 4})


def test_bad_chunk_and_task_refused():
    sim = MotorSimulator(PopulationConfig(n_channels=2), seed=0)
    with pytest.raises(InvalidParameterError, match="chunk_ms"):
        next(sim.stream(chunk_ms=0.0))
    with pytest.raises(InvalidParameterError, match="unknown task"):
        MotorSimulator(PopulationConfig(n_channels=2), task="juggling")


class _Nothing:
    """A signal source that changes nothing."""

    def rate_gain(self, start_period, n_periods):
        return None

    def render(self, start_sample, signal_uv):
        return None


def test_a_source_that_changes_nothing_leaves_the_data_alone():
    plain = MotorSimulator(PopulationConfig(n_channels=5, gain_uv=0.2), seed=6)
    with_source = MotorSimulator(PopulationConfig(n_channels=5, gain_uv=0.2), seed=6)
    with_source.add_source(_Nothing())
    np.testing.assert_array_equal(plain.read(9000), with_source.read(9000))
