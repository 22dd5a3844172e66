"""apply_decoder: a saved decoder on a motor set or a features recording, output written."""

from __future__ import annotations

import numpy as np
import pytest

from cortexlink.core.errors import CortexlinkError, InvalidDataError, InvalidParameterError
from cortexlink.core.recording import Recording
from cortexlink.decode import MotorData, make_decoder
from cortexlink.decode.apply import apply_decoder
from cortexlink.io import save_recording

from .helpers import intent_labels


@pytest.fixture(scope="module")
def motor(population):
    X, Y = population
    return MotorData(X[:, :1000], Y[:, :1000], 0.05, ["vx", "vy"], labels=intent_labels(Y[:, :1000]))


@pytest.fixture(scope="module")
def model(motor, tmp_path_factory):
    path = tmp_path_factory.mktemp("m") / "w.npz"
    make_decoder("wiener", n_lags=3).fit(motor.X[:, :600], motor.Y[:, :600]).save(path)
    return path


def test_motor_set_gets_r2_and_output_files(motor, model, tmp_path):
    res = apply_decoder(model, motor, out=tmp_path / "o.npz")
    assert res.output.shape == motor.Y.shape and res.output_names == ["vx", "vy"] and np.all(res.r2 > 0.5)
    with np.load(tmp_path / "o.npz", allow_pickle=False) as z:
        np.testing.assert_array_equal(z["output"], res.output)
        assert list(z["output_names"]) == ["vx", "vy"] and float(z["bin_width"]) == 0.05
    apply_decoder(model, motor, out=tmp_path / "o.csv")
    table = np.loadtxt(tmp_path / "o.csv", delimiter=",", skiprows=1)
    np.testing.assert_allclose(table.T, res.output, rtol=1e-8)
    assert (tmp_path / "o.csv").read_text().splitlines()[0] == "vx,vy"


def test_features_recording_has_no_targets(motor, model, tmp_path):
    rec = Recording(motor.X.astype(np.float32), sample_rate=20.0)
    save_recording(rec, tmp_path / "features.npz")
    res = apply_decoder(model, tmp_path / "features.npz")
    assert res.r2 is None and res.bin_width == 0.05 and res.output_names == ["out0", "out1"]
    np.testing.assert_allclose(res.output, apply_decoder(model, motor).output, rtol=1e-5, atol=1e-4)


def test_classifier_reports_accuracy(motor, tmp_path):
    path = tmp_path / "lda.npz"
    make_decoder("lda").fit(motor.X, motor.labels).save(path)
    res = apply_decoder(path, motor)
    assert res.output_names == ["label"] and res.r2 is None and res.accuracy > 0.5


def test_bad_inputs_fail_before_any_work(motor, model, tmp_path):
    with pytest.raises(CortexlinkError, match="does not exist"):
        apply_decoder(tmp_path / "missing.npz", motor, out=tmp_path / "nodir" / "o.csv")
    with pytest.raises(InvalidParameterError, match=r"\.npz or \.csv"):
        apply_decoder(model, motor, out=tmp_path / "o.txt")
    with pytest.raises(InvalidParameterError, match="decoder file itself"):
        apply_decoder(model, motor, out=model)
    with pytest.raises(InvalidDataError, match="fitted on 40"):
        apply_decoder(model, MotorData(motor.X[:5], motor.Y, None, ["vx", "vy"]))
