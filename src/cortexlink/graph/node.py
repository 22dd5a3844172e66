"""The node authoring API: subclass ``Node`` (or ``SourceNode``), declare ``Settings``, implement
``setup()`` and ``process()`` (or ``generate()``). The runtime runs each node in its own process.

A custom node in a user's own file::

    from dataclasses import dataclass
    from cortexlink.graph import Node

    class Gain(Node):
        kind = "gain"

        @dataclass
        class Settings:
            factor: float = 2.0

        def process(self, inputs):
            chunk = inputs["in"]
            return {"out": chunk.derive(chunk.data * self.settings.factor)}

and in the graph file: ``{name: Gain, module: my_nodes.py, nickname: gain, inputs: {in: raw}}``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import NodeError
from cortexlink.core.streamspec import StreamSpec
from cortexlink.graph.settings import build_settings
from cortexlink.graph.states import Msg

__all__ = ["Node", "SourceNode", "NodeContext", "NoSettings"]


@dataclass
class NoSettings:
    """Settings of a node that takes no parameters."""


class Node:
    """One node = one OS process. Subclass, declare ``Settings``, implement ``setup()`` and ``process()``.

    ``inputs`` are the ports that drive ``process()``: it is called once every driving input has a
    new chunk (aligned by order of arrival). ``feedback_inputs`` are read as "latest value" through
    ``context.latest(port)``; they never block and may close a loop. ``process`` returns a dict
    ``port -> Chunk`` (ports left out are not written this time) or ``None``.

    A node that must act when its driving inputs go quiet (a watchdog) sets ``input_timeout_s``
    (in ``setup()``); the runtime then calls ``on_input_timeout()`` whenever that long passes
    without a driving chunk, and writes what it returns.
    """

    input_timeout_s: float = 0.0

    kind: ClassVar[str] = ""
    Settings: ClassVar[type] = NoSettings
    inputs: ClassVar[tuple[str, ...]] = ("in",)
    feedback_inputs: ClassVar[tuple[str, ...]] = ()
    outputs: ClassVar[tuple[str, ...]] = ("out",)

    def __init__(self, settings: Any, context: NodeContext) -> None:
        self.settings = settings
        self.context = context

    @classmethod
    def describe_outputs(cls, settings: Any, input_specs: dict[str, StreamSpec]) -> dict[str, StreamSpec]:
        """What each output port writes, known before anything runs.

        ``input_specs`` holds the driving inputs only (feedback streams may be written downstream).
        The default fits a node with one driving input: every output has that input's shape and
        rate. Sources and nodes that change shape or rate must override this. The runtime renames
        the returned specs to the stream names of the graph file.
        """
        if len(input_specs) != 1:
            raise NodeError(
                f"node kind {cls.kind or cls.__name__!r} has {len(input_specs)} driving inputs; "
                "it must override describe_outputs() to say what it writes"
            )
        (spec,) = input_specs.values()
        return {port: spec for port in cls.outputs}

    @classmethod
    def external_streams(cls, settings: Any) -> tuple[str, ...]:
        """Redis streams outside the graph that this node reads or writes (e.g. a BRAND node's), so
        validation can tell them from the graph's own streams."""
        return ()

    @classmethod
    def make_settings(cls, parameters: dict[str, Any] | None = None) -> Any:
        """``Settings`` filled from a graph file's ``parameters`` (types checked; raises GraphError)."""
        return build_settings(cls.Settings, parameters or {}, owner=cls.kind or cls.__name__)

    def setup(self) -> None:
        """Called once, in the node's own process, before the loop (load models, allocate buffers)."""

    def process(self, inputs: dict[str, Chunk]) -> dict[str, Chunk] | None:
        """Turn one chunk per driving input into output chunks."""
        raise NotImplementedError(f"{type(self).__name__} must implement process()")

    def on_input_timeout(self) -> dict[str, Chunk] | None:
        """Called when no driving input arrived for ``input_timeout_s`` seconds (see the class)."""
        return None

    def shutdown(self) -> None:
        """Called once on a clean exit (SIGINT, stop, end of a source): flush and close files."""


class SourceNode(Node):
    """A node with no driving inputs: ``generate()`` yields ``{port: Chunk}`` and paces itself.

    Give each chunk ``origin_ns = time.monotonic_ns()`` at acquisition (the runtime fills it in
    when left at 0). Returning from ``generate()`` ends the node cleanly.
    """

    inputs: ClassVar[tuple[str, ...]] = ()

    def generate(self) -> Iterator[dict[str, Chunk]]:
        raise NotImplementedError(f"{type(self).__name__} must implement generate()")

    def process(self, inputs: dict[str, Chunk]) -> dict[str, Chunk] | None:  # pragma: no cover
        raise NodeError("a SourceNode produces chunks through generate(), not process()")


class NodeContext:
    """What a running node can ask of the runtime: its specs, messages, feedback, summary metrics.

    The runtime builds one per node process. ``NodeContext.standalone(...)`` builds one for tests
    and offline use: messages and reports are kept in ``messages`` / ``reports`` and feedback
    values are set with ``set_latest``.
    """

    def __init__(
        self,
        nickname: str,
        input_specs: dict[str, StreamSpec],
        output_specs: dict[str, StreamSpec],
        *,
        feedback_specs: dict[str, StreamSpec] | None = None,
        send: Callable[[str, Any], None] | None = None,
        latest: Callable[[str], Chunk | None] | None = None,
        drain: Callable[[str], list[Chunk]] | None = None,
        stop_requested: Callable[[], bool] | None = None,
        graph_metadata: dict[str, Any] | None = None,
        transport_address: dict[str, Any] | None = None,
    ) -> None:
        self.nickname = nickname
        self.transport_address = dict(transport_address or {})  # e.g. {"kind": "redis", "url": ...}
        self.input_specs = dict(input_specs)
        self.output_specs = dict(output_specs)
        self.feedback_specs = dict(feedback_specs or {})
        self.graph_metadata = dict(graph_metadata or {})
        self.messages: list[tuple[str, Any]] = []
        self.reports: dict[str, Any] = {}
        self._send = send
        self._latest = latest
        self._drain = drain
        self._queued: dict[str, list[Chunk]] = {}
        self._stop = stop_requested
        self._fed: dict[str, Chunk] = {}

    @classmethod
    def standalone(
        cls,
        nickname: str = "node",
        input_specs: dict[str, StreamSpec] | None = None,
        output_specs: dict[str, StreamSpec] | None = None,
        feedback_specs: dict[str, StreamSpec] | None = None,
    ) -> NodeContext:
        """A context outside any runtime, for tests and offline runs of a node."""
        return cls(nickname, input_specs or {}, output_specs or {}, feedback_specs=feedback_specs)

    # -- messages, published as NODE_INFO / NODE_WARNING ------------------------------------------
    def info(self, msg: str) -> None:
        self._emit(Msg.INFO, str(msg))

    def warning(self, msg: str) -> None:
        self._emit(Msg.WARNING, str(msg))

    def report(self, metrics: dict[str, Any]) -> None:
        """Summary metrics (e.g. targets per minute, R^2) the supervisor prints at the end.

        Values must be JSON-able scalars or short strings; later calls update earlier keys.
        """
        clean = {str(k): _plain(v) for k, v in metrics.items()}
        self.reports.update(clean)
        self._emit(Msg.REPORT, clean)

    # -- feedback and stopping ----------------------------------------------------------------------
    def latest(self, port: str) -> Chunk | None:
        """Newest chunk seen on a feedback input (None before the first); never blocks."""
        if self._latest is not None:
            return self._latest(port)
        return self._fed.get(port)

    def set_latest(self, port: str, chunk: Chunk) -> None:
        """Standalone use: the value ``latest(port)`` returns (and a chunk ``drain(port)`` returns)."""
        self._fed[port] = chunk
        self._queued.setdefault(port, []).append(chunk)

    def drain(self, port: str) -> list[Chunk]:
        """Every chunk written on a feedback input since the last call, oldest first; never blocks.

        For feedback streams that carry messages (each chunk counts) rather than a value (only the
        newest counts, ``latest``). Use one of the two per port: they share the port's cursor."""
        if self._drain is not None:
            return self._drain(port)
        return self._queued.pop(port, [])

    def stop_requested(self) -> bool:
        """True once the node was asked to stop (SIGINT/SIGTERM or the supervisor)."""
        return bool(self._stop()) if self._stop is not None else False

    def now_ns(self) -> int:
        """The clock ``origin_ns`` is measured on."""
        return time.monotonic_ns()

    def spec(self, port: str) -> StreamSpec:
        """The spec of an output port, as the runtime named it."""
        try:
            return self.output_specs[port]
        except KeyError:
            raise NodeError(f"node {self.nickname!r} has no output port {port!r}") from None

    def _emit(self, kind: str, payload: Any) -> None:
        if self._send is not None:
            self._send(kind, payload)
        else:
            self.messages.append((kind, payload))


def renamed(spec: StreamSpec, name: str) -> StreamSpec:
    """``spec`` under another stream name."""
    return spec if spec.name == name else replace(spec, name=name)


def _plain(value: Any) -> Any:
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    try:
        return float(value)  # numpy scalars
    except (TypeError, ValueError):
        return str(value)
