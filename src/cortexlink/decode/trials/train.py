"""``train_eeg``: fit one trial classifier on labelled recordings and save it, what ``cortexlink
eeg-train`` runs and the ``eeg_classifier`` node loads.

Trials are band-passed causally by default, with the filter the node runs on a stream, so the
saved classifier sees online the same trials it was trained on (``causal=False`` gives MOABB's
zero-phase trials for offline use; the node refuses such a classifier).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cortexlink.decode.trials.base import TrialClassifier
from cortexlink.decode.trials.epochs import DEFAULT_BAND, read_epochs


@dataclass
class TrainedEEG:
    """What ``train_eeg`` did: the fitted classifier, where it was saved, and on what."""

    classifier: TrialClassifier
    path: Path
    n_trials: int
    class_names: list[str]
    trial_s: float


def train_eeg(
    files: str | Path | Sequence[str | Path],
    out: str | Path,
    pipeline: str = "ts-lr",
    *,
    events: Sequence[str] | None = ("T1", "T2"),
    tmin: float = 0.0,
    tmax: float = 3.0,
    band: tuple[float, float] | None = DEFAULT_BAND,
    channels: Sequence[str] | None = None,
    reject_uv: float | None = None,
    causal: bool = True,
    params: dict[str, Any] | None = None,
) -> TrainedEEG:
    """Cut trials of ``files`` (each its own session), fit ``pipeline`` (a ``PIPELINES`` name, with
    ``params``) and save it to ``out`` (npz or safetensors, no pickle)."""
    from cortexlink.decode.trials.registry import make_classifier

    clf = make_classifier(pipeline, **(params or {}))  # bad names fail before any reading
    epochs = read_epochs(
        files,
        events=events,
        tmin=tmin,
        tmax=tmax,
        band=band,
        channels=channels,
        reject_uv=reject_uv,
        causal=causal,
    )
    path = clf.fit(epochs).save(out)
    return TrainedEEG(clf, Path(path), epochs.n_trials, list(clf.class_names_), epochs.duration_s)
