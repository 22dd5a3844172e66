"""Kalman filter specifics: the steady-state gain is the limit of the full filter."""

from __future__ import annotations

import numpy as np

from cortexlink.decode import KalmanFilter


def test_full_filter_converges_to_steady_state(population):
    X, Y = population
    full = KalmanFilter().fit(X[:, :2400], Y[:, :2400])
    steady = KalmanFilter(steady_state=True).fit(X[:, :2400], Y[:, :2400])
    a, b = full.predict(X[:, 2400:]), steady.predict(X[:, 2400:])
    assert not np.allclose(a[:, :3], b[:, :3], atol=1e-6)  # differ while the covariance settles
    np.testing.assert_allclose(a[:, 200:], b[:, 200:], atol=1e-8)  # then identical


def test_single_lag_wu_form(population):
    """n_lags=1 is the textbook filter; it still tracks the tuned population."""
    from cortexlink.decode import r2_score

    X, Y = population
    dec = KalmanFilter(n_lags=1).fit(X[:, :2400], Y[:, :2400])
    assert dec.A.shape == (2, 2) and dec.HtQinv.shape == (2, 40)
    assert np.all(r2_score(Y[:, 2400:], dec.predict(X[:, 2400:])) > 0.3)
