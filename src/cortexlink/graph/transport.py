"""The transport interface: named streams of Chunks with one writer and many readers.

A ``Transport`` is created by the supervisor (``create`` makes the streams) and re-opened in each
node process from its picklable ``address`` (``connect(address)``). Writers never wait for readers;
each reader has its own cursor and counts the chunks it lost because it fell too far behind
(``overruns``). Lifecycle states are mirrored through ``publish_state`` (Redis keeps BRAND's
``<nickname>_state`` streams; shared memory needs no mirror).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import NodeError, TransportError
from cortexlink.core.streamspec import StreamSpec
from cortexlink.graph import futex as _futex  # noqa: F401  built once, before nodes fork from the forkserver

__all__ = ["Transport", "StreamReader", "StreamWriter", "connect", "TRANSPORTS", "check_chunk"]

TRANSPORTS = ("shm", "redis")


class StreamWriter(ABC):
    """Appends chunks to one stream; never blocks on readers."""

    spec: StreamSpec
    chunks: int = 0

    @abstractmethod
    def write(self, chunk: Chunk) -> None: ...

    def end(self) -> None:
        """Mark the end of the stream (a source that finished); readers see ``at_end``."""
        return None

    def release(self) -> None:
        """Let go of the stream in this process."""
        return None


class StreamReader(ABC):
    """One reader's cursor into a stream."""

    spec: StreamSpec
    chunks: int = 0
    overruns: int = 0          # chunks lost because this reader fell more than a ring behind
    last_write_ns: int = 0     # when the writer published the chunk last returned (transit time)

    @abstractmethod
    def read(self, timeout: float) -> Chunk | None:
        """The next chunk, waiting at most ``timeout`` seconds without spinning; None on timeout."""

    @abstractmethod
    def latest(self) -> Chunk | None:
        """The newest chunk (skipping older ones, which is not an overrun), or the last one seen."""

    @property
    def at_end(self) -> bool:
        """The writer ended the stream and this reader has read everything."""
        return False

    def release(self) -> None:
        """Let go of the stream in this process."""
        return None


class Transport(ABC):
    """Streams plus lifecycle-state mirroring, behind one interface."""

    kind: str = ""

    @property
    @abstractmethod
    def address(self) -> dict[str, Any]:
        """A picklable description that ``connect`` turns back into a Transport in another process."""

    @abstractmethod
    def create(self, spec: StreamSpec, slots: int = 256) -> None:
        """Make (or reset) the stream ``spec.name`` holding up to ``slots`` chunks for slow readers."""

    @abstractmethod
    def writer(self, spec: StreamSpec) -> StreamWriter: ...

    @abstractmethod
    def reader(self, spec: StreamSpec, from_start: bool = False) -> StreamReader:
        """A new cursor: at the next chunk written (default) or at the oldest chunk still held."""

    def publish_state(self, nickname: str, state: str, message: str = "") -> None:
        """Mirror a node's lifecycle state where other tools can see it."""
        return None

    keep_streams: bool = False  # destroy() leaves the data streams (for an export after the run)

    def publish_graph(self, description: dict[str, Any], listen_from_now: bool = True) -> None:
        """Publish the running graph (Redis: ``supergraph_stream``)."""
        return None

    def poll_commands(self) -> list[dict[str, str]]:
        """Commands sent to the supervisor from outside (Redis: ``supervisor_ipstream`` entries, each
        a dict of its fields with the command in ``commands``)."""
        return []

    def post_status(self, stream: str, fields: dict[str, str]) -> None:
        """Answer outside tools (Redis: ``graph_status``, ``supervisor_status``)."""
        return None

    def close(self) -> None:
        """Close connections held by this process."""
        return None

    def destroy(self) -> None:
        """Remove the streams (the supervisor, at the end of a run)."""
        self.close()


def connect(address: dict[str, Any]) -> Transport:
    """Open the transport described by ``address`` (from ``Transport.address``)."""
    kind = address.get("kind")
    if kind == "shm":
        from cortexlink.graph.shm import ShmTransport

        return ShmTransport(address["dir"], create_dir=False)
    if kind == "redis":
        from cortexlink.graph.redis_transport import RedisTransport

        return RedisTransport(address["url"])
    raise TransportError(f"unknown transport {kind!r}; use one of {', '.join(TRANSPORTS)}")


def check_chunk(spec: StreamSpec, chunk: Chunk) -> None:
    """Raise NodeError unless ``chunk`` fits ``spec`` (channels, dtype, at most chunk_samples)."""
    data = chunk.data
    if data.ndim != 2 or data.shape[0] != spec.n_channels or data.dtype != spec.dtype \
            or data.shape[1] > spec.chunk_samples:
        raise NodeError(
            f"stream {spec.name!r} carries ({spec.n_channels}, <= {spec.chunk_samples}) {spec.dtype} chunks, "
            f"got {data.shape} {data.dtype}; cast the data or declare the right spec in describe_outputs"
        )
