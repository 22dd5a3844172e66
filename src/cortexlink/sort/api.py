"""File-level entry points (what ``cortexlink sort`` and ``cortexlink sort-eval`` call): sort a
recording file into a sorting file with a summary, and score a sorting file against ground truth."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cortexlink.core.errors import UnsupportedFormatError
from cortexlink.core.recording import Recording
from cortexlink.sort.compare import Comparison, compare_to_ground_truth
from cortexlink.sort.offline import SorterModel, fit_sorter
from cortexlink.sort.params import SortParams
from cortexlink.sort.quality import isi_violations, unit_snr
from cortexlink.sort.sorting import Sorting

STAGES = ("filter and whiten", "detect", "cluster", "merge", "match")


def save_sorting(sorting: Sorting, path: str | Path, session: dict | None = None) -> None:
    """Write ``sorting`` as NWB (``.nwb``, with ``session``'s subject and session fields) or cortexlink
    NPZ (``.npz``)."""
    suffix = Path(path).suffix.lower()
    if suffix == ".nwb":
        from cortexlink.sort.nwb_units import save_sorting_nwb

        save_sorting_nwb(sorting, path, session)
    elif suffix == ".npz":
        sorting.save(path)
    else:
        raise UnsupportedFormatError(f"cannot tell how to write {path}: name it .npz or .nwb")


def load_sorting(path: str | Path, sample_rate: float | None = None) -> Sorting:
    """Read a sorting written by ``save_sorting`` (NWB units tables of other tools too)."""
    suffix = Path(path).suffix.lower()
    if suffix == ".nwb":
        from cortexlink.sort.nwb_units import load_sorting_nwb

        return load_sorting_nwb(path, sample_rate)
    if suffix == ".npz":
        return Sorting.load(path)
    raise UnsupportedFormatError(f"cannot tell how to read {path}: a sorting is .npz or .nwb")


@dataclass
class SortResult:
    """A sorting with what a person wants to know about it."""

    sorting: Sorting
    model: SorterModel
    snr: np.ndarray            # per unit
    isi_violations: np.ndarray  # per unit, fraction of ISIs under 1.5 ms
    seconds: float
    duration: float            # of the recording

    @property
    def realtime_factor(self) -> float:
        return self.duration / self.seconds if self.seconds > 0 else float("inf")


def sort_file(recording: str | Path | Recording, out: str | Path | None = None, probe: Any = None,
              params: SortParams | None = None, model_out: str | Path | None = None,
              progress: bool = False, plot: str | Path | None = None, session: dict | None = None,
              **read_options: Any) -> SortResult:
    """Sort a recording (file or Recording) offline; write the sorting to ``out`` (.npz/.nwb, with the
    recording's subject and session, or ``session``'s), the online model to ``model_out`` and a
    figure to ``plot`` when given. ``read_options`` go to ``open_recording`` (``sample_rate``,
    ``n_channels``, ... for raw files)."""
    from cortexlink.io import open_recording
    from cortexlink.sort.offline import check_input
    from cortexlink.sort.probe import make_probe

    rec = recording if isinstance(recording, Recording) else open_recording(recording, **read_options)
    params = params or SortParams()
    check_input(rec, None, params)
    probe = make_probe(probe, rec.n_channels)  # bad input fails before the progress bar shows
    started = time.perf_counter()
    with _stage_bar(progress) as step:
        model, sorting = fit_sorter(rec, probe, params, step=step)
    seconds = time.perf_counter() - started
    sorting.metadata["source"] = recording_source(rec)
    result = SortResult(sorting, model, unit_snr(rec, sorting, model.params), isi_violations(sorting),
                        seconds, rec.duration)
    if out is not None:
        save_sorting(sorting, out, session)
    if model_out is not None:
        from cortexlink.sort.modelfile import save_model

        save_model(model, model_out)
    if plot is not None:
        from cortexlink.sort.plots import plot_sorting

        plot_sorting(sorting, plot, snr=result.snr)
    return result


def recording_source(rec: Recording) -> dict[str, Any]:
    """What a sorting keeps of the recording it came from: its site, channel ids and the metadata
    that NWB subject and session fields are made from."""
    from cortexlink.io.nwb_session import SESSION_FIELDS

    keep = ("simulated", "seed", "task", "session", *SESSION_FIELDS)
    source = {key: rec.metadata[key] for key in keep if key in rec.metadata}
    return {**source, "site": rec.site, "channel_ids": np.asarray(rec.channel_ids).tolist()}


def evaluate_file(sorting: str | Path | Sorting, truth: str | Path | Sorting, delta_ms: float = 0.4,
                  recording: str | Path | Recording | None = None, plot: str | Path | None = None,
                  **read_options: Any) -> tuple[Comparison, np.ndarray | None]:
    """Compare a sorting with ground truth (files or Sortings); with ``recording`` also each true
    unit's SNR (returned, and plotted against accuracy in ``plot``)."""
    found = sorting if isinstance(sorting, Sorting) else load_sorting(sorting)
    true = truth if isinstance(truth, Sorting) else load_sorting(truth, found.sample_rate)
    comparison = compare_to_ground_truth(found, true, delta_ms)
    snr = None
    if recording is not None:
        from cortexlink.io import open_recording

        rec = recording if isinstance(recording, Recording) else open_recording(recording, **read_options)
        snr = unit_snr(rec, true)
    if plot is not None:
        from cortexlink.sort.plots import plot_sorting

        plot_sorting(found, plot, comparison=comparison, truth_snr=snr)
    return comparison, snr


class _stage_bar:
    """A progress bar over ``STAGES`` whose ``step(name)`` advances it (no bar when disabled)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __enter__(self) -> Any:
        if not self.enabled:
            return lambda _name: None
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.bar = Progress(TextColumn("sorting: {task.description:<18}"), BarColumn(), MofNCompleteColumn(),
                            TimeElapsedColumn(), console=Console(stderr=True))
        self.bar.start()
        task = self.bar.add_task(STAGES[0], total=len(STAGES))
        seen: list[str] = []

        def step(name: str) -> None:
            if seen:
                self.bar.advance(task)
            seen.append(name)
            self.bar.update(task, description=name)

        self.task = task
        return step

    def __exit__(self, kind: object, *exc: object) -> None:
        if self.enabled:
            if kind is None:
                self.bar.update(self.task, completed=len(STAGES), description="done")
            else:  # the error message is the one line to show
                self.bar.remove_task(self.task)
            self.bar.stop()
