"""FeatureTransform: offline == online, dead channels masked, PCA."""

from __future__ import annotations

import numpy as np
import pytest

from cortexlink.core.errors import InvalidParameterError
from cortexlink.decode import FeatureTransform


@pytest.mark.parametrize("kw", [{}, {"sqrt": True, "smooth": 3}, {"pca": 5}, {"zscore": False, "smooth": 2}])
def test_step_matches_transform(kw, population):
    X, _ = population
    ft = FeatureTransform(**kw).fit(X[:, :1000])
    off = ft.transform(X[:, 1000:1100])
    ft.reset()
    on = np.stack([ft.step(X[:, 1000 + t]).copy() for t in range(100)], axis=1)
    np.testing.assert_allclose(on, off, rtol=1e-12, atol=1e-12)


def test_zscored_training_features(population):
    X, _ = population
    Z = FeatureTransform(sqrt=True, smooth=1).fit(X).transform(X)
    np.testing.assert_allclose(Z.mean(axis=1), 0.0, atol=1e-9)
    np.testing.assert_allclose(Z.std(axis=1), 1.0, atol=1e-9)


def test_dead_channel_is_masked(population):
    X, _ = population
    X = X[:, :500].copy()
    X[3] = 0.0
    ft = FeatureTransform().fit(X)
    assert ft.mask[3] and not ft.mask[4]
    X2 = X.copy()
    X2[3] = 7.0  # the dead channel comes back noisy: it still contributes nothing
    np.testing.assert_array_equal(ft.transform(X2)[3], 0.0)


def test_pca_keeps_requested_components(population):
    X, _ = population
    ft = FeatureTransform(pca=4).fit(X)
    assert ft.transform(X).shape == (4, X.shape[1]) and ft.n_outputs == 4
    with pytest.raises(InvalidParameterError):
        FeatureTransform(pca=400).fit(X)
    with pytest.raises(InvalidParameterError):
        FeatureTransform(smooth=0)
