"""A Sorting as an NWB units table (pynwb): spike times in seconds, each unit's main channel,
its spike amplitudes and its mean waveform; the sample rate rides in the file's ``notes`` so that
reading gives back the same sample indices."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from cortexlink.core.errors import UnsupportedFormatError
from cortexlink.core.optional import require
from cortexlink.core.paths import writable_target, writing
from cortexlink.io.nwb import read_nwbfile
from cortexlink.sort.sorting import Sorting

_KEY = "cortexlink_sorting"


def save_sorting_nwb(sorting: Sorting, path: str | Path) -> None:
    """Write ``sorting`` as the units table of a new NWB file."""
    pynwb = require("pynwb", "nwb", "writing NWB")
    target = writable_target(path)
    notes = json.dumps({_KEY: {"sample_rate": sorting.sample_rate, "n_samples": sorting.n_samples,
                               "template_peak": sorting.template_peak}})
    nwbfile = pynwb.NWBFile(session_description="cortexlink spike sorting", identifier=str(uuid.uuid4()),
                            session_start_time=datetime.now(UTC), notes=notes)
    nwbfile.add_unit_column(name="main_channel", description="channel where the unit's spikes are largest")
    nwbfile.add_unit_column(name="spike_amplitudes", description="amplitude of each spike (uV)", index=True)
    has_templates = sorting.templates.size > 0
    for k, unit in enumerate(sorting.unit_ids):
        mine = sorting.spike_units == unit
        extra = {"waveform_mean": sorting.templates[k].T} if has_templates else {}
        nwbfile.add_unit(id=int(unit), spike_times=sorting.spike_samples[mine] / sorting.sample_rate,
                         main_channel=int(sorting.unit_channels[k]),
                         spike_amplitudes=sorting.amplitudes[mine].astype(np.float64), **extra)
    with writing(target), pynwb.NWBHDF5IO(str(target), "w") as io:
        io.write(nwbfile)


def load_sorting_nwb(path: str | Path, sample_rate: float | None = None) -> Sorting:
    """Read the units table of an NWB file; ``sample_rate`` is needed when the file was not written
    by cortexlink (spike times are then rounded to that rate's samples)."""
    p = Path(path)
    with read_nwbfile(p) as nwbfile:
        units = nwbfile.units
        if units is None:
            raise UnsupportedFormatError(f"{p} holds no units table; it is not a sorting")
        try:
            info = json.loads(nwbfile.notes or "{}").get(_KEY, {})
        except (TypeError, ValueError, AttributeError):
            info = {}
        rate = float(info.get("sample_rate", sample_rate or 0.0))
        if rate <= 0:
            raise UnsupportedFormatError(f"{p} does not say its sample rate; give sample_rate")
        ids = np.asarray(units.id[:], dtype=np.int64)
        cols = units.colnames
        trains, amps, chans, templates = [], [], [], []
        for k in range(ids.size):
            times = np.asarray(units["spike_times"][k], dtype=np.float64)
            trains.append(np.round(times * rate).astype(np.int64))
            amps.append(np.asarray(units["spike_amplitudes"][k], np.float32) if "spike_amplitudes" in cols
                        else np.zeros(times.size, np.float32))
            chans.append(int(units["main_channel"][k]) if "main_channel" in cols else -1)
            if "waveform_mean" in cols:
                templates.append(np.asarray(units["waveform_mean"][k], np.float32).T)
    samples = np.concatenate(trains) if trains else np.zeros(0, np.int64)
    labels = (np.concatenate([np.full(t.size, u) for u, t in zip(ids, trains, strict=True)]) if trains
              else samples)
    return Sorting(rate, samples, labels, ids, np.concatenate(amps) if amps else None, np.asarray(chans),
                   np.stack(templates) if templates else None, int(info.get("template_peak", 0)),
                   int(info.get("n_samples", 0)), {"format": "nwb"})
