"""Merging: the cross-correlogram test tells one neuron's two clusters from two independent neurons."""

from __future__ import annotations

import numpy as np

from cortexlink.sort.merge import ccg_ratio, refractory_coincidences

N = 30000 * 60  # samples: one minute at 30 kHz
EXCLUDE, REFRACTORY = 9, 45


def _train(rng: np.random.Generator, n: int, dead: int) -> np.ndarray:
    """A sorted train of n spikes with no two within ``dead`` samples."""
    times = np.cumsum(rng.exponential(N / n - 2 * dead, n) + dead).astype(np.int64)
    return times[times < N]


def test_coincidences_counted():
    a = np.array([100, 1000])
    b = np.sort([100 + EXCLUDE, 100 + EXCLUDE + 1, 1000 - REFRACTORY, 1000 - REFRACTORY - 1, 5000])
    assert refractory_coincidences(a, b, EXCLUDE, REFRACTORY) == 2


def test_one_neuron_split_in_two_leaves_a_gap():
    rng = np.random.default_rng(0)
    train = np.sort(_train(rng, 1200, 4 * REFRACTORY))
    pick = rng.random(train.size) < 0.5
    assert ccg_ratio(train[pick], train[~pick], EXCLUDE, REFRACTORY, N) < 0.2


def test_independent_neurons_do_not_merge():
    rng = np.random.default_rng(1)
    a = np.sort(_train(rng, 1200, 4 * REFRACTORY))
    b = np.sort(_train(rng, 1200, 4 * REFRACTORY))
    assert ccg_ratio(a, b, EXCLUDE, REFRACTORY, N) > 0.5


def test_too_few_spikes_to_tell():
    rng = np.random.default_rng(2)
    a, b = np.sort(rng.integers(0, N, 30)), np.sort(rng.integers(0, N, 30))
    assert ccg_ratio(a, b, EXCLUDE, REFRACTORY, N) is None
