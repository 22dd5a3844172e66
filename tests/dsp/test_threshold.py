import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import InvalidDataError, InvalidParameterError, NotFittedError
from cortexlink.dsp import (
    ButterworthFilter,
    Pipeline,
    SelfCalibratingCrossings,
    ThresholdCrossings,
    crossing_events,
    noise_level,
)

FS = 30000.0
CUTS = st.lists(st.integers(0, 3000), max_size=12)


@settings(max_examples=25, deadline=None)
@given(cuts=CUTS, k=st.sampled_from([-4.5, -3.0, 3.0]), lockout_ms=st.sampled_from([1.0, 0.2, 0]))
def test_calibrated_any_chunking_equals_whole(spiky, assert_chunk_invariant, cuts, k, lockout_ms):
    tc = ThresholdCrossings(FS, k=k, lockout_ms=lockout_ms)
    tc.calibrate(spiky)
    assert_chunk_invariant(tc, spiky, cuts)


@settings(max_examples=25, deadline=None)
@given(cuts=CUTS)
def test_running_rms_any_chunking_equals_whole(spiky, assert_chunk_invariant, cuts):
    assert_chunk_invariant(ThresholdCrossings(FS, running_rms_s=0.01), spiky, cuts)


def test_finds_the_planted_spikes(spiky):
    tc = ThresholdCrossings(FS)
    tc.calibrate(spiky)
    out = tc.apply(spiky)
    assert out.dtype == np.uint8 and out.shape == spiky.shape
    samples, channels = crossing_events(out)
    assert np.all(np.diff(samples) >= 0)
    for c in range(4):
        # 12 spikes planted per channel, all far beyond -4.5 x RMS, none inside another's lockout
        assert np.count_nonzero(channels == c) == 12


def test_recording_in_gives_a_recording_of_events(spiky):
    from cortexlink.core.recording import Recording

    tc = ThresholdCrossings(FS)
    tc.calibrate(spiky)
    out = tc.apply(Recording(spiky, FS, gain_uv=0.25, site="m1"))
    assert isinstance(out, Recording) and out.site == "m1" and out.gain_uv == 1.0
    assert set(np.unique(out.data)) == {0, 1}


def test_lockout_spans_chunk_edges():
    x = np.zeros((1, 200), np.float32)
    x[0, [50, 70, 120]] = -10.0  # 70 is 20 samples after 50: inside the 1 ms (30 sample) lockout
    tc = ThresholdCrossings(FS, rms=np.ones(1))
    whole = crossing_events(tc.apply(x))[0]
    np.testing.assert_array_equal(whole, [50, 120])
    tc.reset()
    parts = [tc.process(Chunk(x[:, a:a + 30], a, FS)) for a in range(0, 200, 30)]
    got = np.concatenate([crossing_events(p)[0] for p in parts])
    np.testing.assert_array_equal(got, [50, 120])


def test_a_crossing_needs_the_previous_sample_above_threshold():
    x = np.full((1, 100), -10.0, np.float32)  # below threshold from the start: one crossing at 0
    x[0, 60:] = 0.0
    x[0, 80] = -10.0
    events = crossing_events(ThresholdCrossings(FS, rms=np.ones(1)).apply(x))[0]
    np.testing.assert_array_equal(events, [0, 80])


def test_positive_k_detects_upward_crossings():
    x = np.zeros((2, 100), np.float32)
    x[0, 10] = 10.0
    x[1, 40] = -10.0
    s, c = crossing_events(ThresholdCrossings(FS, k=4.0, rms=np.ones(2)).apply(x), start_sample=1000)
    np.testing.assert_array_equal(s, [1010])
    np.testing.assert_array_equal(c, [0])


def test_running_estimate_converges_to_calibrated_thresholds(spiky):
    tc = ThresholdCrossings(FS, running_rms_s=0.05)
    calibrated = ThresholdCrossings(FS)
    calibrated.calibrate(spiky)
    noise = np.random.default_rng(3).normal(0, 20, (4, 30000)).astype(np.float32)
    tc.apply(noise)
    np.testing.assert_allclose(np.sqrt(tc._mean_sq), 20.0, rtol=0.2)
    # nothing fires during warm-up
    assert tc.apply(noise)[:, :tc._warmup].sum() == 0


def test_events_on_a_chunk_are_absolute():
    out = Chunk(np.array([[0, 1, 0], [1, 0, 0]], np.uint8), 500, FS)
    s, c = crossing_events(out)
    np.testing.assert_array_equal(s, [500, 501])
    np.testing.assert_array_equal(c, [1, 0])


@pytest.mark.parametrize("seed", [3, 8, 11])
def test_recall_on_simulated_ground_truth(seed):
    from cortexlink.sim import simulate

    sim = simulate(16, 4.0, FS, seed=seed)
    truth = sim.truth
    # no CAR here: with only 16 electrodes a common average carries 1/16 of every large spike
    # onto every other channel, which is a property of CAR, not of the detector under test
    chain = Pipeline(ButterworthFilter(FS, 250, 5000), ThresholdCrossings(FS))
    chain.calibrate(sim.recording)
    samples, channels = crossing_events(chain.apply(sim.recording).data)
    big = np.flatnonzero(truth.peak_amplitudes_uv > 5 * truth.noise_rms_uv[truth.unit_channels])
    assert big.size >= 3
    for unit in big:
        ch = truth.unit_channels[unit]
        spikes = truth.spikes_of(unit)
        ev = np.sort(samples[channels == ch])
        # a crossing within 0.5 ms before to 0.5 ms after the trough counts as finding the spike
        i = np.searchsorted(ev, spikes - 15)
        found = (i < ev.size) & (ev[np.minimum(i, ev.size - 1)] <= spikes + 15)
        recall = found.mean()
        assert recall > 0.8, (unit, truth.peak_amplitudes_uv[unit], recall)


