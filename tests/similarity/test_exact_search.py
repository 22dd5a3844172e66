"""Exact search equals brute force, prunes on signal-like data, and refuses bad input."""

import numpy as np
import pytest

from cortexlink.core.errors import CortexlinkError
from cortexlink.similarity.exact_search import STAT_NAMES, envelope, exact_top_k, within
from cortexlink.similarity.measures import distances


def brute_top_k(query, windows, k, measure, **params):
    d = distances(query, windows, measure, **params)
    idx = np.argsort(d, kind="stable")[:k]
    return idx, d[idx]


def walks(rng, n, length):
    return np.cumsum(rng.normal(size=(n, length)), axis=1)


@pytest.mark.parametrize("seed", range(4))
def test_dtw_top_k_equals_brute_force(seed):
    rng = np.random.default_rng(seed)
    for trial in range(40):
        length = int(rng.integers(1, 40))
        q_len = length if trial % 3 else int(rng.integers(1, 40))  # every third query of another length
        windows = walks(rng, int(rng.integers(1, 150)), length)
        query = np.cumsum(rng.normal(size=q_len))
        if trial % 5 == 0:  # duplicate windows: ties must go to the lower index, as a stable sort does
            windows[len(windows) // 2:] = windows[: len(windows) - len(windows) // 2]
        band = None if trial % 4 == 0 else int(rng.integers(1, length + 3))
        k = int(rng.integers(1, 20))
        idx, dist = exact_top_k(query, windows, k, band=band)
        want_idx, want_dist = brute_top_k(query, windows, k, "dtw", band=band)
        np.testing.assert_array_equal(idx, want_idx)
        np.testing.assert_allclose(dist, want_dist, rtol=1e-12)


@pytest.mark.parametrize("measure,params", [("euclidean", {}), ("emd", {}), ("xcor", {"max_lag": 4})])
def test_cheap_measures_top_k_equal_brute_force(measure, params):
    rng = np.random.default_rng(11)
    windows = walks(rng, 200, 24)
    query = windows[17] + rng.normal(scale=0.1, size=24)
    idx, dist = exact_top_k(query, windows, 7, measure, **params)
    want_idx, want_dist = brute_top_k(query, windows, 7, measure, **params)
    np.testing.assert_array_equal(idx, want_idx)
    np.testing.assert_allclose(dist, want_dist)
    assert idx[0] == 17


@pytest.mark.parametrize("measure,params", [("dtw", {"band": 5}), ("dtw", {}), ("euclidean", {}),
                                            ("emd", {}), ("xcor", {"max_lag": 3})])
def test_within_equals_brute_force(measure, params):
    rng = np.random.default_rng(12)
    windows = walks(rng, 300, 32)
    query = windows[5] + rng.normal(scale=0.5, size=32)
    d = distances(query, windows, measure, **params)
    for threshold in (0.0, float(np.quantile(d, 0.05)), float(np.quantile(d, 0.5)), float(d.max())):
        np.testing.assert_array_equal(within(query, windows, threshold, measure, **params),
                                      np.flatnonzero(d <= threshold))


def test_dtw_search_prunes_most_windows_with_the_cascade():
    rng = np.random.default_rng(13)
    windows = walks(rng, 3000, 64)
    query = windows[1234] + rng.normal(scale=0.2, size=64)
    stats = {}
    idx, _ = exact_top_k(query, windows, 5, band=6, stats=stats)
    assert idx[0] == 1234
    assert set(stats) == set(STAT_NAMES) and sum(stats.values()) == len(windows)
    pruned = stats["lb_kim"] + stats["lb_keogh_query"] + stats["lb_keogh_window"] + stats["dtw_abandoned"]
    assert stats["dtw_full"] < 0.1 * len(windows)
    assert pruned > 0.9 * len(windows)
    assert stats["lb_kim"] > 0 and stats["lb_keogh_query"] > 0


def test_envelope_is_the_running_max_and_min_over_the_band():
    rng = np.random.default_rng(16)
    for n in (1, 2, 5, 17, 64):
        x = rng.normal(size=n)
        for radius in (0, 1, 2, 7, n, n + 3):
            upper, lower = np.empty(n), np.empty(n)
            envelope(x, radius, upper, lower, np.empty((2, n)), np.empty((2, n)))
            for i in range(n):
                part = x[max(0, i - radius): i + radius + 1]
                assert upper[i] == part.max() and lower[i] == part.min()


def test_k_larger_than_the_history_returns_every_window():
    rng = np.random.default_rng(14)
    windows = walks(rng, 4, 10)
    idx, dist = exact_top_k(windows[2], windows, 10)
    assert sorted(idx.tolist()) == [0, 1, 2, 3] and idx[0] == 2 and dist[0] == 0.0
    assert np.all(np.diff(dist) >= 0)


@pytest.mark.parametrize("call", [
    lambda w: exact_top_k(w[0], w, 0),
    lambda w: exact_top_k(w[0], w, 2.5),
    lambda w: exact_top_k(w[0], w, 3, "manhattan"),
    lambda w: exact_top_k(w[0], w, 3, band=0),
    lambda w: exact_top_k(np.r_[w[0][:-1], np.nan], w, 3),
    lambda w: exact_top_k(w[0], np.where(w > 0, np.nan, w), 3),
    lambda w: exact_top_k(w[0][:0], w, 3),
    lambda w: within(w[0], w, -1.0),
    lambda w: within(w[0], w, float("nan")),
    lambda w: within(w[0], w, 1.0, "euclidean", band=3),
])
def test_bad_input_raises_a_cortexlink_error(call):
    windows = walks(np.random.default_rng(15), 10, 12)
    with pytest.raises(CortexlinkError):
        call(windows)
