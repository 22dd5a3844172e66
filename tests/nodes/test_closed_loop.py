"""The default graph's nodes in one process: calibration, then closed-loop control that works."""

from .closed_loop import run_closed_loop


def test_calibrated_decoder_controls_the_cursor_in_closed_loop():
    task, dec = run_closed_loop(n_arrays=1, calibration_s=6.0, closed_loop_s=5.0)
    r = task.context.reports
    assert dec.context.reports["calibration_bins"] == 600
    assert r["closed_loop_s"] > 4.5
    assert r["velocity_corr"] > 0.5
    assert r["targets_acquired"] >= 2
