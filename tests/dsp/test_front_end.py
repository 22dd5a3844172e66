import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import InvalidDataError, NotFittedError
from cortexlink.dsp import (
    ButterworthFilter,
    CommonAverageReference,
    SpikeBandPower,
    SpikeFrontEnd,
    ThresholdCrossings,
)

FS = 30000.0
CUTS = st.lists(st.integers(0, 3000), max_size=12)


def _separate(x: np.ndarray, rms: np.ndarray, car_mode: str = "mean", exclude=None,
              k: float = -4.5, bin_ms: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """The same four steps as separate blocks, whole signal at once."""
    ref = CommonAverageReference(FS, car_mode, exclude).apply(ButterworthFilter(FS, 250, 5000).apply(x))
    return (ThresholdCrossings(FS, k=k, rms=rms).apply(ref),
            SpikeBandPower(FS, band=None, bin_ms=bin_ms).apply(ref))


def _stream(fe: SpikeFrontEnd, x: np.ndarray, cuts: list[int]) -> tuple[np.ndarray, np.ndarray]:
    edges = [0, *sorted(cuts), x.shape[1]]
    fe.reset()
    crossings, power = [], []
    next_bin = 0
    for i, (a, b) in enumerate(zip(edges[:-1], edges[1:], strict=True)):
        c, p = fe.process(Chunk(x[:, a:b], a, FS, origin_ns=7 + i))
        assert c.start_sample == a and c.sample_rate == FS and c.origin_ns == 7 + i
        assert p.start_sample == next_bin and p.sample_rate == fe.power_rate and p.origin_ns == 7 + i
        next_bin += p.n_samples
        crossings.append(c.data)
        power.append(p.data)
    return np.concatenate(crossings, axis=1), np.concatenate(power, axis=1)


@settings(max_examples=20, deadline=None)
@given(cuts=CUTS, k=st.sampled_from([-4.5, -3.0, 3.0]), bin_ms=st.sampled_from([1.0, 0.3, 7.0]),
       exclude=st.sampled_from([None, [1], [0, 3]]))
def test_fused_equals_the_separate_blocks_in_any_chunking(spiky, cuts, k, bin_ms, exclude):
    fe = SpikeFrontEnd(FS, k=k, bin_ms=bin_ms, exclude=exclude)
    assert fe.fused
    rms = fe.calibrate(spiky)
    want_c, want_p = _separate(spiky, rms, exclude=exclude, k=k, bin_ms=bin_ms)
    got_c, got_p = _stream(fe, spiky, cuts)
    np.testing.assert_array_equal(got_c, want_c)
    np.testing.assert_array_equal(got_p, want_p)
    assert got_c.dtype == np.uint8 and got_p.dtype == np.float32
    assert want_c.sum() > 0


def test_one_ms_chunks_on_many_channels_match_and_find_the_spikes(spiky):
    x = np.tile(spiky, (40, 1))  # 160 channels: more than one filter channel block
    fe = SpikeFrontEnd(FS)
    rms = fe.calibrate(x)
    want_c, want_p = _separate(x, rms)
    got_c, got_p = _stream(fe, x, list(range(30, x.shape[1], 30)))
    np.testing.assert_array_equal(got_c, want_c)
    np.testing.assert_array_equal(got_p, want_p)
    assert got_c.sum(axis=1).min() >= 10  # 12 planted spikes per channel


def test_configurations_without_a_fused_pass_run_the_blocks(spiky):
    fe = SpikeFrontEnd(FS, car_mode="median")
    assert not fe.fused
    rms = fe.calibrate(spiky)
    want_c, want_p = _separate(spiky, rms, car_mode="median")
    got_c, got_p = _stream(fe, spiky, [100, 1234])
    np.testing.assert_array_equal(got_c, want_c)
    np.testing.assert_array_equal(got_p, want_p)
    running = SpikeFrontEnd(FS, running_rms_s=0.01)
    assert not running.fused
    c, p = running.apply(spiky)
    assert c.shape == spiky.shape and p.shape == (4, 100)


def test_apply_equals_streaming_and_outputs_are_fresh_arrays(spiky):
    fe = SpikeFrontEnd(FS)
    fe.calibrate(spiky)
    whole_c, whole_p = fe.apply(spiky)
    fe.reset()
    first = fe.process(Chunk(spiky[:, :30], 0, FS))
    kept = (first[0].data.copy(), first[1].data.copy())
    second = fe.process(Chunk(spiky[:, 30:60], 30, FS))
    assert first[0].data is not second[0].data and first[1].data is not second[1].data
    np.testing.assert_array_equal(first[0].data, kept[0])
    np.testing.assert_array_equal(first[1].data, kept[1])
    np.testing.assert_array_equal(first[0].data, whole_c[:, :30])


def test_bad_input(spiky):
    with pytest.raises(NotFittedError, match="calibrate"):
        SpikeFrontEnd(FS).process(Chunk(spiky, 0, FS))
    fe = SpikeFrontEnd(FS)
    fe.calibrate(spiky)
    fe.process(Chunk(spiky[:, :30], 0, FS))
    with pytest.raises(InvalidDataError, match="channel count changed"):
        fe.process(Chunk(spiky[:3, 30:60], 30, FS))
    bad = spiky[:, :30].astype(np.float32)
    bad[2, 5] = np.nan
    with pytest.raises(InvalidDataError, match="NaN"):
        fe.process(Chunk(bad, 30, FS))
    with pytest.raises(InvalidDataError, match="30000 Hz"):
        fe.process(Chunk(spiky[:, :30], 0, 1000.0))
