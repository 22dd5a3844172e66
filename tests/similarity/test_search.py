"""SimilarityIndex: hash candidates confirmed by the exact measure over a site's recent signal."""

import numpy as np
import pytest

from cortexlink.core.errors import InvalidDataError, InvalidParameterError
from cortexlink.similarity.exact_search import exact_top_k
from cortexlink.similarity.hashes import make_hash, znormalise
from cortexlink.similarity.search import SignalRing, SimilarityIndex

RNG = np.random.default_rng(0)
SIGNAL = np.cumsum(RNG.standard_normal((3, 4000)), axis=1)


def test_signal_ring_reads_back_recent_windows_only():
    ring = SignalRing(2, 50)
    data = np.arange(2 * 130, dtype=np.float32).reshape(2, 130)
    for a in range(0, 130, 17):
        ring.write(data[:, a:a + 17])
    expected = np.stack([data[1, 90:120], data[0, 100:130]])
    np.testing.assert_array_equal(ring.windows([1, 0], [90, 100], 30), expected)
    with pytest.raises(InvalidParameterError, match="overwritten"):
        ring.windows([0], [60], 10)


def test_search_with_every_candidate_is_the_exact_top_k():
    index = SimilarityIndex.of_signal(make_hash("dtw", 80), SIGNAL, 1000.0, hop=4)
    query = SIGNAL[1, 1000:1080] + 0.05 * RNG.standard_normal(80)
    found = index.search(query, k=5, band=8, fraction=None)
    starts = np.arange(0, 4000 - 80 + 1, 4)
    windows = np.stack([SIGNAL[c, s:s + 80] for c in range(3) for s in starts])
    idx, dist = exact_top_k(znormalise(query[None])[0], znormalise(windows), 5, "dtw", band=8)
    assert found.starts[0] == 1000 and found.channels[0] == 1
    rows = found.channels * starts.size + found.starts // 4
    candidates = index.candidates(query)
    truth_in_candidates = np.isin(idx, candidates.channels * starts.size + candidates.starts // 4).all()
    assert truth_in_candidates   # the exact top 5 all collide somewhere in 64 tables here
    # so re-ranking the candidates must give exactly the exact top k
    np.testing.assert_array_equal(rows, idx)
    np.testing.assert_allclose(found.distances, dist, rtol=1e-5)   # the ring stores float32
    assert np.all(np.diff(found.distances) >= 0)


def test_confirm_keeps_candidates_within_threshold():
    index = SimilarityIndex.of_signal(make_hash("euclidean", 64), SIGNAL, 1000.0, hop=8)
    query = SIGNAL[2, 800:864]
    cands = index.candidates(query, min_votes=index.family.n_tables // 2)
    assert 1 <= len(cands) < len(index.index) // 2
    close = index.confirm(cands, query, threshold=1.0)
    assert (2, 800) in set(zip(close.channels.tolist(), close.starts.tolist(), strict=True))
    assert np.all(close.distances <= 1.0)
    with pytest.raises(InvalidParameterError, match="threshold"):
        index.confirm(cands, query, threshold=float("nan"))
    best = index.candidates(query, fraction=0.01)
    assert len(best) == int(0.01 * len(index.index)) and (2, 800) in set(
        zip(best.channels.tolist(), best.starts.tolist(), strict=True))
    with pytest.raises(InvalidParameterError, match="fraction"):
        index.candidates(query, fraction=1.5)


def test_streamed_index_keeps_only_the_retention():
    family = make_hash("dtw", 60, kind="sketch")
    index = SimilarityIndex(family, n_channels=3, sample_rate=1000.0, retention_s=0.5, hop=6)
    nbytes = index.index.nbytes + index.signal._data.nbytes
    for a in range(0, 4000, 30):
        index.append(SIGNAL[:, a:a + 30])
    assert index.index.nbytes + index.signal._data.nbytes == nbytes
    found = index.search(SIGNAL[0, 3798:3858], k=3, band=6)
    oldest = index.index.newest_start - 500
    assert index.index.newest_start == 3936 and found.starts.min() >= oldest
    assert (0, 3798) in set(zip(found.channels.tolist(), found.starts.tolist(), strict=True))
    old = index.candidates(SIGNAL[0, 100:160])
    assert len(old) and np.all(old.starts >= oldest)


def test_bad_input_is_a_clear_error():
    family = make_hash("dtw", 60, kind="sketch")
    with pytest.raises(InvalidParameterError, match="fewer than one window"):
        SimilarityIndex.of_signal(family, SIGNAL[:, :40], 1000.0)
    index = SimilarityIndex.of_signal(family, SIGNAL[:, :600], 1000.0)
    with pytest.raises(InvalidDataError, match="NaN"):
        index.search(np.full(60, np.nan))
    with pytest.raises(InvalidDataError, match="empty"):
        index.search(np.zeros(0))
    with pytest.raises(InvalidParameterError, match="60 samples"):
        index.search(np.zeros(50))
    with pytest.raises(InvalidParameterError, match="band"):
        index.search(SIGNAL[0, :60], band=0)
    with pytest.raises(InvalidParameterError, match="unknown measure"):
        index.search(SIGNAL[0, :60], measure="cosine")
