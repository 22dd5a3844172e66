"""Exact measures against slow pure-Python references, dtaidistance, and their bad-input errors."""

import math

import numpy as np
import pytest
from dtaidistance import dtw as dtai

from cortexlink.core.errors import CortexlinkError, InvalidDataError, InvalidParameterError
from cortexlink.similarity.measures import MEASURES, distance, distances, dtw, emd, euclidean, xcor_distance


def reference_dtw(a, b, band=None):
    """Full cost matrix; cell (i, j) allowed when |j - i| stays within the band widened by the
    length difference, the squared costs summed along the cheapest path, square root at the end."""
    r, c = len(a), len(b)
    w = max(r, c) if band is None else band
    cost = [[math.inf] * (c + 1) for _ in range(r + 1)]
    cost[0][0] = 0.0
    for i in range(r):
        for j in range(c):
            if -(w - 1) - max(0, r - c) <= j - i <= (w - 1) + max(0, c - r):
                step = min(cost[i][j], cost[i][j + 1], cost[i + 1][j])
                cost[i + 1][j + 1] = step + (a[i] - b[j]) ** 2
    return math.sqrt(cost[r][c])


def reference_xcor(a, b, max_lag):
    a = np.asarray(a, dtype=float) - np.mean(a)
    b = np.asarray(b, dtype=float) - np.mean(b)
    best = max(sum(a[t] * b[t + k] for t in range(len(a)) if 0 <= t + k < len(b))
               for k in range(-max_lag, max_lag + 1))
    return 1.0 - best / math.sqrt(np.dot(a, a) * np.dot(b, b))


def random_pair(rng, equal):
    r = int(rng.integers(1, 25))
    c = r if equal else int(rng.integers(1, 25))
    return np.cumsum(rng.normal(size=r)), np.cumsum(rng.normal(size=c))


@pytest.mark.parametrize("equal", [True, False])
def test_dtw_matches_the_reference_for_every_band(equal):
    rng = np.random.default_rng(1 if equal else 2)
    for _ in range(60):
        a, b = random_pair(rng, equal)
        longest = max(len(a), len(b))
        for band in {1, 2, 3, longest - 1, longest, longest + 5, None} - {0}:
            assert dtw(a, b, band) == pytest.approx(reference_dtw(a, b, band), rel=1e-12, abs=1e-12)


def test_dtw_band_edges_are_euclidean_and_full_dtw():
    rng = np.random.default_rng(3)
    for _ in range(30):
        a, b = random_pair(rng, equal=True)
        assert dtw(a, b, band=1) == pytest.approx(float(np.linalg.norm(a - b)), rel=1e-12)
        assert dtw(a, b, band=len(a)) == pytest.approx(dtw(a, b), rel=1e-12)
        assert dtw(a, b, band=len(a) + 7) == pytest.approx(dtw(a, b), rel=1e-12)
    a, b = rng.normal(size=40), rng.normal(size=40)
    # a narrower band can only cost more: the band edges bracket every other band
    assert dtw(a, b) <= dtw(a, b, 5) <= dtw(a, b, 1)
    assert dtw(a, b) < dtw(a, b, 1)


@pytest.mark.parametrize("equal", [True, False])
def test_dtw_matches_dtaidistance(equal):
    rng = np.random.default_rng(4 if equal else 5)
    for _ in range(100):
        a, b = random_pair(rng, equal)
        band = None if rng.random() < 0.2 else int(rng.integers(1, 30))
        ours = dtw(a, b, band)
        assert ours == pytest.approx(dtai.distance(a, b, window=band, use_c=False), rel=1e-12, abs=1e-12)
        # its C kernel answers inf for unequal lengths (and distance_fast now and then for short ones)
        if equal:
            assert ours == pytest.approx(dtai.distance(a, b, window=band, use_c=True), rel=1e-9, abs=1e-9)


def test_euclidean_emd_and_xcor_match_references():
    rng = np.random.default_rng(6)
    for _ in range(40):
        a, b = random_pair(rng, equal=True)
        assert euclidean(a, b) == pytest.approx(float(np.sqrt(np.sum((a - b) ** 2))), rel=1e-12)
        assert emd(a, b) == pytest.approx(float(np.abs(np.cumsum(a) - np.cumsum(b)).sum()), rel=1e-12)
        if len(a) > 1:
            lag = int(rng.integers(0, len(a)))
            assert xcor_distance(a, b, lag) == pytest.approx(reference_xcor(a, b, lag), abs=1e-12)
    a, b = rng.normal(size=17), rng.normal(size=30)  # unequal lengths
    assert xcor_distance(a, b, 6) == pytest.approx(reference_xcor(a, b, 6), abs=1e-12)


def test_xcor_finds_a_shift_within_the_lag_bound_only():
    rng = np.random.default_rng(7)
    x = rng.normal(size=200)
    a, shifted = x[20:120], x[27:127]  # shifted[t] == a[t + 7]
    assert xcor_distance(a, shifted, 10) < 0.15
    assert xcor_distance(a, shifted, 3) > 0.5
    assert xcor_distance(a, -a, 0) == pytest.approx(2.0)
    assert 0.0 <= xcor_distance(a, rng.normal(size=100), 5) <= 2.0
    assert xcor_distance(np.full(10, 3.0), np.full(10, -1.0), 2) == 0.0
    assert xcor_distance(np.full(10, 3.0), a[:10], 2) == 1.0


def test_batch_forms_equal_the_pair_forms():
    rng = np.random.default_rng(8)
    query = rng.normal(size=30)
    windows = rng.normal(size=(25, 30))
    for measure, params in [("dtw", {"band": 4}), ("dtw", {}), ("euclidean", {}), ("xcor", {"max_lag": 5}),
                            ("emd", {})]:
        batch = distances(query, windows, measure, **params)
        assert batch.shape == (25,)
        pairs = [distance(query, w, measure, **params) for w in windows]
        np.testing.assert_allclose(batch, pairs, rtol=1e-12)
    np.testing.assert_allclose(distances(query, windows[:, :20], "dtw", band=3),
                               [dtw(w, query, 3) for w in windows[:, :20]], rtol=1e-12)
    assert set(MEASURES) == {"dtw", "euclidean", "xcor", "emd"}


@pytest.mark.parametrize("call", [
    lambda: dtw([1.0, np.nan, 2.0], [1.0, 2.0]),
    lambda: dtw([], [1.0, 2.0]),
    lambda: dtw([1.0, 2.0], [1.0, 2.0], band=0),
    lambda: dtw([1.0, 2.0], [1.0, 2.0], band=-3),
    lambda: dtw([1.0, 2.0], [1.0, 2.0], band=1.5),
    lambda: distance([1.0, 2.0], [1.0, 2.0], "cosine"),
    lambda: distance([1.0, 2.0], [1.0, 2.0], "dtw", max_lag=3),
    lambda: euclidean([1.0, 2.0], [1.0, 2.0, 3.0]),
    lambda: emd([1.0, 2.0], [1.0]),
    lambda: xcor_distance([1.0, 2.0], [1.0, 2.0], max_lag=-1),
    lambda: distances([1.0, 2.0], np.ones(2), "dtw"),
    lambda: distances([1.0, 2.0], np.ones((3, 0)), "dtw"),
    lambda: distances([1.0, 2.0], np.full((3, 2), np.inf), "emd"),
    lambda: dtw(["a", "b"], [1.0, 2.0]),
])
def test_bad_input_raises_a_cortexlink_error(call):
    with pytest.raises(CortexlinkError) as info:
        call()
    assert isinstance(info.value, InvalidDataError | InvalidParameterError)
    assert len(str(info.value)) > 20
