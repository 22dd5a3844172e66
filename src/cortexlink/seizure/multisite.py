"""Detection and propagation over several sites' recordings, in one process, in stream order.

``run_multisite`` streams every site chunk by chunk in lockstep: each site's detector and onset
vote (if given) raise ``SeizureEvent``s, a detection makes that site broadcast its hashes, and
messages are delivered to the other sites in the same step (``dead`` sites receive but never
answer). It returns every event and the per-site protocol counts, and ``MultisiteResult.summary``
scores them against a scene's truth (detection latency, spread pairs found vs true).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from cortexlink.core.chunk import Chunk
from cortexlink.core.recording import Recording
from cortexlink.seizure.detectors import SeizureDetector
from cortexlink.seizure.onset import OnsetDetector, SeizureEvent
from cortexlink.seizure.propagation import (
    CollisionReply,
    HashMessage,
    PropagationEvent,
    PropagationSite,
    PropagationStats,
    StimulationCommand,
    WindowsMessage,
)


@dataclass
class MultisiteResult:
    """Events of a multi-site run and what the protocol cost."""

    detections: list[SeizureEvent] = field(default_factory=list)
    propagations: list[PropagationEvent] = field(default_factory=list)
    stimulations: list[StimulationCommand] = field(default_factory=list)
    stats: PropagationStats = field(default_factory=PropagationStats)

    def pairs(self) -> set[tuple[str, str]]:
        """(earlier, later) site pairs found, oriented by the sign of the lag."""
        return {(p.source, p.target) if p.lag >= 0 else (p.target, p.source) for p in self.propagations}

    def summary(self, onsets_s: Mapping[str, float] | None = None) -> dict:
        """Counts, and with the true onsets per site: detection latency and pair precision/recall."""
        out: dict = {"detections": len(self.detections), "propagation_events": len(self.propagations),
                     "stimulations": len(self.stimulations), "bytes_sent": self.stats.bytes_sent,
                     "baseline_bytes": self.stats.baseline_bytes,
                     "baseline_raw_bytes": self.stats.baseline_raw_bytes,
                     "exact_comparisons": self.stats.exact_comparisons,
                     "baseline_comparisons": self.stats.baseline_comparisons}
        if onsets_s is not None:
            first = {}
            for ev in self.detections:
                first.setdefault(ev.site, ev.detect_time)
            out["detection_latency_s"] = {s: round(first[s] - t, 2) for s, t in onsets_s.items()
                                          if s in first}
            out["missed_sites"] = sorted(set(onsets_s) - set(first))
            out["false_detections"] = sum(1 for ev in self.detections if ev.site not in onsets_s
                                          or ev.detect_time < onsets_s[ev.site])
            truth = {(a, b) for a in onsets_s for b in onsets_s if onsets_s[b] > onsets_s[a]}
            found = self.pairs()
            hit = found & truth
            out["pairs_true"], out["pairs_found"] = len(truth), len(found)
            out["pair_precision"] = len(hit) / len(found) if found else float("nan")
            out["pair_recall"] = len(hit) / len(truth) if truth else float("nan")
            errs = [abs(p.lag - (onsets_s[p.target] - onsets_s[p.source])) for p in self.propagations
                    if p.source in onsets_s and p.target in onsets_s]
            out["lag_error_s_median"] = float(np.median(errs)) if errs else float("nan")
        return out


def deliver(sites: Mapping[str, PropagationSite], messages: Iterable, dead: set[str],
            result: MultisiteResult) -> None:
    """Route protocol messages until none is left; events go into ``result``."""
    queue = list(messages)
    while queue:
        msg = queue.pop(0)
        if isinstance(msg, HashMessage):
            for name, site in sites.items():
                if name != msg.source and name not in dead:
                    queue += site.on_hash_message(msg)
        elif isinstance(msg, CollisionReply):
            if msg.source not in dead:
                w = sites[msg.source].on_collision_reply(msg)
                if w is not None:
                    queue.append(w)
        elif isinstance(msg, WindowsMessage):
            if msg.target not in dead:
                for ev in sites[msg.target].on_windows(msg):
                    target = result.propagations if isinstance(ev, PropagationEvent) else result.stimulations
                    target.append(ev)


def run_multisite(recordings: Mapping[str, Recording], detector: SeizureDetector | None = None,
                  onset: OnsetDetector | None = None, detect_times: Mapping[str, float] | None = None,
                  onset_times: Mapping[str, float] | None = None,
                  chunk_s: float = 0.05, dead: Iterable[str] = (), **site_options) -> MultisiteResult:
    """Stream every site, detect (with ``detector``, or at the given ``detect_times`` with the
    onsets ``onset_times``), propagate; ``site_options`` go to each ``PropagationSite``."""
    dead = set(dead)
    onset_times = dict(onset_times or {})
    result = MultisiteResult()
    names = list(recordings)
    sites = {n: PropagationSite(n, recordings[n].sample_rate, **site_options) for n in names}
    onsets = {n: OnsetDetector(n, onset.threshold, onset.k, onset.n, onset.refractory_s, onset.min_channels)
              for n in names} if onset is not None else {n: OnsetDetector(n) for n in names}
    pending = dict(detect_times or {})
    if detector is not None:
        detector.reset()
    streams = {n: (detector.stream_copy() if detector is not None else None) for n in names}
    rate = recordings[names[0]].sample_rate
    step = max(1, int(round(chunk_s * rate)))
    n_total = min(r.n_samples for r in recordings.values())
    for start in range(0, n_total, step):
        out: list = []
        for n in names:
            rec = recordings[n]
            chunk = Chunk(rec.data[:, start:start + step], start, rec.sample_rate)
            replies = sites[n].process(chunk)
            if n not in dead:
                out += replies
            now = (start + chunk.n_samples) / rec.sample_rate
            fired = []
            if streams[n] is not None:
                probs, ends = streams[n].step(chunk, gain_uv=rec.gain_uv)
                fired = onsets[n].step(probs, ends)
            elif n in pending and pending[n] <= now:
                fired = [SeizureEvent(n, [], onset_times.get(n, pending[n]), now, 1.0)]
                del pending[n]
            for ev in fired:
                result.detections.append(ev)
                if n not in dead:
                    out.append(sites[n].on_detection(ev.detect_time, ev.onset_time, len(names)))
        deliver(sites, out, dead, result)
    for s in sites.values():
        result.stats.add(s.stats)
    return result

