"""train_decoder and evaluate_decoders: what the decoder commands do, as Python calls."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cortexlink.core.errors import CortexlinkError, InvalidParameterError
from cortexlink.decode import MotorData, load_decoder
from cortexlink.decode.evaluate import default_decoders, evaluate_decoders, train_decoder

from .helpers import intent_labels


@pytest.fixture(scope="module")
def motor(population):
    X, Y = population
    return MotorData(X[:, :1200], Y[:, :1200], 0.05, ["vx", "vy"], labels=intent_labels(Y[:, :1200]),
                     source="sim.mat")


def test_evaluate_regressors_and_classifiers(motor):
    ev = evaluate_decoders(motor, ["wiener", "kalman-ss", "lda"], folds=3, settings={"n_lags": 2})
    assert [s.decoder for s in ev.regression] == ["wiener", "kalman-ss"]
    assert all(np.all(s.r2 > 0.5) for s in ev.regression)
    (cls,) = ev.classification
    assert cls.accuracy > cls.chance == 0.25
    rows = {r["decoder"]: r for r in ev.rows()}
    assert rows["wiener"]["r2_mean"] == pytest.approx(float(ev.regression[0].r2.mean()))
    assert set(rows["lda"]) == {"decoder", "accuracy", "chance", "fit_s"}
    assert (ev.folds, ev.n_features, ev.n_bins) == (3, motor.X.shape[0], 1200)


def test_write_json_writes_the_rows(motor, tmp_path):
    ev = evaluate_decoders(motor, ["wiener"], folds=2, settings={"n_lags": 1})
    target = ev.write_json(tmp_path / "table.json")
    assert json.loads(target.read_text()) == ev.rows()
    with pytest.raises(CortexlinkError, match="does not exist"):
        ev.write_json(tmp_path / "nodir" / "table.json")


def test_settings_reach_each_decoder(motor):
    # n_lags=1 vs the default 10 lags change the Wiener filter's cross-validated predictions
    a = evaluate_decoders(motor, ["wiener"], folds=3, settings={"wiener.n_lags": 1}).regression[0].cv
    b = evaluate_decoders(motor, ["wiener"], folds=3).regression[0].cv
    assert not np.allclose(a.Y_pred, b.Y_pred)


def test_everything_is_checked_before_fitting(motor):
    with pytest.raises(InvalidParameterError, match="at least 2 folds"):
        evaluate_decoders(motor, ["wiener"], folds=1)
    with pytest.raises(InvalidParameterError, match="unknown decoder"):
        evaluate_decoders(motor, ["magic"])
    with pytest.raises(InvalidParameterError, match="no decoder among wiener, lda has a parameter 'nope'"):
        evaluate_decoders(motor, ["wiener", "lda"], settings={"nope": 1})


def test_default_decoders():
    trials = MotorData(np.ones((3, 8)), np.ones((2, 8)), None, ["x", "y"], metadata={"trials": True})
    assert default_decoders(trials) == (["lda", "svm"], [])
    names, notes = default_decoders(MotorData(np.ones((3, 8)), np.ones((2, 8)), None, ["x", "y"]))
    assert names[:3] == ["wiener", "kalman", "kalman-ss"] and (("gru" in names) != bool(notes))


def test_train_saves_and_checks_the_output_first(motor, tmp_path):
    dec = train_decoder(motor, "kalman", {"n_lags": 2}, out=tmp_path / "k.npz")
    assert load_decoder(tmp_path / "k.npz").n_lags == dec.n_lags == 2
    with pytest.raises(CortexlinkError, match="does not exist"):
        train_decoder(tmp_path / "no_such.mat", "kalman", out=tmp_path / "nodir" / "k.npz")
