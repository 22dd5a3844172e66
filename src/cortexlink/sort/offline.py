"""The offline sorter: band-pass and whiten, detect, cluster per neighbourhood, merge, then match
templates over the whole recording.

``sort_recording(recording, probe)`` returns a ``Sorting``; ``fit_sorter`` also returns the
``SorterModel`` (band-pass, whitener, templates) that an online sorter continues from.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from cortexlink.core.errors import InvalidDataError, InvalidParameterError
from cortexlink.core.recording import Recording
from cortexlink.sort.cluster import split_recursive
from cortexlink.sort.detect import detect_peaks
from cortexlink.sort.features import pca, snippets
from cortexlink.sort.matching import Geometry, Matcher
from cortexlink.sort.merge import Cluster, mean_template, merge_clusters
from cortexlink.sort.params import SortParams
from cortexlink.sort.peeler import Templates, make_templates
from cortexlink.sort.preprocess import Whitener, preprocess
from cortexlink.sort.probe import Probe, make_probe
from cortexlink.sort.sorting import Sorting

Step = Callable[[str], None]


@dataclass
class SorterModel:
    """Everything matching needs: settings, probe, whitener and the units' templates."""

    params: SortParams
    sample_rate: float
    probe: Probe
    whitener: Whitener
    templates: Templates
    unit_ids: np.ndarray

    @property
    def geometry(self) -> Geometry:
        return Geometry.of(self.params, self.sample_rate, self.probe.neighbours(self.params.detect_radius_um))

    def microvolt_templates(self) -> np.ndarray:
        """Dense templates (n_units, n_channels, length) in filtered microvolts."""
        t = self.templates
        dense = np.zeros((t.n_units, self.probe.n_channels, t.length), np.float32)
        for u in range(t.n_units):
            keep = t.channels[u] >= 0
            dense[u, t.channels[u][keep]] = t.waveforms[u][keep]
        if not t.n_units:
            return dense
        flat = dense.transpose(1, 0, 2).reshape(self.probe.n_channels, -1)
        back = self.whitener.unwhiten(flat).reshape(self.probe.n_channels, t.n_units, t.length)
        return back.transpose(1, 0, 2)


def check_input(recording: Recording | np.ndarray, sample_rate: float | None,
                params: SortParams) -> Recording:
    """``recording`` as a Recording fit for sorting, or a clear error."""
    if not isinstance(recording, Recording):
        if sample_rate is None:
            raise InvalidParameterError("give sample_rate with an array (or pass a Recording)")
        recording = Recording(np.asarray(recording), sample_rate)
    if recording.n_channels == 0:
        raise InvalidDataError("the recording has no channels; nothing to sort")
    geometry = Geometry.of(params, recording.sample_rate, np.zeros((1, 1), np.int64))
    if recording.n_samples < 4 * geometry.length:
        raise InvalidDataError(f"the recording has {recording.n_samples} samples, shorter than a few spike "
                               f"templates ({geometry.length} samples each); give a longer recording")
    return recording


def fit_sorter(recording: Recording | np.ndarray, probe: Any = None, params: SortParams | None = None,
               sample_rate: float | None = None, n_jobs: int | None = None,
               step: Step | None = None) -> tuple[SorterModel, Sorting]:
    """Sort ``recording`` offline; the model (for online matching) and the sorting. ``step`` is
    called with the name of each stage as it starts (progress)."""
    from threadpoolctl import threadpool_limits

    params = params or SortParams()
    recording = check_input(recording, sample_rate, params)
    with threadpool_limits(1):  # our parallel parts are numba threads; BLAS threads would fight them
        return _fit(recording, probe, params, n_jobs, step)


def _fit(recording: Recording, probe: Any, params: SortParams, n_jobs: int | None,
         step: Step | None) -> tuple[SorterModel, Sorting]:
    rate = recording.sample_rate
    probe_ = make_probe(probe, recording.n_channels)
    say = step or (lambda _name: None)
    say("filter and whiten")
    x, whitener = preprocess(recording.microvolts(), rate, probe_, params)
    geometry = Geometry.of(params, rate, probe_.neighbours(params.detect_radius_um))
    say("detect")
    margin = geometry.length + 8
    times, chans = detect_peaks(x, geometry.neighbours, geometry.exclude, params.detect_threshold, margin)
    say("cluster")
    rng = np.random.default_rng(params.seed)
    clusters = _cluster(x, times, chans, probe_, geometry, params, rng)
    say("merge")
    near = probe_.neighbours(2 * params.cluster_radius_um)
    clusters = merge_clusters(x, clusters, near, geometry.before, geometry.length, params.merge_distance,
                              params.split_valley, params.template_min_ptp, rng, geometry.exclude,
                              int(round(params.refractory_ms * rate / 1000)))
    dense = (np.stack([c.template for c in clusters]) if clusters
             else np.zeros((0, x.shape[0], geometry.length)))
    templates = make_templates(dense.astype(np.float32), geometry.before,
                               probe_.neighbours(params.template_radius_um), params.template_min_ptp)
    say("match")
    matcher = Matcher(templates, geometry, params)
    s, u, a = matcher.match_all(x, n_jobs)
    model = SorterModel(params, rate, probe_, whitener, templates, np.arange(templates.n_units))
    sorting = to_sorting(model, s, u, a, recording.n_samples)
    # a unit needs at least as many spikes over the recording as a cluster needed to exist
    least = max(params.min_rate_hz * recording.duration, params.min_cluster_size)
    kept = sorting.unit_ids[sorting.spike_counts() >= least]
    model = select(model, kept)
    keep = np.isin(u, kept)
    new_index = np.searchsorted(kept, u[keep])  # unit ids are 0 .. n-1 here, kept is sorted
    return model, to_sorting(model, s[keep], new_index, a[keep], recording.n_samples)


