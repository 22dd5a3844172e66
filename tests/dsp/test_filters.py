import numpy as np
import pytest
import scipy.signal as ss
from hypothesis import given, settings
from hypothesis import strategies as st

from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import InvalidDataError, InvalidParameterError
from cortexlink.core.recording import Recording
from cortexlink.dsp import ButterworthFilter, NotchFilter, SOSFilter

FS = 30000.0
CUTS = st.lists(st.integers(0, 3000), max_size=12)


@settings(max_examples=25, deadline=None)
@given(cuts=CUTS, dtype=st.sampled_from([np.int16, np.float32, np.float64]), order=st.sampled_from([1, 2, 3]))
def test_bandpass_any_chunking_equals_whole(spiky, assert_chunk_invariant, cuts, dtype, order):
    # order 3 gives an odd section count, exercising the single-section sweep after the pairs
    assert_chunk_invariant(ButterworthFilter(FS, 250, 5000, order=order), spiky.astype(dtype), cuts)


@settings(max_examples=25, deadline=None)
@given(cuts=CUTS)
def test_notch_any_chunking_equals_whole(spiky, assert_chunk_invariant, cuts):
    assert_chunk_invariant(NotchFilter(FS, 60.0, harmonics=3), spiky, cuts)


@pytest.mark.parametrize("kwargs", [dict(low=250, high=5000), dict(low=300), dict(high=1000, order=2)])
def test_matches_scipy_sosfilt_on_whole_signal(spiky, kwargs):
    f = ButterworthFilter(FS, **kwargs)
    ref = ss.sosfilt(f.sos, spiky.astype(np.float64), axis=-1)
    out = f.apply(spiky)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, ref, rtol=0, atol=1e-5 * np.abs(ref).max())


def test_bandpass_passes_band_and_stops_outside():
    t = np.arange(30000) / FS
    f = ButterworthFilter(FS, 250, 5000)
    def gain(freq):
        y = f.apply(np.sin(2 * np.pi * freq * t)[None, :])[0, 15000:]
        return np.sqrt(2 * np.mean(y.astype(np.float64) ** 2))
    assert gain(1000) == pytest.approx(1.0, abs=0.02)
    assert gain(20) < 0.01
    assert gain(12000) < 0.05


def test_notch_removes_line_noise_and_harmonics_only():
    t = np.arange(60000) / FS
    n = NotchFilter(FS, 50.0, q=30, harmonics=2)
    assert n.freqs == [50.0, 100.0]
    for freq, lo, hi in [(50, 0, 0.02), (100, 0, 0.02), (1000, 0.99, 1.01)]:
        y = n.apply(np.sin(2 * np.pi * freq * t)[None, :])[0, 30000:]
        amp = np.sqrt(2 * np.mean(y.astype(np.float64) ** 2))
        assert lo <= amp <= hi, (freq, amp)


def test_many_channels_and_long_input_cross_the_internal_time_blocks():
    rng = np.random.default_rng(1)
    x = rng.normal(0, 1, (37, 1000)).astype(np.float32)
    f = ButterworthFilter(FS, 300, 3000, order=3)
    np.testing.assert_allclose(f.apply(x), ss.sosfilt(f.sos, x.astype(np.float64), axis=-1), atol=1e-5)


def test_apply_on_recording_keeps_units_and_metadata(spiky):
    rec = Recording(spiky, FS, gain_uv=0.25, site="left", metadata={"a": 1})
    out = ButterworthFilter(FS, 250, 5000).apply(rec)
    assert isinstance(out, Recording)
    assert out.gain_uv == 0.25 and out.site == "left" and out.metadata == {"a": 1}
    assert out.data.dtype == np.float32 and out.data.shape == spiky.shape


