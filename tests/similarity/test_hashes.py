"""Hash families: determinism for a seed, config round trip, fixed-cost min-hash, locality."""

import json

import numpy as np
import pytest

from cortexlink.core.errors import CortexlinkError, InvalidDataError, InvalidParameterError, NotFittedError
from cortexlink.similarity.hash_kernels import icws_keys
from cortexlink.similarity.hashes import (
    PSTABLE_DEFAULTS,
    SKETCH_DEFAULTS,
    hash_from_config,
    make_hash,
    znormalise,
)

FAMILIES = [(m, "sketch") for m in SKETCH_DEFAULTS] + [(m, "pstable") for m in PSTABLE_DEFAULTS]


def _smooth(rng, n, length):
    """Random smooth windows (filtered noise), the kind of signal the hashes are meant for."""
    x = rng.standard_normal((n, length + 16))
    kernel = np.hanning(9)
    return np.stack([np.convolve(r, kernel, mode="valid")[:length] for r in x])


def _fitted(family, windows, **kw):
    measure, kind = family
    return make_hash(measure, windows.shape[1], kind=kind, **kw).fit(windows)


@pytest.mark.parametrize("family", FAMILIES)
def test_same_seed_same_codes_other_seed_other_codes(family):
    rng = np.random.default_rng(0)
    w = _smooth(rng, 200, 96)
    a = _fitted(family, w, seed=3).hash(w)
    b = _fitted(family, w, seed=3).hash(w)
    c = _fitted(family, w, seed=4).hash(w)
    assert a.dtype == np.uint64 and a.shape == (200, _fitted(family, w).n_tables)
    np.testing.assert_array_equal(a, b)
    assert (a != c).mean() > 0.5


@pytest.mark.parametrize("family", FAMILIES)
def test_config_round_trips_through_json(family):
    rng = np.random.default_rng(1)
    w = _smooth(rng, 100, 64)
    fam = _fitted(family, w, n_tables=7, per_table=2)
    again = hash_from_config(json.loads(json.dumps(fam.config)))
    assert again.config == fam.config
    np.testing.assert_array_equal(again.hash(w), fam.hash(w))


@pytest.mark.parametrize("family", FAMILIES)
def test_near_identical_windows_collide_unrelated_noise_mostly_not(family):
    rng = np.random.default_rng(2)
    w = _smooth(rng, 300, 120)
    fam = _fitted(family, w, n_tables=32, per_table=3)
    near = w + 0.02 * w.std() * rng.standard_normal(w.shape)
    other = _smooth(rng, 300, 120)
    same_rate = (fam.hash(w) == fam.hash(near)).mean()
    other_rate = (fam.hash(w) == fam.hash(other)).mean()
    assert same_rate > 0.8
    assert other_rate < 0.5 * same_rate


def test_sketch_codes_ignore_gain_and_offset():
    """The filters have zero mean, so a window and its z-normalised copy hash the same."""
    rng = np.random.default_rng(3)
    w = _smooth(rng, 50, 120)
    fam = make_hash("dtw", 120, kind="sketch")
    np.testing.assert_array_equal(fam.hash(3.5 * w + 100.0), fam.hash(znormalise(w)))


def test_icws_keys_are_consistent_weighted_sampling():
    """Weighted min-hash collision rate estimates the weighted Jaccard similarity of the counts."""
    rng = np.random.default_rng(4)
    n_hashes, n_bins = 4000, 8
    keys = icws_keys(rng, n_hashes, n_bins, 10)
    a = np.array([3, 0, 1, 4, 0, 2, 0, 1])
    b = np.array([2, 1, 1, 4, 0, 0, 3, 1])
    jaccard = np.minimum(a, b).sum() / np.maximum(a, b).sum()
    pick_a = np.argmin(keys[np.arange(n_bins), a, :], axis=0)
    pick_b = np.argmin(keys[np.arange(n_bins), b, :], axis=0)
    assert abs((pick_a == pick_b).mean() - jaccard) < 0.03


def test_bad_input_is_a_clear_error():
    fam = make_hash("dtw", 64, kind="sketch")
    with pytest.raises(InvalidDataError, match="NaN"):
        fam.hash(np.full((2, 64), np.nan))
    with pytest.raises(InvalidParameterError, match="64 samples"):
        fam.hash(np.zeros((2, 50)))
    with pytest.raises(InvalidDataError, match="empty"):
        fam.hash(np.zeros((2, 0)))
    with pytest.raises(InvalidParameterError, match="unknown measure"):
        make_hash("cosine", 64)
    with pytest.raises(InvalidParameterError, match="longer than the window"):
        make_hash("dtw", 64, kind="sketch", filter_length=80)
    with pytest.raises(InvalidParameterError, match="no 'sketch' hash for emd"):
        make_hash("emd", 64, kind="sketch")
    with pytest.raises(NotFittedError, match="fit"):
        make_hash("emd", 64).hash(np.zeros((2, 64)))
    with pytest.raises(CortexlinkError, match="kind"):
        hash_from_config({"window": 64})


