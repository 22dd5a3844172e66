"""``seizure_detector``, ``propagation`` and ``seizure_summary``: seizures detected on every site and
their spread found across sites, live (``graphs/seizure.yaml``; ``cortexlink run seizure``).

Per site, two processes read that site's channels of the raw stream (``site`` of ``n_sites``
equal arrays): ``seizure_detector`` runs a ``SeizureDetector`` and the k-of-n onset vote and
writes each ``SeizureEvent`` on ``out``; ``propagation`` hashes the site's signal
(``PropagationSite``), reads its own detector's events (feedback ``detections``) and the other
sites' protocol streams (feedback ``site0``, ``site1``, ...), and writes its own messages on
``out`` (hash broadcasts, collision replies, requested windows) and its confirmed
``PropagationEvent`` / ``StimulationCommand``s on ``events``. The loop between two sites' protocol
streams is closed by feedback inputs, read in order (``NodeContext.drain``), so the graph stays
a DAG of driving inputs. ``seizure_summary`` reads the scene's truth and every site's streams and
reports detections, latency from true onset, spread pairs found vs true, detect-to-stimulate
latency p50/p99 and the bytes exchanged. Messages travel as ``uint8`` chunks
(``seizure.messages``), so both transports (shm, redis) carry them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import NodeError
from cortexlink.core.streamspec import StreamSpec
from cortexlink.graph.node import Node
from cortexlink.nodes.scene_source import SceneSource

__all__ = ["PropagationNode", "SeizureDetectorNode", "SeizureSceneSource", "SeizureSummaryNode",
           "message_spec"]

MESSAGE_BYTES = 1 << 16  # the largest batch of messages one chunk carries
MESSAGE_RATE = 1000.0    # nominal: a message stream's chunks are numbered, not timed


def message_spec(name: str = "out") -> StreamSpec:
    """The spec of a stream of encoded seizure messages."""
    return StreamSpec(name, 1, MESSAGE_RATE, "uint8", MESSAGE_BYTES)


def _site_rows(chunk: Chunk, rows: slice) -> Chunk:
    return Chunk(chunk.data[rows], chunk.start_sample, chunk.sample_rate, chunk.origin_ns)


class _MessageWriter:
    """Numbers the message chunks of one output port."""

    def __init__(self) -> None:
        self.n = 0
        self.bytes = 0

    def chunk(self, messages: list, origin_ns: int) -> Chunk:
        from cortexlink.seizure.messages import encode_messages

        data = encode_messages(messages)
        if data.size > MESSAGE_BYTES:
            raise NodeError(f"a batch of seizure messages takes {data.size} bytes, over {MESSAGE_BYTES}")
        self.n += 1
        self.bytes += data.size
        return Chunk(data, self.n - 1, MESSAGE_RATE, origin_ns)


@dataclass
class _SiteSettings:
    site: int = 0      # which array of the raw stream is this site's
    n_sites: int = 1   # how many equal arrays the raw stream carries
    gain_uv: float = 0.25  # microvolts per ADC count of the input (the simulator's default)


def _site_name(settings: Any) -> str:
    return f"site{settings.site}"


def _site_slice(settings: Any, input_specs: dict[str, StreamSpec]) -> slice:
    from cortexlink.decode.partial import site_channels

    spec = input_specs.get("in")
    if spec is None:
        raise NodeError("seizure nodes read the raw stream on their input 'in'")
    return site_channels(spec.n_channels, settings.site, settings.n_sites)


class SeizureDetectorNode(Node):
    """One site's seizure detector and onset vote; each onset is a ``SeizureEvent`` on ``out``."""

    kind = "seizure_detector"
    outputs = ("out",)

    @dataclass
    class Settings(_SiteSettings):
        model: str = ""            # a model file saved by SeizureDetector.save ("" = the built-in detector)
        threshold: float = 0.5     # onset vote: k of n windows at or above threshold ...
        k: int = 3
        n: int = 4
        min_channels: int = 2      # ... on at least this many channels
        refractory_s: float = 30.0

    @classmethod
    def describe_outputs(cls, settings: Any, input_specs: dict[str, StreamSpec]) -> dict[str, StreamSpec]:
        _site_slice(settings, input_specs)
        return {"out": message_spec()}

    def setup(self) -> None:
        from cortexlink.seizure import OnsetDetector, SeizureDetector, default_detector

        s = self.settings
        self.rows = _site_slice(s, self.context.input_specs)
        det = SeizureDetector.load(s.model) if s.model else default_detector()
        self.detector = det.stream_copy()
        n_rows = self.rows.stop - self.rows.start
        rate = self.context.input_specs["in"].sample_rate
        noise = np.random.default_rng(0).normal(0.0, 10.0, (n_rows, det.block(rate).window))
        det.predict_proba(noise, rate)  # compile the model's kernels (numba) before the stream starts
        self.onset = OnsetDetector(_site_name(s), s.threshold, s.k, s.n, s.refractory_s, s.min_channels)
        self.writer = _MessageWriter()
        self.detections = 0

    def process(self, inputs: dict[str, Chunk]) -> dict[str, Chunk] | None:
        chunk = inputs["in"]
        probs, ends = self.detector.step(_site_rows(chunk, self.rows), gain_uv=self.settings.gain_uv)
        if not len(ends):
            return None
        events = self.onset.step(probs, ends)
        if not events:
            return None
        now = self.context.now_ns()
        for ev in events:
            ev.detected_ns = now
        self.detections += len(events)
        return {"out": self.writer.chunk(events, chunk.origin_ns)}

    def shutdown(self) -> None:
        self.context.report({"detections": self.detections})


