"""``redis_stream_in`` and ``redis_stream_out``: Redis streams that BRAND nodes (or any client) read
and write, joined to a graph. The entry format is ``graph.external_streams.EntryFormat``.

``redis_stream_in`` reads a stream that no cortexlink node writes and turns each entry into a
chunk of its output stream; ``redis_stream_out`` writes its input as BRAND-style entries (a named
samples field, uint64 monotonic-ns ``ts``, counter ``i``, JSON ``sync``) and describes the stream
in ``<stream>_spec``. Both use the graph's Redis server unless ``redis_url`` names another.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import InvalidParameterError
from cortexlink.core.streamspec import StreamSpec
from cortexlink.graph.external_streams import EntryFormat, EntryReader, EntryWriter, Layout
from cortexlink.graph.node import Node, NodeContext, SourceNode

__all__ = ["RedisStreamIn", "RedisStreamOut", "redis_url_of"]

_FRESH_NS = 60_000_000_000  # an entry's ts older than this is not this machine's monotonic clock


def redis_url_of(settings_url: str, context: NodeContext, kind: str) -> str:
    """``settings_url``, else the URL of the graph's own Redis transport."""
    url = settings_url or context.transport_address.get("url", "")
    if not url:
        raise InvalidParameterError(f"{kind} needs a Redis server: run the graph with --transport redis "
                                    "or give 'redis_url'")
    return url


@dataclass
class _Format:
    field: str = "samples"                    # entry field holding the samples
    dtype: str = "int16"                      # sample type
    layout: Layout = "samples_x_channels"     # BRAND's usual layout; channels_x_samples for cortexlink's
    counter_field: str = "i"                  # entry counter field ('' for none)
    time_field: str = "ts"                    # uint64 time.monotonic_ns() field ('' for none)
    redis_url: str = ""                       # default: the graph's Redis server


class RedisStreamIn(SourceNode):
    """Read a Redis stream written outside the graph (e.g. by a BRAND node) as a cortexlink stream."""

    kind = "redis_stream_in"
    outputs = ("out",)

    @dataclass
    class Settings(_Format):
        stream: str = ""                      # the Redis stream to read (required)
        n_channels: int = 1                   # channels per sample
        sample_rate: float = 30000.0          # samples per second per channel
        chunk_samples: int = 30               # most samples one entry holds
        from_start: bool = False              # read what the stream already holds first

        def __post_init__(self) -> None:
            if not self.stream:
                raise InvalidParameterError("redis_stream_in needs 'stream': the Redis stream to read")

    @classmethod
    def external_streams(cls, settings: Any) -> tuple[str, ...]:
        return (settings.stream,)

    @classmethod
    def describe_outputs(cls, settings: Any, input_specs: dict[str, StreamSpec]) -> dict[str, StreamSpec]:
        s = settings
        return {"out": StreamSpec("out", s.n_channels, s.sample_rate, s.dtype, s.chunk_samples)}

    def setup(self) -> None:
        s = self.settings
        self.format = EntryFormat(s.n_channels, s.field, s.dtype, s.layout, s.counter_field, s.time_field, "")
        self.reader = EntryReader(redis_url_of(s.redis_url, self.context, self.kind), s.stream, s.from_start)
        self.samples = 0
        self.counter: int | None = None
        self.lost = 0

    def generate(self) -> Iterator[dict[str, Chunk]]:
        s, spec = self.settings, self.context.spec("out")
        while not self.context.stop_requested():
            entries = self.reader.read(0.1)
            if not entries:
                yield {}
                continue
            for fields in entries:
                data, counter, when = self.format.decode(fields, s.stream)
                now = time.monotonic_ns()
                origin = when if when is not None and 0 <= now - when < _FRESH_NS else now
                self._count(counter)
                for at in range(0, data.shape[1], spec.chunk_samples):
                    part = data[:, at:at + spec.chunk_samples]
                    yield {"out": Chunk(part, self.samples, s.sample_rate, origin)}
                    self.samples += part.shape[1]

    def _count(self, counter: int | None) -> None:
        if counter is not None and self.counter is not None and counter > self.counter + 1:
            self.lost += counter - self.counter - 1
            self.context.report({"entries_lost": self.lost})
        if counter is not None:
            self.counter = counter

    def shutdown(self) -> None:
        if getattr(self, "reader", None) is not None:
            self.reader.close()


class RedisStreamOut(Node):
    """Write the input stream to a Redis stream as BRAND-style entries any client can read."""

    kind = "redis_stream_out"
    outputs = ()

    @dataclass
    class Settings(_Format):
        stream: str = ""                      # the Redis stream to write (required; not a graph stream)
        sync_field: str = "sync"              # JSON field: counter, start_sample, origin_ns ('' for none)
        maxlen: int = 10000                   # entries kept (older ones trimmed)

        def __post_init__(self) -> None:
            if not self.stream:
                raise InvalidParameterError("redis_stream_out needs 'stream': the Redis stream to write")

    @classmethod
    def external_streams(cls, settings: Any) -> tuple[str, ...]:
        return (settings.stream,)

    @classmethod
    def describe_outputs(cls, settings: Any, input_specs: dict[str, StreamSpec]) -> dict[str, StreamSpec]:
        return {}

    def setup(self) -> None:
        s, spec = self.settings, self.context.input_specs["in"]
        self.format = EntryFormat(spec.n_channels, s.field, spec.dtype, s.layout, s.counter_field,
                                  s.time_field, s.sync_field)
        self.writer = EntryWriter(redis_url_of(s.redis_url, self.context, self.kind), s.stream, s.maxlen)
        self.writer.describe({**self.format.describe(spec.sample_rate), "name": s.stream,
                              "writer": self.context.nickname})
        self.count = 0

    def process(self, inputs: dict[str, Chunk]) -> None:
        chunk = inputs["in"]
        sync = {"counter": self.count, "start_sample": chunk.start_sample, "origin_ns": chunk.origin_ns}
        self.writer.add(self.format.encode(chunk.data, self.count, time.monotonic_ns(), sync))
        self.count += 1
        return None

    def shutdown(self) -> None:
        if getattr(self, "writer", None) is not None:
            self.writer.close()
