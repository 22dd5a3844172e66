"""Spike sorting: threshold crossings into neurons, offline and online.

    model, sorting = fit_sorter(recording, probe)       # band-pass, whiten, detect, cluster, match
    sorting.save("units.npz")                            # or save_sorting(sorting, "units.nwb")
    online = OnlineSorter(model)                         # then chunk by chunk:
    spikes = online.process(chunk)                       # samples, unit ids, amplitudes now final
    compare_to_ground_truth(sorting, truth).summary()   # accuracy, precision, recall, ...

``to_spikeinterface`` / ``sorting_from_spikeinterface`` / ``recording_from_spikeinterface``
exchange with SpikeInterface; ``sort_file`` and ``evaluate_file`` are what the CLI calls.
"""

from cortexlink.sort.api import SortResult, evaluate_file, load_sorting, save_sorting, sort_file
from cortexlink.sort.compare import Comparison, compare_to_ground_truth
from cortexlink.sort.interop import (
    ground_truth_recording,
    recording_from_spikeinterface,
    sorting_from_spikeinterface,
    to_spikeinterface,
    to_spikeinterface_recording,
)
from cortexlink.sort.modelfile import load_model, save_model
from cortexlink.sort.offline import SorterModel, fit_sorter, sort_recording
from cortexlink.sort.online import OnlineSorter, Spikes
from cortexlink.sort.params import SortParams
from cortexlink.sort.probe import Probe, make_probe
from cortexlink.sort.quality import isi_violations, unit_snr
from cortexlink.sort.sorting import Sorting

__all__ = [
    "Comparison", "OnlineSorter", "Probe", "SortParams", "SortResult", "SorterModel", "Sorting", "Spikes",
    "compare_to_ground_truth", "evaluate_file", "fit_sorter", "ground_truth_recording", "isi_violations",
    "load_model", "load_sorting", "make_probe", "recording_from_spikeinterface", "save_model",
    "save_sorting", "sort_file", "sort_recording", "sorting_from_spikeinterface", "to_spikeinterface",
    "to_spikeinterface_recording", "unit_snr",
]
