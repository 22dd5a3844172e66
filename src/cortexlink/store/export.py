"""Reading stores back whole: recorded streams with their time index, NPZ/NWB export, summaries.

``export_store`` is what ``cortexlink store export`` runs; ``store_summaries`` what ``store info``
and ``store ls`` print; ``read_recording_folder`` reads every store a graph's recorders wrote
into one folder, with each appended block's ``start_sample`` and ``origin_ns``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import InvalidParameterError, RecordingNotFoundError
from cortexlink.core.recording import Recording
from cortexlink.store.reader import SiteStore, find_stores

EXPORT_FORMATS = ("npz", "nwb")


@dataclass
class RecordedStream:
    """One store read back: the retained samples, and each appended block's ``start_sample``,
    length and ``origin_ns`` (from the time index)."""

    name: str
    data: np.ndarray
    sample_rate: float
    start_samples: np.ndarray
    chunk_sizes: np.ndarray
    origin_ns: np.ndarray

    @property
    def n_chunks(self) -> int:
        return int(self.start_samples.shape[0])

    def chunks(self) -> list[Chunk]:
        """The recorded blocks, as they were appended."""
        bounds = np.concatenate([[0], np.cumsum(self.chunk_sizes)])
        return [
            Chunk(
                self.data[:, bounds[i] : bounds[i + 1]],
                int(self.start_samples[i]),
                self.sample_rate,
                int(self.origin_ns[i]),
            )
            for i in range(self.n_chunks)
        ]


def read_stream(store: SiteStore) -> RecordedStream:
    """Every retained, committed block of one store (blocks cut by retention are left out)."""
    store.refresh()
    rows = store.time_index()
    rows = rows[rows[:, 0] >= store.first_sample]
    start = int(rows[0, 0]) if rows.size else store.n_samples
    data = store.read(start, store.n_samples)
    return RecordedStream(
        store.path.name, data, store.sample_rate, rows[:, 1].copy(), rows[:, 2].copy(), rows[:, 3].copy()
    )


def read_recording_folder(directory: str | os.PathLike) -> dict[str, RecordedStream]:
    """Every store in a folder (or the one store it is), by folder name."""
    return {s.path.name: read_stream(s) for s in find_stores([directory])}


def export_store(
    path: str | os.PathLike,
    format: str = "npz",
    out: str | os.PathLike | None = None,
    start_s: float | None = None,
    stop_s: float | None = None,
    session: dict[str, str] | None = None,
) -> Path:
    """Write the retained samples of one store (or ``[start_s, stop_s)`` since it began) as a
    recording file (``npz`` or ``nwb``); default ``<store>.<format>`` beside the store.
    ``session``: NWB subject and session fields (``species``, ``subject_id``, ...) as ``convert``
    takes them; archives such as DANDI need them."""
    from cortexlink.io import save_recording

    if format not in EXPORT_FORMATS:
        raise InvalidParameterError(f"store export writes {' or '.join(EXPORT_FORMATS)}, not {format!r}")
    store = SiteStore(path)
    start = None if start_s is None else int(round(start_s * store.sample_rate))
    stop = None if stop_s is None else int(round(stop_s * store.sample_rate))
    rec: Recording = store.to_recording(start, stop)
    target = Path(out) if out is not None else store.path.with_name(f"{store.path.name}.{format}")
    if not target.parent.is_dir():
        raise RecordingNotFoundError(f"folder {target.parent} does not exist; create it first")
    save_recording(rec, target, format, **({"session": session} if format == "nwb" and session else {}))
    return target


def store_summaries(paths: list[str | os.PathLike]) -> list[dict[str, Any]]:
    """One summary dict per store found in ``paths`` (see ``SiteStore.summary``)."""
    return [s.summary() for s in find_stores(paths)]
