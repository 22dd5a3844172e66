"""A centre-out-and-back cursor task: targets, acquisition, hold, and the intention of the subject.

The task is the behavioural half of a closed-loop BCI session. Each step it integrates a velocity
(the decoder's output in closed loop, or the intended velocity itself during an open-loop
calibration block, when the cursor moves on the ideal path) into the cursor position, checks
whether the cursor is inside the target and for how long, and says what velocity a subject would
intend now: straight towards the target, fast when far and slowing as it closes in, the way a
monkey steers a cursor it controls. Runs one step per bin (around 100 Hz), on plain floats.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from cortexlink.core.errors import InvalidParameterError


@dataclass(frozen=True)
class CursorTaskConfig:
    """Geometry and timing of the task, in workspace units (cm) and seconds."""

    target_distance: float = 8.0   # centre to peripheral target
    n_targets: int = 8             # peripheral targets, evenly spaced on a circle
    target_radius: float = 2.0     # the cursor is "in" when its centre is within this distance
    hold_s: float = 0.3            # time to stay in the target to acquire it
    timeout_s: float = 5.0         # a target not acquired by then is a failed trial
    max_speed: float = 20.0        # peak intended speed (cm/s)
    approach_gain: float = 4.0     # 1/s: intended speed = min(max_speed, gain * distance)
    workspace: float = 12.0        # the cursor is kept within +-workspace on each axis

    def __post_init__(self) -> None:
        for name in ("target_distance", "target_radius", "hold_s", "timeout_s", "max_speed",
                     "approach_gain", "workspace"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise InvalidParameterError(f"cursor task {name} must be a positive number, got {value!r}")
        if int(self.n_targets) < 1:
            raise InvalidParameterError(f"cursor task n_targets must be at least 1, got {self.n_targets}")
        if self.target_distance + self.target_radius > self.workspace:
            raise InvalidParameterError(
                f"targets at {self.target_distance} with radius {self.target_radius} do not fit in a "
                f"workspace of +-{self.workspace}; enlarge the workspace or bring the targets closer"
            )


@dataclass
class TaskMetrics:
    """What the task has measured since the last ``reset_metrics``."""

    elapsed_s: float = 0.0
    acquired: int = 0
    failed: int = 0
    times_to_target: list[float] = field(default_factory=list)

    @property
    def targets_per_minute(self) -> float:
        return 60.0 * self.acquired / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def mean_time_to_target(self) -> float:
        """Mean seconds from target onset to the start of the hold that acquired it (NaN if none)."""
        return float(np.mean(self.times_to_target)) if self.times_to_target else float("nan")


class CursorTask:
    """Centre-out-and-back: targets alternate between the centre and a random peripheral one.

    ``step(vx, vy, dt)`` moves the cursor and runs the trial logic; ``intended_velocity()`` is
    what the subject wants the cursor to do from where it is now.
    """

    def __init__(self, config: CursorTaskConfig | None = None, seed: int = 0) -> None:
        self.config = config or CursorTaskConfig()
        self._rng = np.random.default_rng(seed)
        c = self.config
        angles = 2 * np.pi * np.arange(int(c.n_targets)) / int(c.n_targets)
        d = c.target_distance
        self._peripheral = [(d * math.cos(a), d * math.sin(a)) for a in angles]
        self.x = 0.0
        self.y = 0.0
        self.time_s = 0.0
        self.metrics = TaskMetrics()
        self._at_centre = True
        self.target = (0.0, 0.0)
        self._trial_start = 0.0
        self._hold_start: float | None = None
        self._new_target()

    # -- the subject -------------------------------------------------------------------------

    def intended_velocity(self) -> tuple[float, float]:
        """Velocity towards the target, speed ``min(max_speed, gain * distance)``."""
        dx = self.target[0] - self.x
        dy = self.target[1] - self.y
        dist = math.hypot(dx, dy)
        if dist == 0.0:
            return 0.0, 0.0
        speed = min(self.config.max_speed, self.config.approach_gain * dist)
        return speed * dx / dist, speed * dy / dist

    # -- the task ----------------------------------------------------------------------------

    @property
    def in_target(self) -> bool:
        return math.hypot(self.target[0] - self.x, self.target[1] - self.y) <= self.config.target_radius

    @property
    def holding(self) -> bool:
        return self._hold_start is not None

    def step(self, vx: float, vy: float, dt: float) -> bool:
        """Integrate velocity ``(vx, vy)`` over ``dt`` seconds; True when a target was acquired now."""
        c = self.config
        if not (math.isfinite(vx) and math.isfinite(vy)):
            vx = vy = 0.0
        self.time_s += dt
        self.metrics.elapsed_s += dt
        self.x = min(c.workspace, max(-c.workspace, self.x + vx * dt))
        self.y = min(c.workspace, max(-c.workspace, self.y + vy * dt))
        if self.in_target:
            if self._hold_start is None:  # entered during this step: count the step as held
                self._hold_start = self.time_s - dt
            if self.time_s - self._hold_start >= c.hold_s - 1e-9:
                self.metrics.acquired += 1
                self.metrics.times_to_target.append(self._hold_start - self._trial_start)
                self._new_target()
                return True
        else:
            self._hold_start = None
        if self.time_s - self._trial_start >= c.timeout_s - 1e-9:
            self.metrics.failed += 1
            self._new_target()
        return False

    def reset_metrics(self) -> None:
        """Start counting afresh (e.g. when closed-loop control begins after calibration)."""
        self.metrics = TaskMetrics()

    def _new_target(self) -> None:
        self._at_centre = not self._at_centre
        if self._at_centre:
            self.target = (0.0, 0.0)
        else:
            self.target = self._peripheral[int(self._rng.integers(len(self._peripheral)))]
        self._trial_start = self.time_s
        self._hold_start = None
