"""``lsl_source`` and ``lsl_sink``: Lab Streaming Layer in and out of a graph (``cortexlink.io.lsl``).

``lsl_source`` reads the first LSL stream matching ``name`` / ``type`` / ``source_id`` and emits
chunks of ``chunk_ms``; each chunk's ``origin_ns`` is the moment its oldest sample was pushed to
LSL (LSL's clock offset applied), so latencies downstream count from the amplifier's outlet.
``lsl_sink`` publishes its input as an LSL outlet (for LabRecorder, OpenViBE, BCI2000).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import InvalidParameterError
from cortexlink.core.streamspec import StreamSpec
from cortexlink.graph.node import Node, SourceNode


@dataclass
class _StreamQuery:
    name: str | None = None  # LSL stream name
    type: str | None = None  # LSL content type, e.g. EEG
    source_id: str | None = None  # LSL source id (unique per device)


class LSLSource(SourceNode):
    """Chunks of ``chunk_ms`` from an LSL stream (float32, the stream's channels and nominal rate)."""

    kind = "lsl_source"

    @dataclass
    class Settings(_StreamQuery):
        chunk_ms: float = 20.0
        timeout_s: float = 10.0  # how long to look for the stream, and to wait for data, before failing

        def __post_init__(self) -> None:
            if not (self.name or self.type or self.source_id):
                raise InvalidParameterError("lsl_source needs a name, type or source_id to find its stream")
            if not self.chunk_ms > 0 or not self.timeout_s > 0:
                raise InvalidParameterError("chunk_ms and timeout_s must be positive")

    @staticmethod
    def _open(s: Any) -> Any:
        from cortexlink.io.lsl import LSLInlet

        return LSLInlet(s.name, s.type, s.source_id, s.timeout_s)

    @staticmethod
    def _chunk(s: Any, rate: float) -> int:
        return max(1, int(round(s.chunk_ms * 1e-3 * rate)))

    @classmethod
    def describe_outputs(cls, settings: Any, input_specs: dict[str, StreamSpec]) -> dict[str, StreamSpec]:
        from cortexlink.io.lsl import describe

        info = describe(settings.name, settings.type, settings.source_id, settings.timeout_s)
        if not info.sample_rate > 0:
            raise InvalidParameterError(f"LSL stream {info.name!r} has no regular rate; lsl_source needs one")
        return {
            "out": StreamSpec(
                "out", info.n_channels, info.sample_rate, "float32", cls._chunk(settings, info.sample_rate)
            )
        }

    def setup(self) -> None:
        self.inlet = self._open(self.settings)
        self.n = self._chunk(self.settings, self.inlet.info.sample_rate)

    def generate(self) -> Iterator[dict[str, Chunk]]:
        from cortexlink.io.lsl import ChunkBuffer

        rate = self.inlet.info.sample_rate
        buffer = ChunkBuffer(self.inlet.info.n_channels, self.n)
        idle = 0.0
        while not self.context.stop_requested():
            data, origin = self.inlet.pull(timeout_s=0.5 * self.n / rate)
            idle = 0.0 if data.shape[1] else idle + 0.5 * self.n / rate
            if idle > self.settings.timeout_s:
                self.context.warning(
                    f"no sample from LSL stream {self.inlet.info.name!r} for "
                    f"{self.settings.timeout_s:g} s; stopping"
                )
                return
            for block, start, first_ns in buffer.add(data, origin):
                yield {"out": Chunk(block, start, rate, first_ns)}

    def shutdown(self) -> None:
        self.inlet.close()


class LSLSink(Node):
    """Publish the input stream as an LSL outlet."""

    kind = "lsl_sink"
    outputs = ()

    @dataclass
    class Settings:
        name: str = "cortexlink"  # LSL stream name
        type: str = "EEG"  # LSL content type
        source_id: str = ""  # unique id (default: the name)

    def setup(self) -> None:
        self.outlet = None
        spec = self.context.input_specs.get("in")
        if spec is not None:
            self._open(spec.n_channels, spec.sample_rate)

    def _open(self, n_channels: int, rate: float) -> None:
        from cortexlink.io.lsl import LSLOutlet

        s = self.settings
        self.outlet = LSLOutlet(s.name, n_channels, rate, s.type, s.source_id)

    def process(self, inputs: dict[str, Chunk]) -> None:
        chunk = inputs["in"]
        if self.outlet is None:
            self._open(chunk.n_channels, chunk.sample_rate)
        self.outlet.push(np.asarray(chunk.data, np.float32), chunk.origin_ns or None)
        return None
