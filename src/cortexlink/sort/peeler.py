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


PAIR_TRIES = 3  # candidates tried as the first spike of an overlap
SLACK = 3.0  # noise sd: how far a peak's depth may be from a scaled template's and still be tried


def trough_depths(templates: Templates) -> np.ndarray:
    """(n_units, n_all_channels) depth of each unit's trough on each of its channels (0 elsewhere)."""
    depth = np.zeros(templates.troughs.shape)
    for u in range(templates.n_units):
        keep = templates.channels[u] >= 0
        depth[u, templates.channels[u][keep]] = -templates.waveforms[u][keep].min(axis=1)
    return depth


def lookahead(templates: Templates, exclude: int, max_lag: int) -> int:
    """Samples after the scan position a step may read (an overlap test fits a second spike up to a
    template beyond the first's window)."""
    return 2 * templates.length + exclude + max_lag + 1


def rewind_span(templates: Templates, exclude: int) -> int:
    """How far behind its furthest position the scan may go back."""
    return templates.before + exclude + 1


def history(templates: Templates, exclude: int, max_lag: int) -> int:
    """Samples before the furthest scan position a step may read or write."""
    return rewind_span(templates, exclude) + 2 * templates.length + exclude + max_lag + 1


@njit(cache=True, boundscheck=False, nogil=True)
def crossings(x, thr, out):
    """``out[t] = 1`` where some channel of ``x`` is below ``-thr`` (the samples the scan must look at)."""
    out[:] = 0
    for c in range(x.shape[0]):
        for t in range(x.shape[1]):
            if x[c, t] < -thr:
                out[t] = 1


@njit(cache=True, boundscheck=False, nogil=True, fastmath={"reassoc", "contract"})
def _dot(x, c, s0, w):
    """``<x[c, s0:s0 + len(w)], w>``, summed in SIMD lanes (an order fixed by the compiled code, so
    the same inputs give the same sum wherever the stream was cut)."""
    acc = 0.0
    for j in range(w.size):
        acc += x[c, s0 + j] * w[j]
    return acc


@njit(cache=True, boundscheck=False, nogil=True)
def _fit(x, s0, u, waveforms, channels, length):
    """``<x window starting at s0, template u>`` on u's channels."""
    acc = 0.0
    for m in range(channels.shape[1]):
        c = channels[u, m]
        if c < 0:
            break
        acc += _dot(x, c, s0, waveforms[u, m])
    return acc


@njit(cache=True, boundscheck=False, nogil=True)
def _unit_fit(x, c, t, u, lag, waveforms, channels, norms, troughs, before, amin, amax):
    """Unit u's best (window start, amplitude, score) for a peak on channel c at t, within +-lag
    samples of its trough there; score = the residual energy removed (0: no admissible fit)."""
    length = waveforms.shape[2]
    best_s, best_a, best_score = 0, 0.0, 0.0
    for d in range(-lag, lag + 1):
        s0 = t - troughs[u, c] - before + d
        dot = _fit(x, s0, u, waveforms, channels, length)
        a = dot / norms[u]
        if a < amin:
            continue
        if a > amax:
            a = amax
        score = 2.0 * a * dot - a * a * norms[u]
        if score > best_score:
            best_s, best_a, best_score = s0, a, score
    return best_s, best_a, best_score


@njit(cache=True, boundscheck=False, nogil=True)
def _lag_on(x, c, t, u, wide, waveforms, channels, troughs, before):
    """The lag within +-wide at which unit u's waveform on channel c alone fits best (a cheap first
    look: the full fit then searches +-1 around it)."""
    m = 0
    while channels[u, m] != c:
        m += 1
    w = waveforms[u, m]
    best, best_d = -np.inf, 0
    for d in range(-wide, wide + 1):
        acc = _dot(x, c, t - troughs[u, c] - before + d, w)
        if acc > best:
            best, best_d = acc, d
    return best_d


