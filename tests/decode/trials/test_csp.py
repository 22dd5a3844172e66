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
