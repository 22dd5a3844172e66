"""cortexlink.run: the default graph or a graph file in one call, its report as data."""

from __future__ import annotations

import pytest

from cortexlink.core.errors import InvalidParameterError
from cortexlink.nodes.run import plan_for_run, run


def test_a_short_default_run_plans_a_calibration_that_leaves_closed_loop_time():
    plan, notes = plan_for_run(None, 20.0)
    assert plan.node("decoder").parameters["calibration_s"] == pytest.approx(20.0 / 3)
    assert "a 20 s run: the decoder calibrates on the first 6.7 s" in notes[0]
    plan, notes = plan_for_run(None, None)
    assert plan.node("decoder").parameters["calibration_s"] == 20.0 and notes == []


@pytest.mark.parametrize("duration", [0.0, -1.0, float("nan"), float("inf")])
def test_a_bad_duration_is_refused_before_anything_starts(duration):
    with pytest.raises(InvalidParameterError, match="positive number of seconds"):
        run(duration=duration)


@pytest.mark.slow
def test_a_12_s_default_run_closes_the_loop_and_says_how():
    report = run(duration=12.0, pm_qos=False)
    assert not report.failed and report.exit_code == 0, report.reason
    assert any("calibrates on the first 4.0 s" in n for n in report.notes)
    task = report.metrics["task"]
    assert task["closed_loop_s"] > 3.0 and task["targets_acquired"] >= 1, report.lines()
    assert report.lines()[-1] == "stopped: duration reached"
