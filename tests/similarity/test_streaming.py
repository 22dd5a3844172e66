"""StreamingHasher: any chunking gives the codes of hashing every window at once."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import InvalidDataError, InvalidParameterError
from cortexlink.similarity.hashes import make_hash
from cortexlink.similarity.streaming import StreamingHasher

RNG = np.random.default_rng(0)
SIGNAL = np.cumsum(RNG.standard_normal((3, 900)), axis=1)
SKETCH = make_hash("dtw", 60, kind="sketch", n_tables=6, per_table=2)   # step 2: incremental path
EMD = make_hash("emd", 60, n_tables=6, per_table=2).fit(SIGNAL[:, :600].reshape(-1, 60))
DTW = make_hash("dtw", 60, n_tables=6).fit(SIGNAL[:, :600].reshape(-1, 60))   # keeps PAA summaries


def _batch_codes(family, signal, hop):
    starts = np.arange(0, signal.shape[1] - family.window + 1, hop)
    views = np.lib.stride_tricks.sliding_window_view(signal, family.window, axis=1)[:, starts]
    return family.hash(views.reshape(-1, family.window)).reshape(signal.shape[0], starts.size, -1), starts


def _streamed(hasher, signal, cuts):
    hasher.reset()
    edges = [0, *sorted(set(cuts)), signal.shape[1]]
    parts = [hasher.process(Chunk(signal[:, a:b], a, 1000.0))
             for a, b in zip(edges[:-1], edges[1:], strict=True)]
    summaries = [p.summaries for p in parts if p.summaries is not None]
    out = np.concatenate([p.codes for p in parts], axis=1), np.concatenate([p.starts for p in parts])
    return (*out, np.concatenate(summaries, axis=1) if summaries else None)


@pytest.mark.parametrize(("family", "hop"), [(SKETCH, 2), (SKETCH, 6), (SKETCH, 5), (EMD, 7), (DTW, 9)])
def test_whole_stream_equals_hashing_every_window(family, hop):
    codes, starts = _batch_codes(family, SIGNAL, hop)
    out = StreamingHasher(family, hop).hash_all(SIGNAL)
    np.testing.assert_array_equal(out.starts, starts)
    np.testing.assert_array_equal(out.codes, codes)


@settings(max_examples=40, deadline=None)
@given(cuts=st.lists(st.integers(1, 899), max_size=30),
       which=st.sampled_from(["sketch", "sketch_hop", "emd", "dtw"]))
def test_any_chunking_gives_the_same_codes(cuts, which):
    family, hop = {"sketch": (SKETCH, 2), "sketch_hop": (SKETCH, 8), "emd": (EMD, 5), "dtw": (DTW, 7)}[which]
    hasher = StreamingHasher(family, hop)
    whole = hasher.hash_all(SIGNAL)
    codes, starts, summaries = _streamed(hasher, SIGNAL, cuts)
    np.testing.assert_array_equal(starts, whole.starts)
    np.testing.assert_array_equal(codes, whole.codes)
    if family.summary_size:
        np.testing.assert_array_equal(summaries, whole.summaries)


def test_one_sample_chunks():
    hasher = StreamingHasher(SKETCH, 4)
    whole = hasher.hash_all(SIGNAL[:, :200])
    codes, starts, _ = _streamed(hasher, SIGNAL[:, :200], range(1, 200))
    np.testing.assert_array_equal(codes, whole.codes)


def test_bad_chunks_are_clear_errors():
    hasher = StreamingHasher(SKETCH)
    hasher.process(SIGNAL[:, :10])
    with pytest.raises(InvalidDataError, match="3 channels"):
        hasher.process(SIGNAL[:2, 10:20])
    with pytest.raises(InvalidDataError, match="NaN"):
        hasher.process(np.full((3, 5), np.nan))
    with pytest.raises(InvalidParameterError, match="fewer than one window"):
        StreamingHasher(SKETCH).hash_all(SIGNAL[:, :30])
    with pytest.raises(InvalidParameterError, match="hop"):
        StreamingHasher(SKETCH, hop=0)
