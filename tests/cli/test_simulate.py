"""``cortexlink simulate``: writes what it says, prints a summary, refuses bad input in one line."""

import numpy as np

from cortexlink.cli import main
from cortexlink.io import open_recording
from cortexlink.sim import simulate


def test_simulate_writes_recording_and_summary(tmp_path, capsys):
    out = tmp_path / "rec.npz"
    truth = tmp_path / "truth.npz"
    code = main(["simulate", "--channels", "6", "--seconds", "0.3", "--seed", "4", "--out", str(out),
                 "--truth", str(truth), "--quiet"])
    assert code == 0
    text = capsys.readouterr().out
    expected = simulate(6, 0.3, seed=4)
    assert f"{expected.truth.n_units} units" in text
    assert f"{expected.truth.spike_samples.size} spikes" in text
    assert "mean rate" in text and str(out) in text
    rec = open_recording(out)
    np.testing.assert_array_equal(rec.data, expected.recording.data)
    assert rec.gain_uv == expected.recording.gain_uv
    with np.load(truth) as saved:
        np.testing.assert_array_equal(saved["spike_samples"], expected.truth.spike_samples)
        np.testing.assert_array_equal(saved["velocity"], expected.truth.velocity)


def test_simulate_sites_write_one_file_each(tmp_path, capsys):
    out = tmp_path / "scene.wav"
    code = main(["simulate", "--channels", "4", "--seconds", "2", "--sites", "2", "--seizure", "--faults",
                 "--rate", "10000", "--out", str(out), "--quiet"])
    assert code == 0
    text = capsys.readouterr().out
    for site in ("site0", "site1"):
        path = tmp_path / f"scene_{site}.wav"
        assert path.is_file() and str(path) in text
        rec = open_recording(path)
        assert rec.data.shape == (4, 20000) and rec.sample_rate == 10000
        assert f"seizure at {site}" in text
    assert text.count("fault:") == 3


def test_simulate_plot(tmp_path, capsys):
    png = tmp_path / "sim.png"
    assert main(["simulate", "--channels", "4", "--seconds", "0.3", "--plot", str(png), "--quiet"]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert str(png) in capsys.readouterr().out


def test_simulate_without_out_prints_summary(capsys):
    assert main(["simulate", "--channels", "2", "--seconds", "0.1", "--task", "none", "--quiet"]) == 0
    assert "no file written" in capsys.readouterr().out


def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys):
    for argv in (["--channels", "0"], ["--rate", "-1"], ["--seconds", "0"], ["--sites", "0"],
                 ["--out", str(tmp_path / "x.xyz")]):
        assert main(["simulate", "--seconds", "0.05", "--channels", "2", "--quiet", *argv]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("cortexlink: error:") and "\n" not in err


def test_seizure_past_the_end_is_cut_and_said(capsys):
    argv = "simulate --channels 2 --seconds 4 --sites 3 --seizure --rate 2000 --task none --quiet"
    assert main(argv.split()) == 0
    text = capsys.readouterr().out
    said = "seizure at site2: 3.00 s to 4.00 s (the end of the recording; the episode lasts to 4.60 s)"
    assert said in text
    assert "4.60 s to" not in text and "to 4.60 s\n" not in text


def test_simulated_wav_keeps_its_gain_for_info(tmp_path, capsys):
    out = tmp_path / "sim.wav"
    assert main(["simulate", "--channels", "2", "--seconds", "0.1", "--out", str(out), "--quiet"]) == 0
    said = capsys.readouterr().out
    assert "read back with" not in said
    expected = simulate(2, 0.1, seed=0).recording
    assert main(["info", str(out)]) == 0
    fields = {line[:14].strip(): line[14:] for line in capsys.readouterr().out.splitlines()}
    assert fields["gain"] == f"{expected.gain_uv:g} uV per count" and expected.gain_uv != 1.0
    back = open_recording(out)
    assert back.gain_uv == expected.gain_uv
    np.testing.assert_array_equal(back.microvolts(), expected.microvolts())
