"""open_recording / save_recording: choosing the format, passing options, and refusing bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cortexlink.core import (
    CorruptDataError,
    CortexlinkError,
    InvalidDataError,
    InvalidParameterError,
    Recording,
    RecordingNotFoundError,
    UnsupportedFormatError,
)
from cortexlink.io import format_of, open_recording, readback_options, save_recording

INT16 = Recording(np.arange(-6, 6, dtype=np.int16).reshape(3, 4), 30000, gain_uv=0.195, t0=1.0, site="a")
FLOAT = Recording(np.linspace(-1, 1, 12, dtype=np.float32).reshape(2, 6), 1000.5)
RAW_OPTIONS = {"dtype": "int16", "n_channels": 3, "sample_rate": 30000}


@pytest.mark.parametrize("name, fmt", [
    ("a.wav", "wav"), ("a.WAV", "wav"), ("a.npz", "npz"), ("a.nwb", "nwb"), ("a.edf", "edf"),
    ("a.bdf", "edf"), ("a.bin", "raw"), ("a.raw", "raw"), ("a.dat", "raw"), ("a.txt", "text"),
    ("a.asc", "text"),
])
def test_format_by_extension(name, fmt):
    assert format_of(name) == fmt


@pytest.mark.parametrize("ext", [".wav", ".npz", ".nwb"])
def test_format_by_magic_when_extension_is_unknown(tmp_path, ext):
    save_recording(INT16, tmp_path / f"r{ext}")
    (tmp_path / f"r{ext}").rename(tmp_path / "mystery.rec")
    rec = open_recording(tmp_path / "mystery.rec")
    assert np.array_equal(rec.data, INT16.data)


def test_real_edf_is_recognised_by_magic(data_dir, tmp_path):
    (tmp_path / "eeg.rec").write_bytes((data_dir / "eeg_mi/eegmmidb/S001/S001R01.edf").read_bytes())
    assert format_of(tmp_path / "eeg.rec") == "edf"


def test_unknown_extension_names_the_supported_ones(tmp_path):
    (tmp_path / "notes.md").write_text("# hello")
    with pytest.raises(UnsupportedFormatError, match=r"'\.md'.*\.wav, \.npz, \.nwb, \.edf.*\.txt"):
        open_recording(tmp_path / "notes.md")
    with pytest.raises(UnsupportedFormatError, match="unknown format 'mp3'"):
        open_recording(tmp_path / "notes.md", format="mp3")


def test_explicit_format_overrides_the_extension(tmp_path):
    save_recording(INT16, tmp_path / "r.npz")
    (tmp_path / "r.npz").rename(tmp_path / "r.wav")
    with pytest.raises(CorruptDataError, match="not a RIFF/WAVE"):
        open_recording(tmp_path / "r.wav")
    assert open_recording(tmp_path / "r.wav", format="npz").site == "a"


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(RecordingNotFoundError, match="no such file"):
        open_recording(tmp_path / "gone.wav")
    with pytest.raises(RecordingNotFoundError, match="is a directory"):
        open_recording(tmp_path)


@settings(max_examples=25, deadline=None)
@given(st.data(), st.sampled_from(["wav", "npz", "raw"]))
def test_save_then_open_is_bit_exact(tmp_path_factory, recordings, same_bits, data, fmt):
    dtypes = ("int16",) if fmt == "wav" else ("int16", "float32")
    rec = data.draw(recordings(dtypes=dtypes, integer_rate=True))
    path = tmp_path_factory.mktemp("rt") / f"r.{'bin' if fmt == 'raw' else fmt}"
    assert save_recording(rec, path) == fmt
    options = {"dtype": rec.data.dtype.name, "n_channels": rec.n_channels, "sample_rate": rec.sample_rate} \
        if fmt == "raw" else {}
    back = open_recording(path, gain_uv=rec.gain_uv if fmt != "npz" else None, **options)
    assert same_bits(back.data, rec.data) and back.sample_rate == rec.sample_rate


def test_nwb_through_the_dispatcher(tmp_path, same_bits):
    save_recording(FLOAT, tmp_path / "f.nwb")
    back = open_recording(tmp_path / "f.nwb", series_name="ElectricalSeries")
    assert same_bits(back.data, FLOAT.data) and back.sample_rate == 1000.5


def test_options_a_format_does_not_take_are_refused(tmp_path):
    save_recording(INT16, tmp_path / "r.wav")
    with pytest.raises(InvalidParameterError, match="dtype does not apply to wav files"):
        open_recording(tmp_path / "r.wav", dtype="int16")
    with pytest.raises(InvalidParameterError, match="gain_uv does not apply to npz"):
        save_recording(INT16, tmp_path / "r.npz", gain_uv=1.0)
    assert open_recording(tmp_path / "r.wav", dtype=None, sample_rate=None).n_channels == 3  # None: not given


def test_writing_read_only_and_unknown_formats_is_refused(tmp_path):
    with pytest.raises(UnsupportedFormatError, match="reads edf files but does not write them.*\\.wav"):
        save_recording(INT16, tmp_path / "r.edf")
    with pytest.raises(UnsupportedFormatError, match="reads text files but does not write"):
        save_recording(INT16, tmp_path / "r.txt")
    with pytest.raises(UnsupportedFormatError, match="from its extension"):
        save_recording(INT16, tmp_path / "r.xyz")
    with pytest.raises(InvalidParameterError, match="needs a Recording"):
        save_recording(INT16.data, tmp_path / "r.npz")


def test_float_to_wav_needs_a_gain(tmp_path):
    floats = Recording(FLOAT.data, 1000)
    with pytest.raises(UnsupportedFormatError, match="give a gain"):
        save_recording(floats, tmp_path / "f.wav")
    save_recording(floats, tmp_path / "f.wav", gain_uv=0.001)
    back = open_recording(tmp_path / "f.wav", gain_uv=0.001)
    assert np.allclose(back.microvolts(), floats.data, atol=0.0005)
    with pytest.raises(UnsupportedFormatError, match="integer sample rates only.*npz"):
        save_recording(FLOAT, tmp_path / "g.wav", gain_uv=0.001)


def test_writing_into_a_missing_folder(tmp_path):
    with pytest.raises(CortexlinkError, match="does not exist; create it"):
        save_recording(INT16, tmp_path / "no" / "such" / "r.npz")


def test_bad_values_name_the_file(tmp_path):
    (tmp_path / "n.raw").write_bytes(np.array([0, np.nan], "<f4").tobytes())
    with pytest.raises(InvalidDataError, match=r"n\.raw: .*NaN"):
        open_recording(tmp_path / "n.raw", dtype="float32", n_channels=1, sample_rate=10)
    (tmp_path / "e.raw").write_bytes(b"")
    assert open_recording(tmp_path / "e.raw", **RAW_OPTIONS).n_samples == 0


def test_readback_options():
    assert readback_options(INT16, "raw") == "--dtype int16 --channels 3 --sample-rate 30000 --gain 0.195"
    assert readback_options(INT16, "wav") == ""  # the WAV keeps its gain
    assert readback_options(INT16, "npz") == ""


def test_unreadable_file_is_a_cortexlink_error(tmp_path, monkeypatch):
    save_recording(INT16, tmp_path / "r.npz")
    save_recording(INT16, tmp_path / "r.wav")

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("zipfile.ZipFile", refuse)
    monkeypatch.setattr("pathlib.Path.read_bytes", refuse)
    for name in ("r.npz", "r.wav"):
        with pytest.raises(CortexlinkError, match="cannot read .*Permission denied"):
            open_recording(tmp_path / name)
