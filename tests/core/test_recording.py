"""Recording: validation on construction and the helpers that derive new recordings."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cortexlink.core import CortexlinkError, InvalidDataError, InvalidParameterError, Recording


def make(n_channels: int = 3, n_samples: int = 100, rate: float = 1000.0, **kwargs) -> Recording:
    data = np.arange(n_channels * n_samples, dtype=np.int16).reshape(n_channels, n_samples)
    return Recording(data, rate, **kwargs)


def test_defaults_and_properties():
    rec = make(gain_uv=0.5, t0=2.0)
    assert (rec.n_channels, rec.n_samples, rec.duration) == (3, 100, 0.1)
    assert rec.channel_ids.tolist() == [0, 1, 2] and rec.site == "0" and rec.metadata == {}
    assert rec.times[0] == 2.0 and rec.times[-1] == pytest.approx(2.099)
    assert rec.data.flags.c_contiguous
    assert "3 ch x 100 samples @ 1000 Hz, int16, gain 0.5 uV" in repr(rec)


@pytest.mark.parametrize("dtype, expected", [
    (np.int8, np.int16), (np.uint8, np.int16), (np.int32, np.int16), (np.int64, np.int16),
    (np.bool_, np.int16), (np.float16, np.float32), (np.float64, np.float32), (np.int16, np.int16),
    (np.float32, np.float32),
])
def test_dtypes_are_normalised(dtype, expected):
    assert Recording(np.ones((2, 3), dtype=dtype), 10).data.dtype == expected


def test_fortran_order_and_views_become_c_contiguous():
    data = np.asfortranarray(np.ones((4, 6), np.int16))
    assert Recording(data, 10).data.flags.c_contiguous
    assert Recording(np.ones((6, 4), np.int16).T, 10).data.flags.c_contiguous


@pytest.mark.parametrize("data, message", [
    (np.zeros(10, np.int16), "2-D"),
    (np.zeros((2, 3, 4), np.int16), "2-D"),
    (np.zeros((0, 10), np.int16), "zero channels"),
    (np.array([[1.0, np.nan]]), "1 NaN or infinite"),
    (np.array([[np.inf, -np.inf, 0.0]], np.float32), "2 NaN or infinite"),
    (np.array([[1e300]]), "NaN or infinite"),  # overflows float32
    (np.array([[40000]], np.int32), "exceeds the int16 range"),
    (np.array([["a", "b"]]), "must be numeric"),
    (np.zeros((1, 2), complex), "must be numeric"),
])
def test_bad_data_is_invalid(data, message):
    with np.errstate(over="ignore"), pytest.raises(InvalidDataError, match=message):
        Recording(data, 10)


@pytest.mark.parametrize("rate", [0, -1, float("nan"), float("inf"), "fast", None])
def test_bad_sample_rate(rate):
    with pytest.raises(InvalidParameterError, match="sample_rate"):
        make(rate=rate)


@pytest.mark.parametrize("gain", [0, -0.5, float("nan"), "x"])
def test_bad_gain(gain):
    with pytest.raises(InvalidParameterError, match="gain_uv"):
        make(gain_uv=gain)


def test_channel_ids_must_match_channels():
    with pytest.raises(InvalidDataError, match="one id per channel"):
        make(channel_ids=[1, 2])
    with pytest.raises(InvalidDataError, match="one id per channel"):
        make(channel_ids=np.zeros((3, 1)))
    assert make(channel_ids=["a", "b", "c"]).channel_ids.tolist() == ["a", "b", "c"]


def test_errors_are_cortexlink_and_value_errors():
    with pytest.raises(CortexlinkError):
        make(rate=-1)
    with pytest.raises(ValueError):
        Recording(np.zeros((0, 3)), 1)


def test_microvolts_scales_counts_and_keeps_floats():
    rec = Recording(np.array([[-2, 0, 4]], np.int16), 10, gain_uv=0.25)
    uv = rec.microvolts()
    assert uv.dtype == np.float32 and uv.tolist() == [[-0.5, 0.0, 1.0]]
    floats = Recording(np.array([[1.5, -2.5]], np.float32), 10)
    assert floats.microvolts().tolist() == [[1.5, -2.5]]


@pytest.mark.parametrize("index, expected", [
    (1, [1]), ([2, 0], [2, 0]), (slice(0, 2), [0, 1]), (np.array([True, False, True]), [0, 2]), (-1, [2]),
])
def test_select_channels(index, expected):
    rec = make(channel_ids=["a", "b", "c"], site="s", metadata={"k": 1}, gain_uv=0.5)
    sub = rec.select_channels(index)
    assert sub.channel_ids.tolist() == [["a", "b", "c"][i] for i in expected]
    assert np.array_equal(sub.data, rec.data[expected])
    assert (sub.site, sub.gain_uv, sub.sample_rate, sub.metadata) == ("s", 0.5, 1000.0, {"k": 1})
    assert sub.metadata is not rec.metadata and sub.data.flags.c_contiguous


def test_select_channels_bad_index():
    rec = make()
    with pytest.raises(InvalidParameterError, match="does not fit 3 channels"):
        rec.select_channels(5)
    with pytest.raises(InvalidDataError, match="zero channels"):
        rec.select_channels([])


def test_time_slice_positions_and_t0():
    rec = make(t0=10.0)  # 100 samples at 1 kHz
    part = rec.time_slice(0.02, 0.05)
    assert part.n_samples == 30 and part.t0 == pytest.approx(10.02)
    assert np.array_equal(part.data, rec.data[:, 20:50])
    assert rec.time_slice(0.09).n_samples == 10
    assert rec.time_slice(-1.0, 0.01).n_samples == 10  # clamped at the start
    assert rec.time_slice(0.0, 99.0).n_samples == 100  # and at the end
    assert rec.time_slice(5.0).n_samples == 0
    with pytest.raises(InvalidParameterError, match="before start"):
        rec.time_slice(0.05, 0.02)


@settings(max_examples=60, deadline=None)
@given(n_samples=st.integers(0, 200), chunk=st.integers(1, 70), n_channels=st.integers(1, 4))
def test_chunks_tile_the_recording(n_samples, chunk, n_channels):
    rec = make(n_channels=n_channels, n_samples=n_samples, rate=250.0)
    chunks = list(rec.chunks(chunk, origin_ns=123))
    assert len(chunks) == -(-n_samples // chunk)
    assert all(c.n_samples == chunk for c in chunks[:-1])
    assert [c.start_sample for c in chunks] == list(range(0, n_samples, chunk))
    assert all(c.origin_ns == 123 and c.sample_rate == 250.0 and c.n_channels == n_channels for c in chunks)
    joined = np.concatenate([c.data for c in chunks], axis=1) if chunks else rec.data[:, :0]
    assert np.array_equal(joined, rec.data)


@pytest.mark.parametrize("size", [0, -3])
def test_chunks_need_a_positive_size(size):
    with pytest.raises(InvalidParameterError, match="chunk_samples must be positive"):
        next(make().chunks(size))
