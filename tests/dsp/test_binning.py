import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import InvalidParameterError
from cortexlink.dsp import Binner

FS = 30000.0
CUTS = st.lists(st.integers(0, 3000), max_size=12)


@settings(max_examples=25, deadline=None)
@given(cuts=CUTS, mode=st.sampled_from(["sum", "mean"]), bin_ms=st.sampled_from([1.0, 0.7, 20.0]))
def test_any_chunking_equals_whole(spiky, assert_chunk_invariant, cuts, mode, bin_ms):
    assert_chunk_invariant(Binner(FS, bin_ms=bin_ms, mode=mode), spiky, cuts)


def test_sums_and_means_match_reshape(spiky):
    x = spiky[:, :2990]  # 99 full 1 ms bins and a partial one, which is not emitted
    s = Binner(FS, 1.0, "sum").apply(x)
    m = Binner(FS, 1.0, "mean").apply(x)
    ref = x[:, :2970].reshape(4, 99, 30).astype(np.float64)
    np.testing.assert_allclose(s, ref.sum(-1))
    np.testing.assert_allclose(m, ref.mean(-1), rtol=1e-6)


def test_counts_crossings_and_reports_output_rate():
    events = np.zeros((2, 600), np.uint8)
    events[0, [3, 10, 599]] = 1
    b = Binner(FS, 10.0)  # 300 samples per bin
    assert b.output_rate == 100.0
    out = b.process(Chunk(events[:, :450], 0, FS))
    assert out.n_samples == 1 and out.sample_rate == 100.0
    out2 = b.process(Chunk(events[:, 450:], 450, FS))
    assert out2.start_sample == 1
    np.testing.assert_array_equal(np.concatenate([out.data, out2.data], 1), [[2, 1], [0, 0]])


def test_stream_joined_mid_way_numbers_bins_from_its_first_sample():
    b = Binner(FS, 1.0)
    out = b.process(Chunk(np.ones((1, 90), np.float32), 3000, FS))
    assert out.start_sample == 100 and out.n_samples == 3


def test_bad_parameters():
    with pytest.raises(InvalidParameterError, match="'sum' or 'mean'"):
        Binner(FS, 1.0, "median")
    with pytest.raises(InvalidParameterError, match="bin_ms"):
        Binner(FS, 0.0)
    with pytest.raises(InvalidParameterError, match="bin_ms"):
        Binner(1000.0, 0.1)  # less than one sample
    with pytest.raises(InvalidParameterError, match="milliseconds"):
        Binner(FS, "1")
