"""HashIndex: collisions found by binary search, retention, bounded memory."""

import numpy as np
import pytest

from cortexlink.core.errors import InvalidDataError
from cortexlink.similarity.index import HashIndex


def test_query_finds_windows_colliding_in_enough_tables():
    index = HashIndex(n_tables=3, capacity=10)
    codes = np.array([[1, 2, 3], [1, 5, 6], [7, 2, 3], [9, 9, 9]], dtype=np.uint64)
    index.add(codes, channels=[0, 1, 2, 3], starts=[10, 20, 30, 40])
    found = index.query(np.array([1, 2, 3], dtype=np.uint64))
    assert sorted(zip(found.channels.tolist(), found.votes.tolist(), strict=True)) == [(0, 3), (1, 1), (2, 2)]
    two = index.query(np.array([1, 2, 3], dtype=np.uint64), min_votes=2)
    assert sorted(two.starts.tolist()) == [10, 30]
    assert index.query(np.array([1, 2, 3], dtype=np.uint64)).best(1).starts.tolist() == [10]
    assert len(index.query(np.array([4, 4, 4], dtype=np.uint64))) == 0


def test_matches_brute_force_on_random_codes():
    rng = np.random.default_rng(0)
    codes = rng.integers(0, 6, (500, 4)).astype(np.uint64)
    index = HashIndex(4, 500)
    index.add(codes, rng.integers(0, 8, 500), np.arange(500))
    for q in codes[:20]:
        found = index.query(q)
        expected = np.flatnonzero((codes == q).any(axis=1))
        np.testing.assert_array_equal(np.sort(found.starts), expected)
        votes = found.votes[np.argsort(found.starts)]
        np.testing.assert_array_equal(votes, (codes[expected] == q).sum(axis=1))


def test_windows_older_than_the_retention_are_gone_and_memory_is_constant():
    n_ch, hop, retention = 4, 10, 200
    index = HashIndex.for_stream(n_tables=2, n_channels=n_ch, retention=retention, hop=hop)
    nbytes = index.nbytes
    marker = np.array([[123, 456]], dtype=np.uint64)
    index.add(marker, 0, 0)
    assert len(index.query(marker[0])) == 1
    rng = np.random.default_rng(1)
    for step in range(1, 200):
        start = step * hop
        index.add_hashed(rng.integers(1000, 2**40, (n_ch, 1, 2)).astype(np.uint64), np.array([start]))
        live = index.query(marker[0])
        assert (len(live) == 1) == (start <= retention)
        assert index.nbytes == nbytes
        assert len(index) <= n_ch * (retention // hop + 1)
    assert len(index) == n_ch * (retention // hop + 1)


def test_bad_codes_are_clear_errors():
    index = HashIndex(3, 10)
    with pytest.raises(InvalidDataError, match="n_windows, 3"):
        index.add(np.zeros((2, 4), dtype=np.uint64), 0, 0)
    with pytest.raises(InvalidDataError, match="one code per table"):
        index.query(np.zeros(2, dtype=np.uint64))


def test_several_probes_vote_with_their_best():
    index = HashIndex(n_tables=3, capacity=4)
    index.add(np.array([[1, 2, 3], [1, 9, 9], [7, 8, 3]], dtype=np.uint64), 0, [0, 1, 2])
    found = index.query(np.array([[1, 2, 0], [7, 8, 3]], dtype=np.uint64))
    assert dict(zip(found.starts.tolist(), found.votes.tolist(), strict=True)) == {0: 2, 1: 1, 2: 3}


def test_weighted_codes_score_by_the_weights_they_hit():
    """Several codes per table (multi-probe): a window scores its probe's floor plus the weights of
    the codes it collides with, the best probe counts, and ``best`` ranks by that score; votes count
    only each probe's own code (the first per table), so a window hit only by the others is no
    candidate."""
    index = HashIndex(n_tables=2, capacity=4)
    index.add(np.array([[1, 5], [2, 5], [3, 6], [9, 9]], dtype=np.uint64), 0, [0, 1, 2, 3])
    codes = np.array([[[1, 2], [5, 6]], [[3, 9], [6, 9]]], dtype=np.uint64)
    weights = np.array([[[4.0, 1.0], [2.0, 0.5]], [[3.0, 0.1], [3.0, 0.2]]])
    found = index.query(codes, weights=weights, floor=np.array([-10.0, -7.0]))
    scores = dict(zip(found.starts.tolist(), found.scores.tolist(), strict=True))
    assert scores == pytest.approx({0: -4.0, 1: -7.0, 2: -1.0})
    assert dict(zip(found.starts.tolist(), found.votes.tolist(), strict=True)) == {0: 2, 1: 1, 2: 2}
    assert found.best(2).starts.tolist() == [2, 0]
    two = index.query(codes, min_votes=2, weights=weights, floor=np.array([-10.0, -7.0]))
    assert sorted(two.starts.tolist()) == [0, 2]
    with pytest.raises(InvalidDataError, match="weights"):
        index.query(codes, weights=weights[:, :, :1])


def test_multi_probe_scan_matches_the_bucket_reads():
    """Multi-probe queries scan every live window once (``_votes_scan``); votes and scores are
    exactly those of reading each probed bucket by binary search (``_votes``)."""
    from cortexlink.similarity.index import _votes

    rng = np.random.default_rng(5)
    index = HashIndex(n_tables=6, capacity=300, retention=400)
    index.add(rng.integers(0, 9, (300, 6)).astype(np.uint64), rng.integers(0, 4, 300), np.arange(300) * 2)
    index.add(rng.integers(0, 9, (120, 6)).astype(np.uint64), 0, 600 + np.arange(120))  # overwrite, age out
    # a probe's codes in one table are distinct (neighbouring buckets), 9 and 10 never stored
    codes = np.array([[rng.permutation(11)[:4] for _ in range(6)] for _ in range(3)], dtype=np.uint64)
    weights, floor = rng.uniform(0, 2, codes.shape), -rng.uniform(0, 5, 3)
    found = index.query(codes, weights=weights, floor=floor)
    keys, order = index._sorted_tables()
    votes, scores = _votes(keys, order, codes, weights, floor, index.capacity)
    slots = np.flatnonzero(votes >= 1)
    assert len(found) == slots.size > 0
    np.testing.assert_array_equal(found.votes, votes[slots])
    np.testing.assert_array_equal(found.scores, scores[slots])
