"""Template matching by peeling: scan whitened traces in time order; at each negative peak, fit the
templates of the units near its channel (amplitude-scaled, a few samples of lag), subtract the best
one if it removes enough energy, and scan again from just before it (so an overlapping spike hidden
under a larger one is found once the larger one is gone).

Every step reads only samples within ``lookahead(...)`` after the scan position and at most
``history(...)`` before it, and a rewind never goes further back than ``rewind`` samples behind
the furthest position reached. So the sequence of steps, and the spikes found, do not depend on
where a stream is cut into chunks: the online sorter runs this same loop chunk by chunk.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from cortexlink.sort.detect import is_peak


@dataclass
class Templates:
    """Units' whitened templates on their own channels, and what matching needs to find them."""

    waveforms: np.ndarray   # (n_units, max_channels, length) float32, spike trough at ``before``
    channels: np.ndarray    # (n_units, max_channels) int64, -1 padded
    troughs: np.ndarray     # (n_units, n_all_channels) int64: trough sample on each channel - before
    candidates: np.ndarray  # (n_all_channels, max_units) int64: units to try at a peak there, -1 padded
    before: int

    @property
    def n_units(self) -> int:
        return int(self.waveforms.shape[0])

    @property
    def length(self) -> int:
        return int(self.waveforms.shape[2])

    def copy(self) -> Templates:
        return Templates(self.waveforms.copy(), self.channels.copy(), self.troughs.copy(),
                         self.candidates.copy(), self.before)


def make_templates(dense: np.ndarray, before: int, neighbours: np.ndarray, min_ptp: float) -> Templates:
    """Sparse ``Templates`` from dense whitened means ``dense`` (n_units, n_channels, length): each
    unit keeps the channels near its main channel (``neighbours`` rows) where its peak-to-peak
    reaches ``min_ptp``."""
    n_units, n_ch, length = dense.shape
    ptp = dense.max(axis=2) - dense.min(axis=2)
    main = np.argmax(-dense.min(axis=2), axis=1) if n_units else np.zeros(0, np.int64)
    kept = []
    for u in range(n_units):
        near = neighbours[main[u]][neighbours[main[u]] >= 0]
        kept.append(near[(ptp[u, near] >= min_ptp) | (near == main[u])])
    width = max([k.size for k in kept], default=1)
    channels = np.full((n_units, width), -1, np.int64)
    waveforms = np.zeros((n_units, width, length), np.float32)
    troughs = np.zeros((n_units, n_ch), np.int64)
    members: list[list[int]] = [[] for _ in range(n_ch)]
    for u, k in enumerate(kept):
        channels[u, : k.size] = k
        waveforms[u, : k.size] = dense[u, k]
        troughs[u] = np.argmin(dense[u], axis=1) - before
        for c in k:
            members[c].append(u)
    cand = np.full((n_ch, max([len(m) for m in members], default=1) or 1), -1, np.int64)
    for c, m in enumerate(members):
        cand[c, : len(m)] = m
    return Templates(waveforms, channels, troughs, cand, int(before))


def lookahead(templates: Templates, exclude: int, max_lag: int) -> int:
    """Samples after the scan position a step may read."""
    return templates.length + exclude + max_lag + 1


def rewind_span(templates: Templates, exclude: int) -> int:
    """How far behind its furthest position the scan may go back."""
    return templates.before + exclude + 1


def history(templates: Templates, exclude: int, max_lag: int) -> int:
    """Samples before the furthest scan position a step may read or write."""
    return rewind_span(templates, exclude) + 2 * templates.length + exclude + max_lag + 1


@njit(cache=True, boundscheck=False, nogil=True)
def _fit(x, s0, u, waveforms, channels, length):
    """``<x window starting at s0, template u>`` on u's channels."""
    acc = 0.0
    for m in range(channels.shape[1]):
        c = channels[u, m]
        if c < 0:
            break
        w = waveforms[u, m]
        for j in range(length):
            acc += x[c, s0 + j] * w[j]
    return acc


@njit(cache=True, boundscheck=False, nogil=True)
def peel(x, pos, stop, furthest, neighbours, exclude, thr, waveforms, channels, norms, troughs, candidates,
         before, max_lag, amin, amax, min_score, min_explained, adapt, out_s, out_u, out_a):
    """Scan ``x`` (residual, modified in place) from ``pos`` until the scan reaches ``stop``.

    Returns ``(n_found, pos, furthest)``; found spikes (window start + before, unit, amplitude) are
    written to ``out_*`` (a full buffer stops the scan early: call again from the returned
    position). ``adapt`` > 0 moves each matched unit's template that fraction towards the spike.
    """
    n_ch = x.shape[0]
    length = waveforms.shape[2]
    span = before + exclude + 1
    n = 0
    t = pos
    while t < stop and n < out_s.size:
        if t > furthest:
            furthest = t
        matched = False
        for c in range(n_ch):
            if x[c, t] >= -thr or not is_peak(x, c, t, neighbours, exclude, thr):
                continue
            best_u, best_s, best_a, best_score = -1, 0, 0.0, 0.0
            for k in range(candidates.shape[1]):
                u = candidates[c, k]
                if u < 0:
                    break
                for lag in range(-max_lag, max_lag + 1):
                    s0 = t - troughs[u, c] - before + lag
                    dot = _fit(x, s0, u, waveforms, channels, length)
                    a = dot / norms[u]
                    if a < amin:
                        continue
                    if a > amax:
                        a = amax
                    score = 2.0 * a * dot - a * a * norms[u]
                    if score > best_score:
                        best_u, best_s, best_a, best_score = u, s0, a, score
            if best_u < 0 or best_score < min_score:
                continue
            # the energy of the window beyond the noise's (unit variance per sample): a fit must
            # explain at least min_explained of it, or the peak is something else
            excess = 0.0
            for m in range(channels.shape[1]):
                cc = channels[best_u, m]
                if cc < 0:
                    break
                for j in range(length):
                    excess += x[cc, best_s + j] * x[cc, best_s + j] - 1.0
            if best_score < min_explained * excess:
                continue
            norm = 0.0
            for m in range(channels.shape[1]):
                cc = channels[best_u, m]
                if cc < 0:
                    break
                w = waveforms[best_u, m]
                for j in range(length):
                    v = x[cc, best_s + j]
                    if adapt > 0.0:
                        w[j] += adapt * (v / best_a - w[j])
                        norm += w[j] * w[j]
                    x[cc, best_s + j] = v - best_a * w[j]
            if adapt > 0.0:
                norms[best_u] = norm
            out_s[n] = best_s + before
            out_u[n] = best_u
            out_a[n] = best_a
            n += 1
            matched = True
            back = best_s - exclude - 1
            floor = furthest - span
            t = max(min(back, t), floor) if back < t else t
            break
        if not matched:
            t += 1
    return n, t, furthest
