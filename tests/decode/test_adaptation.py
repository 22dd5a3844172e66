"""Closed-loop adaptation: ReFIT labels, SmoothBatch blending, and the long-session scenario."""

from __future__ import annotations

import numpy as np
import pytest

from cortexlink.core.errors import InvalidParameterError
from cortexlink.decode.adaptation import ClosedLoopAdapter, refit_intention
from cortexlink.decode.kalman import KalmanFilter
from cortexlink.decode.long_session import compare_adaptations, long_session, session_speed
from cortexlink.decode.wiener import WienerFilter
from cortexlink.sim.drifting import DriftConfig


def test_refit_labels_point_at_the_target_with_the_decoded_speed_and_stop_in_the_hold():
    decoded = np.array([[3.0, 0.0, 1.0], [4.0, -2.0, 1.0]])
    cursor = np.array([[0.0, 0.0, 5.0], [0.0, 0.0, 5.0]])
    target = np.array([[10.0, 0.0, 5.0], [0.0, 3.0, 6.0]])
    labels = refit_intention(decoded, cursor, target, holding=np.array([False, False, True]))
    np.testing.assert_allclose(labels, [[5.0, 0.0, 0.0], [0.0, 2.0, 0.0]])
    task_speed = refit_intention(decoded, cursor, target, holding=False, speed=(20.0, 4.0))
    np.testing.assert_allclose(task_speed[:, :2], [[20.0, 0.0], [0.0, 12.0]])  # min(20, 4 * distance)


@pytest.mark.parametrize(
    "make",
    [lambda: KalmanFilter(n_lags=2, q_ridge=0.1), lambda: WienerFilter(n_lags=2)],
    ids=["kalman", "wiener"],
)
def test_adapting_keeps_step_equal_to_predict_and_a_full_refit_follows_the_new_data(population, make):
    X, Y = population
    dec = make().fit(X[:, :1200], Y[:, :1200])
    flipped = -Y  # the subject now means the opposite with the same activity
    dec.adapt(X[:, 1200:2400], flipped[:, 1200:2400], keep=0.0)
    test = X[:, 2400:2700]
    pred = dec.predict(test)
    dec.reset()
    np.testing.assert_allclose(np.stack([dec.step(test[:, t]) for t in range(300)], axis=1), pred,
                               rtol=1e-9, atol=1e-9)
    assert np.corrcoef(pred[0], flipped[0, 2400:2700])[0, 1] > 0.5
    with pytest.raises(InvalidParameterError, match="keep"):
        dec.adapt(X[:, :100], Y[:, :100], keep=1.0)


def test_the_adapter_adapts_once_per_batch_and_not_at_all_when_fixed(population):
    X, Y = population
    dec = KalmanFilter(n_lags=1, q_ridge=0.1).fit(X[:, :600], Y[:, :600])
    fixed, smooth = ClosedLoopAdapter("fixed", 50), ClosedLoopAdapter("smoothbatch", 50, keep=0.5)
    for t in range(120):
        v = dec.step(X[:, t])
        fixed.add(dec, X[:, t], v, (0.0, 0.0), (5.0, 0.0), False)
        smooth.add(dec, X[:, t], v, (0.0, 0.0), (5.0, 0.0), False)
    assert (fixed.updates, smooth.updates) == (0, 2)
    with pytest.raises(InvalidParameterError, match="unknown adaptation"):
        ClosedLoopAdapter("magic", 50)


def test_in_a_drifting_session_adaptation_holds_performance_that_a_fixed_decoder_loses():
    drift = DriftConfig(baseline_walk=2.0, decaying_fraction=0.5, final_detection=0.2, decay_s=150.0,
                        turnover_per_hour=3.0,
                        faults=(("dead", 3, 60.0), ("noisy", 7, 60.0), ("noisy", 9, 80.0)))
    kw = {"duration_s": 240.0, "n_channels": 48, "calibration_s": 40.0, "batch_s": 20.0, "block_s": 100.0,
          "drift": drift, "seed": 2}
    fixed = long_session(adaptation="fixed", **kw)
    adaptive = long_session(adaptation="smoothbatch", **kw)
    assert len(fixed.blocks) == len(adaptive.blocks) == 2
    assert adaptive.updates == 10 and fixed.updates == 0  # 200 s of closed loop in 20 s batches
    assert adaptive.blocks[-1].targets_per_minute > fixed.blocks[-1].targets_per_minute
    assert adaptive.blocks[-1].r2 > fixed.blocks[-1].r2


def test_a_paced_session_gives_the_figures_of_one_run_at_full_speed():
    kw = {"duration_s": 8.0, "n_channels": 16, "calibration_s": 4.0, "batch_s": 1.0, "block_s": 2.0,
          "seed": 3}
    fast = compare_adaptations(("fixed", "refit"), speed="max", **kw)
    paced = compare_adaptations(("fixed", "refit"), speed=20.0, **kw)  # 4 s of session in 0.2 s
    assert [r.rows() for r in paced] == [r.rows() for r in fast]
    assert [r.updates for r in fast] == [0, 4] and len(fast[0].blocks) == 2
    for bad in ("fast", 0, -1.0, float("inf")):
        with pytest.raises(InvalidParameterError, match="speed"):
            session_speed(bad)


def test_the_session_drift_is_scaled_to_the_session_length():
    short, long = DriftConfig.for_session(600.0), DriftConfig.for_session(1800.0)
    for cfg, hours in ((short, 600 / 3600), (long, 0.5)):
        assert cfg.turnover_per_hour * hours == pytest.approx(1.0)
        assert cfg.baseline_walk * np.sqrt(hours) == pytest.approx(0.45)
    assert (short.decay_s, long.decay_s) == (600.0, 1800.0)
