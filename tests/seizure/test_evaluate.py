"""Scoring detections: false alarms count per hour outside seizures, in every recording."""

from __future__ import annotations

import numpy as np

from cortexlink.seizure.evaluate import Evaluation, RecordingResult, score_events
from cortexlink.seizure.messages import SeizureEvent


def _event(t: float) -> SeizureEvent:
    return SeizureEvent(site="0", channels=[0], onset_time=t - 1.0, detect_time=t, score=0.9)


def _result(duration_s, seizures, times) -> RecordingResult:
    detected, latencies, false_alarms = score_events([_event(t) for t in times], seizures)
    return RecordingResult("r", duration_s, len(seizures), detected, latencies, false_alarms, [],
                           np.zeros(0), np.zeros(0), list(seizures))


def test_false_alarms_per_hour_outside_seizures_of_every_recording():
    with_seizure = _result(3600.0, [(1000.0, 1800.0)], [1002.0, 3000.0])  # one hit, one false alarm
    free = _result(1800.0, [], [10.0])
    assert with_seizure.seizure_free_s == 2800.0 and with_seizure.false_alarms == 1
    evaluation = Evaluation([with_seizure, free])
    assert evaluation.seizure_free_hours == (2800.0 + 1800.0) / 3600
    assert evaluation.false_alarms_per_hour == 2 / ((2800.0 + 1800.0) / 3600)
    assert evaluation.median_latency_s == 2.0 and evaluation.sensitivity == 1.0


def test_a_recording_that_is_all_seizure_has_no_free_time():
    only = _result(100.0, [(-5.0, 150.0)], [3.0])
    assert only.seizure_free_s == 0.0
    assert np.isnan(Evaluation([only]).false_alarms_per_hour)
