"""Scoring detectors on labelled recordings: onsets, latency, false alarms, AUC.

``evaluate_recordings`` runs a detector and the onset vote over each recording and scores the
events against its seizure intervals: a seizure is detected if an event's detect time falls in
it (latency = detect time - onset), an event outside every seizure is a false alarm.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from cortexlink.seizure.datasets import LabelledRecording
from cortexlink.seizure.detectors import SeizureDetector
from cortexlink.seizure.onset import OnsetDetector, SeizureEvent


@dataclass
class RecordingResult:
    """One recording's outcome; ``probs`` and ``end_times`` are kept for plots."""

    name: str
    duration_s: float
    n_seizures: int
    detected: int
    latencies_s: list[float]
    false_alarms: int
    events: list[SeizureEvent]
    probs: np.ndarray = field(repr=False)
    end_times: np.ndarray = field(repr=False)
    seizures: list[tuple[float, float]] = field(default_factory=list)

    @property
    def seizure_free_s(self) -> float:
        """Seconds of the recording outside its seizures (where any event is a false alarm)."""
        inside = sum(max(0.0, min(off, self.duration_s) - max(on, 0.0)) for on, off in self.seizures)
        return max(0.0, self.duration_s - inside)

    def row(self) -> dict:
        return {"recording": self.name, "duration_s": round(self.duration_s, 1), "seizures": self.n_seizures,
                "detected": self.detected,
                "latency_s": ",".join(f"{x:.1f}" for x in self.latencies_s) or "-",
                "false_alarms": self.false_alarms}


@dataclass
class Evaluation:
    """Results of every recording and their totals."""

    results: list[RecordingResult]

    @property
    def sensitivity(self) -> float:
        n = sum(r.n_seizures for r in self.results)
        return float("nan") if n == 0 else sum(r.detected for r in self.results) / n

    @property
    def median_latency_s(self) -> float:
        lat = [x for r in self.results for x in r.latencies_s]
        return float(np.median(lat)) if lat else float("nan")

    @property
    def seizure_free_hours(self) -> float:
        """Hours outside seizures, over every recording (seizure-free ones and the rest of the others)."""
        return sum(r.seizure_free_s for r in self.results) / 3600

    @property
    def false_alarms_per_hour(self) -> float:
        """Events outside any seizure per seizure-free hour."""
        hours = self.seizure_free_hours
        return float("nan") if hours == 0 else sum(r.false_alarms for r in self.results) / hours

    def summary(self) -> dict:
        return {"recordings": len(self.results), "seizures": sum(r.n_seizures for r in self.results),
                "sensitivity": self.sensitivity, "median_latency_s": self.median_latency_s,
                "false_alarms_per_hour": self.false_alarms_per_hour,
                "seizure_free_hours": self.seizure_free_hours}


def score_events(events: Sequence[SeizureEvent], seizures: Sequence[tuple[float, float]]) -> tuple[
        int, list[float], int]:
    """``(detected seizures, their latencies, false alarms)`` of events against intervals."""
    latencies, false_alarms = [], 0
    hit = [False] * len(seizures)
    for ev in events:
        inside = [i for i, (on, off) in enumerate(seizures) if on <= ev.detect_time <= off]
        if not inside:
            false_alarms += 1
        for i in inside:
            if not hit[i]:
                hit[i] = True
                latencies.append(ev.detect_time - seizures[i][0])
    return sum(hit), latencies, false_alarms


def evaluate_recording(detector: SeizureDetector, item: LabelledRecording, onset: OnsetDetector,
                       probs: np.ndarray | None = None) -> RecordingResult:
    """Run ``detector`` (unless ``probs`` are given) and ``onset`` over one recording and score it."""
    rec = item.recording
    if probs is None:
        probs = detector.predict_proba(rec)
    ends = detector.window_end_times(probs.shape[0], rec.sample_rate)
    events = onset.run(probs, ends)
    detected, latencies, fa = score_events(events, item.seizures)
    return RecordingResult(item.name, rec.duration, len(item.seizures), detected, latencies, fa, events,
                           probs, ends, list(item.seizures))


def evaluate_recordings(detector: SeizureDetector, items: Sequence[LabelledRecording],
                        onset: OnsetDetector | None = None) -> Evaluation:
    """Evaluate ``detector`` on each labelled recording (see the module docstring)."""
    onset = onset or OnsetDetector()
    return Evaluation([evaluate_recording(detector, it, onset) for it in items])


def auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney, ties counted half)."""
    from scipy.stats import rankdata

    scores, labels = np.asarray(scores, dtype=np.float64), np.asarray(labels).astype(bool)
    n_pos, n_neg = int(labels.sum()), int((~labels).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = rankdata(scores)
    return float((ranks[labels].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))
