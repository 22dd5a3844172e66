"""Unit quality without ground truth: signal-to-noise ratio and refractory-period violations."""

from __future__ import annotations

import numpy as np

from cortexlink.core.recording import Recording
from cortexlink.dsp.noise import noise_level
from cortexlink.sort.features import snippets
from cortexlink.sort.params import SortParams
from cortexlink.sort.preprocess import band_pass
from cortexlink.sort.sorting import Sorting

_MAX_SPIKES = 1000  # per unit, for its mean waveform


def unit_snr(recording: Recording, sorting: Sorting, params: SortParams | None = None,
             seed: int = 0) -> np.ndarray:
    """Per unit (``sorting.unit_ids`` order): the trough of its mean band-passed waveform on its
    best channel over that channel's noise (``median(|x|) / 0.6745``), SpikeInterface's definition."""
    params = params or SortParams()
    filtered = band_pass(params, recording.sample_rate).apply(recording.microvolts())
    noise = noise_level(filtered, recording.sample_rate, "mad")
    before = int(round(params.ms_before * recording.sample_rate / 1000))
    length = before + int(round(params.ms_after * recording.sample_rate / 1000))
    rng = np.random.default_rng(seed)
    out = np.zeros(sorting.n_units)
    for k, unit in enumerate(sorting.unit_ids):
        train = sorting.spike_train(unit)
        train = train[(train >= before) & (train < recording.n_samples - length)]
        if train.size == 0:
            continue
        if train.size > _MAX_SPIKES:
            train = rng.choice(train, _MAX_SPIKES, replace=False)
        mean = snippets(filtered, train, np.arange(recording.n_channels), before, length).mean(axis=0)
        out[k] = float(np.max(np.abs(mean).max(axis=1) / np.maximum(noise, 1e-12)))
    return out


def isi_violations(sorting: Sorting, refractory_ms: float = 1.5) -> np.ndarray:
    """Per unit: the fraction of its inter-spike intervals shorter than ``refractory_ms``."""
    limit = refractory_ms * sorting.sample_rate / 1000.0
    out = np.zeros(sorting.n_units)
    for k, unit in enumerate(sorting.unit_ids):
        isi = np.diff(sorting.spike_train(unit))
        out[k] = float(np.mean(isi < limit)) if isi.size else 0.0
    return out
