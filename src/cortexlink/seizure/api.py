"""What the ``seizure-*`` commands do, each as one call: ``train_detector``, ``evaluate_detector``,
``detect_file``; ``load_labelled`` reads any of the known data sets from a folder or files."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from cortexlink.core.errors import InvalidDataError, RecordingNotFoundError
from cortexlink.core.paths import existing_file
from cortexlink.seizure.datasets import (
    BONN_SETS,
    LabelledRecording,
    assemble_dog,
    load_bonn,
    load_chbmit,
    load_dog_clips,
    load_ombao,
)
from cortexlink.seizure.detectors import SeizureDetector
from cortexlink.seizure.evaluate import Evaluation, evaluate_recordings
from cortexlink.seizure.onset import OnsetDetector, SeizureEvent


def load_labelled(data: str | Path | Sequence[str | Path]) -> list[LabelledRecording]:
    """Labelled recordings from a Bonn, Kaggle, CHB-MIT or Ombao folder, or from EDF files."""
    paths = [Path(data)] if isinstance(data, (str, Path)) else [Path(p) for p in data]
    out: list[LabelledRecording] = []
    files = []
    for p in paths:
        if p.is_dir():
            if any((p / sub).is_dir() for sub in BONN_SETS.values()):
                out += load_bonn(p)
            elif any(p.glob("*_ictal_segment_*.mat")):
                out += assemble_dog(load_dog_clips(p))
            elif any(p.glob("*.edf")):
                files += sorted(p.glob("*.edf"))
            elif (p / "c3.txt").is_file():
                out.append(load_ombao(p))
            else:
                raise InvalidDataError(f"{p}: not a Bonn, Kaggle, CHB-MIT or Ombao folder")
        elif p.is_file():
            files.append(p)
        else:
            raise RecordingNotFoundError(f"no such file or folder: {p}")
    if files:
        out += load_chbmit(files)
    if not out:
        raise RecordingNotFoundError(f"no recordings found in {', '.join(map(str, paths))}")
    return out


def train_detector(data: str | Path | Sequence[str | Path], out: str | Path | None = None,
                   model: str = "gbt", window_s: float = 1.0, step_s: float = 0.5) -> SeizureDetector:
    """Fit a detector on labelled data (``load_labelled``) and save it to ``out`` if given."""
    items = load_labelled(data)
    det = SeizureDetector(model, window_s=window_s, step_s=step_s)
    det.fit([it.recording for it in items], [it.seizures for it in items])
    if out is not None:
        det.save(out)
    return det


def evaluate_detector(data: str | Path | Sequence[str | Path], model: str | Path | None = None,
                      onset: OnsetDetector | None = None, plot_dir: str | Path | None = None) -> Evaluation:
    """Score a saved detector (default: the built-in one) on labelled data; PNGs into ``plot_dir``."""
    from cortexlink.seizure.score import default_detector

    det = default_detector() if model is None else SeizureDetector.load(model)
    result = evaluate_recordings(det, load_labelled(data), onset)
    if plot_dir is not None:
        from cortexlink.seizure.plots import plot_evaluation

        plot_evaluation(result, plot_dir)
    return result


def detect_file(path: str | Path, model: str | Path | None = None,
                onset: OnsetDetector | None = None) -> list[SeizureEvent]:
    """Seizure onsets in one recording file (any format ``open_recording`` reads)."""
    from cortexlink.io import open_recording
    from cortexlink.seizure.score import default_detector

    rec = open_recording(existing_file(path))
    det = default_detector() if model is None else SeizureDetector.load(model)
    onset = onset or OnsetDetector(site=rec.site)
    probs = det.predict_proba(rec)
    return onset.run(probs, det.window_end_times(probs.shape[0], rec.sample_rate))
