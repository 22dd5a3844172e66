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
from cortexlink.decode.trials.epochs import read_epochs


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
    causal: bool = True,
    params: dict[str, Any] | None = None,
    **epoch_options: Any,
) -> TrainedEEG:
    """Cut trials of ``files`` (each its own session; ``epoch_options`` as ``read_epochs``: events,
    tmin, tmax, band, channels, reject_uv; T1/T2 by default), fit ``pipeline`` (a ``PIPELINES``
    name, with ``params``) and save it to ``out`` (npz or safetensors, no pickle)."""
    from cortexlink.decode.trials.registry import make_classifier

    clf = make_classifier(pipeline, **(params or {}))  # bad names fail before any reading
    epochs = read_epochs(files, **{"events": ("T1", "T2"), **epoch_options, "causal": causal})
    path = clf.fit(epochs).save(out)
    return TrainedEEG(clf, Path(path), epochs.n_trials, list(clf.class_names_), epochs.duration_s)
