"""cortexlink seizure-train / seizure-eval / seizure-detect."""

import json

import numpy as np

from cortexlink.io import save_recording
from cortexlink.sim.scene import simulate_scene

from .helpers import run


def _scene_file(tmp_path):
    scene = simulate_scene(n_sites=1, channels_per_site=4, seconds=30.0, sample_rate=250.0, seizure=True,
                           seizure_onset_s=8.0, seizure_duration_s=16.0, seed=5, task=None)
    path = tmp_path / "scene.npz"
    save_recording(scene.recordings["site0"], path)
    return path, scene.truth


def test_detect_prints_json_events(tmp_path, capsys):
    path, truth = _scene_file(tmp_path)
    code, out, _ = run(["seizure-detect", str(path), "--json"], capsys)
    assert code == 0
    events = [json.loads(line) for line in out.splitlines()]
    assert events and all(ev["kind"] == "seizure" for ev in events)
    on, off = truth.seizure_onsets_s["site0"], truth.seizure_offsets_s["site0"]
    assert on <= events[0]["detect_time"] <= off


def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys):
    code, out, err = run(["seizure-detect", str(tmp_path / "missing.edf")], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    path, _ = _scene_file(tmp_path)
    model = tmp_path / "model.npz"
    np.savez(model, w=np.zeros(3))
    code, _, err = run(["seizure-detect", str(path), "--model", str(model)], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1
    code, _, err = run(["seizure-eval", "--data", str(tmp_path)], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1