class PropagationNode(Node):
    """One site's side of the propagation protocol (module docstring): hashes, replies, exact DTW."""

    kind = "propagation"
    feedback_inputs = ("detections", "site*")
    outputs = ("out", "events")

    @dataclass
    class Settings(_SiteSettings):
        rate_hz: float = 250.0       # the site trace's rate (channel mean, low-passed, decimated)
        window_s: float = 0.5        # hashed window
        hop_s: float = 0.1
        retention_s: float = 2.0     # own hashes kept for a broadcast to hit
        query_s: float = 2.0         # a broadcast covers the sender's last query_s ...
        n_query: int = 4             # ... through its n_query most energetic windows
        watch_s: float = 10.0        # a broadcast stays armed this long
        min_votes: int = 4           # hash tables that must agree for a collision
        max_distance: float = 0.6    # exact DTW per sample (z-normalised) that confirms a match
        reply_ratio: float = 3.0     # a window answers a broadcast only at this x the site's median RMS
        seed: int = 0                # of the shared hash family (the same at every site)

    @classmethod
    def describe_outputs(cls, settings: Any, input_specs: dict[str, StreamSpec]) -> dict[str, StreamSpec]:
        _site_slice(settings, input_specs)
        return {"out": message_spec(), "events": message_spec("events")}

    def setup(self) -> None:
        from cortexlink.seizure.live import SiteEndpoint
        from cortexlink.seizure.propagation import PropagationSite

        s = self.settings
        self.rows = _site_slice(s, self.context.input_specs)
        site = PropagationSite(_site_name(s), self.context.input_specs["in"].sample_rate, rate_hz=s.rate_hz,
                               window_s=s.window_s, hop_s=s.hop_s, retention_s=s.retention_s,
                               query_s=s.query_s, watch_s=s.watch_s, n_query=s.n_query,
                               min_votes=s.min_votes, max_distance=s.max_distance,
                               reply_ratio=s.reply_ratio, seed=s.seed)
        site.warm_up()
        self.endpoint = SiteEndpoint(site, s.n_sites)
        self.peers = [p for p in self.context.feedback_specs if p.startswith("site")]
        self.has_detections = "detections" in self.context.feedback_specs
        self.out, self.events = _MessageWriter(), _MessageWriter()
        self.n_events = 0

    def process(self, inputs: dict[str, Chunk]) -> dict[str, Chunk] | None:
        chunk = inputs["in"]
        outgoing, events = self.endpoint.on_signal(_site_rows(chunk, self.rows))
        if self.has_detections:
            for c in self.context.drain("detections"):
                outgoing += self.endpoint.on_detections(c.data)[0]
        for port in self.peers:
            for c in self.context.drain(port):
                o, e = self.endpoint.on_peer(c.data)
                outgoing += o
                events += e
        written = {}
        if outgoing:
            written["out"] = self.out.chunk(outgoing, chunk.origin_ns)
        if events:
            self.n_events += len(events)
            written["events"] = self.events.chunk(events, chunk.origin_ns)
        return written or None

    def shutdown(self) -> None:
        st = self.endpoint.site.stats
        lat = np.array(self.endpoint.latencies_ns) / 1e6
        metrics: dict[str, Any] = {
            "events": self.n_events, "messages_sent": self.out.n, "bytes_sent": self.out.bytes,
            "protocol_bytes": st.bytes_sent, "allpairs_bytes": st.baseline_bytes,
            "allpairs_raw_bytes": st.baseline_raw_bytes,
            "exact_dtw": st.exact_comparisons, "allpairs_dtw": st.baseline_comparisons,
        }
        if lat.size:
            metrics["detect_to_stimulate_ms_p50"] = round(float(np.percentile(lat, 50)), 3)
            metrics["detect_to_stimulate_ms_p99"] = round(float(np.percentile(lat, 99)), 3)
        self.context.report(metrics)


