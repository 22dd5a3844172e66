"""Contiguous-block cross-validation (the metrics themselves: tests/core/test_metrics.py)."""

from __future__ import annotations

import numpy as np
import pytest

from cortexlink.core.errors import InvalidParameterError
from cortexlink.decode import WienerFilter, contiguous_folds, cross_validate


def test_folds_are_contiguous_and_cover_everything():
    folds = contiguous_folds(103, 5)
    tests = np.concatenate([te for _, te in folds])
    np.testing.assert_array_equal(tests, np.arange(103))
    for train, test in folds:
        assert np.all(np.diff(test) == 1)
        assert np.intersect1d(train, test).size == 0 and train.size + test.size == 103
    with pytest.raises(InvalidParameterError):
        contiguous_folds(100, 1)


def test_cross_validate_wiener(population):
    X, Y = population
    res = cross_validate(lambda: WienerFilter(n_lags=5), X, Y, k=4)
    assert res.fold_r2.shape == (4, 2) and np.all(res.r2 > 0.6)
    assert res.Y_pred.shape == Y.shape and np.all(res.correlation > 0.8)
