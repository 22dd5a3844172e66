"""VelocityGuard: speed and acceleration limits hold, chunked == whole, watchdog and emergency stop
zero the output, and every intervention is counted."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cortexlink.core.errors import InvalidDataError, InvalidParameterError
from cortexlink.decode.safety import SafetyLimits, VelocityGuard

RATE = 100.0
LIMITS = SafetyLimits(max_speed=40.0, max_accel=400.0, watchdog_s=0.1)


def _velocity(seed: int, n: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.cumsum(rng.normal(scale=8.0, size=(2, n)), axis=1)


def test_limits_hold_on_every_sample():
    v = _velocity(0, 2000)
    guard = VelocityGuard(LIMITS, RATE)
    out = guard.process(v)
    speed = np.hypot(*out)
    step = np.hypot(*np.diff(np.concatenate([np.zeros((2, 1)), out], axis=1)))
    assert speed.max() <= LIMITS.max_speed + 1e-9
    assert step.max() <= LIMITS.max_accel / RATE + 1e-9
    assert guard.counts.speed_limited > 0 and guard.counts.accel_limited > 0
    calm = 0.01 * _velocity(1, 200)  # slow and small: passes untouched
    assert np.allclose(VelocityGuard(LIMITS, RATE).process(calm), calm)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.lists(st.integers(1, 60), min_size=1, max_size=12))
def test_chunked_equals_whole(seed, cuts):
    v = _velocity(seed, 300)
    whole = VelocityGuard(LIMITS, RATE).process(v)
    guard = VelocityGuard(LIMITS, RATE)
    bounds = np.cumsum([0, *cuts])
    pieces = [
        guard.process(v[:, a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True) if a < v.shape[1]
    ]
    rest = guard.process(v[:, min(bounds[-1], v.shape[1]) :])
    assert np.array_equal(np.concatenate([*pieces, rest], axis=1), whole)


def test_watchdog_and_emergency_stop_zero_and_count():
    guard = VelocityGuard(LIMITS, RATE)
    guard.process(np.full((2, 5), 3.0))
    assert not guard.expired(0.05) and guard.expired(0.2)
    assert not np.any(guard.watchdog(4)) and guard.counts.watchdog_zeroed == 4
    guard.emergency_stop()
    assert not np.any(guard.process(np.full((2, 7), 30.0))) and guard.counts.stopped_zeroed == 7
    guard.release()
    out = guard.process(np.full((2, 1), 30.0))  # from rest again, within the acceleration limit
    assert 0 < np.hypot(*out[:, 0]) <= LIMITS.max_accel / RATE + 1e-9


def test_nan_asks_for_nothing_to_move():
    guard = VelocityGuard(LIMITS, RATE)
    out = guard.process(np.array([[np.nan, 1.0], [0.0, np.inf]]))
    assert np.all(np.isfinite(out)) and np.allclose(out[:, 0], 0)


def test_bad_settings_and_shapes_are_clear():
    with pytest.raises(InvalidParameterError, match="max_speed"):
        SafetyLimits(max_speed=0)
    with pytest.raises(InvalidParameterError, match="watchdog_s"):
        SafetyLimits(watchdog_s=float("nan"))
    with pytest.raises(InvalidDataError, match="vx, vy"):
        VelocityGuard(LIMITS, RATE).process(np.zeros((3, 4)))
