import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import InvalidDataError, InvalidParameterError
from cortexlink.core.recording import Recording
from cortexlink.dsp import (
    Binner,
    ButterworthFilter,
    CommonAverageReference,
    NotchFilter,
    Pipeline,
    ThresholdCrossings,
)

FS = 30000.0
CUTS = st.lists(st.integers(0, 3000), max_size=12)


def _chain():
    return Pipeline(NotchFilter(FS, 60.0), ButterworthFilter(FS, 250, 5000), CommonAverageReference(FS),
                    ThresholdCrossings(FS), Binner(FS, 1.0))


@settings(max_examples=20, deadline=None)
@given(cuts=CUTS)
def test_any_chunking_equals_whole(spiky, assert_chunk_invariant, cuts):
    chain = _chain()
    chain.calibrate(spiky)
    assert_chunk_invariant(chain, spiky, cuts)


def test_equals_blocks_applied_in_turn(spiky):
    chain = _chain()
    chain.calibrate(spiky)
    y = spiky
    for b in chain.blocks:
        y = b.apply(y)
    np.testing.assert_array_equal(chain.apply(spiky), y)
    assert chain.output_rate == 1000.0
    assert y.sum() > 0


def test_recording_through_a_non_linear_chain_gets_unit_gain(spiky):
    chain = _chain()
    chain.calibrate(spiky)
    out = chain.apply(Recording(spiky, FS, gain_uv=0.25))
    assert out.gain_uv == 1.0 and out.sample_rate == 1000.0
    lin = Pipeline(ButterworthFilter(FS, 250, 5000), CommonAverageReference(FS))
    assert lin.apply(Recording(spiky, FS, gain_uv=0.25)).gain_uv == 0.25


def test_checks_input_once_and_rates_between_blocks(spiky):
    with pytest.raises(InvalidParameterError, match="expects 30000 Hz but Binner emits 1000 Hz"):
        Pipeline(Binner(FS, 1.0), CommonAverageReference(FS))
    with pytest.raises(InvalidParameterError, match="at least one block"):
        Pipeline()
    chain = Pipeline(ButterworthFilter(FS, 250, 5000), CommonAverageReference(FS))
    bad = spiky[:, :30].astype(np.float32)
    bad[0, 0] = np.inf
    with pytest.raises(InvalidDataError, match="NaN or infinite"):
        chain.process(Chunk(bad, 0, FS))
