"""Raw binary: interleaved frames, caller-given layout, size checked against the frame size."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cortexlink.core import (
    CorruptDataError,
    InvalidDataError,
    InvalidParameterError,
    Recording,
    RecordingNotFoundError,
)
from cortexlink.io.raw import load_raw, raw_dtype, raw_reading_options, save_raw


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_round_trip_is_bit_exact(tmp_path_factory, recordings, same_bits, data):
    rec = data.draw(recordings())
    path = tmp_path_factory.mktemp("raw") / "r.bin"
    save_raw(rec, path)
    back = load_raw(path, dtype=rec.data.dtype.name, n_channels=rec.n_channels, sample_rate=rec.sample_rate,
                    gain_uv=rec.gain_uv)
    assert same_bits(back.data, rec.data)
    assert (back.sample_rate, back.gain_uv) == (rec.sample_rate, rec.gain_uv)


def test_layout_is_interleaved_little_endian(tmp_path):
    save_raw(Recording(np.array([[1, 2], [3, 4]], np.int16), 10), tmp_path / "x.raw")
    assert (tmp_path / "x.raw").read_bytes() == np.array([1, 3, 2, 4], "<i2").tobytes()


def test_other_integer_and_float_dtypes_are_converted(tmp_path):
    (tmp_path / "be.dat").write_bytes(np.array([1, -2, 300, 4], ">i4").tobytes())
    rec = load_raw(tmp_path / "be.dat", dtype=">i4", n_channels=2, sample_rate=5)
    assert rec.data.dtype == np.int16 and rec.data.tolist() == [[1, 300], [-2, 4]]
    (tmp_path / "f8.dat").write_bytes(np.array([0.5, 1.5], "<f8").tobytes())
    rec = load_raw(tmp_path / "f8.dat", dtype="float64", n_channels=1, sample_rate=5)
    assert rec.data.dtype == np.float32 and rec.data.tolist() == [[0.5, 1.5]]


def test_size_not_a_whole_number_of_frames(tmp_path):
    (tmp_path / "odd.raw").write_bytes(b"\x00" * 10)
    with pytest.raises(CorruptDataError, match="10 bytes, not a whole number of 4-byte frames"):
        load_raw(tmp_path / "odd.raw", dtype="int16", n_channels=2, sample_rate=1000)


@pytest.mark.parametrize("options, message", [
    ({"n_channels": 2, "sample_rate": 10}, "no dtype"),
    ({"dtype": "int16", "sample_rate": 10}, "no channel count"),
    ({"dtype": "int16", "n_channels": 2}, "no sample rate"),
    ({"dtype": "int16", "n_channels": 0, "sample_rate": 10}, "positive integer"),
    ({"dtype": "int16", "n_channels": 2.5, "sample_rate": 10}, "positive integer"),
    ({"dtype": "int16", "n_channels": 2, "sample_rate": 0}, "positive finite"),
    ({"dtype": "int16", "n_channels": 2, "sample_rate": -3}, "positive finite"),
    ({"dtype": "complex64", "n_channels": 2, "sample_rate": 10}, "not a plain integer or float"),
    ({"dtype": "banana", "n_channels": 2, "sample_rate": 10}, "unknown dtype"),
])
def test_bad_options(tmp_path, options, message):
    (tmp_path / "ok.raw").write_bytes(b"\x00" * 16)
    with pytest.raises(InvalidParameterError, match=message):
        load_raw(tmp_path / "ok.raw", **options)


def test_values_outside_int16_and_nan_are_invalid(tmp_path):
    (tmp_path / "u.raw").write_bytes(np.array([1, 40000], "<u2").tobytes())
    with pytest.raises(InvalidDataError, match="int16 range"):
        load_raw(tmp_path / "u.raw", dtype="uint16", n_channels=1, sample_rate=1)
    (tmp_path / "n.raw").write_bytes(np.array([1, np.nan], "<f4").tobytes())
    with pytest.raises(InvalidDataError, match="NaN"):
        load_raw(tmp_path / "n.raw", dtype="float32", n_channels=1, sample_rate=1)


def test_missing_file(tmp_path):
    with pytest.raises(RecordingNotFoundError):
        load_raw(tmp_path / "none.raw", dtype="int16", n_channels=1, sample_rate=1)


def test_reading_options_describe_the_file():
    rec = Recording(np.zeros((3, 2), np.float32), 19531.25)
    assert raw_reading_options(rec) == "--dtype float32 --channels 3 --sample-rate 19531.25"
    rec = Recording(np.zeros((1, 2), np.int16), 30000, gain_uv=0.195)
    assert raw_reading_options(rec).endswith("--gain 0.195")


def test_dtype_defaults_to_little_endian():
    assert raw_dtype("int16") == np.dtype("<i2") and raw_dtype(">f4") == np.dtype(">f4")


def test_layout_comes_from_an_info_json_beside_the_file(tmp_path):
    frames = np.arange(12, dtype="<i2").reshape(4, 3)  # 4 frames of 3 channels
    frames.tofile(tmp_path / "r.raw")
    (tmp_path / "info.json").write_text('{"dtype": "int16", "sample_rate": 15000.0, "shape": [-1, 3]}')
    rec = load_raw(tmp_path / "r.raw")
    assert rec.data.shape == (3, 4) and rec.sample_rate == 15000.0
    np.testing.assert_array_equal(rec.data, frames.T)
    assert "info.json" in rec.metadata["layout_source"]
    given = load_raw(tmp_path / "r.raw", n_channels=1, sample_rate=100.0)  # given beats the sidecar
    assert given.data.shape == (1, 12) and given.sample_rate == 100.0


@pytest.mark.parametrize("text, message", [
    ("[1, 2]", "JSON object"),
    ("{not json", "does not describe"),
    ('{"dtype": 16}', "dtype"),
    ('{"sample_rate": -5}', "sample_rate"),
    ('{"shape": [4]}', "shape"),
    ('{"shape": [-1, 0]}', "shape"),
])
def test_a_bad_info_json_is_named(tmp_path, text, message):
    np.zeros(4, "<i2").tofile(tmp_path / "r.raw")
    (tmp_path / "info.json").write_text(text)
    with pytest.raises(InvalidDataError, match=message) as err:
        load_raw(tmp_path / "r.raw")
    assert "info.json" in str(err.value)