def test_bad_input():
    with pytest.raises(InvalidParameterError, match="non-zero"):
        ThresholdCrossings(FS, k=0)
    with pytest.raises(InvalidParameterError, match="lockout_ms"):
        ThresholdCrossings(FS, lockout_ms=-1)
    with pytest.raises(NotFittedError, match="calibrate"):
        ThresholdCrossings(FS).process(Chunk(np.zeros((2, 30), np.float32), 0, FS))
    tc = ThresholdCrossings(FS)
    tc.calibrate(np.ones((3, 100)))
    with pytest.raises(InvalidDataError, match="calibrated on 3 channels"):
        tc.process(Chunk(np.zeros((2, 30), np.float32), 0, FS))
    with pytest.raises(InvalidDataError, match="NaN"):
        tc.calibrate(np.full((3, 10), np.nan))
    with pytest.raises(InvalidDataError, match="no samples"):
        tc.calibrate(np.zeros((3, 0)))
    with pytest.raises(InvalidParameterError, match="rms"):
        ThresholdCrossings(FS, rms=[np.nan])
    with pytest.raises(InvalidParameterError, match="estimator"):
        tc.calibrate(np.ones((3, 10)), estimator="max")


def test_calibration_estimators():
    x = np.random.default_rng(4).normal(0, 10, (2, 20000))
    x[:, ::100] -= 400.0  # frequent big spikes inflate a plain RMS, not the robust estimate
    tc = ThresholdCrossings(FS)
    np.testing.assert_allclose(tc.calibrate(x), 10.0, rtol=0.05)
    np.testing.assert_allclose(tc.calibrate(x, estimator="rms"), np.sqrt((x ** 2).mean(axis=1)))
    np.testing.assert_allclose(tc.thresholds, -4.5 * tc.rms)


def test_recalibrating_mid_stream_changes_thresholds_from_the_next_chunk():
    x = np.zeros((1, 60), np.float32)
    x[0, 45] = -10.0
    tc = ThresholdCrossings(FS, rms=np.ones(1))
    assert tc.process(Chunk(x[:, :30], 0, FS)).data.sum() == 0
    tc.calibrate(np.full((1, 100), 5.0))  # rms 5: threshold -22.5, the -10 dip no longer counts
    assert tc.process(Chunk(x[:, 30:], 30, FS)).data.sum() == 0
    with pytest.raises(InvalidParameterError, match="stream has 1 channels"):
        tc.calibrate(np.ones((2, 100)))


@pytest.mark.parametrize("estimator", ["mad", "rms", "robust"])
@pytest.mark.parametrize("cuts", [[1, 2], [500, 1000, 1001], [999, 1000]])
def test_self_calibrating_any_chunking_equals_whole(spiky, feed, estimator, cuts):
    def fresh():  # reset() keeps thresholds already set, so each stream gets a new block
        return SelfCalibratingCrossings(FS, calibration_s=1000 / FS, estimator=estimator)

    whole = fresh().apply(spiky)
    for chunking in (cuts, list(range(30, 3000, 30))):
        outs = feed(fresh(), spiky, chunking)
        np.testing.assert_array_equal(np.concatenate([o.data for o in outs], axis=1), whole)
        assert [o.start_sample for o in outs] == [0, *chunking]


def test_self_calibrating_counts_from_the_sample_after_calibration(spiky):
    block = SelfCalibratingCrossings(FS, k=-4.0, calibration_s=1000 / FS)
    events = block.apply(spiky)
    assert not events[:, :1000].any()
    np.testing.assert_array_equal(block.rms, noise_level(spiky[:, :1000], FS, "mad"))
    want = ThresholdCrossings(FS, k=-4.0, rms=block.rms).apply(spiky[:, 1000:])
    np.testing.assert_array_equal(events[:, 1000:], want)
    assert want.sum() >= 4 * 7  # the planted spikes after sample 1000 are found
    block.reset()  # a new stream keeps the thresholds: nothing to measure again
    np.testing.assert_array_equal(block.process(Chunk(spiky[:, :1000], 0, FS)).data,
                                  ThresholdCrossings(FS, k=-4.0, rms=block.rms).apply(spiky[:, :1000]))


def test_the_last_calibration_sample_is_the_one_before_the_first_counted():
    x = np.zeros((1, 40), dtype=np.float32)
    x[0, ::2], x[0, 1::2] = 1.0, -1.0  # noise of 1
    x[0, 19:22] = -50.0  # an excursion that began during calibration (sample 19) is no new crossing
    x[0, 30] = -50.0
    block = SelfCalibratingCrossings(1000.0, k=-4.0, lockout_ms=1.0, calibration_s=0.02, estimator="rms")
    events = block.apply(x)
    assert np.flatnonzero(events[0]).tolist() == [30]