class SeizureSummaryNode(Node):
    """The end-of-run summary over every site (driven by the scene's ``truth`` stream)."""

    kind = "seizure_summary"
    feedback_inputs = ("detections*", "events*", "site*")
    outputs = ()

    @classmethod
    def describe_outputs(cls, settings: Any, input_specs: dict[str, StreamSpec]) -> dict[str, StreamSpec]:
        return {}

    def setup(self) -> None:
        from cortexlink.seizure.live import LiveSummary

        self.summary = LiveSummary()
        self.ports = list(self.context.feedback_specs)
        self.n_sites = sum(1 for p in self.ports if p.startswith("site"))
        self.input_timeout_s = 0.1  # gather while the truth stream is quiet

    def process(self, inputs: dict[str, Chunk]) -> None:
        from cortexlink.core.errors import CorruptDataError

        try:
            truth = json.loads(bytes(inputs["in"].data.ravel()))
            self.summary.set_truth(truth["seizure_onsets_s"], int(truth["n_sites"]))
        except (ValueError, KeyError, TypeError):
            raise CorruptDataError("seizure_summary: the truth stream holds no scene truth") from None
        self._gather()

    def on_input_timeout(self) -> None:
        self._gather()

    def _gather(self) -> None:
        for port in self.ports:
            for c in self.context.drain(port):
                if port.startswith("detections"):
                    self.summary.add_detections(c.data)
                elif port.startswith("events"):
                    self.summary.add_events(c.data)
                else:
                    self.summary.add_exchanged(c.data, self.n_sites - 1)

    def shutdown(self) -> None:
        self._gather()
        out = self.summary.summary()
        flat: dict[str, Any] = {}
        for key, value in out.items():
            if isinstance(value, dict):
                flat.update({f"{key}:{k}": v for k, v in value.items()})
            elif isinstance(value, list):
                flat[key] = ",".join(map(str, value)) or "none"
            else:
                flat[key] = round(value, 3) if isinstance(value, float) else value
        self.context.report(flat)


class SeizureSceneSource(SceneSource):
    """``scene_source`` that also writes the scene's truth once, as JSON, on ``truth`` (for
    ``seizure_summary``): each site's true onset and offset within ``duration_s``."""

    kind = "seizure_scene"
    outputs = ("out", "truth")

    @classmethod
    def describe_outputs(cls, settings: Any, input_specs: dict[str, StreamSpec]) -> dict[str, StreamSpec]:
        return {**super().describe_outputs(settings, input_specs), "truth": message_spec("truth")}

    def generate(self) -> Iterator[dict[str, Chunk]]:
        s = self.settings
        truth = self.truth.within(s.duration_s) if s.duration_s is not None else self.truth
        text = json.dumps({"n_sites": s.n_sites, "seizure_onsets_s": truth.seizure_onsets_s,
                           "seizure_offsets_s": truth.seizure_offsets_s}).encode()
        first = True
        for out in super().generate():
            if first:
                out["truth"] = Chunk(np.frombuffer(text, np.uint8).reshape(1, -1), 0, MESSAGE_RATE,
                                     out["out"].origin_ns)
                first = False
            yield out
