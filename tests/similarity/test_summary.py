"""PAA summaries and the ranked look-up: summaries kept beside the codes, re-ranking of the shortlist."""

import json

import numpy as np
import pytest

from cortexlink.core.errors import InvalidDataError, InvalidParameterError
from cortexlink.similarity.exact_search import exact_top_k, ranked_top_k
from cortexlink.similarity.hashes import hash_from_config, make_hash, znormalise
from cortexlink.similarity.index import HashIndex
from cortexlink.similarity.measures import DTW_LANES, distances, dtw_sq_kernel, dtw_sq_lanes
from cortexlink.similarity.streaming import StreamingHasher
from cortexlink.similarity.summary import paa_band, rank_candidates

RNG = np.random.default_rng(7)
WINDOWS = np.cumsum(RNG.standard_normal((400, 48)), axis=1)


def _family(**kw):
    return make_hash("dtw", 48, n_tables=16, **kw).fit(WINDOWS)


def _indexed(family, windows):
    index = HashIndex(family.n_tables, windows.shape[0], summary_size=family.summary_size)
    index.add(family.hash(windows), 0, np.arange(windows.shape[0]), family.summarise(windows))
    return index


def test_summary_is_the_paa_of_the_znormalised_window():
    family = _family(paa=3)
    z = znormalise(WINDOWS)
    expected = z.reshape(400, 16, 3).mean(axis=2)
    assert family.summary_size == 16
    np.testing.assert_allclose(family.summarise(WINDOWS), expected, rtol=1e-5, atol=1e-6)
    # gain and offset do not change a summary, a flat window summarises to zeros
    np.testing.assert_allclose(family.summarise(5 * WINDOWS + 3), family.summarise(WINDOWS), atol=1e-5)
    assert not family.summarise(np.ones((1, 48))).any()
    assert _family(paa=0).summary_size == 0 and _family(paa=0).summarise(WINDOWS).shape == (400, 0)


def test_summary_settings_round_trip_and_bad_ones_are_clear_errors():
    family = _family(paa=4, shortlist=0.3)
    again = hash_from_config(json.loads(json.dumps(family.config)))
    assert (again.paa, again.shortlist) == (4, 0.3)
    np.testing.assert_array_equal(again.summarise(WINDOWS), family.summarise(WINDOWS))
    assert family.summary_band == paa_band(2 * family.radius, 4)
    with pytest.raises(InvalidParameterError, match="paa"):
        make_hash("euclidean", 48, paa=2)
    with pytest.raises(InvalidParameterError, match="shortlist"):
        _family(shortlist=0)
    with pytest.raises(InvalidParameterError, match="shortlist"):
        _family(shortlist=1.5)


@pytest.mark.parametrize(("rows", "cols", "band"),
                         [(40, 40, 4), (33, 40, 3), (40, 29, 0), (7, 7, 1), (20, 20, 25)])
def test_lanes_give_the_same_dtw_as_the_one_window_kernel(rows, cols, band):
    rng = np.random.default_rng(rows * cols)
    windows = rng.standard_normal((DTW_LANES + 37, rows))
    query = rng.standard_normal(cols)
    slots = rng.permutation(windows.shape[0])[:DTW_LANES + 5]
    out = np.empty(slots.size)
    dtw_sq_lanes(query, windows, slots, band, DTW_LANES, out)
    scratch = np.empty(cols + 1), np.empty(cols + 1)
    expected = [dtw_sq_kernel(windows[s], query, band, np.inf, np.zeros(rows + 1), *scratch) for s in slots]
    np.testing.assert_array_equal(out, expected)   # the same arithmetic, bit for bit


def test_ranked_top_k_is_the_exact_top_k_in_any_order_with_ties():
    rng = np.random.default_rng(3)
    windows = znormalise(np.cumsum(rng.standard_normal((300, 40)), axis=1))
    windows[150:160] = windows[5]   # exact ties, which go to the lower index
    for query in windows[[5, 20, 299]]:
        for order in (np.arange(300), rng.permutation(300)):
            for k in (1, 10, 300):
                got = ranked_top_k(query, windows[order], k, "dtw", band=5)
                want = exact_top_k(query, windows[order], k, "dtw", band=5)
                np.testing.assert_array_equal(got[0], want[0])
                np.testing.assert_allclose(got[1], want[1], rtol=1e-12)


def test_ranked_look_up_re_ranks_the_shortlist_by_summary_dtw():
    family = _family(paa=2, shortlist=1.0)   # every window in the shortlist: the top n by summary DTW
    index = _indexed(family, WINDOWS)
    summaries = family.summarise(WINDOWS).astype(np.float64)
    for query in WINDOWS[[3, 77]] + 0.1:
        found = rank_candidates(index, family, query, 25)
        d = distances(family.summarise(query[None])[0].astype(np.float64), summaries, "dtw",
                      band=family.summary_band)
        assert set(found.starts.tolist()) == set(np.argsort(d, kind="stable")[:25].tolist())
        np.testing.assert_allclose(-found.scores, np.sort(d)[:25], rtol=1e-4)
    short = rank_candidates(index, _family(paa=2, shortlist=0.2), WINDOWS[3], 25)
    assert len(short) == 25 and 3 in short.starts
    bare = HashIndex(family.n_tables, 400)
    bare.add(family.hash(WINDOWS), 0, np.arange(400))
    with pytest.raises(InvalidParameterError, match="summary_size"):
        rank_candidates(bare, family, WINDOWS[3], 25)


def test_index_keeps_each_window_summary_in_its_slot_through_the_ring():
    family = _family(paa=3)
    index = HashIndex(family.n_tables, 50, summary_size=family.summary_size)
    nbytes = index.nbytes
    for first in range(0, 400, 40):   # the ring wraps several times
        block = WINDOWS[first:first + 40]
        index.add(family.hash(block), 0, np.arange(first, first + 40), family.summarise(block))
    found = index.query(family.hash(WINDOWS[390:391])[0])
    np.testing.assert_array_equal(index.summary_rows[found.slots], family.summarise(WINDOWS[found.starts]))
    assert index.nbytes == nbytes
    with pytest.raises(InvalidDataError, match="summaries="):
        index.add(family.hash(WINDOWS[:2]), 0, [0, 1])
    with pytest.raises(InvalidDataError, match="summaries must be"):
        index.add(family.hash(WINDOWS[:2]), 0, [0, 1], np.zeros((2, 3)))


def test_streamed_summaries_are_those_of_every_window_in_any_chunking():
    family = _family(paa=2)
    signal = np.cumsum(RNG.standard_normal((2, 500)), axis=1)
    hasher = StreamingHasher(family, hop=7)
    whole = hasher.hash_all(signal)
    views = np.lib.stride_tricks.sliding_window_view(signal, 48, axis=1)[:, whole.starts]
    np.testing.assert_array_equal(whole.summaries, family.summarise(views.reshape(-1, 48)).reshape(2, -1, 24))
    hasher.reset()
    parts = [hasher.process(signal[:, a:a + 13]) for a in range(0, 500, 13)]
    np.testing.assert_array_equal(np.concatenate([p.summaries for p in parts], axis=1), whole.summaries)