def sort_recording(recording: Recording | np.ndarray, probe: Any = None, params: SortParams | None = None,
                   sample_rate: float | None = None, n_jobs: int | None = None) -> Sorting:
    """Sort ``recording`` (Recording, or array with ``sample_rate``) offline: see the module doc."""
    return fit_sorter(recording, probe, params, sample_rate, n_jobs)[1]


def select(model: SorterModel, unit_ids: np.ndarray) -> SorterModel:
    """The model restricted to ``unit_ids`` (which keep their ids)."""
    keep = np.flatnonzero(np.isin(model.unit_ids, unit_ids))
    t = model.templates
    dense = np.zeros((keep.size, model.probe.n_channels, t.length), np.float32)
    for row, u in enumerate(keep):
        ok = t.channels[u] >= 0
        dense[row, t.channels[u][ok]] = t.waveforms[u][ok]
    templates = make_templates(dense, t.before, model.probe.neighbours(model.params.template_radius_um),
                               model.params.template_min_ptp)
    return SorterModel(model.params, model.sample_rate, model.probe, model.whitener, templates,
                       model.unit_ids[keep])


def to_sorting(model: SorterModel, samples: np.ndarray, units: np.ndarray, scales: np.ndarray,
               n_samples: int) -> Sorting:
    """A Sorting of matched spikes (``units`` index ``model.unit_ids``); amplitudes in microvolts."""
    uv = model.microvolt_templates()
    mains = np.argmin(uv.min(axis=2), axis=1) if uv.shape[0] else np.zeros(0, np.int64)
    trough = -uv[np.arange(uv.shape[0]), mains].min(axis=1) if uv.shape[0] else np.zeros(0)
    amps = scales * trough[units] if units.size else np.zeros(0)
    return Sorting(model.sample_rate, samples, model.unit_ids[units], model.unit_ids, amps, mains, uv,
                   model.templates.before, n_samples,
                   {"sorter": "cortexlink", "params": vars_of(model.params)})


def vars_of(params: SortParams) -> dict[str, float]:
    from dataclasses import asdict

    return asdict(params)


def _cluster(x: np.ndarray, times: np.ndarray, chans: np.ndarray, probe: Probe, geometry: Geometry,
             params: SortParams, rng: np.random.Generator) -> list[Cluster]:
    """Clusters of the detected spikes of each main channel, on features of its neighbourhood."""
    neighbourhoods = probe.neighbours(params.cluster_radius_um)
    template_near = probe.neighbours(params.template_radius_um)
    out: list[Cluster] = []
    for c in range(x.shape[0]):
        mine = times[chans == c]
        if mine.size < params.min_cluster_size:
            continue
        if mine.size > params.max_spikes_per_channel:
            mine = np.sort(rng.choice(mine, params.max_spikes_per_channel, replace=False))
        near = neighbourhoods[c][neighbourhoods[c] >= 0]
        waves = snippets(x, mine, near, geometry.before, geometry.length)
        features = pca(waves.reshape(mine.size, -1), params.n_features, rng=rng)
        labels = split_recursive(features, params.min_cluster_size, params.split_valley, rng=rng)
        wide = template_near[c][template_near[c] >= 0]
        for k in range(labels.max() + 1):
            members = mine[labels == k]
            if members.size < params.min_cluster_size:
                continue
            template = mean_template(x, members, wide, geometry.before, geometry.length, rng)
            if int(np.argmin(template.min(axis=1))) != c:
                # its trough is on another channel: a neighbour's spike seen here (kept if that
                # channel is in the neighbourhood: merging will join it with the neighbour's own)
                if int(np.argmin(template.min(axis=1))) not in near:
                    continue
            out.append(Cluster(members, template))
    return out
