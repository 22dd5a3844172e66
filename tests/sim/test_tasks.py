"""Behaviour: centre-out reaches and random-target pursuit, deterministic in any request sizes."""

import numpy as np

from cortexlink.sim.tasks import CenterOutTask, PursuitTask


def test_center_out_reaches_targets_at_max_speed():
    task = CenterOutTask(np.random.default_rng(0), dt=1e-3, max_speed=20.0, reach_distance=8.0)
    v = task.advance(40000)
    speed = np.hypot(*v)
    assert 18.5 < speed.max() <= 20.05
    peaks = [speed[a:b].max() for a, b in _moving_spans(speed)]
    assert len(peaks) >= 16 and min(peaks) < 18.0 and min(peaks) > 20.0 / 1.35
    position = np.cumsum(v, axis=1) * 1e-3
    assert np.abs(position).max() < 8.5 and np.hypot(*position).max() > 7.5
    peripheral = [(x, y) for _, x, y in task.target_events if (x, y) != (0.0, 0.0)]
    assert len(peripheral) >= 8
    np.testing.assert_allclose(np.hypot(*np.array(peripheral).T), 8.0)
    angles = {round(np.degrees(np.arctan2(y, x))) % 360 for x, y in peripheral[:8]}
    assert angles == {0, 45, 90, 135, 180, 225, 270, 315}
    assert (speed == 0).mean() > 0.2   # holds and reaction times


def _moving_spans(speed):
    moving = np.concatenate([[0], (speed > 0).astype(int), [0]])
    edges = np.flatnonzero(np.diff(moving))
    return list(zip(edges[::2], edges[1::2], strict=True))


def test_pursuit_moves_continuously_towards_new_targets():
    task = PursuitTask(np.random.default_rng(1), dt=1e-3, max_speed=20.0)
    v = task.advance(30000)
    speed = np.hypot(*v)
    assert speed.max() <= 20.0 + 1e-9
    assert (speed > 1.0).mean() > 0.8
    assert len(task.target_events) > 8
    targets = np.array([(x, y) for _, x, y in task.target_events])
    assert np.hypot(*targets.T).max() <= 10.0
    direction = np.arctan2(v[1], v[0])[speed > 1]
    assert np.histogram(direction, bins=8, range=(-np.pi, np.pi))[0].min() > 0.03 * direction.size


def test_tasks_independent_of_request_sizes():
    for cls in (CenterOutTask, PursuitTask):
        a = cls(np.random.default_rng(5), dt=1e-3).advance(5000)
        t = cls(np.random.default_rng(5), dt=1e-3)
        b = np.concatenate([t.advance(k) for k in (1, 7, 992, 3000, 1000)], axis=1)
        np.testing.assert_array_equal(a, b)
