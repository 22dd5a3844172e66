"""Electrode faults act on one channel from their start, the same in any chunking."""

import numpy as np
import pytest

from cortexlink.core.errors import InvalidParameterError
from cortexlink.sim import Fault
from cortexlink.sim.faults import FaultSource


@pytest.mark.parametrize("kind", ["dead", "saturation", "drift"])
def test_fault_only_touches_its_channel_after_start(kind):
    src = FaultSource(Fault(kind, "site0", 1, start_s=0.5, ramp_s=1.0), 1000.0, 0.25)
    signal = np.random.default_rng(0).normal(0, 10, (3, 2000)).astype(np.float32)
    out = signal.copy()
    src.render(0, out)
    np.testing.assert_array_equal(out[[0, 2]], signal[[0, 2]])
    np.testing.assert_array_equal(out[1, :500], signal[1, :500])
    assert not np.array_equal(out[1, 500:], signal[1, 500:])
    pieces = signal.copy()
    for a in range(0, 2000, 333):
        src.render(a, pieces[:, a:a + 333])
    np.testing.assert_array_equal(out, pieces)


def test_bad_fault():
    with pytest.raises(InvalidParameterError, match="unknown fault kind"):
        Fault("broken", "site0", 0)
    with pytest.raises(InvalidParameterError, match="channel"):
        Fault("dead", "site0", -1)
