"""Our CSP finds MNE's CSP patterns (up to sign, order and scale) on the same data."""

from __future__ import annotations

import numpy as np
import pytest

from cortexlink.decode.trials.csp import csp_patterns, fit_csp


def test_csp_patterns_match_mne(two_class):
    mne = pytest.importorskip("mne")
    from mne.decoding import CSP

    X, y = two_class.data, two_class.labels
    ref = CSP(n_components=8, reg=None, log=True, component_order="alternate")
    mne.set_log_level("ERROR")
    ref.fit(X, y)
    ours = csp_patterns(fit_csp(X, y, 8))
    theirs = ref.patterns_
    unit = lambda P: P / np.linalg.norm(P, axis=1, keepdims=True)  # noqa: E731
    similarity = np.abs(unit(ours) @ unit(theirs).T)
    # every pattern of ours is one of MNE's, one to one
    assert np.all(similarity.max(axis=1) > 0.999)
    assert len(set(similarity.argmax(axis=1))) == 8
    # and the two most discriminative come first in both
    assert similarity[0, 0] > 0.999 and similarity[1, 1] > 0.999


def test_regularised_csp_matches_mne_reg(two_class):
    """shrinkage s is MNE's CSP(reg=s): the same patterns up to sign, order and scale (MNE 1.13
    regularises within its generalised-eigenvalue framework, which moves them by a few degrees)."""
    mne = pytest.importorskip("mne")
    from mne.decoding import CSP

    X, y = two_class.data, two_class.labels
    mne.set_log_level("ERROR")
    ref = CSP(n_components=4, reg=0.5, log=True, component_order="alternate").fit(X, y)
    ours = csp_patterns(fit_csp(X, y, 4, shrinkage=0.5))
    unit = lambda P: P / np.linalg.norm(P, axis=1, keepdims=True)  # noqa: E731
    similarity = np.abs(unit(ours) @ unit(ref.patterns_).T)
    assert np.all(similarity.max(axis=1) > 0.97)
    assert len(set(similarity.argmax(axis=1))) == 4
    plain = csp_patterns(fit_csp(X, y, 4))
    assert np.abs(unit(plain) @ unit(ref.patterns_).T).max(axis=1).min() < similarity.max(axis=1).min()


def test_fbcsp_picks_its_regularisation_and_keeps_it(two_class, tmp_path):
    from cortexlink.decode.trials import load_classifier, make_classifier
    from cortexlink.decode.trials.pipelines import SHRINKAGE_GRID

    clf = make_classifier("fbcsp", bands=[[8, 14], [14, 30]]).fit(two_class)
    assert clf.shrinkage_ in SHRINKAGE_GRID
    back = load_classifier(clf.save(tmp_path / "fb.npz"))
    assert back.shrinkage_ == clf.shrinkage_
    np.testing.assert_allclose(back.predict_proba(two_class), clf.predict_proba(two_class))
    with pytest.raises(Exception, match="shrinkage"):
        make_classifier("csp-lda", shrinkage=1.5)
