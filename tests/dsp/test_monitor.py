"""The electrode-health monitor: finds injected faults and drift, stays quiet on clean data."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cortexlink import simulate, simulate_scene
from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import InvalidParameterError
from cortexlink.dsp.monitor import DEAD, DRIFTING, OK, SATURATED, ChannelDrift, ChannelFault, ChannelMonitor


def _run(rec) -> tuple[ChannelMonitor, np.ndarray]:
    mon = ChannelMonitor(rec.sample_rate, gain_uv=rec.gain_uv)
    return mon, mon.process(Chunk(rec.data, 0, rec.sample_rate)).status


def test_the_simulators_dead_saturated_and_drifting_channels_are_flagged_and_nothing_else():
    faults = [
        {"kind": "dead", "site": "site0", "channel": 3, "start_s": 14.0},
        {"kind": "saturation", "site": "site0", "channel": 7, "start_s": 16.0},
        {"kind": "drift", "site": "site0", "channel": 11, "start_s": 12.0, "ramp_s": 4.0},
    ]
    scene = simulate_scene(n_sites=1, channels_per_site=12, seconds=22.0, faults=faults, seed=3)
    rec = scene.recordings["site0"]
    mon, status = _run(rec)
    found = {(e.channel, e.kind) for e in mon.events}
    assert {(3, "dead"), (7, "saturated")} <= found
    assert {e.channel for e in mon.events} == {3, 7, 11}
    drifts = [e for e in mon.events if isinstance(e, ChannelDrift)]
    assert drifts and all(e.channel == 11 and e.score < 0 for e in drifts)  # spikes and noise shrink
    dead = next(e for e in mon.events if isinstance(e, ChannelFault) and e.kind == "dead")
    assert 14.0 < dead.time_s <= 14.0 + 4 * mon.window_s
    assert status[3, -1] == DEAD and status[7, -1] == SATURATED and status[11, -1] == DRIFTING
    assert (status[[0, 1, 2, 4, 5, 6, 8, 9, 10]] == OK).all()


@pytest.mark.parametrize("seed", [0, 1])
def test_clean_recordings_raise_nothing_over_minutes(seed):
    rec = simulate(n_channels=3, seconds=150.0, seed=seed).recording
    mon, status = _run(rec)
    assert mon.events == []
    assert (status == OK).all()
    assert np.isfinite(mon.baseline()["noise"]).all()


@settings(max_examples=8, deadline=None)
@given(st.lists(st.integers(1, 9000), min_size=1, max_size=12))
def test_any_chunking_gives_the_same_statuses_and_events(cuts):
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((3, 60000)) * 30).astype(np.int16)
    x[1, 40000:] = 0  # a channel dies two thirds of the way in
    kw = {"window_s": 0.05, "baseline_s": 0.5, "hold": 2}
    whole = ChannelMonitor(30000.0, gain_uv=0.25, **kw)
    expected = whole.process(Chunk(x, 0, 30000.0)).status
    mon = ChannelMonitor(30000.0, gain_uv=0.25, **kw)
    edges = sorted({0, *np.cumsum(cuts).tolist(), x.shape[1]})
    edges = [e for e in edges if e <= x.shape[1]]
    parts = [mon.process(Chunk(x[:, a:b], a, 30000.0)).status for a, b in zip(edges, edges[1:], strict=False)]
    np.testing.assert_array_equal(np.concatenate(parts, axis=1), expected)
    assert [e.to_dict() for e in mon.events] == [e.to_dict() for e in whole.events]
    assert any(e.channel == 1 and e.kind == "dead" for e in whole.events)


def test_bad_settings_are_clear():
    with pytest.raises(InvalidParameterError, match="baseline_s"):
        ChannelMonitor(30000.0, window_s=1.0, baseline_s=1.0)
    with pytest.raises(InvalidParameterError):
        ChannelMonitor(30000.0, gain_uv=0.0)
