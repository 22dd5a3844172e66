"""The propagation protocol between processes: one site's endpoint, and the end-of-run summary.

``SiteEndpoint`` is what one site runs when sites live in separate processes (or machines) and
exchange the byte messages of ``seizure.messages``: it feeds its own signal to a
``PropagationSite``, turns its own detections into hash broadcasts, answers the collision replies
addressed to it with the requested windows, confirms the windows sent to it by exact DTW, and
times each stimulation command from its evidence to its issue. ``LiveSummary`` gathers every
site's events and the scene's truth into the summary of ``MultisiteResult`` plus the
detect-to-stimulate latency and the bytes that crossed between sites.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

import numpy as np

from cortexlink.core.chunk import Chunk
from cortexlink.seizure.messages import decode_messages
from cortexlink.seizure.multisite import MultisiteResult
from cortexlink.seizure.onset import SeizureEvent
from cortexlink.seizure.propagation import (
    CollisionReply,
    HashMessage,
    PropagationEvent,
    PropagationSite,
    StimulationCommand,
    WindowsMessage,
)

__all__ = ["LiveSummary", "SiteEndpoint"]


class SiteEndpoint:
    """One site's side of the protocol over byte messages (see the module docstring).

    Every method returns ``(outgoing, events)``: messages for the other sites (one broadcast
    channel per site: each message names its addressee) and this site's ``PropagationEvent`` /
    ``StimulationCommand``s. A site never waits for another: a peer that stops answering only
    leaves its own requests unanswered."""

    def __init__(self, site: PropagationSite, n_sites: int) -> None:
        self.site = site
        self.n_sites = int(n_sites)
        self.latencies_ns: list[int] = []
        self.ignored = 0  # messages addressed to other sites

    def on_signal(self, chunk: Chunk) -> tuple[list, list]:
        """This site's own samples (channels of this site only)."""
        return list(self.site.process(chunk)), []

    def on_detections(self, data: np.ndarray | bytes) -> tuple[list, list]:
        """Bytes from this site's own detector: each ``SeizureEvent`` becomes a hash broadcast."""
        out = []
        for ev in decode_messages(data):
            if isinstance(ev, SeizureEvent):
                out.append(self.site.on_detection(ev.detect_time, ev.onset_time, self.n_sites,
                                                  ev.detected_ns))
        return out, []

    def on_peer(self, data: np.ndarray | bytes) -> tuple[list, list]:
        """Bytes another site sent: broadcasts, replies, windows (skipping those addressed elsewhere)."""
        out: list = []
        events: list = []
        name = self.site.name
        for msg in decode_messages(data):
            if isinstance(msg, HashMessage) and msg.source != name:
                out += self.site.on_hash_message(msg)
            elif isinstance(msg, CollisionReply) and msg.source == name:
                answer = self.site.on_collision_reply(msg)
                if answer is not None:
                    out.append(answer)
            elif isinstance(msg, WindowsMessage) and msg.target == name:
                now = time.monotonic_ns()
                for ev in self.site.on_windows(msg):
                    ev.issued_ns = now
                    if isinstance(ev, StimulationCommand) and ev.evidence_ns:
                        self.latencies_ns.append(ev.issued_ns - ev.evidence_ns)
                    events.append(ev)
            else:
                self.ignored += 1
        return out, events


class LiveSummary:
    """Events of a live multi-site run, scored against the scene's truth at the end."""

    def __init__(self) -> None:
        self.result = MultisiteResult()
        self.onsets_s: dict[str, float] | None = None
        self.bytes_exchanged = 0
        self.n_sites = 0

    def set_truth(self, onsets_s: Mapping[str, float], n_sites: int) -> None:
        self.onsets_s = {str(k): float(v) for k, v in onsets_s.items()}
        self.n_sites = int(n_sites)

    def add_detections(self, data: np.ndarray | bytes) -> None:
        self.result.detections += [e for e in decode_messages(data) if isinstance(e, SeizureEvent)]

    def add_events(self, data: np.ndarray | bytes) -> None:
        for ev in decode_messages(data):
            if isinstance(ev, PropagationEvent):
                self.result.propagations.append(ev)
            elif isinstance(ev, StimulationCommand):
                self.result.stimulations.append(ev)

    def add_exchanged(self, data: np.ndarray | bytes, readers: int) -> None:
        """A batch one site sent to the others: its bytes, once per site that receives it."""
        n = len(data) if isinstance(data, bytes) else int(np.asarray(data).size)
        self.bytes_exchanged += n * max(readers, 1)

    def summary(self) -> dict:
        """``MultisiteResult.summary`` against the truth, the latency of each stimulation (and of
        every confirmed pair, stimulating or not: the same path) from its evidence (p50/p99 ms),
        and the bytes exchanged between sites per detection."""
        out = self.result.summary(self.onsets_s)
        for key in ("bytes_sent", "baseline_bytes", "baseline_raw_bytes", "exact_comparisons",
                    "baseline_comparisons"):
            out.pop(key, None)  # counted by each site's endpoint, not here
        for name, events in (("detect_to_stimulate", self.result.stimulations),
                             ("detect_to_confirm", self.result.propagations)):
            lat = [(e.issued_ns - e.evidence_ns) / 1e6 for e in events if e.issued_ns and e.evidence_ns]
            out[f"{name}_timed"] = len(lat)
            if lat:
                out[f"{name}_ms_p50"] = float(np.percentile(lat, 50))
                out[f"{name}_ms_p99"] = float(np.percentile(lat, 99))
        out["bytes_exchanged"] = self.bytes_exchanged
        out["bytes_per_detection"] = self.bytes_exchanged / max(len(self.result.detections), 1)
        return out
