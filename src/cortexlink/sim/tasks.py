"""Behaviour that drives the population: the intended 2-D hand velocity, one value per control period.

``CenterOutTask``: reaches from the centre to one of 8 targets and back, minimum-jerk speed
profiles, reaction times and holds. ``PursuitTask``: a continuous chase of random targets that
jump to a new place when reached. Both advance in whole control periods and draw their random
numbers in the order trials happen, so the sequence is the same however it is requested.
Positions are in cm, velocities in cm/s.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from cortexlink.core.errors import InvalidParameterError

TASKS = ("center_out", "pursuit")


class Task:
    """Common part: ``advance(n)`` returns velocities ``(2, n)``; ``target_events`` lists
    ``(period, x, y)`` for every target shown."""

    def __init__(self, dt: float, max_speed: float) -> None:
        self.dt = float(dt)
        self.max_speed = float(max_speed)
        self.period = 0
        self.target_events: list[tuple[int, float, float]] = []

    def advance(self, n: int) -> np.ndarray:
        raise NotImplementedError


class CenterOutTask(Task):
    """Centre-out-and-back reaching to ``n_targets`` targets at ``reach_distance`` cm; each reach
    lasts ``slowdown`` (drawn per reach) times the fastest one, whose peak speed is max_speed."""

    def __init__(self, rng: np.random.Generator, dt: float, max_speed: float = 20.0,
                 reach_distance: float = 8.0, n_targets: int = 8,
                 reaction_s: tuple[float, float] = (0.2, 0.4),
                 hold_s: tuple[float, float] = (0.3, 0.5),
                 slowdown: tuple[float, float] = (1.0, 1.3)) -> None:
        super().__init__(dt, max_speed)
        self._rng = rng
        self.reach_distance = float(reach_distance)
        angles = 2 * np.pi * np.arange(n_targets) / n_targets
        self._targets = self.reach_distance * np.stack([np.cos(angles), np.sin(angles)], axis=1)
        self._reaction = reaction_s
        self._hold = hold_s
        # minimum-jerk reaches; the fastest (peak = 1.875 * D / T) reaches max_speed
        self._fastest_s = 1.875 * self.reach_distance / self.max_speed
        self._slowdown = slowdown
        self._buffer = np.zeros((2, 0))
        self._planned = 0          # periods planned (emitted + buffered)
        self._order: list[int] = []

    def advance(self, n: int) -> np.ndarray:
        pieces = [self._buffer]
        have = self._buffer.shape[1]
        while have < n:
            piece = self._plan_trial()
            pieces.append(piece)
            have += piece.shape[1]
        allv = np.concatenate(pieces, axis=1) if len(pieces) > 1 else self._buffer
        out, self._buffer = allv[:, :n], allv[:, n:]
        self.period += n
        return np.ascontiguousarray(out)

    def _plan_trial(self) -> np.ndarray:
        if not self._order:
            self._order = list(self._rng.permutation(len(self._targets)))
        target = self._targets[self._order.pop()]
        parts = []
        for start, end in ((np.zeros(2), target), (target, np.zeros(2))):
            self.target_events.append((self._planned, float(end[0]), float(end[1])))
            react = self._periods(self._rng.uniform(*self._reaction))
            hold = self._periods(self._rng.uniform(*self._hold))
            direction = (end - start) / self.reach_distance
            reach = direction[:, None] * (self.reach_distance * self._profile())[None, :]
            piece = np.concatenate([np.zeros((2, react)), reach, np.zeros((2, hold))], axis=1)
            self._planned += piece.shape[1]
            parts.append(piece)
        return np.concatenate(parts, axis=1)

    def _profile(self) -> np.ndarray:
        """Speed over one reach per unit distance: minimum jerk, this reach's own duration."""
        n = max(2, self._periods(self._fastest_s * self._rng.uniform(*self._slowdown)))
        s = (np.arange(n) + 0.5) / n
        return 30.0 * s**2 * (1 - s) ** 2 / (n * self.dt)

    def _periods(self, seconds: float) -> int:
        return max(1, int(round(seconds / self.dt)))


