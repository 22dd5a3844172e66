import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import InvalidDataError, InvalidParameterError
from cortexlink.dsp import CommonAverageReference, GroupedReference, channel_groups

FS = 30000.0
CUTS = st.lists(st.integers(0, 3000), max_size=12)


@settings(max_examples=20, deadline=None)
@given(cuts=CUTS, mode=st.sampled_from(["mean", "median"]))
def test_any_chunking_equals_whole(spiky, assert_chunk_invariant, cuts, mode):
    assert_chunk_invariant(CommonAverageReference(FS, mode=mode, exclude=[2]), spiky, cuts)


def test_mean_reference_removes_common_signal():
    rng = np.random.default_rng(0)
    common = rng.normal(0, 100, 500)
    own = rng.normal(0, 1, (6, 500))
    out = CommonAverageReference(FS).apply((own + common).astype(np.float32))
    np.testing.assert_allclose(out, own - own.mean(axis=0), atol=1e-3)


def test_median_reference_matches_numpy():
    x = np.random.default_rng(1).normal(0, 5, (7, 300)).astype(np.float32)
    out = CommonAverageReference(FS, mode="median").apply(x)
    np.testing.assert_allclose(out, x - np.median(x, axis=0), atol=1e-5)


@pytest.mark.parametrize("exclude", [[3], np.array([False, False, False, True, False])])
def test_excluded_bad_channel_does_not_leak_into_the_reference(exclude):
    x = np.random.default_rng(2).normal(0, 1, (5, 200)).astype(np.float32)
    x[3] = 30000.0  # saturated electrode
    out = CommonAverageReference(FS, exclude=exclude).apply(x)
    ref = x[[0, 1, 2, 4]].mean(axis=0)
    np.testing.assert_allclose(out[[0, 1, 2, 4]], x[[0, 1, 2, 4]] - ref, atol=1e-4)
    np.testing.assert_allclose(out[3], x[3] - ref, rtol=1e-6)  # still re-referenced


def test_bad_parameters():
    with pytest.raises(InvalidParameterError, match="'mean' or 'median'"):
        CommonAverageReference(FS, mode="mode")
    x = np.zeros((3, 10), np.float32)
    with pytest.raises(InvalidParameterError, match="no channel"):
        CommonAverageReference(FS, exclude=[0, 1, 2]).apply(x)
    with pytest.raises(InvalidDataError, match="outside 0..2"):
        CommonAverageReference(FS, exclude=[5]).apply(x)
    with pytest.raises(InvalidDataError, match="mask has shape"):
        CommonAverageReference(FS, exclude=np.array([True, False])).apply(x)
    car = CommonAverageReference(FS)
    car.process(Chunk(x, 0, FS))
    with pytest.raises(InvalidDataError, match="from 3 to 2"):
        car.process(Chunk(x[:2], 10, FS))


def test_grouped_reference_references_each_group_to_its_own_mean(spiky, assert_chunk_invariant):
    x = spiky.astype(np.float32)
    x[:2] += 50.0  # the groups' offsets differ: one common average would leave them in
    block = GroupedReference(30000.0, groups=2, exclude=[3])
    got = block.apply(x)
    np.testing.assert_allclose(got[:2], x[:2] - x[:2].mean(axis=0), atol=1e-3)
    np.testing.assert_allclose(got[2:], x[2:] - x[2], atol=1e-3)  # channel 3 left out of its group's mean
    assert_chunk_invariant(GroupedReference(30000.0, groups=2), x, [7, 100])


def test_channel_groups_split_evenly_and_place_excluded_channels():
    assert [(lo, hi) for lo, hi, _ in channel_groups(6, 3)] == [(0, 2), (2, 4), (4, 6)]
    groups = channel_groups(6, 2, exclude=[1, 4])
    assert groups[0][2].tolist() == [1] and groups[1][2].tolist() == [1]
    assert channel_groups(4, 1)[0][2] is None
    with pytest.raises(InvalidParameterError, match="equal groups"):
        channel_groups(5, 2)
    with pytest.raises(InvalidParameterError, match="at least 1"):
        channel_groups(5, 0)
