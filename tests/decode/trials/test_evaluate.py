"""evaluate_eeg: within-session CV and cross-session with/without calibration, on simulated sessions."""

from __future__ import annotations

import numpy as np
import pytest

from cortexlink.core.errors import InvalidParameterError
from cortexlink.decode.trials import evaluate_eeg
from cortexlink.decode.trials.evaluate import stratified_folds


def test_schemes_and_metrics(two_sessions, tmp_path):
    pytest.importorskip("matplotlib")
    r = evaluate_eeg(two_sessions, ["ts-lr"], folds=3, calibration_trials=10, repeats=2, plot=tmp_path)
    schemes = {s.scheme for s in r.scores}
    assert schemes == {"within", "cross", "cross-heldout", "calibrated"}
    within = r.get("ts-lr", "within")
    assert within.accuracy > 0.7 and within.roc_auc > 0.8 and within.confusion.sum() == 60
    assert r.get("ts-lr", "calibrated").confusion.sum() == 2 * 2 * 20  # 2 directions x 2 draws x 20 held out
    assert np.isfinite(r.recovered("ts-lr")) or np.isnan(r.recovered("ts-lr"))
    assert all(p.exists() for p in r.plots) and len(r.plots) == 2
    assert r.table()[0].split()[:3] == ["pipeline", "scheme", "accuracy"]
    # one record per direction, agreeing with the pooled cross-session scores
    assert sorted((d.train, d.test) for d in r.directions) == [(0, 1), (1, 0)]
    assert np.isclose(np.mean([d.roc_auc for d in r.directions]), r.get("ts-lr", "cross").roc_auc)
    assert np.isclose(
        np.mean([d.calibrated_accuracy for d in r.directions]), r.get("ts-lr", "calibrated").accuracy
    )


def test_cross_only(two_sessions):
    r = evaluate_eeg(two_sessions, ["csp-lda"], within=False, calibration_trials=0)
    assert {s.scheme for s in r.scores} == {"cross"} and len(r.directions) == 2
    with pytest.raises(InvalidParameterError, match="nothing to evaluate"):
        evaluate_eeg(two_sessions, ["csp-lda"], within=False, cross=False)


def test_folds_are_stratified_and_cover_every_trial():
    y = np.array([0] * 10 + [1] * 6)
    folds = stratified_folds(y, 3, seed=1)
    tests = np.concatenate([t for _, t in folds])
    assert sorted(tests) == list(range(16))
    assert all(set(y[t]) == {0, 1} for _, t in folds)


def test_cross_needs_two_sessions(two_class):
    with pytest.raises(InvalidParameterError, match="two recordings"):
        evaluate_eeg(two_class, ["csp-lda"])
