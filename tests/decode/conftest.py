"""Fixtures for the decoder tests: a simulated population and decoders fitted on it once."""

from __future__ import annotations

import pytest

from .helpers import CLASSIFIERS, build, intent_labels, tuned_population


@pytest.fixture(scope="session")
def population():
    X, Y = tuned_population(n_bins=3000, seed=1)
    return X, Y


_FITTED: dict = {}


@pytest.fixture(scope="session")
def fitted(population):
    """``fitted(name)``: a decoder of that name trained on the first 2400 bins (cached)."""
    X, Y = population

    def get(name: str):
        if name not in _FITTED:
            if name in CLASSIFIERS:
                _FITTED[name] = build(name).fit(X[:, :2400], intent_labels(Y)[:2400])
            else:
                _FITTED[name] = build(name).fit(X[:, :2400], Y[:, :2400])
        return _FITTED[name]

    return get
