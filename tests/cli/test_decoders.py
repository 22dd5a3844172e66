"""``cortexlink decoder-train`` and ``decoder-eval`` on a real (small) motor set."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cortexlink.decode import load_decoder, load_motor

from .helpers import run

MIHI = "motor/kordinglab_DAD/mihi_demo.mat"




def test_train_wiener_then_load(data_dir, tmp_path, capsys):
    out = tmp_path / "w.npz"
    code, stdout, _ = run(
        [
            "decoder-train",
            "--data",
            str(data_dir / MIHI),
            "--decoder",
            "wiener",
            "--out",
            str(out),
            "--set",
            "n_lags=2",
        ],
        capsys,
    )
    assert code == 0 and "trained wiener" in stdout and out.is_file()
    dec = load_decoder(out)
    assert dec.n_lags == 2
    data = load_motor(data_dir / MIHI)
    assert dec.predict(data.X).shape == data.Y.shape


def test_train_gru_with_progress(data_dir, tmp_path, capsys):
    pytest.importorskip("torch")
    out = tmp_path / "g.safetensors"
    code, _, err = run(
        [
            "decoder-train",
            "--data",
            str(data_dir / MIHI),
            "--decoder",
            "gru",
            "--out",
            str(out),
            "--set",
            "epochs=2",
            "--set",
            "hidden=8",
            "--set",
            "threads=1",
        ],
        capsys,
    )
    assert code == 0 and out.is_file()
    assert load_decoder(out).hidden == 8


def test_eval_table_plots_and_json(data_dir, tmp_path, capsys):
    plots, js = tmp_path / "plots", tmp_path / "t.json"
    code, stdout, _ = run(
        [
            "decoder-eval",
            "--data",
            str(data_dir / MIHI),
            "--decoders",
            "wiener",
            "lda",
            "--folds",
            "3",
            "--plot",
            str(plots),
            "--json",
            str(js),
            "--set",
            "n_lags=2",
        ],
        capsys,
    )
    assert code == 0
    assert "wiener" in stdout and "accuracy" in stdout and "R^2" in stdout
    assert {p.name for p in plots.iterdir()} == {"decoded_wiener.png", "r2.png"}
    rows = {r["decoder"]: r for r in json.loads(js.read_text())}
    assert np.isfinite(rows["wiener"]["r2_mean"]) and rows["lda"]["accuracy"] > rows["lda"]["chance"]


@pytest.mark.parametrize(
    "argv,message",
    [
        (["--decoders", "magic"], "unknown decoder"),
        (["--decoders", "wiener", "--set", "noequals"], "KEY=VALUE"),
        (["--decoders", "wiener", "--set", "wiener.nope=1"], "has no parameter 'nope'"),
        (["--decoders", "wiener", "--folds", "1"], "at least 2 folds"),
    ],
)
def test_eval_bad_arguments(data_dir, capsys, argv, message):
    code, _, err = run(["decoder-eval", "--data", str(data_dir / MIHI), *argv], capsys)
    assert code == 2 and message in err and err.count("\n") == 1


def test_missing_file_and_missing_labels(data_dir, tmp_path, capsys):
    code, _, err = run(
        [
            "decoder-train",
            "--data",
            str(tmp_path / "none.mat"),
            "--decoder",
            "wiener",
            "--out",
            str(tmp_path / "m.npz"),
        ],
        capsys,
    )
    assert code == 2 and "no data file" in err
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"junk")
    code, _, err = run(
        ["decoder-train", "--data", str(bad), "--decoder", "wiener", "--out", str(tmp_path / "m.npz")], capsys
    )
    assert code == 2 and "cortexlink: error" in err


def test_eval_defaults_to_classifiers_for_trial_sets(data_dir, capsys):
    data = data_dir / "motor/centuri_hatsopoulos_brochier/Dataset1_reaching.mat"
    code, stdout, _ = run(["decoder-eval", "--data", str(data), "--folds", "4"], capsys)
    assert code == 0 and "lda" in stdout and "svm" in stdout and "wiener" not in stdout


@pytest.mark.parametrize(
    "argv,message",
    [
        (["--decoders", "wiener", "kalman", "--set", "foo=1"], "no decoder among wiener, kalman has"),
        (["--decoders", "wiener", "--set", "n_lags=abc"], "'n_lags' must be an int, got str 'abc'"),
        (["--decoders", "wiener", "--set", "zscore=maybe"], "'zscore' must be a bool"),
        (["--decoders", "wiener", "--set", "gru.epochs=2"], "not among those run"),
        (["--decoders", "wiener", "--set", "magic.epochs=2"], "unknown decoder 'magic'"),
    ],
)
def test_eval_unknown_or_mistyped_setting_is_an_error(data_dir, capsys, argv, message):
    code, stdout, err = run(["decoder-eval", "--data", str(data_dir / MIHI), *argv], capsys)
    assert code == 2 and message in err and err.count("\n") == 1 and "R^2" not in stdout


def test_train_unknown_setting_lists_the_valid_ones(data_dir, tmp_path, capsys):
    out = tmp_path / "w.npz"
    argv = ["decoder-train", "--data", str(data_dir / MIHI), "--decoder", "wiener", "--out", str(out)]
    code, _, err = run([*argv, "--set", "foo=1"], capsys)
    assert code == 2 and "has no parameter 'foo'" in err and "n_lags" in err and not out.exists()
    code, _, err = run([*argv, "--set", "n_lags=2.5"], capsys)
    assert code == 2 and "'n_lags' must be an int" in err and err.count("\n") == 1


def test_outputs_are_checked_before_any_work(tmp_path, capsys):
    # the data file does not exist either: a missing output folder must be reported first,
    # before the data is read or anything is fitted
    missing = tmp_path / "nodir"
    data = tmp_path / "none.mat"
    code, stdout, err = run(
        ["decoder-train", "--data", data, "--decoder", "wiener", "--out", missing / "m.npz"], capsys
    )
    assert code == 2 and f"folder {missing} does not exist" in err and stdout == ""
    for extra in (["--json", missing / "t.json"], ["--plot", missing / "plots"]):
        code, _, err = run(["decoder-eval", "--data", data, "--decoders", "wiener", *extra], capsys)
        assert code == 2 and f"folder {missing} does not exist" in err


def test_apply_a_saved_model(data_dir, tmp_path, capsys):
    model, out = tmp_path / "k.npz", tmp_path / "decoded.csv"
    data = str(data_dir / MIHI)
    assert run(["decoder-train", "--data", data, "--decoder", "kalman", "--out", model, "--set", "n_lags=2"],
               capsys)[0] == 0
    code, stdout, _ = run(["decoder-apply", "--model", model, "--data", data, "--out", out], capsys)
    assert code == 0 and "decoded 623 bins" in stdout and "R^2 vel_x" in stdout
    assert out.read_text().splitlines()[0] == "vel_x,vel_y" and len(out.read_text().splitlines()) == 624
    # the test block of mihi has other neurons: a clear one-line error
    code, _, err = run(["decoder-apply", "--model", model, "--data", data, "--part", "test"], capsys)
    assert code == 2 and "fitted on 174" in err and err.count("\n") == 1
    code, _, err = run(["decoder-apply", "--model", tmp_path / "none.npz", "--data", data], capsys)
    assert code == 2 and "no decoder file" in err