def test_xcor_probes_find_a_shifted_copy():
    """A window that is the query shifted by a lag inside max_lag collides with one of its probes."""
    rng = np.random.default_rng(5)
    w = _smooth(rng, 300, 128)
    fam = make_hash("xcor", 128, max_lag=16, n_lags=9).fit(w)
    query = w[0]
    shifted = np.roll(query, 8)
    probes = fam.probes(query)
    assert probes.shape == (9, 128)
    assert make_hash("xcor", 128, max_lag=16).probes(query).shape == (33, 128)   # the default: every lag
    with pytest.raises(InvalidParameterError, match="n_lags"):
        make_hash("euclidean", 128, n_lags=9)
    best_probe = (fam.hash(probes) == fam.hash(shifted[None, :])).mean(axis=1).max()
    plain = (fam.hash(query[None, :]) == fam.hash(shifted[None, :])).mean()
    assert best_probe > 0.6 and best_probe > plain + 0.15
    assert make_hash("euclidean", 128).probes(query).shape == (1, 128)


@pytest.mark.parametrize("measure", ["euclidean", "dtw", "xcor", "emd"])
def test_multiprobe_lookup_scores_minus_the_squared_distance_to_bucket_centres(measure):
    """Each probe's own bucket is the code ``hash`` gives; a stored window's score is minus the summed
    squared distance from the probe's projections to its buckets' centres, buckets beyond reach capped."""
    rng = np.random.default_rng(6)
    w = _smooth(rng, 200, 64)
    fam = make_hash(measure, 64, n_tables=16, multiprobe=2).fit(w)
    assert hash_from_config(json.loads(json.dumps(fam.config))).config == fam.config
    lookup = fam.lookup(w[0])
    n_probes = fam.probes(w[0]).shape[0]
    assert lookup.codes.shape == lookup.weights.shape == (n_probes, 16, 5)
    np.testing.assert_array_equal(lookup.codes[:, :, 0], fam.hash(fam.probes(w[0])))
    assert (lookup.weights >= 0).all()
    offsets = fam.offsets * fam.width
    u = (fam._features(fam.probes(w[0])) @ fam.projection + offsets) / fam.width
    stored = np.floor((fam._features(w) @ fam.projection + offsets) / fam.width)
    for p in range(n_probes):
        gap = np.abs(stored - np.floor(u[p]))
        centre = (u[p] - stored - 0.5) ** 2
        cap = np.minimum(u[p] - np.floor(u[p]) + 2.5, 3.5 - (u[p] - np.floor(u[p]))) ** 2
        expected = -np.where(gap <= 2, centre, cap).sum(axis=1)
        hit = (lookup.codes[p][None, :, :] == fam.hash(w)[:, :, None])
        got = lookup.floor[p] + (hit * lookup.weights[p][None]).sum(axis=(1, 2))
        np.testing.assert_allclose(got, expected, atol=1e-9)


def test_multiprobe_ranks_neighbours_better_than_counting_tables():
    """Ranked by the multi-probe score, the true nearest windows (Euclidean) come out nearer the top
    than ranked by the number of tables collided."""
    rng = np.random.default_rng(7)
    w = znormalise(_smooth(rng, 600, 64))
    queries = znormalise(_smooth(rng, 10, 64))
    recall = {}
    for reach in (0, 2):
        fam = make_hash("euclidean", 64, n_tables=64, multiprobe=reach).fit(w)
        codes = fam.hash(w)
        hits = []
        for q in queries:
            lk = fam.lookup(q)
            match = codes[:, :, None] == lk.codes[0][None]
            score = lk.floor[0] + (match * lk.weights[0][None]).sum(axis=(1, 2))
            truth = np.argsort(((w - q) ** 2).sum(axis=1))[:10]
            hits.append(np.isin(truth, np.argsort(-score, kind="stable")[:30]).mean())
        recall[reach] = np.mean(hits)
    assert recall[2] > recall[0] + 0.1


def test_multiprobe_needs_one_hash_per_table():
    with pytest.raises(InvalidParameterError, match="per_table=1"):
        make_hash("euclidean", 64, per_table=2, multiprobe=1)
    with pytest.raises(InvalidParameterError, match="multiprobe"):
        make_hash("euclidean", 64, multiprobe=-1)
