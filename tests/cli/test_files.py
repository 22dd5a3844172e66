"""``cortexlink info`` and ``cortexlink convert`` on real files, and one-line errors on bad input."""

from __future__ import annotations

import numpy as np
import pytest

from cortexlink.core import Recording
from cortexlink.io import open_recording, save_recording

from .helpers import run


def fails_with_one_line(argv: list[str], capsys, *fragments: str) -> str:
    code, out, err = run(argv, capsys)
    assert code == 2, (code, out, err)
    assert out == ""
    assert err.endswith("\n") and err.count("\n") == 1, err
    for fragment in fragments:
        assert fragment in err, err
    return err


@pytest.fixture(scope="module")
def wav_file(data_dir):
    return sorted((data_dir / "neuralink").glob("*.wav"))[0]


def test_info_on_a_wav(wav_file, capsys):
    code, out, err = run(["info", wav_file], capsys)
    assert code == 0 and err == ""
    rec = open_recording(wav_file)
    fields = {line[:14].strip(): line[14:] for line in out.splitlines()}  # a 14-wide key column
    assert fields["channels"] == "1" and fields["dtype"] == "int16" and fields["sample rate"] == "19531 Hz"
    assert fields["samples"] == str(rec.n_samples) and fields["duration"] == f"{rec.duration:.6g} s"
    assert fields["value range"].startswith(f"{rec.data.min()} .. {rec.data.max()} counts")
    assert fields["gain"] == "1 uV per count" and fields["site"] == "0" and fields["format"] == "wav"


def test_info_on_edf_lists_names_and_annotations(data_dir, capsys):
    code, out, _ = run(["info", data_dir / "eeg_mi/eegmmidb/S001/S001R03.edf"], capsys)
    assert code == 0
    assert "channels      64" in out and "160 Hz" in out and "float32" in out
    assert "Fc5., Fc3." in out and "(64 in all)" in out and "annotations   30" in out


def test_info_on_raw_needs_and_uses_the_layout(data_dir, tmp_path, capsys):
    path = data_dir / "spikesort/tridesclous_locust/locust_trial_01.raw"
    bare = tmp_path / "locust.raw"  # the same bytes without the info.json beside them
    bare.symlink_to(path)
    fails_with_one_line(["info", bare], capsys, "no dtype given", "--dtype", "info.json")
    code, out, _ = run(["info", bare, *"--dtype int16 --channels 4 --sample-rate 15000".split()], capsys)
    assert code == 0 and "channels      4" in out and "431548" in out


def test_info_reads_the_info_json_beside_a_raw_file(data_dir, capsys):
    code, out, _ = run(["info", data_dir / "spikesort/tridesclous_locust/locust_trial_01.raw"], capsys)
    assert code == 0, out
    assert "channels      4" in out and "431548" in out and "15000 Hz" in out and "int16" in out
    assert "info.json" in out
    purkinje = data_dir / "spikesort/tridesclous_purkinje/purkinje_cell_attached.raw"
    code, out, _ = run(["info", purkinje, "--channels", "1"], capsys)  # what is given beats the sidecar
    assert code == 0 and "channels      1" in out and "850500" in out and "float32" in out


def test_info_on_text_needs_a_rate_unless_bonn(data_dir, capsys):
    c3 = data_dir / "seizure/ombao_wang2018_8ch/c3.txt"
    fails_with_one_line(["info", c3], capsys, "--sample-rate")
    code, out, _ = run(["info", c3, "--sample-rate", "100"], capsys)
    assert code == 0 and "326.78 s" in out
    code, out, _ = run(["info", data_dir / "seizure/bonn/A_Z/Z001.txt"], capsys)
    assert code == 0 and "173.61 Hz" in out and "Bonn" in out


