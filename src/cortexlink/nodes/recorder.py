"""``recorder``: writes a stream to disk so that what it has acknowledged survives any crash.

Chunks are appended to a segment log (``cortexlink.store.segments``) and committed every
``flush_ms``: a committed segment is acknowledged (reported as ``acknowledged_chunks``) and stays
readable after a SIGKILL of any process, this one included. Several recorders may share one
folder, one stream each. With ``format: nwb`` the log is also written out as
``<folder>/<stream>.nwb`` on a clean shutdown; ``format: npz`` writes ``<stream>.npz``.
``read_recording_folder`` reads the log back at any time, crash or not.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Literal

from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import InvalidParameterError
from cortexlink.graph.node import Node
from cortexlink.graph.settings import graph_path
from cortexlink.store.segments import SegmentLogWriter, export_stream
from cortexlink.store.segments import read_segment_log as read_recording_folder

__all__ = ["Recorder", "read_recording_folder"]


class Recorder(Node):
    """Record the input stream; flush durably every ``flush_ms``."""

    kind = "recorder"
    outputs = ()

    @dataclass
    class Settings:
        path: str = graph_path()                   # recording folder (created; streams must be new)
        format: Literal["npz", "nwb"] = "npz"      # file written from the log on a clean shutdown
        flush_ms: float = 100.0                    # commit (and acknowledge) at least this often
        stream: str | None = None                  # name inside the folder (default: the stream's)

        def __post_init__(self) -> None:
            if not self.flush_ms > 0:
                raise InvalidParameterError(f"flush_ms must be positive, got {self.flush_ms}")

    def setup(self) -> None:
        spec = self.context.input_specs.get("in")
        self._name = self.settings.stream or (spec.name if spec is not None else self.context.nickname)
        self._writer: SegmentLogWriter | None = None
        if spec is not None:
            self._open(spec.n_channels, spec.dtype, spec.sample_rate)
        self._flush_ns = int(self.settings.flush_ms * 1e6)
        self._next_flush = time.monotonic_ns() + self._flush_ns

    def _open(self, n_channels: int, dtype: Any, rate: float) -> None:
        self._writer = SegmentLogWriter(self.settings.path, {self._name: (n_channels, str(dtype), rate)},
                                        metadata=self.context.graph_metadata)

    def process(self, inputs: dict[str, Chunk]) -> None:
        chunk = inputs["in"]
        if self._writer is None:
            self._open(chunk.data.shape[0], chunk.data.dtype, chunk.sample_rate)
        self._writer.append(self._name, chunk)
        now = time.monotonic_ns()
        if now >= self._next_flush:
            self._next_flush = now + self._flush_ns
            self.flush()
        return None

    def flush(self) -> int:
        """Commit what is buffered; returns the chunks acknowledged so far."""
        if self._writer is None:
            return 0
        acked = self._writer.flush()[self._name]
        self.context.report({"acknowledged_chunks": acked})
        return acked

    def shutdown(self) -> None:
        acked = self.flush()
        if self._writer is None or acked == 0:
            return
        target = export_stream(self.settings.path, self._name, self.settings.format)
        self.context.info(f"recorded {acked} chunks of {self._name} to {target}")
