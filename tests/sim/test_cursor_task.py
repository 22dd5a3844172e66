"""Cursor task: the ideal subject acquires targets, holds are enforced, timeouts fail trials."""

import math

import pytest

from cortexlink.core.errors import InvalidParameterError
from cortexlink.sim.cursor_task import CursorTask, CursorTaskConfig

DT = 0.01


def test_intended_velocity_points_at_target_and_is_capped():
    task = CursorTask(CursorTaskConfig(max_speed=20.0, approach_gain=4.0), seed=1)
    vx, vy = task.intended_velocity()
    tx, ty = task.target
    assert math.hypot(vx, vy) == pytest.approx(20.0)  # 8 cm away: gain * dist = 32 > cap
    assert vx * tx + vy * ty == pytest.approx(math.hypot(vx, vy) * math.hypot(tx, ty))
    task.x, task.y = tx - 1.0, ty  # 1 cm left of the target: slows to gain * distance
    vx, vy = task.intended_velocity()
    assert (vx, vy) == pytest.approx((4.0, 0.0))


def test_ideal_subject_acquires_targets_centre_out_and_back():
    task = CursorTask(seed=3)
    targets = []
    for _ in range(int(20 / DT)):
        if task.step(*task.intended_velocity(), DT):
            targets.append(task.target)
    m = task.metrics
    assert m.failed == 0
    assert m.acquired >= 10
    assert len(m.times_to_target) == m.acquired
    # every other target is the centre; the others lie on the circle
    assert all(t == (0.0, 0.0) for t in targets[::2][1:]) or all(t == (0.0, 0.0) for t in targets[1::2])
    assert 0.2 < m.mean_time_to_target < 1.5
    assert m.targets_per_minute == pytest.approx(60 * m.acquired / 20.0)


def test_hold_is_required_and_leaving_resets_it():
    cfg = CursorTaskConfig(hold_s=0.3, timeout_s=10.0)
    task = CursorTask(cfg, seed=0)
    task.x, task.y = task.target  # jump onto the target
    for _ in range(20):  # 0.2 s inside: not yet acquired
        assert not task.step(0.0, 0.0, DT)
    assert task.holding
    task.step(1000.0, 0.0, DT)  # leave the target: hold broken
    assert not task.holding
    task.x, task.y = task.target
    acquired_after = None
    for i in range(40):
        if task.step(0.0, 0.0, DT):
            acquired_after = (i + 1) * DT
            break
    assert acquired_after == pytest.approx(0.3)
    assert task.metrics.acquired == 1


def test_timeout_fails_the_trial_and_moves_on():
    task = CursorTask(CursorTaskConfig(timeout_s=1.0), seed=0)
    first = task.target
    for _ in range(100):
        task.step(0.0, 0.0, DT)  # never moves
    assert task.metrics.failed == 1 and task.metrics.acquired == 0
    assert task.target == (0.0, 0.0) != first


def test_non_finite_velocity_does_not_move_the_cursor():
    task = CursorTask(seed=0)
    task.step(float("nan"), 1.0, DT)
    assert (task.x, task.y) == (0.0, 0.0)


def test_cursor_stays_in_workspace():
    task = CursorTask(CursorTaskConfig(workspace=12.0), seed=0)
    task.step(1e6, -1e6, DT)
    assert (task.x, task.y) == (12.0, -12.0)


def test_bad_config_is_rejected():
    with pytest.raises(InvalidParameterError, match="hold_s"):
        CursorTaskConfig(hold_s=0)
    with pytest.raises(InvalidParameterError, match="workspace"):
        CursorTaskConfig(target_distance=11.0, target_radius=2.0, workspace=12.0)
