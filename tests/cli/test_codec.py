"""cortexlink compress / decompress / codec-eval, and the ./encode ./decode executables."""

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cortexlink.cli import main
from cortexlink.core.recording import Recording
from cortexlink.io import open_recording, save_recording

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wav_file(data_dir):
    return sorted((data_dir / "neuralink").glob("*.wav"))[5]


def test_wav_in_gives_the_identical_wav_out(wav_file, tmp_path, capsys):
    packed, restored = tmp_path / "a.cxl", tmp_path / "a.wav"
    assert main(["compress", str(wav_file), str(packed), "--level", "fast"]) == 0
    assert "ratio" in capsys.readouterr().out
    assert packed.stat().st_size < wav_file.stat().st_size / 2
    assert main(["decompress", str(packed), str(restored)]) == 0
    assert restored.read_bytes() == wav_file.read_bytes()


def test_other_formats_go_through_recordings(wav_file, tmp_path):
    packed, npz = tmp_path / "a.cxl", tmp_path / "a.npz"
    assert main(["compress", str(wav_file), str(packed), "--level", "fast"]) == 0
    assert main(["decompress", str(packed), str(npz)]) == 0
    rec = open_recording(npz)
    np.testing.assert_array_equal(rec.data, open_recording(wav_file).data)
    data = np.arange(-3000, 3000, dtype=np.int16).reshape(3, 2000)
    save_recording(Recording(data, 1000.0, gain_uv=0.5), tmp_path / "b.npz")
    assert main(["compress", str(tmp_path / "b.npz"), str(tmp_path / "b.cxl"), "--block-seconds", "0.5"]) == 0
    assert main(["decompress", str(tmp_path / "b.cxl"), str(tmp_path / "c.npz")]) == 0
    back = open_recording(tmp_path / "c.npz")
    np.testing.assert_array_equal(back.data, data)
    assert (back.sample_rate, back.gain_uv) == (1000.0, 0.5)
    assert main(["decompress", str(tmp_path / "b.cxl"), str(tmp_path / "d.npz"), "--start", "0.7",
                 "--stop", "1.25"]) == 0
    np.testing.assert_array_equal(open_recording(tmp_path / "d.npz").data, data[:, 700:1250])


def test_codec_eval_scores_a_folder_and_plots(data_dir, tmp_path, capsys):
    folder = tmp_path / "wavs"
    folder.mkdir()
    for path in sorted((data_dir / "neuralink").glob("*.wav"))[:3]:
        shutil.copy(path, folder / path.name)
    png = tmp_path / "hist.png"
    assert main(["codec-eval", str(folder), "--level", "fast", "--plot", str(png)]) == 0
    out = capsys.readouterr().out
    assert "3 (3 byte-exact)" in out and "M samples/s" in out and "program bytes" in out
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_damaged_input_is_one_line_and_exit_2(wav_file, tmp_path, capsys):
    packed = tmp_path / "a.cxl"
    main(["compress", str(wav_file), str(packed), "--level", "fast"])
    data = bytearray(packed.read_bytes())
    data[len(data) // 2] ^= 4
    packed.write_bytes(bytes(data))
    assert main(["decompress", str(packed), str(tmp_path / "out.wav")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("cortexlink: error:") and "CRC32" in err and "\n" not in err
    assert main(["codec-eval", str(tmp_path / "nothing")]) == 2
    assert main(["compress", str(tmp_path / "missing.wav"), str(tmp_path / "m.cxl")]) == 2
    assert "missing.wav" in capsys.readouterr().err


def test_root_encode_and_decode_executables_round_trip(wav_file, tmp_path):
    packed, restored = tmp_path / "x.bin", tmp_path / "x.wav"
    for cmd in (["./encode", str(wav_file), str(packed)], ["./decode", str(packed), str(restored)]):
        subprocess.run(cmd, cwd=ROOT, check=True, timeout=120)
    assert restored.read_bytes() == wav_file.read_bytes()
    bad = subprocess.run([sys.executable, "decode", str(wav_file), str(restored)], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0 and "magic" in bad.stderr and "Traceback" not in bad.stderr
    usage = subprocess.run([sys.executable, "encode", str(wav_file)], cwd=ROOT, capture_output=True,
                           text=True, timeout=120)
    assert usage.returncode != 0 and usage.stderr == "usage: ./encode IN.wav OUT\n"


@pytest.mark.parametrize("script", ["encode", "decode"])
def test_executables_without_their_dependencies_say_what_to_install(script, tmp_path):
    """``python -S`` sees no site-packages: as a fresh clone on a machine without numpy."""
    done = subprocess.run([sys.executable, "-S", script, "in", str(tmp_path / "out")], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1 and "numpy" in done.stderr, done.stderr
    assert "pip install numpy numba" in done.stderr


def test_executables_name_a_missing_input_or_output_folder(wav_file, tmp_path):
    for argv, fragment in ((["encode", str(tmp_path / "none.wav"), str(tmp_path / "x")], "none.wav"),
                           (["encode", str(wav_file), str(tmp_path / "no" / "x")], "does not exist")):
        done = subprocess.run([sys.executable, *argv], cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert done.returncode != 0 and fragment in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("seconds", ["nan", "inf", "-1", "0", "0.00001"])
def test_a_bad_block_length_is_one_line_and_exit_2(wav_file, tmp_path, capsys, seconds):
    out = tmp_path / "a.cxl"
    assert main(["compress", str(wav_file), str(out), "--block-seconds", seconds]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cortexlink: error: block_seconds") and err.count("\n") == 1, err
    assert not out.exists()


def test_decompress_ranges_are_answered_in_seconds(wav_file, tmp_path, capsys):
    packed = tmp_path / "a.cxl"
    assert main(["compress", str(wav_file), str(packed), "--level", "fast"]) == 0
    capsys.readouterr()
    assert main(["decompress", str(packed), str(tmp_path / "b.npz"), "--start", "100"]) == 2
    err = capsys.readouterr().err
    assert "start 100 s" in err and "s long" in err and "sample" not in err, err
    assert main(["decompress", str(packed), str(tmp_path / "b.npz"), "--start", "nan"]) == 2
    assert "start must be" in capsys.readouterr().err


def test_codec_eval_names_every_failing_file_and_exits_1(data_dir, tmp_path, capsys):
    folder = tmp_path / "wavs"
    folder.mkdir()
    for path in sorted((data_dir / "neuralink").glob("*.wav"))[:2]:
        shutil.copy(path, folder / path.name)
    (folder / "a-broken.wav").write_bytes(b"RIFF....")
    (folder / "b-broken.wav").write_bytes(b"")
    assert main(["codec-eval", str(folder), "--level", "fast"]) == 1
    out = capsys.readouterr().out
    assert "2 (2 byte-exact), 2 failed" in out and "FAILED: 2 file(s)" in out
    assert "  a-broken.wav: " in out and "  b-broken.wav: " in out
    assert main(["codec-eval", str(tmp_path / "nowhere")]) == 2
    assert "no such folder" in capsys.readouterr().err
