"""Discrete intent: LDA and SVM accuracy, and per-site partial decisions that sum exactly."""

from __future__ import annotations

import numpy as np
import pytest

from cortexlink.core.errors import InvalidDataError, InvalidParameterError
from cortexlink.decode import LDAClassifier, LinearSVM, load_motor

from .helpers import intent_labels


@pytest.mark.parametrize("name", ["lda", "svm"])
def test_intent_accuracy_on_tuned_population(name, fitted, population):
    X, Y = population
    labels = intent_labels(Y)
    pred = fitted(name).predict(X[:, 2400:])[0]
    assert np.mean(pred == labels[2400:]) > 0.5  # chance is 0.25


@pytest.mark.parametrize("name", ["lda", "svm"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_partial_decisions_sum_to_whole(name, seed, fitted, population):
    X, _ = population
    dec = fitted(name)
    rng = np.random.default_rng(seed)
    seq = X[:, 2400:2600]
    order = rng.permutation(X.shape[0])
    cuts = np.sort(rng.choice(np.arange(1, X.shape[0]), size=rng.integers(1, 5), replace=False))
    sites = np.split(order, cuts)
    partials = [dec.partial_decision(seq[ch], ch) for ch in sites]
    whole = dec.decision_function(seq)
    np.testing.assert_allclose(dec.combine_partials(partials), whole, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(dec.labels_of(dec.combine_partials(partials)), dec.predict(seq)[0])


def test_partial_decision_checks_sites(fitted, population):
    X, _ = population
    dec = fitted("svm")
    with pytest.raises(InvalidParameterError, match="distinct indices"):
        dec.partial_decision(X[:2, :10], [0, 0])
    with pytest.raises(InvalidDataError, match="fitted on 3"):
        dec.partial_decision(X[:2, :10], [0, 1, 2])


def test_labels_must_be_integers(population):
    X, Y = population
    with pytest.raises(InvalidDataError, match="integers"):
        LDAClassifier().fit(X[:, :100], Y[0, :100])
    with pytest.raises(InvalidDataError, match="single class"):
        LinearSVM().fit(X[:, :100], np.zeros(100, dtype=int))


def test_reach_direction_from_real_m1_trials(data_dir):
    """Hatsopoulos reaching: 8 directions from 143 neurons; both classifiers far above chance."""
    from cortexlink.decode import contiguous_folds

    data = load_motor(data_dir / "motor/centuri_hatsopoulos_brochier/Dataset1_reaching.mat")
    for make in (lambda: LDAClassifier(shrinkage=0.5), lambda: LinearSVM(C=0.1)):
        correct = 0
        for train, test in contiguous_folds(data.n_bins, 4):
            dec = make().fit(data.X[:, train], data.labels[train])
            correct += int(np.sum(dec.predict(data.X[:, test])[0] == data.labels[test]))
        assert correct / data.n_bins > 0.5  # chance is 1/8
