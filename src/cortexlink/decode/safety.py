"""Safety limits between a decoder and anything it moves: speed and acceleration limits, a
watchdog on the decoder's output, and a latched emergency stop.

``VelocityGuard(SafetyLimits(max_speed=40, max_accel=400, watchdog_s=0.1), sample_rate=100)``
takes decoded velocity ``(2, n)`` (vx, vy; time last) and returns what may be sent on: each
velocity's norm clipped to ``max_speed``, and each step's change clipped to ``max_accel / rate``.
``watchdog(age_s, n)`` zeroes the output when the decoder's newest output is older than
``watchdog_s`` (a hung or killed decoder); ``emergency_stop()`` zeroes every later output until
``release()``. Every intervention is counted, so a caller can publish it as an event. The guard
is streaming: any chunking of the input gives the same output as the whole (tests prove it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from cortexlink.core.errors import InvalidDataError, InvalidParameterError

__all__ = ["SafetyLimits", "VelocityGuard", "Interventions"]


@dataclass(frozen=True)
class SafetyLimits:
    """Bounds on decoded velocity, in the decoder's units (cm/s for the cursor task)."""

    max_speed: float = 40.0  # norm of (vx, vy); twice the simulated subject's peak speed
    max_accel: float = 400.0  # change of velocity per second (0 to max_speed in 0.1 s)
    watchdog_s: float = 0.25  # decoder output older than this is replaced by zero velocity

    def __post_init__(self) -> None:
        for name in ("max_speed", "max_accel", "watchdog_s"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise InvalidParameterError(f"safety {name} must be a positive number, got {value!r}")


@dataclass
class Interventions:
    """How often the guard changed what the decoder said (samples, since the start)."""

    speed_limited: int = 0
    accel_limited: int = 0
    watchdog_zeroed: int = 0
    stopped_zeroed: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "speed_limited": self.speed_limited,
            "accel_limited": self.accel_limited,
            "watchdog_zeroed": self.watchdog_zeroed,
            "stopped_zeroed": self.stopped_zeroed,
        }


@njit(cache=True)
def _limit(
    v: np.ndarray, out: np.ndarray, prev: np.ndarray, max_speed: float, max_step: float
) -> tuple[int, int]:
    """Clip each column's norm to ``max_speed`` then its change from the previous one to ``max_step``."""
    n_speed = 0
    n_accel = 0
    px, py = prev[0], prev[1]
    for i in range(v.shape[1]):
        x, y = v[0, i], v[1, i]
        if not (math.isfinite(x) and math.isfinite(y)):
            x, y = 0.0, 0.0  # a decoder that emits NaN asks for nothing to move
            n_speed += 1
        speed = math.sqrt(x * x + y * y)
        if speed > max_speed:
            x *= max_speed / speed
            y *= max_speed / speed
            n_speed += 1
        dx, dy = x - px, y - py
        step = math.sqrt(dx * dx + dy * dy)
        if step > max_step:
            x = px + dx * (max_step / step)
            y = py + dy * (max_step / step)
            n_accel += 1
        out[0, i] = x
        out[1, i] = y
        px, py = x, y
    prev[0] = px
    prev[1] = py
    return n_speed, n_accel


class VelocityGuard:
    """Streaming speed/acceleration limits, watchdog and emergency stop for 2-D velocity."""

    def __init__(self, limits: SafetyLimits, sample_rate: float) -> None:
        if not (math.isfinite(sample_rate) and sample_rate > 0):
            raise InvalidParameterError(f"sample_rate must be a positive number of Hz, got {sample_rate!r}")
        self.limits = limits
        self.sample_rate = float(sample_rate)
        self.counts = Interventions()
        self.stopped = False
        self._prev = np.zeros(2)

    def reset(self) -> None:
        """Forget the previous velocity (start from rest) and the counts; keeps a latched stop."""
        self._prev[:] = 0.0
        self.counts = Interventions()

    def process(self, velocity: np.ndarray) -> np.ndarray:
        """``velocity`` (2, n) -> the limited (2, n) float64 (zeros while stopped)."""
        v = np.asarray(velocity)
        if v.ndim != 2 or v.shape[0] != 2:
            raise InvalidDataError(f"velocity must be (2, n_samples) rows vx, vy; got shape {v.shape}")
        if self.stopped:
            return self._zero(v.shape[1], "stopped_zeroed")
        out = np.empty(v.shape, dtype=np.float64)
        n_speed, n_accel = _limit(
            np.ascontiguousarray(v, dtype=np.float64),
            out,
            self._prev,
            float(self.limits.max_speed),
            float(self.limits.max_accel / self.sample_rate),
        )
        self.counts.speed_limited += n_speed
        self.counts.accel_limited += n_accel
        return out

    def expired(self, age_s: float) -> bool:
        """The decoder's newest output is ``age_s`` old: too old to trust?"""
        return age_s > self.limits.watchdog_s

    def watchdog(self, n: int) -> np.ndarray:
        """``n`` samples of zero velocity, sent because the decoder went quiet."""
        return self._zero(n, "watchdog_zeroed")

    def emergency_stop(self) -> None:
        """Zero every output from now on, until ``release()``."""
        self.stopped = True

    def release(self) -> None:
        """End an emergency stop; velocity starts again from rest."""
        self.stopped = False
        self._prev[:] = 0.0

    def _zero(self, n: int, counter: str) -> np.ndarray:
        self._prev[:] = 0.0
        setattr(self.counts, counter, getattr(self.counts, counter) + int(n))
        return np.zeros((2, int(n)))
