"""Clusters found on different main channels (or split too finely) that are one unit get merged:
a pair whose templates are close is projected on the axis between the templates, and merged when
that projection shows one mode, not two (``cluster.unimodal``), unless their cross-correlogram says
otherwise (``ccg_ratio``): two trains that fire within a refractory period of each other about as
often as independent ones are two neurons. (The converse does not hold: a gap there does not make
two clusters one neuron, since overlapping spikes of two neurons rarely reach a clean cluster.)"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cortexlink.sort.cluster import unimodal
from cortexlink.sort.features import snippets

_MAX_TEST_SPIKES = 400  # per cluster, in a merge test
_LAGS = 3               # samples of shift tried between two templates
_CCG_RATIO = 0.5        # refractory coincidences, relative to independent trains', that refuse a merge
_CCG_MIN_EXPECTED = 5.0  # ... tested once independent trains would give at least this many


@dataclass
class Cluster:
    """Spike times (aligned to this cluster's template) and the mean whitened waveform on all channels."""

    times: np.ndarray
    template: np.ndarray  # (n_channels, length)


def mean_template(x: np.ndarray, times: np.ndarray, channels: np.ndarray, before: int, length: int,
                  rng: np.random.Generator, limit: int = 1000) -> np.ndarray:
    """Mean whitened waveform (n_all_channels, length) of at most ``limit`` of ``times`` on ``channels``."""
    pick = times if times.size <= limit else rng.choice(times, limit, replace=False)
    dense = np.zeros((x.shape[0], length), np.float32)
    dense[channels] = snippets(x, pick, channels, before, length).mean(axis=0)
    return dense


def _best_lag(a: np.ndarray, b: np.ndarray) -> tuple[float, int]:
    """Smallest ``||a[:, t] - b[:, t + lag]|| / min norm`` over lags, and that lag."""
    length = a.shape[1]
    scale = min(np.linalg.norm(a), np.linalg.norm(b))
    best, best_lag = np.inf, 0
    for lag in range(-_LAGS, _LAGS + 1):
        lo, hi = max(0, -lag), min(length, length - lag)
        d = np.linalg.norm(a[:, lo:hi] - b[:, lo + lag:hi + lag])
        if d < best:
            best, best_lag = d, lag
    return best / max(scale, 1e-9), best_lag


def refractory_coincidences(a: np.ndarray, b: np.ndarray, exclude: int, refractory: int) -> int:
    """Pairs of spikes of sorted trains ``a`` and ``b`` with ``exclude < |a - b| <= refractory``
    (closer ones were one detection)."""
    after = np.searchsorted(b, a + refractory, "right") - np.searchsorted(b, a + exclude, "right")
    before = np.searchsorted(b, a - exclude, "left") - np.searchsorted(b, a - refractory, "left")
    return int(after.sum() + before.sum())


def ccg_ratio(a: np.ndarray, b: np.ndarray, exclude: int, refractory: int, n_samples: int) -> float | None:
    """Coincidences of sorted trains ``a`` and ``b`` within a refractory period of each other,
    relative to what independent trains would give (about 1: two neurons; near 0: the gap one
    neuron leaves), or None when independent trains would give fewer than ``_CCG_MIN_EXPECTED``
    (too few spikes to tell)."""
    window = 2 * max(refractory - exclude, 0)
    expected = a.size * b.size * window / max(n_samples, 1)
    if expected < _CCG_MIN_EXPECTED:
        return None
    return refractory_coincidences(a, b, exclude, refractory) / expected


def merge_clusters(x: np.ndarray, clusters: list[Cluster], near: np.ndarray, before: int, length: int,
                   max_distance: float, valley: float, min_ptp: float, rng: np.random.Generator,
                   exclude: int = 0, refractory: int = 0) -> list[Cluster]:
    """Merge pairs of ``clusters`` (main channels within ``near[c]``) until none passes the tests
    (``refractory`` > ``exclude``, in samples, turns the cross-correlogram test on)."""
    clusters = list(clusters)
    refused: set[tuple[int, int]] = set()
    known: dict[tuple[int, int], tuple[float, int]] = {}  # template distances of pairs, by identity
    ident = list(range(len(clusters)))
    next_id = len(clusters)
    while True:
        mains = [int(np.argmin(c.template.min(axis=1))) for c in clusters]
        pairs = []
        for i in range(len(clusters)):
            for j in range(i + 1, len(clusters)):
                key = (ident[i], ident[j])
                if key in refused or mains[j] not in near[mains[i]]:
                    continue
                if key not in known:
                    known[key] = _best_lag(clusters[i].template, clusters[j].template)
                d, lag = known[key]
                if d < max_distance:
                    pairs.append((d, i, j, lag))
        merged = False
        for _, i, j, lag in sorted(pairs):
            ratio = ccg_ratio(clusters[i].times, clusters[j].times + lag, exclude, refractory, x.shape[1])
            if ((ratio is None or ratio < _CCG_RATIO)
                    and _same_unit(x, clusters[i], clusters[j], lag, before, length, valley, min_ptp, rng)):
                a, b = clusters[i], clusters[j]
                times = np.concatenate([a.times, b.times + lag])
                weight = a.times.size / times.size
                template = weight * a.template + (1 - weight) * np.roll(b.template, -lag, axis=1)
                clusters[i] = Cluster(np.sort(times), template.astype(np.float32))
                del clusters[j]
                ident[i] = next_id
                del ident[j]
                next_id += 1
                merged = True
                break
            refused.add((ident[i], ident[j]))
        if not merged:
            return clusters


def _same_unit(x: np.ndarray, a: Cluster, b: Cluster, lag: int, before: int, length: int, valley: float,
               min_ptp: float, rng: np.random.Generator) -> bool:
    ptp = np.maximum(np.ptp(a.template, axis=1), np.ptp(b.template, axis=1))
    chans = np.flatnonzero(ptp >= min_ptp)
    if chans.size == 0:
        return True
    ta = a.times if a.times.size <= _MAX_TEST_SPIKES else rng.choice(a.times, _MAX_TEST_SPIKES, replace=False)
    tb = b.times if b.times.size <= _MAX_TEST_SPIKES else rng.choice(b.times, _MAX_TEST_SPIKES, replace=False)
    wa = snippets(x, ta, chans, before, length).reshape(ta.size, -1)
    wb = snippets(x, tb + lag, chans, before, length).reshape(tb.size, -1)
    axis = (a.template[chans] - np.roll(b.template, -lag, axis=1)[chans]).ravel()
    norm = np.linalg.norm(axis)
    if norm == 0:
        return True
    p = np.concatenate([wa @ axis, wb @ axis]) / norm
    groups = np.concatenate([np.zeros(ta.size, np.int64), np.ones(tb.size, np.int64)])
    return unimodal(p, groups, valley)
