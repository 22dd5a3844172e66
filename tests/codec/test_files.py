"""compress_file / decompress_file: the CLI's codec commands as one Python call each."""

import numpy as np
import pytest

from cortexlink.codec import files
from cortexlink.codec.files import compress_file, decompress_file
from cortexlink.core.errors import CortexlinkError, RecordingNotFoundError
from cortexlink.core.recording import Recording
from cortexlink.io import open_recording, save_recording
from cortexlink.io.wav import wav_bytes


def _walk(n_ch=2, n=4000):
    rng = np.random.default_rng(2)
    return np.cumsum(rng.integers(-20, 21, (n_ch, n)), axis=1).astype(np.int16)


def test_wav_files_come_back_byte_for_byte_and_ranges_as_recordings(tmp_path):
    source = tmp_path / "a.wav"
    source.write_bytes(wav_bytes(_walk(), 1000))
    done = compress_file(source, tmp_path / "a.cxl", "fast", 1.0)
    assert done.original_bytes == source.stat().st_size == 44 + _walk().nbytes
    assert done.compressed_bytes == (tmp_path / "a.cxl").stat().st_size and done.ratio > 1
    back = decompress_file(tmp_path / "a.cxl", tmp_path / "b.wav")
    assert back.kind == "original WAV file" and (tmp_path / "b.wav").read_bytes() == source.read_bytes()
    part = decompress_file(tmp_path / "a.cxl", tmp_path / "c.npz", 1.5, 2.25)
    assert (part.n_channels, part.n_samples, part.kind) == (2, 750, "npz recording")
    np.testing.assert_array_equal(open_recording(tmp_path / "c.npz").data, _walk()[:, 1500:2250])


def test_other_formats_keep_rate_and_gain(tmp_path):
    save_recording(Recording(_walk(), 500.0, gain_uv=0.25), tmp_path / "a.npz")
    compress_file(tmp_path / "a.npz", tmp_path / "a.cxl")
    decompress_file(tmp_path / "a.cxl", tmp_path / "b.npz")
    back = open_recording(tmp_path / "b.npz")
    assert (back.sample_rate, back.gain_uv) == (500.0, 0.25)
    np.testing.assert_array_equal(back.data, _walk())


def test_paths_are_checked_before_any_work(tmp_path, monkeypatch):
    source = tmp_path / "a.wav"
    source.write_bytes(wav_bytes(_walk(), 1000))
    monkeypatch.setattr(files, "compress_wav_file", lambda *a: pytest.fail("compressed before checking"))
    with pytest.raises(CortexlinkError, match="does not exist; create it first"):
        compress_file(source, tmp_path / "no" / "a.cxl")
    with pytest.raises(RecordingNotFoundError, match="no such file"):
        compress_file(tmp_path / "none.wav", tmp_path / "a.cxl")
    with pytest.raises(CortexlinkError, match="does not exist"):
        decompress_file(source, tmp_path / "no" / "b.wav")
