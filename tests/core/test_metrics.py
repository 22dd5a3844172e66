"""R^2, correlation and RMSE: (true, pred) order, per output or pooled."""

from __future__ import annotations

import numpy as np
import pytest

from cortexlink.core.errors import InvalidDataError
from cortexlink.core.metrics import correlation, r2_score, rmse


def test_per_output():
    t = np.array([[1.0, 2.0, 3.0, 4.0], [0.0, 1.0, 0.0, 1.0]])
    np.testing.assert_allclose(r2_score(t, t), [1.0, 1.0])
    np.testing.assert_allclose(r2_score(t, np.tile(t.mean(axis=1, keepdims=True), 4)), [0.0, 0.0])
    np.testing.assert_allclose(correlation(t, 2 * t + 1), [1.0, 1.0])
    np.testing.assert_allclose(rmse(t, t + [[1.0], [2.0]]), [1.0, 2.0])


def test_argument_order_is_true_then_pred():
    # R^2 is not symmetric: the truth's variance is the denominator
    t = np.array([[0.0, 2.0, 0.0, 2.0]])
    p = np.array([[0.5, 1.5, 0.5, 1.5]])
    assert r2_score(t, p)[0] == pytest.approx(0.75)
    assert r2_score(p, t)[0] == pytest.approx(0.0)


def test_pooled_weighs_outputs_by_their_variance():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(2, 500))
    assert r2_score(a, a, pooled=True) == pytest.approx(1.0)
    assert r2_score(a, np.zeros_like(a), pooled=True) < 0.01
    assert 0.7 < r2_score(a, a + 0.5 * rng.normal(size=a.shape), pooled=True) < 0.8
    t = np.array([[0.0, 10.0, 0.0, 10.0], [0.0, 1.0, 0.0, 1.0]])
    p = t + np.array([[0.0], [0.5]])  # only the small-variance output is off
    per_output = r2_score(t, p)
    assert per_output[0] == 1.0 and per_output[1] == pytest.approx(0.0)
    assert r2_score(t, p, pooled=True) == pytest.approx(1.0 - 1.0 / 101.0)
    assert rmse(t, p, pooled=True) == pytest.approx(np.sqrt(0.125))


def test_constant_truth_gives_nan_and_shapes_must_match():
    t = np.ones((1, 5))
    assert np.isnan(r2_score(t, t)[0]) and np.isnan(r2_score(t, t, pooled=True))
    with pytest.raises(InvalidDataError, match="one shape"):
        r2_score(np.zeros((2, 5)), np.zeros((2, 3)))