def test_sosfilter_accepts_any_sos_and_normalises_a0():
    sos = ss.butter(3, 0.2, output="sos")
    f = SOSFilter(sos * 2.0, 1000.0)  # every section's b and a scaled: the same filter
    x = np.random.default_rng(0).normal(size=(2, 500))
    np.testing.assert_allclose(f.apply(x), ss.sosfilt(sos, x, axis=-1), atol=1e-5)
    with pytest.raises(InvalidParameterError, match="n_sections, 6"):
        SOSFilter(np.ones((2, 5)), 1000.0)


@pytest.mark.parametrize("kwargs, match", [
    (dict(low=250, high=16000), "Nyquist"),
    (dict(low=15000), "Nyquist"),
    (dict(low=5000, high=250), "low < high"),
    (dict(low=-3), "positive"),
    (dict(), "give low"),
    (dict(low=300, order=0), "order"),
])
def test_bad_design_parameters(kwargs, match):
    with pytest.raises(InvalidParameterError, match=match):
        ButterworthFilter(FS, **kwargs)


@pytest.mark.parametrize("rate", [0, -1, float("nan"), "fast"])
def test_non_positive_rate_refused(rate):
    with pytest.raises(InvalidParameterError, match="sample_rate"):
        ButterworthFilter(rate, 250, 5000)


def test_notch_bad_parameters():
    with pytest.raises(InvalidParameterError, match="Nyquist"):
        NotchFilter(100.0, 60.0)
    with pytest.raises(InvalidParameterError, match="q"):
        NotchFilter(FS, 60.0, q=0)
    with pytest.raises(InvalidParameterError, match="harmonics"):
        NotchFilter(FS, 60.0, harmonics=0)


def test_stream_errors_channel_change_nan_rate(spiky):
    f = ButterworthFilter(FS, 250, 5000)
    f.process(Chunk(spiky[:, :30], 0, FS))
    with pytest.raises(InvalidDataError, match="channel count changed mid-stream from 4 to 3"):
        f.process(Chunk(spiky[:3, 30:60], 30, FS))
    bad = spiky[:, 30:60].astype(np.float32)
    bad[1, 5] = np.nan
    with pytest.raises(InvalidDataError, match="NaN"):
        f.process(Chunk(bad, 30, FS))
    with pytest.raises(InvalidDataError, match="built for 30000 Hz"):
        f.process(Chunk(spiky[:, 30:60], 30, 20000.0))
    f.reset()  # a new stream may have another channel count
    assert f.process(Chunk(spiky[:3, :30], 0, FS)).data.shape == (3, 30)


def test_bad_arrays_refused():
    f = ButterworthFilter(FS, 250, 5000)
    with pytest.raises(InvalidDataError, match="data\\[None, :\\]"):
        f.apply(np.zeros(100))
    with pytest.raises(InvalidDataError, match="zero channels"):
        f.apply(np.zeros((0, 100)))
    with pytest.raises(InvalidDataError, match="numeric"):
        f.apply(np.array([["a", "b"]]))
    with pytest.raises(InvalidDataError, match="Chunk"):
        f.process(np.zeros((2, 30)))
    with pytest.raises(InvalidDataError, match="recording is at 1000 Hz"):
        f.apply(Recording(np.zeros((1, 10), np.int16), 1000.0))


def test_time_major_output_is_process_transposed():
    rng = np.random.default_rng(5)
    x = rng.normal(0, 30, (300, 200)).astype(np.float32)  # channels beyond one internal block
    rowwise, timewise = ButterworthFilter(FS, 250, 5000), ButterworthFilter(FS, 250, 5000)
    for a, b in ((0, 30), (30, 31), (31, 200)):
        want = rowwise.process(Chunk(x[:, a:b], a, FS)).data
        rows = timewise.process_time_major(Chunk(x[:, a:b], a, FS))
        assert rows.dtype == np.float32 and rows.flags.c_contiguous
        np.testing.assert_array_equal(rows[:b - a, :300], want.T)
    whole = ButterworthFilter(FS, 250, 5000).apply(x)
    np.testing.assert_allclose(whole, ss.sosfilt(rowwise.sos, x.astype(np.float64), axis=-1), atol=1e-4)