class PursuitTask(Task):
    """Chase a target placed at random within ``workspace_radius``; a new one appears once the
    hand is within ``accept_radius`` of it, or after ``timeout_s``."""

    def __init__(self, rng: np.random.Generator, dt: float, max_speed: float = 20.0,
                 workspace_radius: float = 10.0, accept_radius: float = 1.0, gain: float = 4.0,
                 smoothing_s: float = 0.12, timeout_s: float = 3.0) -> None:
        super().__init__(dt, max_speed)
        self._rng = rng
        self.workspace_radius = float(workspace_radius)
        # state: x, y, vx, vy, tx, ty, time on target
        self._state = np.zeros(7)
        self._params = np.array([dt, max_speed, accept_radius, gain, smoothing_s, timeout_s])
        self._queue = self._draw_targets(64)
        self._next_target = 0
        self._new_target(self.period)

    def _draw_targets(self, n: int) -> np.ndarray:
        r = self.workspace_radius * np.sqrt(self._rng.uniform(0, 1, n))
        a = self._rng.uniform(-np.pi, np.pi, n)
        return np.stack([r * np.cos(a), r * np.sin(a)], axis=1)

    def _new_target(self, period: int) -> None:
        if self._next_target >= len(self._queue):
            self._queue = np.concatenate([self._queue[self._next_target:], self._draw_targets(64)])
            self._next_target = 0
        tx, ty = self._queue[self._next_target]
        self._next_target += 1
        self._state[4:7] = (tx, ty, 0.0)
        self.target_events.append((period, float(tx), float(ty)))

    def advance(self, n: int) -> np.ndarray:
        out = np.zeros((2, n))
        done = 0
        while done < n:
            steps, switch = _pursue(self._state, self._params, out, done, n)
            done += steps
            if switch:
                self._new_target(self.period + done)
        self.period += n
        return out


@njit(cache=True)
def _pursue(state, params, out, start, stop):
    """Advance the pursuit until ``stop`` or until the target is reached; returns (steps, reached)."""
    dt, vmax, accept, gain, tau, timeout = params[0], params[1], params[2], params[3], params[4], params[5]
    alpha = dt / (tau + dt)
    x, y, vx, vy, tx, ty, t_on = state[0], state[1], state[2], state[3], state[4], state[5], state[6]
    k = start
    reached = False
    while k < stop:
        ex, ey = tx - x, ty - y
        dist = math.sqrt(ex * ex + ey * ey)
        speed = min(vmax, gain * dist)
        dx = ex / dist * speed if dist > 0 else 0.0
        dy = ey / dist * speed if dist > 0 else 0.0
        vx += alpha * (dx - vx)
        vy += alpha * (dy - vy)
        x += vx * dt
        y += vy * dt
        out[0, k] = vx
        out[1, k] = vy
        t_on += dt
        k += 1
        if dist < accept or t_on >= timeout:
            reached = True
            break
    state[0], state[1], state[2], state[3], state[6] = x, y, vx, vy, t_on
    return k - start, reached


class StillTask(Task):
    """No behaviour: zero velocity, every unit at its baseline rate (until a caller sets one)."""

    def advance(self, n: int) -> np.ndarray:
        self.period += n
        return np.zeros((2, n))


def make_task(name: str | None, rng: np.random.Generator, dt: float, max_speed: float) -> Task:
    """The task called ``name`` ("center_out", "pursuit", or None for none)."""
    if name is None:
        return StillTask(dt, max_speed)
    if name == "center_out":
        return CenterOutTask(rng, dt, max_speed)
    if name == "pursuit":
        return PursuitTask(rng, dt, max_speed)
    raise InvalidParameterError(f"unknown task {name!r}; choose one of {', '.join(TASKS)} or None")
