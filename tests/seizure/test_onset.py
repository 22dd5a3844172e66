"""The onset vote: k of n windows, refractory period, min_channels."""

import numpy as np
import pytest

from cortexlink.core.errors import InvalidParameterError
from cortexlink.seizure import OnsetDetector


def test_k_of_n_and_refractory():
    p = np.zeros((40, 2))
    p[[5, 7, 8], 0] = 0.9          # 3 of the 4 windows 5..8
    p[[20, 21, 22], :] = 0.9       # within the refractory period: no second event
    t = np.arange(40) * 0.5 + 1.0
    events = OnsetDetector("a", k=3, n=4, refractory_s=10.0).run(p, t)
    assert len(events) == 1
    ev = events[0]
    assert (ev.onset_time, ev.detect_time, ev.channels) == (t[5], t[8], [0])
    assert ev.to_dict()["site"] == "a"
    assert len(OnsetDetector("a", k=3, n=4, refractory_s=5.0).run(p, t)) == 2


def test_min_channels_needs_that_many_channels():
    p = np.zeros((10, 3))
    p[2:6, 1] = 0.95
    t = np.arange(10.0)
    assert OnsetDetector(k=2, n=2, min_channels=2).run(p, t) == []
    assert len(OnsetDetector(k=2, n=2, min_channels=1).run(p, t)) == 1


def test_streamed_in_pieces_gives_the_same_events():
    rng = np.random.default_rng(0)
    p = (rng.random((200, 3)) > 0.7).astype(float)
    t = np.arange(200.0)
    whole = OnsetDetector(k=3, n=5, refractory_s=7.0).run(p, t)
    det = OnsetDetector(k=3, n=5, refractory_s=7.0)
    pieces = [e for a in range(0, 200, 13) for e in det.step(p[a:a + 13], t[a:a + 13])]
    assert pieces == whole and whole


@pytest.mark.parametrize("kw", [{"threshold": 1.5}, {"k": 5, "n": 3}, {"min_channels": 0},
                                {"refractory_s": -1}])
def test_bad_settings(kw):
    with pytest.raises(InvalidParameterError):
        OnsetDetector(**kw)