def test_convert_chain_is_lossless(wav_file, tmp_path, capsys):
    original = open_recording(wav_file)
    steps = [(wav_file, tmp_path / "a.npz"), (tmp_path / "a.npz", tmp_path / "b.nwb"),
             (tmp_path / "b.nwb", tmp_path / "c.bin")]
    for source, target in steps:
        code, out, err = run(["convert", source, target], capsys)
        assert code == 0 and f"wrote {target}" in out, err
    layout = "--dtype int16 --channels 1 --sample-rate 19531"
    assert f"read it back with: cortexlink info {tmp_path / 'c.bin'} {layout}" in out
    code, _, err = run(["convert", tmp_path / "c.bin", tmp_path / "d.wav", *layout.split()], capsys)
    assert code == 0, err
    back = open_recording(tmp_path / "d.wav")
    assert np.array_equal(back.data, original.data) and back.sample_rate == original.sample_rate


def test_convert_float_to_wav_needs_a_gain(tmp_path, capsys):
    save_recording(Recording(np.array([[0.5, -0.25, 1.0]], np.float32), 1000), tmp_path / "f.npz")
    fails_with_one_line(["convert", tmp_path / "f.npz", tmp_path / "f.wav"], capsys, "--out-gain")
    code, out, _ = run(["convert", tmp_path / "f.npz", tmp_path / "f.wav", "--out-gain", "0.25"], capsys)
    assert code == 0 and "read it back" not in out  # the WAV keeps its gain
    assert open_recording(tmp_path / "f.wav").microvolts().tolist() == [[0.5, -0.25, 1.0]]


def _corrupt_files(tmp_path):
    save_recording(Recording(np.zeros((2, 50), np.int16), 1000), tmp_path / "ok.wav")
    save_recording(Recording(np.zeros((2, 50), np.int16), 1000), tmp_path / "ok.npz")
    (tmp_path / "cut.wav").write_bytes((tmp_path / "ok.wav").read_bytes()[:-7])
    (tmp_path / "cut.npz").write_bytes((tmp_path / "ok.npz").read_bytes()[:200])
    (tmp_path / "junk.wav").write_bytes(b"\x00" * 64)
    (tmp_path / "notes.xyz").write_text("hello")
    (tmp_path / "nan.bin").write_bytes(np.array([np.nan, 1.0], "<f4").tobytes())
    (tmp_path / "odd.bin").write_bytes(b"\x00" * 7)


@pytest.mark.parametrize("args, fragments", [
    ("info {d}/missing.wav", ["no such file"]),
    ("info {d}", ["is a directory"]),
    ("info {d}/notes.xyz", ["'.xyz'", ".wav, .npz"]),
    ("info {d}/cut.wav", ["truncated"]),
    ("info {d}/junk.wav", ["not a RIFF/WAVE"]),
    ("info {d}/cut.npz", ["not a readable NPZ"]),
    ("info {d}/ok.wav --dtype int16", ["dtype does not apply to wav"]),
    ("info {d}/nan.bin --dtype float32 --channels 1 --sample-rate 10", ["NaN"]),
    ("info {d}/odd.bin --dtype int16 --channels 1 --sample-rate 10", ["whole number"]),
    ("info {d}/odd.bin --dtype int8 --channels 0 --sample-rate 10", ["positive integer"]),
    ("info {d}/odd.bin --dtype int8 --channels 7 --sample-rate -1", ["positive finite"]),
    ("info {d}/odd.bin --dtype int8 --channels 7 --sample-rate nan", ["positive finite"]),
    ("info {d}/ok.wav --sample-rate fast", ["invalid float value"]),
    ("info", ["required"]),
    ("convert {d}/ok.wav {d}/ok.wav", ["same file"]),
    ("convert {d}/ok.wav {d}/out.edf", ["does not write"]),
    ("convert {d}/ok.wav {d}/out.qqq", ["from its extension"]),
    ("convert {d}/ok.wav {d}/no/dir/out.npz", ["does not exist"]),
    ("convert {d}/ok.wav {d}/out.npz --out-gain 2", ["gain_uv does not apply to npz"]),
    ("convert {d}/ok.npz {d}/out.wav --out-gain -2", ["positive"]),
])
def test_bad_input_prints_one_line_and_exits_2(tmp_path, capsys, args, fragments):
    _corrupt_files(tmp_path)
    fails_with_one_line(args.format(d=tmp_path).split(), capsys, *fragments)
