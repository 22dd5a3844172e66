"""Every trial classifier learns a known spatial pattern, saves and loads exactly, calibrates to a
drifted session, and refuses bad input clearly."""

from __future__ import annotations

import numpy as np
import pytest

from cortexlink.core.errors import CortexlinkError, InvalidDataError, InvalidParameterError, ModelFileError
from cortexlink.decode.trials import load_classifier, make_classifier
from cortexlink.decode.trials.metrics import itr_bits_per_min, kappa

from .conftest import simulate

FAST = {
    "eegnet": {
        "F1": 4,
        "D": 2,
        "lr": 3e-3,
        "dropout": 0.25,
        "max_epochs": 20,
        "patience": 20,
        "finetune_epochs": 5,
    },
    "ensemble": {"members": ["csp-lda", "ts-lr"], "inner_folds": 2},
}
PIPELINES = ["csp-lda", "fbcsp", "ts-lr", "fbts", "ensemble", "eegnet"]


@pytest.mark.parametrize("name", PIPELINES)
def test_each_pipeline_beats_chance_and_save_load_reproduces_it(name, two_class, tmp_path):
    if name == "eegnet":
        pytest.importorskip("torch")
    train, test = two_class[:24], two_class[24:]
    clf = make_classifier(name, **FAST.get(name, {})).fit(train)
    proba = clf.predict_proba(test)
    assert proba.shape == (16, 2) and np.allclose(proba.sum(axis=1), 1)
    assert np.mean(clf.predict(test) == test.labels) >= 0.8
    path = clf.save(tmp_path / f"{name}.model")
    back = load_classifier(path)
    assert type(back) is type(clf) and back.params() == clf.params()
    np.testing.assert_allclose(back.predict_proba(test), proba, rtol=1e-6, atol=1e-7)


def test_calibration_recovers_a_drifted_session(two_sessions):
    first, second = two_sessions[two_sessions.session == 0], two_sessions[two_sessions.session == 1]
    calib, rest = second[:10], second[10:]
    plain = make_classifier("ts-lr").fit(first)
    before = np.mean(plain.predict(rest) == rest.labels)
    after = np.mean(make_classifier("ts-lr").fit(first).calibrate(calib).predict(rest) == rest.labels)
    assert after >= before and after >= 0.8


def test_tangent_space_matches_pyriemann(two_class):
    pyr = pytest.importorskip("pyriemann")
    from cortexlink.decode.trials.align import covariances, inv_sqrtm, riemann_mean
    from cortexlink.decode.trials.tangent import tangent_vectors

    C = covariances(two_class.data)
    np.testing.assert_allclose(C, pyr.estimation.Covariances("oas").fit_transform(two_class.data), rtol=1e-8)
    ts = pyr.tangentspace.TangentSpace(metric="riemann").fit(C)
    np.testing.assert_allclose(riemann_mean(C), ts.reference_, rtol=1e-5)
    np.testing.assert_allclose(tangent_vectors(C, inv_sqrtm(ts.reference_)), ts.transform(C), atol=1e-6)
    # uncalibrated, ts-lr is pyriemann's Covariances("oas") + TangentSpace + LogisticRegression
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    train, test = two_class[:24], two_class[24:]
    ref = make_pipeline(pyr.estimation.Covariances("oas"), pyr.tangentspace.TangentSpace(metric="riemann"),
                        LogisticRegression()).fit(train.data, train.labels)
    ours = make_classifier("ts-lr").fit(train)
    np.testing.assert_allclose(ours.predict_proba(test), ref.predict_proba(test.data), atol=1e-3)


def test_bad_input_is_a_clear_error(two_class, tmp_path):
    one_class = two_class[two_class.labels == 0]
    with pytest.raises(InvalidDataError, match="one class only"):
        make_classifier("csp-lda").fit(one_class)
    with pytest.raises(InvalidParameterError, match="unknown EEG pipeline"):
        make_classifier("cspp")
    with pytest.raises(InvalidParameterError, match="no parameter 'n_comp'"):
        make_classifier("csp-lda", n_comp=3)
    clf = make_classifier("csp-lda").fit(two_class)
    with pytest.raises(InvalidDataError, match="8 channels"):
        clf.predict_proba(two_class.data[:, :5])
    with pytest.raises(InvalidDataError, match="channels differ"):
        clf.predict_proba(two_class.pick(["C1", "C0", "C2", "C3", "C4", "C5", "C6", "C7"]))
    path = clf.save(tmp_path / "m.npz")
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(CortexlinkError):
        load_classifier(path)
    from cortexlink.decode.modelfile import write_model

    wrong = write_model(tmp_path / "lda.npz", "lda", {}, {"W": np.zeros((2, 3))})  # a movement decoder's file
    with pytest.raises(ModelFileError, match="not a trial classifier"):
        load_classifier(wrong)


def test_metrics():
    assert itr_bits_per_min(0.5, 2, 3.0) == 0.0
    assert itr_bits_per_min(1.0, 2, 3.0) == pytest.approx(20.0)
    assert 0 < itr_bits_per_min(0.8, 2, 3.0) < 20.0
    assert kappa(np.array([0, 1, 0, 1]), np.array([0, 1, 0, 1])) == 1.0


def test_three_classes():
    ep = simulate(30, seed=5)
    ep.labels[::3] = 2
    ep.class_names = ["a", "b", "c"]
    clf = make_classifier("csp-lda").fit(ep)
    assert clf.predict_proba(ep).shape == (30, 3)