@njit(cache=True, boundscheck=False, nogil=True)
def _best_fit(x, c, t, lag, waveforms, channels, norms, troughs, candidates, depth, before, amin, amax):
    """The best (unit, window start, amplitude, score) among the candidates of channel c whose
    trough there, scaled by an admissible amplitude, comes within ``SLACK`` of the peak's depth."""
    best_u, best_s, best_a, best_score = -1, 0, 0.0, 0.0
    peak = -x[c, t]
    for k in range(candidates.shape[1]):
        u = candidates[c, k]
        if u < 0:
            break
        if peak < amin * depth[u, c] - SLACK or peak > amax * depth[u, c] + SLACK:
            continue
        s0, a, score = _unit_fit(x, c, t, u, lag, waveforms, channels, norms, troughs, before, amin, amax)
        if score > best_score:
            best_u, best_s, best_a, best_score = u, s0, a, score
    return best_u, best_s, best_a, best_score


@njit(cache=True, boundscheck=False, nogil=True)
def _excess(x, u, s0, channels, length):
    """Energy of unit u's window beyond the noise's (unit variance per sample)."""
    e = 0.0
    for m in range(channels.shape[1]):
        c = channels[u, m]
        if c < 0:
            break
        for j in range(length):
            e += x[c, s0 + j] * x[c, s0 + j] - 1.0
    return e


@njit(cache=True, boundscheck=False, nogil=True)
def _subtract(x, u, s0, a, waveforms, channels, saved):
    """x -= a * template u at s0, keeping the window's values in ``saved`` (for ``_restore``)."""
    for m in range(channels.shape[1]):
        c = channels[u, m]
        if c < 0:
            break
        w = waveforms[u, m]
        for j in range(w.size):
            v = x[c, s0 + j]
            saved[m, j] = v
            x[c, s0 + j] = v - a * w[j]


@njit(cache=True, boundscheck=False, nogil=True)
def _restore(x, u, s0, channels, saved):
    for m in range(channels.shape[1]):
        c = channels[u, m]
        if c < 0:
            break
        for j in range(saved.shape[1]):
            x[c, s0 + j] = saved[m, j]


@njit(cache=True, boundscheck=False, nogil=True)
def _lowest(x, u, t0, t1, channels):
    """(value, channel, sample) of the lowest point of unit u's channels over samples t0 .. t1 - 1."""
    low, lc, lt = np.inf, 0, t0
    for m in range(channels.shape[1]):
        c = channels[u, m]
        if c < 0:
            break
        for j in range(t0, t1):
            if x[c, j] < low:
                low, lc, lt = x[c, j], c, j
    return low, lc, lt


@njit(cache=True, boundscheck=False, nogil=True)
def _resolve(x, c, t, wide, thr, max_lag, waveforms, channels, norms, troughs, candidates, depth, before,
             amin, amax, min_score, saved):
    """The first spike of the best explanation of a peak by one or two overlapping spikes: the
    ``PAIR_TRIES`` candidates that fit best alone (within +-wide samples), each plus the best fit of
    what it leaves at its window's lowest point. Returns (unit, window start, amplitude, its own
    score, the pair's score); x is unchanged."""
    length = waveforms.shape[2]
    n_cand = candidates.shape[1]
    starts = np.zeros(n_cand, np.int64)
    amps = np.zeros(n_cand)
    scores = np.zeros(n_cand)
    peak = -x[c, t]
    for k in range(n_cand):
        u = candidates[c, k]
        if u < 0:
            break
        if peak < amin * depth[u, c] - SLACK:  # (deeper is possible: another spike adds to the peak)
            continue
        starts[k], amps[k], scores[k] = _unit_fit(
            x, c, t + _lag_on(x, c, t, u, wide, waveforms, channels, troughs, before), u, 1, waveforms,
            channels, norms, troughs, before, amin, amax)
    best_u, best_s, best_a, best_score, best_total = -1, 0, 0.0, 0.0, 0.0
    for k in np.argsort(-scores, kind="mergesort")[:PAIR_TRIES]:
        if scores[k] < min_score:
            break
        u, s0, a = candidates[c, k], starts[k], amps[k]
        total = scores[k]
        _subtract(x, u, s0, a, waveforms, channels, saved)
        low, c2, t2 = _lowest(x, u, s0, s0 + length, channels)
        if low < -thr:
            _, _, _, second = _best_fit(x, c2, t2, max_lag, waveforms, channels, norms, troughs, candidates,
                                        depth, before, amin, amax)
            if second >= min_score:
                total += second
        _restore(x, u, s0, channels, saved)
        if total > best_total:
            best_u, best_s, best_a, best_score, best_total = u, s0, a, scores[k], total
    return best_u, best_s, best_a, best_score, best_total


