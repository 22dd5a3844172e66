"""A Sorting as an NWB units table (pynwb): spike times in seconds, each unit's main channel,
its spike amplitudes and its mean waveform; the sample rate rides in the file's ``notes`` so that
reading gives back the same sample indices.

The file carries the subject and session of the sorted recording (``Sorting.metadata["source"]``,
options, or defaults; see ``cortexlink.io.nwb_session``), an electrodes table with each unit's main
electrode, and the spike time resolution, so ``nwbinspector --config dandi`` accepts it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from cortexlink.core.errors import UnsupportedFormatError
from cortexlink.core.optional import require
from cortexlink.core.paths import writable_target, writing
from cortexlink.io.nwb import add_electrodes, new_nwbfile, read_nwbfile
from cortexlink.io.nwb_session import session_from_nwbfile, session_info
from cortexlink.sort.sorting import Sorting

_KEY = "cortexlink_sorting"


def save_sorting_nwb(sorting: Sorting, path: str | Path, session: dict | None = None) -> None:
    """Write ``sorting`` as the units table of a new NWB file; ``session`` sets subject and session
    fields as in ``cortexlink.io.nwb.save_nwb`` (the sorted recording's metadata fills the rest)."""
    pynwb = require("pynwb", "nwb", "writing NWB")
    target = writable_target(path)
    source = sorting.metadata.get("source") if isinstance(sorting.metadata.get("source"), dict) else {}
    info = session_info(source, session)
    notes = json.dumps({_KEY: {"sample_rate": sorting.sample_rate, "n_samples": sorting.n_samples,
                               "template_peak": sorting.template_peak}})
    nwbfile = new_nwbfile(info)
    nwbfile.notes = notes
    n_channels = _channel_count(sorting)
    channel_ids = source.get("channel_ids")
    if not isinstance(channel_ids, list) or len(channel_ids) != n_channels:
        channel_ids = list(range(n_channels))
    group = add_electrodes(nwbfile, str(source.get("site", "0")), channel_ids, info) if n_channels else None
    nwbfile.units = pynwb.misc.Units(name="units", description="units found by cortexlink spike sorting",
                                     resolution=1.0 / sorting.sample_rate)
    nwbfile.add_unit_column(name="main_channel", description="channel where the unit's spikes are largest")
    nwbfile.add_unit_column(name="spike_amplitudes", description="amplitude of each spike (uV)", index=True)
    has_templates = sorting.templates.size > 0
    for k, unit in enumerate(sorting.unit_ids):
        mine = sorting.spike_units == unit
        extra = {"waveform_mean": sorting.templates[k].T} if has_templates else {}
        main = int(sorting.unit_channels[k])
        if group is not None and 0 <= main < n_channels:
            extra.update(electrodes=[main], electrode_group=group)
        nwbfile.add_unit(id=int(unit), spike_times=sorting.spike_samples[mine] / sorting.sample_rate,
                         main_channel=main, spike_amplitudes=sorting.amplitudes[mine].astype(np.float64),
                         **extra)
    with writing(target), pynwb.NWBHDF5IO(str(target), "w") as io:
        io.write(nwbfile)


def _channel_count(sorting: Sorting) -> int:
    if sorting.templates.size:
        return int(sorting.templates.shape[1])
    return int(sorting.unit_channels.max()) + 1 if sorting.unit_channels.size else 0


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
        session = session_from_nwbfile(nwbfile)
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
                   int(info.get("n_samples", 0)), {"format": "nwb", "source": {"session": session}})
