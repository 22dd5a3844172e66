"""``Matcher``: the peeling loop (``peeler.peel``) driven over a whole array or a stream of chunks,
with its settings in samples."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from cortexlink.sort.params import SortParams
from cortexlink.sort.peeler import Templates, crossings, history, lookahead, peel, trough_depths

_BLOCK = 30000  # samples scanned per call (bounds the output buffers)


@dataclass
class Geometry:
    """Sample counts and neighbourhoods the loops use."""

    before: int
    length: int
    exclude: int
    neighbours: np.ndarray  # detection neighbourhoods

    @classmethod
    def of(cls, params: SortParams, sample_rate: float, neighbours: np.ndarray) -> Geometry:
        before = max(1, int(round(params.ms_before * sample_rate / 1000)))
        after = max(1, int(round(params.ms_after * sample_rate / 1000)))
        exclude = max(1, int(round(params.exclude_ms * sample_rate / 1000)))
        return cls(before, before + after, exclude, neighbours)


class Matcher:
    """Template matching of whitened traces against ``templates`` (copied: adaptation changes them)."""

    def __init__(self, templates: Templates, geometry: Geometry, params: SortParams,
                 adapt: bool = False) -> None:
        self.templates = templates.copy()
        self.geometry = geometry
        self.params = params
        self.norms = (self.templates.waveforms.astype(np.float64) ** 2).sum(axis=(1, 2))
        self.depth = trough_depths(self.templates)  # of the templates as given (adaptation moves them)
        self.adapt = 1.0 / params.adapt_spikes if adapt and params.adapt_spikes > 0 else 0.0
        self.lookahead = lookahead(self.templates, geometry.exclude, params.max_lag)
        self.history = history(self.templates, geometry.exclude, params.max_lag)
        cap = _BLOCK * templates.candidates.shape[0] // (geometry.exclude + 1) // 4 + 64
        self._out = (np.empty(cap, np.int64), np.empty(cap, np.int64), np.empty(cap, np.float64))

    def crossings(self, x: np.ndarray) -> np.ndarray:
        """The scan's mask of ``x``: 1 where some channel is below the matching threshold."""
        mask = np.empty(x.shape[1], np.uint8)
        crossings(x, self.params.match_threshold, mask)
        return mask

    def scan(self, x: np.ndarray, mask: np.ndarray, pos: int, stop: int,
             furthest: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, int]:
        """Peel ``x`` in place from ``pos`` to ``stop`` (``mask``: its ``crossings``, kept up to date);
        (samples, units, amplitudes, pos, furthest) with samples relative to ``x``."""
        g, p, t = self.geometry, self.params, self.templates
        parts = []
        while pos < stop:
            end = min(stop, pos + _BLOCK)
            n, pos, furthest = peel(x, mask, pos, end, furthest, g.neighbours, g.exclude, p.match_threshold,
                                    t.waveforms, t.channels, self.norms, t.troughs, t.candidates, self.depth,
                                    t.before, p.max_lag, p.min_amplitude, p.max_amplitude, p.min_score,
                                    p.min_explained, self.adapt, *self._out)
            parts.append(tuple(o[:n].copy() for o in self._out))
        if len(parts) == 1:
            s, u, a = parts[0]
        elif not parts:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), pos, furthest
        else:
            s, u, a = (np.concatenate(k) for k in zip(*parts, strict=True))
        return s, u, a, pos, furthest

    def match_all(self, x: np.ndarray,
                  n_jobs: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every spike of whitened traces ``x`` (peeled in place), time-sorted; the recording is cut
        into ``n_jobs`` segments (default: the CPU count) matched in parallel threads, each starting a
        little early so that spikes at its edge see their neighbours subtracted."""
        n_s = x.shape[1]
        first, last = self.history, n_s - self.lookahead
        if last <= first:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
        mask = self.crossings(x)
        jobs = max(1, min(n_jobs or os.cpu_count() or 1, (last - first) // (20 * _BLOCK) + 1))
        edges = np.linspace(first, last, jobs + 1).astype(np.int64)

        def run(k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            a, b = int(edges[k]), int(edges[k + 1])
            lo = max(0, a - 2 * self.history)
            hi = min(n_s, b + self.lookahead)
            seg = x[:, lo:hi] if jobs == 1 else np.ascontiguousarray(x[:, lo:hi])
            matcher = self if jobs == 1 else Matcher(self.templates, self.geometry, self.params)
            start = max(a - self.history, first) - lo
            s, u, amp, _, _ = matcher.scan(seg, mask[lo:hi] if jobs == 1 else mask[lo:hi].copy(), start,
                                           b - lo, start)
            keep = (s + lo >= a) & (s + lo < b)
            return s[keep] + lo, u[keep], amp[keep]

        if jobs == 1:
            results = [run(0)]
        else:
            with ThreadPoolExecutor(jobs) as pool:
                results = list(pool.map(run, range(jobs)))
        s, u, a = (np.concatenate(k) for k in zip(*results, strict=True))
        order = np.argsort(s, kind="stable")
        return s[order], u[order], a[order]
