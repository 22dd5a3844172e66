"""On a population with known cosine tuning, every regression decoder recovers the velocity."""

from __future__ import annotations

import numpy as np
import pytest

from cortexlink.decode import r2_score

from .helpers import REGRESSORS


@pytest.mark.parametrize("name", REGRESSORS)
def test_regression_decoders_recover_tuned_velocity(name, fitted, population):
    X, Y = population
    r2 = r2_score(Y[:, 2400:], fitted(name).predict(X[:, 2400:]))
    assert np.all(r2 > 0.6), f"{name}: R^2 {r2}"


def test_shuffled_features_decode_nothing(population):
    """The R^2 above is earned: with neural data from another time the Wiener filter fails."""
    from cortexlink.decode import WienerFilter

    X, Y = population
    dec = WienerFilter().fit(X[:, :2400], Y[:, :2400])
    r2 = r2_score(Y[:, 2400:], dec.predict(X[:, :600]))
    assert np.all(r2 < 0.1)
