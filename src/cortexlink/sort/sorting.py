"""``Sorting``: the output of spike sorting, and its own NPZ file.

Spike times are sample indices since the recording began; every spike carries the id of its unit
and an amplitude (microvolts at the unit's main channel). Templates (mean filtered waveform of
each unit on every channel, microvolts) and main channels are kept when the sorter knows them, so
a sorting can seed an online sorter or be plotted without the recording.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cortexlink.core.errors import CorruptDataError, InvalidDataError
from cortexlink.core.paths import existing_file, one_line, writable_target, writing
from cortexlink.core.validation import check_sample_rate
from cortexlink.io.npz import _read_member, metadata_json

FORMAT = "cortexlink-sorting"
_TRUTH = ("sample_rate", "spike_samples", "spike_units", "unit_channels")  # simulate --truth, one site
_REQUIRED = ("format", "sample_rate", "spike_samples", "spike_units", "amplitudes", "unit_ids",
             "unit_channels", "templates", "template_peak", "n_samples", "metadata")


@dataclass
class Sorting:
    """Spike trains of sorted units.

    ``spike_samples`` (n_spikes,) int64, sorted; ``spike_units`` (n_spikes,) the unit id of each
    spike; ``amplitudes`` (n_spikes,) float32; ``unit_ids`` (n_units,) int64; ``unit_channels``
    (n_units,) main channel of each unit (-1 unknown); ``templates`` (n_units, n_channels,
    n_template_samples) float32 or an empty array, with the spike's sample at ``template_peak``.
    """

    sample_rate: float
    spike_samples: np.ndarray
    spike_units: np.ndarray
    unit_ids: np.ndarray | None = None
    amplitudes: np.ndarray | None = None
    unit_channels: np.ndarray | None = None
    templates: np.ndarray | None = None
    template_peak: int = 0
    n_samples: int = 0
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.sample_rate = check_sample_rate(self.sample_rate)
        samples = np.asarray(self.spike_samples)
        units = np.asarray(self.spike_units)
        if samples.ndim != 1 or units.shape != samples.shape:
            raise InvalidDataError(f"spike_samples {samples.shape} and spike_units {units.shape} must be "
                                   "1-D arrays of the same length")
        if samples.size and (samples.dtype.kind not in "iu" or samples.min() < 0):
            raise InvalidDataError("spike_samples must be non-negative integer sample indices")
        order = np.lexsort((units, samples))  # by time, then unit: one canonical order
        self.spike_samples = samples.astype(np.int64)[order]
        self.spike_units = units.astype(np.int64)[order]
        ids = np.unique(self.spike_units) if self.unit_ids is None else np.asarray(self.unit_ids, np.int64)
        if ids.ndim != 1 or np.unique(ids).size != ids.size:
            raise InvalidDataError("unit_ids must be a 1-D array of distinct integers")
        if not np.isin(self.spike_units, ids).all():
            raise InvalidDataError("some spikes belong to units missing from unit_ids")
        self.unit_ids = ids
        amps = np.zeros(samples.size, np.float32) if self.amplitudes is None else np.asarray(self.amplitudes)
        if amps.shape != samples.shape:
            raise InvalidDataError(f"amplitudes has shape {amps.shape}, expected {samples.shape}")
        self.amplitudes = amps.astype(np.float32)[order]
        chans = (np.full(ids.size, -1) if self.unit_channels is None else np.asarray(self.unit_channels))
        if chans.shape != ids.shape:
            raise InvalidDataError(f"unit_channels has shape {chans.shape}, expected {ids.shape}")
        self.unit_channels = chans.astype(np.int64)
        tpl = np.zeros((0, 0, 0), np.float32) if self.templates is None else np.asarray(self.templates)
        if tpl.size and (tpl.ndim != 3 or tpl.shape[0] != ids.size):
            raise InvalidDataError(f"templates must be (n_units={ids.size}, n_channels, n_samples), "
                                   f"got {tpl.shape}")
        self.templates = tpl.astype(np.float32)
        self.template_peak = int(self.template_peak)
        self.n_samples = max(int(self.n_samples), int(self.spike_samples[-1]) + 1 if samples.size else 0)

    @property
    def n_units(self) -> int:
        return int(self.unit_ids.size)

    @property
    def n_spikes(self) -> int:
        return int(self.spike_samples.size)

    @property
    def duration(self) -> float:
        """Seconds covered (the recording's length when known)."""
        return self.n_samples / self.sample_rate

    def spike_train(self, unit_id: int) -> np.ndarray:
        """Sample indices of ``unit_id``'s spikes."""
        return self.spike_samples[self.spike_units == unit_id]

    def spike_counts(self) -> np.ndarray:
        """Spikes of each unit, in ``unit_ids`` order."""
        return np.bincount(self.unit_index(), minlength=self.n_units)

    def unit_index(self) -> np.ndarray:
        """Each spike's position in ``unit_ids`` (0 .. n_units - 1)."""
        order = np.argsort(self.unit_ids)
        return order[np.searchsorted(self.unit_ids, self.spike_units, sorter=order)]

    def select_units(self, keep: np.ndarray) -> Sorting:
        """The sorting restricted to the units whose ids are in ``keep``."""
        keep_mask = np.isin(self.unit_ids, keep)
        spikes = np.isin(self.spike_units, self.unit_ids[keep_mask])
        return Sorting(self.sample_rate, self.spike_samples[spikes], self.spike_units[spikes],
                       self.unit_ids[keep_mask], self.amplitudes[spikes], self.unit_channels[keep_mask],
                       self.templates[keep_mask] if self.templates.size else None, self.template_peak,
                       self.n_samples, dict(self.metadata))

    @classmethod
    def from_trains(cls, trains: dict[int, np.ndarray], sample_rate: float, **kwargs: Any) -> Sorting:
        """A sorting from ``{unit_id: sample indices}``."""
        ids = np.array(sorted(trains), dtype=np.int64)
        samples = [np.asarray(trains[u], dtype=np.int64) for u in ids]
        units = [np.full(s.size, u, np.int64) for u, s in zip(ids, samples, strict=True)]
        samples_all = np.concatenate(samples) if samples else np.zeros(0, np.int64)
        units_all = np.concatenate(units) if units else np.zeros(0, np.int64)
        return cls(sample_rate, samples_all, units_all, unit_ids=ids, **kwargs)

    def save(self, path: str | Path) -> None:
        """Write the sorting as an NPZ file (no pickled objects)."""
        target = writable_target(path)
        fields = dict(
            format=np.str_(FORMAT), sample_rate=np.float64(self.sample_rate),
            spike_samples=self.spike_samples, spike_units=self.spike_units, amplitudes=self.amplitudes,
            unit_ids=self.unit_ids, unit_channels=self.unit_channels, templates=self.templates,
            template_peak=np.int64(self.template_peak), n_samples=np.int64(self.n_samples),
            metadata=np.str_(metadata_json(self.metadata)),
        )
        with writing(target), open(target, "wb") as fh:
            np.savez_compressed(fh, **fields)

    @classmethod
    def load(cls, path: str | Path) -> Sorting:
        """Read a file written by ``save`` (or a simulator's ground truth, ``simulate --truth``)."""
        p = existing_file(path)
        try:
            with zipfile.ZipFile(p) as archive:
                names = set(archive.namelist())
                truth = "format.npy" not in names and {f"{k}.npy" for k in _TRUTH} <= names
                a = {key: _read_member(archive, key, p) for key in (_TRUTH if truth else _REQUIRED)}
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, OSError) as exc:
            raise CorruptDataError(f"{p} is not a readable NPZ archive ({one_line(exc)}); "
                                   "the file is damaged or of another type") from None
        if not truth and (a["format"].dtype.kind != "U" or str(a["format"][()]) != FORMAT):
            raise CorruptDataError(f"{p} is an NPZ file but not a cortexlink sorting; write it with "
                                   "Sorting.save")
        try:
            return cls._from_truth(a) if truth else cls._from_saved(a)
        except (InvalidDataError, TypeError, ValueError) as exc:
            raise CorruptDataError(f"{p}: inconsistent {'ground truth' if truth else 'sorting'} "
                                   f"({one_line(exc)}); the file is damaged") from None

    @classmethod
    def _from_saved(cls, a: dict[str, np.ndarray]) -> Sorting:
        metadata = json.loads(str(a["metadata"][()]))
        return cls(float(a["sample_rate"][()]), a["spike_samples"], a["spike_units"], a["unit_ids"],
                   a["amplitudes"], a["unit_channels"], a["templates"], int(a["template_peak"][()]),
                   int(a["n_samples"][()]), metadata if isinstance(metadata, dict) else {})

    @classmethod
    def _from_truth(cls, a: dict[str, np.ndarray]) -> Sorting:
        """The true spike trains in a simulator's ground-truth file (``cortexlink simulate --truth``)."""
        channels = np.asarray(a["unit_channels"], np.int64)
        return cls(float(a["sample_rate"][()]), a["spike_samples"], a["spike_units"],
                   np.arange(channels.size), None, channels, metadata={"format": "simulator truth"})

    def __repr__(self) -> str:
        return (f"Sorting({self.n_units} units, {self.n_spikes} spikes, {self.duration:.1f} s "
                f"@ {self.sample_rate:g} Hz)")
