"""``recorder``: writes a stream into a site store so that what it has acknowledged survives any crash.

Chunks are appended to a ``cortexlink.store`` store at ``<path>/<stream>`` (per-channel chunks, our
codec, hash stream, time index) and committed every ``flush_ms``: a commit is acknowledged
(reported as ``acknowledged_chunks``) and stays readable after a SIGKILL of any process, this one
included; queries (``cortexlink query``) read the store while it grows. Several recorders may share
one folder, one stream (site) each; ``channels`` records a slice of the input (one site of a
multi-site stream). On a clean shutdown the store is also exported as
``<path>/<stream>.npz`` or ``.nwb`` (``format``; ``none`` skips it).

The optional feedback input ``events`` takes event chunks (``cortexlink.store.events``: JSON, or
the seizure nodes' messages) and stores each event with the next commit; ``seizure_scores`` keeps
the seizure detector's score of every window so queries read it instead of running the detector.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import InvalidParameterError
from cortexlink.graph.node import Node
from cortexlink.graph.settings import graph_path
from cortexlink.store import Retention, StoreWriter, export_store
from cortexlink.store import read_recording_folder as read_recording_folder
from cortexlink.store.encoding import warm_up
from cortexlink.store.events import decode_events

__all__ = ["Recorder", "read_recording_folder"]

_MB = 1 << 20


class Recorder(Node):
    """Record the input stream into a site store; flush durably every ``flush_ms``."""

    kind = "recorder"
    outputs = ()
    feedback_inputs = ("events",)

    @dataclass
    class Settings:
        path: str = graph_path()  # folder of stores (created; the stream's store must be new)
        format: Literal["npz", "nwb", "none"] = "npz"  # file exported from the store on a clean shutdown
        flush_ms: float = 100.0  # commit (and acknowledge) at least this often
        stream: str | None = None  # store name inside the folder (default: the stream's)
        site: str | None = None  # site the store answers queries as (default: stream)
        channels: list[int] | None = None  # [first, stop): record only these input channels
        gain_uv: float = 1.0  # microvolts per ADC count of int16 input (sim: 0.25)
        chunk_ms: float = 1000.0  # time span of one stored chunk per channel
        hash_window_ms: float = 20.0  # hashed window (0: keep no hash stream)
        level: Literal["fast", "max"] = "fast"  # codec level for int16 signal
        keep_signal_mb: float | None = None  # retention budgets (None: keep everything)
        keep_hashes_mb: float | None = None
        keep_events_mb: float | None = None
        keep_s: float | None = None  # retention by age, every partition
        fsync: bool = False  # also survive a power cut (slower); SIGKILL-safe either way
        encrypt: bool = False  # AES-GCM the exported file at rest (key: key_file or $CORTEXLINK_KEY)
        key_file: str | None = graph_path(None)
        seizure_scores: list[float] | None = None  # [window_ms, hop_ms]: store detector scores (costly)

        def __post_init__(self) -> None:
            if not self.flush_ms > 0:
                raise InvalidParameterError(f"flush_ms must be positive, got {self.flush_ms}")
            if not self.chunk_ms > 0 or self.hash_window_ms < 0:
                raise InvalidParameterError("chunk_ms must be positive and hash_window_ms not negative")
            if not self.gain_uv > 0:
                raise InvalidParameterError(f"gain_uv must be positive, got {self.gain_uv}")
            if self.seizure_scores is not None and len(self.seizure_scores) != 2:
                raise InvalidParameterError(
                    f"seizure_scores is [window_ms, hop_ms], got {self.seizure_scores}"
                )
            if self.channels is not None and not (
                len(self.channels) == 2 and 0 <= self.channels[0] < self.channels[1]
            ):
                raise InvalidParameterError(
                    f"channels is [first, stop) with first < stop, got {self.channels}"
                )

        def retention(self) -> Retention:
            def mb(v: float | None) -> int | None:
                return None if v is None else int(v * _MB)

            return Retention(
                mb(self.keep_signal_mb), mb(self.keep_hashes_mb), mb(self.keep_events_mb), self.keep_s
            )

    def setup(self) -> None:
        if self.settings.encrypt:  # a missing or malformed key is an error now, not at shutdown
            from cortexlink.core.crypto import load_key

            self._key = load_key(self.settings.key_file)
        spec = self.context.input_specs.get("in")
        self._name = self.settings.stream or (spec.name if spec is not None else self.context.nickname)
        self._retention = self.settings.retention()
        self._writer: StoreWriter | None = None
        target = Path(self.settings.path) / self._name
        if target.exists():
            raise InvalidParameterError(
                f"{target} already exists; record into a new folder so nothing is overwritten"
            )
        if spec is not None:  # load the compiled codec and hash now, not at the first chunk
            warm_up(
                str(spec.dtype),
                self.settings.level,
                int(round(self.settings.hash_window_ms * 1e-3 * spec.sample_rate)),
            )
        self._pending_events: list = []
        self._first_sample = 0
        self._flush_ns = int(self.settings.flush_ms * 1e6)
        self._next_flush = time.monotonic_ns() + self._flush_ns

    def _open(self, chunk: Chunk) -> None:
        """Create the store at the first chunk, dating its sample 0 by that chunk's acquisition time
        (``origin_ns``, when its newest sample was acquired) on the wall clock, so sites line up."""
        s = self.settings
        Path(s.path).mkdir(parents=True, exist_ok=True)
        n, rate = chunk.data.shape[1], chunk.sample_rate
        start = time.time_ns()
        if chunk.origin_ns:
            start -= time.monotonic_ns() - chunk.origin_ns
        start -= int(round((chunk.start_sample + n) * 1e9 / rate))
        self._writer = StoreWriter(
            Path(s.path) / self._name,
            chunk.data.shape[0],
            rate,
            site=s.site or self._name,
            dtype=str(chunk.data.dtype),
            gain_uv=s.gain_uv,
            chunk_ms=s.chunk_ms,
            hash_window_ms=s.hash_window_ms,
            level=s.level,
            retention=self._retention,
            metadata=self.context.graph_metadata,
            start_unix_ns=start,
            fsync=s.fsync,
            scores=None if s.seizure_scores is None else {"seizure": tuple(s.seizure_scores)},
        )
        self._first_sample = chunk.start_sample

    def process(self, inputs: dict[str, Chunk]) -> None:
        chunk = inputs["in"]
        if self.settings.channels is not None:
            a, b = self.settings.channels
            if b > chunk.data.shape[0]:
                raise InvalidParameterError(
                    f"channels {a}:{b} reach past the input's {chunk.data.shape[0]} channels"
                )
            chunk = Chunk(chunk.data[a:b], chunk.start_sample, chunk.sample_rate, chunk.origin_ns)
        if self._writer is None:
            self._open(chunk)
        self._take_events()
        self._writer.append(chunk)
        now = time.monotonic_ns()
        if now >= self._next_flush:
            self._next_flush = now + self._flush_ns
            self.flush()
        return None

    def _take_events(self) -> None:
        """Move the events that arrived on ``events`` into the writer (committed at the next flush)."""
        for c in self.context.drain("events"):
            self._pending_events += decode_events(c.data)
        if self._pending_events and self._writer is not None:
            self._writer.add_events(self._pending_events, -self._first_sample)
            self._pending_events = []

    def flush(self) -> int:
        """Commit what is buffered; returns the chunks acknowledged so far."""
        if self._writer is None:
            return 0
        self._writer.flush()
        acked = self._writer.acknowledged_chunks
        self.context.report({"acknowledged_chunks": acked})
        return acked

    def shutdown(self) -> None:
        if self._writer is None:
            return
        self._take_events()
        self._writer.close()
        acked = self._writer.acknowledged_chunks
        self.context.report({"acknowledged_chunks": acked})
        if acked == 0 or self.settings.format == "none":
            return
        target = export_store(self._writer.path, self.settings.format)
        if self.settings.encrypt:
            from cortexlink.core.crypto import encrypt_file

            encrypt_file(target, self._key)
        self.context.info(f"recorded {acked} chunks of {self._name} to {self._writer.path} and {target}")
