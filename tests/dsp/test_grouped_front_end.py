"""GroupedFrontEnd: per-array front ends with thresholds from the stream itself, chunk-invariant,
equal to the separate blocks."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import InvalidParameterError
from cortexlink.dsp import (
    Binner,
    ButterworthFilter,
    GroupedFrontEnd,
    GroupedReference,
    SelfCalibratingCrossings,
    SpikeBandPower,
)

FS = 30000.0
CAL = 1000  # calibration samples


def _blocks(x: np.ndarray, groups: int, estimator: str, exclude: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """The same steps as separate blocks, whole signal at once."""
    ref = GroupedReference(FS, groups, exclude=exclude).apply(ButterworthFilter(FS, 250, 5000, 4).apply(x))
    events = SelfCalibratingCrossings(FS, calibration_s=CAL / FS, estimator=estimator).apply(ref)
    return Binner(FS, 1.0).apply(events), SpikeBandPower(FS, band=None).apply(ref)


def _stream(fe: GroupedFrontEnd, x: np.ndarray, cuts: list[int]) -> tuple[np.ndarray, np.ndarray]:
    edges = [0, *sorted(cuts), x.shape[1]]
    fe.reset()
    outs = [fe.process(Chunk(x[:, a:b], a, FS)) for a, b in zip(edges[:-1], edges[1:], strict=True)]
    return (np.concatenate([c.data for c, _ in outs], axis=1),
            np.concatenate([p.data for _, p in outs], axis=1))


@pytest.fixture(scope="module")
def two_arrays(spiky):
    x = np.concatenate([spiky, spiky[::-1] // 2]).astype(np.float32)
    x[:4] += 30.0
    return x


@settings(max_examples=15, deadline=None)
@given(cuts=st.lists(st.integers(0, 3000), max_size=8), groups=st.sampled_from([1, 2]),
       estimator=st.sampled_from(["mad", "rms"]), exclude=st.sampled_from([[], [1, 6]]))
def test_any_chunking_equals_the_separate_blocks(two_arrays, cuts, groups, estimator, exclude):
    counts, power = _blocks(two_arrays, groups, estimator, exclude)
    fe = GroupedFrontEnd(FS, 8, groups, exclude=exclude, calibration_s=CAL / FS, estimator=estimator)
    got_counts, got_power = _stream(fe, two_arrays, cuts)
    np.testing.assert_array_equal(got_counts, counts)
    np.testing.assert_array_equal(got_power, power)
    assert counts[:, CAL // 30:].sum() > 20 and not counts[:, :CAL // 30].any()


def test_apply_equals_one_ms_chunks_and_thresholds_come_from_the_stream(two_arrays):
    fe = GroupedFrontEnd(FS, 8, 2, calibration_s=CAL / FS)
    counts, power = fe.apply(two_arrays)
    streamed = GroupedFrontEnd(FS, 8, 2, calibration_s=CAL / FS)
    np.testing.assert_array_equal(_stream(streamed, two_arrays, list(range(30, 3000, 30)))[0], counts)
    rms = fe.rms.copy()
    again, _ = fe.apply(two_arrays)  # a new stream keeps the thresholds: counted from its start
    np.testing.assert_array_equal(fe.rms, rms)
    assert again[:, :CAL // 30].sum() > 0
    assert counts.shape == (8, 100) and power.shape == (8, 100)
    assert fe.crossings_rate == fe.power_rate == 1000.0


def test_bad_grouping_is_refused():
    with pytest.raises(InvalidParameterError, match="equal groups"):
        GroupedFrontEnd(FS, 7, 2)
    with pytest.raises(InvalidParameterError, match="estimator"):
        GroupedFrontEnd(FS, 8, 2, estimator="max")
