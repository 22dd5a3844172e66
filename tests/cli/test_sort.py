"""cortexlink sort and sort-eval: a sorting file, a summary, a score against ground truth; bad input
in one line with exit 2."""

import numpy as np
import pytest
from tests.cli.helpers import run

from cortexlink.io import save_recording
from cortexlink.sort import ground_truth_recording, load_model, load_sorting


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sort")
    recording, truth, probe = ground_truth_recording("tetrode", n_units=3, duration_s=5.0, max_depth_um=20.0,
                                                     seed=3)
    save_recording(recording, folder / "rec.npz")
    truth.save(folder / "truth.npz")
    np.savetxt(folder / "probe.txt", probe.positions)
    np.savetxt(folder / "bad_probe.txt", probe.positions[:3])
    return folder


def test_sort_and_evaluate(files, capsys):
    out, model, png = files / "units.nwb", files / "model.npz", files / "units.png"
    code, stdout, err = run(["sort", files / "rec.npz", "--out", out, "--probe", files / "probe.txt",
                             "--model", model, "--plot", png], capsys)
    assert code == 0, err
    sorting = load_sorting(out)
    assert f"{sorting.n_units} units, {sorting.n_spikes} spikes" in stdout
    assert load_model(model).unit_ids.size == sorting.n_units
    assert png.stat().st_size > 1000
    code, stdout, err = run(["sort-eval", out, files / "truth.npz", "--recording", files / "rec.npz",
                             "--plot", files / "eval.png"], capsys)
    assert code == 0, err
    assert "mean accuracy" in stdout and "well detected" in stdout
    assert (files / "eval.png").stat().st_size > 1000


@pytest.mark.parametrize(("args", "message"), [
    (["--probe", "bad_probe.txt"], "3 channels"),
    (["--probe", "missing.json"], "no such file"),
    (["--threshold", "-1"], "must not be negative"),
])
def test_bad_input_one_line(files, capsys, args, message):
    args = [files / a if a.endswith((".txt", ".json")) else a for a in args]
    code, stdout, err = run(["sort", files / "rec.npz", "--out", files / "x.npz", *args], capsys)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and message in err