@njit(cache=True, boundscheck=False, nogil=True)
def _accept(x, u, s0, a, adapt, thr, waveforms, channels, norms, saved, mask):
    """After ``_subtract``: move u's template ``adapt`` of the way towards the spike (then subtract
    that template instead), and flag the window's samples now below ``-thr`` in ``mask``."""
    norm = 0.0
    for m in range(channels.shape[1]):
        c = channels[u, m]
        if c < 0:
            break
        w = waveforms[u, m]
        for j in range(w.size):
            if adapt > 0.0:
                w[j] += adapt * (saved[m, j] / a - w[j])
                norm += w[j] * w[j]
                x[c, s0 + j] = saved[m, j] - a * w[j]
            if x[c, s0 + j] < -thr:
                mask[s0 + j] = 1
    if adapt > 0.0:
        norms[u] = norm


@njit(cache=True, boundscheck=False, nogil=True)
def peel(x, mask, pos, stop, furthest, neighbours, exclude, thr, waveforms, channels, norms, troughs,
         candidates, depth, before, max_lag, amin, amax, min_score, min_explained, adapt,
         out_s, out_u, out_a):
    """Scan ``x`` (residual, modified in place) from ``pos`` until the scan reaches ``stop``.

    ``depth`` (``trough_depths``) lets a peak skip the units whose size cannot match it.
    ``mask`` (``crossings`` of x) marks the samples where some channel is below ``-thr``; the scan
    skips the others and keeps it up to date. Returns ``(n_found, pos, furthest)``; found spikes
    (window start + before, unit, amplitude) are written to ``out_*`` (a full buffer stops the scan
    early: call again from the returned position). ``adapt`` > 0 moves the template of each unit
    matched alone that fraction towards the spike.

    At a peak, the best single fit is taken when it explains at least ``min_explained`` of the
    window's energy above the noise and leaves no peak in its window. Otherwise (overlapping
    spikes) each candidate is tried with what it leaves fitted by a second template, and the first
    spike of the best pair is taken if the pair explains enough; the scan finds the second next.
    """
    n_ch = x.shape[0]
    length = waveforms.shape[2]
    span = before + exclude + 1
    saved = np.empty((channels.shape[1], length))
    n = 0
    t = pos
    while t < stop and n < out_s.size:
        if t > furthest:
            furthest = t
        if mask[t] == 0:
            t += 1
            continue
        matched = False
        for c in range(n_ch):
            if x[c, t] >= -thr or not is_peak(x, c, t, neighbours, exclude, thr):
                continue
            u, s0, a, score = _best_fit(x, c, t, max_lag, waveforms, channels, norms, troughs, candidates,
                                        depth, before, amin, amax)
            if u < 0 or score < min_score:
                continue
            excess = _excess(x, u, s0, channels, length)
            _subtract(x, u, s0, a, waveforms, channels, saved)
            learn = adapt  # templates learn from lone spikes only: an overlap's window holds another
            # a peak left near this one: another spike overlaps it, and may have drawn the fit
            near = _lowest(x, u, t - exclude, t + exclude + 1, channels)[0]
            if score < min_explained * excess or near < -thr:
                _restore(x, u, s0, channels, saved)
                u, s0, a, score, total = _resolve(x, c, t, exclude, thr, max_lag, waveforms, channels, norms,
                                                  troughs, candidates, depth, before, amin, amax, min_score,
                                                  saved)
                if u < 0 or total < min_explained * _excess(x, u, s0, channels, length):
                    continue
                _subtract(x, u, s0, a, waveforms, channels, saved)
                learn = 0.0
            _accept(x, u, s0, a, learn, thr, waveforms, channels, norms, saved, mask)
            out_s[n] = s0 + before
            out_u[n] = u
            out_a[n] = a
            n += 1
            matched = True
            back = s0 - exclude - 1
            floor = furthest - span
            t = max(min(back, t), floor) if back < t else t
            break
        if not matched:
            t += 1
    return n, t, furthest
