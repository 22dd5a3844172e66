"""Exchange with SpikeInterface, so our sorter can be compared with and used beside its tools.

``to_spikeinterface(sorting)`` gives a ``NumpySorting``; ``sorting_from_spikeinterface`` reads any
SpikeInterface sorting back; ``recording_from_spikeinterface`` turns a SpikeInterface recording into a
``Recording`` (microvolts) and its ``Probe``; ``ground_truth_recording`` generates SpikeInterface's
ground-truth recordings (tetrode, linear probe, drifting) for tests and benchmarks.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from cortexlink.core.errors import InvalidDataError, InvalidParameterError
from cortexlink.core.optional import require
from cortexlink.core.recording import Recording
from cortexlink.sort.probe import Probe
from cortexlink.sort.sorting import Sorting

_EXTRA = "sort"


def _si(module: str = "spikeinterface.core") -> Any:
    return require(module, _EXTRA, "exchanging with SpikeInterface")


def to_spikeinterface(sorting: Sorting) -> Any:
    """The sorting as a SpikeInterface ``NumpySorting`` (same unit ids, same spike samples)."""
    si = _si()
    return si.NumpySorting.from_samples_and_labels([sorting.spike_samples], [sorting.spike_units],
                                                   sorting.sample_rate, unit_ids=sorting.unit_ids)


def sorting_from_spikeinterface(si_sorting: Any) -> Sorting:
    """A SpikeInterface sorting (first segment) as a ``Sorting``; unit ids that are not integers
    are numbered in their order (the names are kept in ``metadata['unit_names']``)."""
    names = list(si_sorting.get_unit_ids())
    try:
        ids = np.array([int(u) for u in names], dtype=np.int64)
        if np.unique(ids).size != ids.size:
            raise ValueError
    except (TypeError, ValueError):
        ids = np.arange(len(names), dtype=np.int64)
    trains = {int(i): np.asarray(si_sorting.get_unit_spike_train(u, segment_index=0), dtype=np.int64)
              for i, u in zip(ids, names, strict=True)}
    return Sorting.from_trains(trains, float(si_sorting.get_sampling_frequency()),
                               metadata={"unit_names": [str(u) for u in names]})


def recording_from_spikeinterface(si_recording: Any) -> tuple[Recording, Probe | None]:
    """The first segment of a SpikeInterface recording as float32 microvolts, and its probe (None
    when it has no channel locations)."""
    if si_recording.get_num_channels() == 0:
        raise InvalidDataError("the SpikeInterface recording has no channels")
    scaled = bool(getattr(si_recording, "has_scaleable_traces", lambda: False)())
    traces = si_recording.get_traces(segment_index=0, return_in_uV=scaled)
    recording = Recording(np.ascontiguousarray(np.asarray(traces, dtype=np.float32).T),
                          float(si_recording.get_sampling_frequency()),
                          channel_ids=np.asarray([str(c) for c in si_recording.get_channel_ids()]),
                          metadata={"source": "spikeinterface"})
    try:
        positions = np.asarray(si_recording.get_channel_locations(), dtype=np.float64)
    except Exception:  # SpikeInterface raises a bare error when no probe is attached
        return recording, None
    return recording, Probe(np.ascontiguousarray(positions[:, :2]))


def to_spikeinterface_recording(recording: Recording, probe: Probe | None = None) -> Any:
    """A ``Recording`` as a SpikeInterface ``NumpyRecording`` (microvolts), with channel locations."""
    si = _si()
    rec = si.NumpyRecording([recording.microvolts().T.copy()], recording.sample_rate,
                            channel_ids=[str(c) for c in recording.channel_ids])
    if probe is not None:
        pi = require("probeinterface", _EXTRA, "exchanging with SpikeInterface")
        contacts = pi.Probe(ndim=2, si_units="um")
        contacts.set_contacts(positions=probe.positions, shapes="circle", shape_params={"radius": 5})
        contacts.set_device_channel_indices(np.arange(probe.n_channels))
        rec.set_probe(contacts)  # in place since SpikeInterface 0.105
    return rec


Layout = Literal["tetrode", "linear", "drifting"]


def ground_truth_recording(layout: Layout = "tetrode", n_units: int = 10, duration_s: float = 30.0,
                           sample_rate: float = 30000.0, noise_level: float = 7.5, firing_rate: float = 15.0,
                           n_channels: int = 32, max_depth_um: float = 50.0,
                           seed: int = 0) -> tuple[Recording, Sorting, Probe]:
    """A SpikeInterface ground-truth recording as (Recording, true Sorting, Probe).

    Units sit 5 to ``max_depth_um`` micrometres from the probe plane (nearer: larger spikes).
    ``tetrode``: 4 channels on a 20 um square; ``linear``: ``n_channels`` in one column at 20 um;
    ``drifting``: ``generate_drifting_recording`` on ``n_channels`` (two columns) with a zigzag drift.
    """
    if layout not in ("tetrode", "linear", "drifting"):
        raise InvalidParameterError(f"layout must be tetrode, linear or drifting, got {layout!r}")
    si = _si()
    if layout == "drifting":
        return _drifting(n_units, duration_s, sample_rate, noise_level, firing_rate, n_channels, seed)
    probe_kwargs = ({"num_columns": 2, "xpitch": 20, "ypitch": 20, "contact_shapes": "circle",
                     "contact_shape_params": {"radius": 6}} if layout == "tetrode" else
                    {"num_columns": 1, "xpitch": 20, "ypitch": 20, "contact_shapes": "circle",
                     "contact_shape_params": {"radius": 6}})
    rec, st = si.generate_ground_truth_recording(
        durations=[float(duration_s)], sampling_frequency=float(sample_rate),
        num_channels=4 if layout == "tetrode" else int(n_channels), num_units=int(n_units),
        generate_probe_kwargs=probe_kwargs,
        generate_sorting_kwargs={"firing_rates": float(firing_rate), "refractory_period_ms": 4.0},
        noise_kwargs={"noise_levels": float(noise_level), "strategy": "on_the_fly"},
        generate_unit_locations_kwargs={"margin_um": 10.0, "minimum_z": 5.0,
                                        "maximum_z": max(5.0, float(max_depth_um)), "minimum_distance": 20},
        seed=int(seed))
    recording, probe = recording_from_spikeinterface(rec)
    return recording, sorting_from_spikeinterface(st), probe


def _drifting(n_units: int, duration_s: float, sample_rate: float, noise_level: float, firing_rate: float,
              n_channels: int, seed: int) -> tuple[Recording, Sorting, Probe]:
    gen = _si("spikeinterface.generation")
    probeinterface = require("probeinterface", _EXTRA, "generating a drifting recording")
    probe = probeinterface.generate_multi_columns_probe(num_columns=2, num_contact_per_column=n_channels // 2,
                                                        xpitch=20, ypitch=20, y_shift_per_column=[0, 0])
    probe.set_device_channel_indices(np.arange(probe.get_contact_count()))
    motion = [{"drift_mode": "zigzag", "non_rigid_gradient": None, "t_start_drift": duration_s / 4,
               "t_end_drift": None, "period_s": duration_s / 2}]
    _, rec, st = gen.generate_drifting_recording(
        num_units=int(n_units), duration=float(duration_s), sampling_frequency=float(sample_rate),
        probe=probe,
        generate_displacement_vector_kwargs={"displacement_sampling_frequency": 5.0,
                                             "drift_start_um": [0, 10],
                                             "drift_stop_um": [0, -10], "drift_step_um": 1,
                                             "motion_list": motion},
        generate_sorting_kwargs={"firing_rates": float(firing_rate), "refractory_period_ms": 4.0},
        generate_noise_kwargs={"noise_levels": float(noise_level), "spatial_decay": 25.0}, seed=int(seed))
    recording, got = recording_from_spikeinterface(rec)
    return recording, sorting_from_spikeinterface(st), got
