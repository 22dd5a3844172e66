"""``external``: a BRAND node (a ``.bin`` or a Python script) hosted in a cortexlink graph.

The node starts the program as BRAND does (``-n NICKNAME -i HOST -p PORT [-s SOCKET]``); the
program finds its parameters under ``nodes.<nickname>.parameters`` of the newest
``supergraph_stream`` entry (this node's ``parameters`` setting), posts its state to
``<nickname>_state`` and reads and writes its own streams (read them in the graph through
``redis_stream_in``). When the program dies or posts a fatal error this node fails, so the
graph's ``restart`` policy applies to it like to any node. Needs the redis transport.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import InvalidParameterError, NodeError
from cortexlink.core.streamspec import StreamSpec
from cortexlink.graph.external import HostedNode, brand_command
from cortexlink.graph.node import SourceNode
from cortexlink.graph.settings import graph_path
from cortexlink.nodes.redis_streams import redis_url_of

__all__ = ["ExternalNode"]

_POLL_S = 0.05


class ExternalNode(SourceNode):
    """Run a BRAND node program under the supervisor; its death or fatal state fails this node."""

    kind = "external"
    outputs = ()

    @dataclass
    class Settings:
        binary: str = graph_path("")                                # BRAND node program (.bin or .py)
        parameters: dict[str, Any] = field(default_factory=dict)    # the BRAND node's own parameters
        module: str = ""                                            # BRAND module it comes from (informative)
        args: list[str] = field(default_factory=list)               # extra command-line arguments
        redis_url: str = ""                                         # default: the graph's Redis server

        def __post_init__(self) -> None:
            if not self.binary:
                raise InvalidParameterError("external needs 'binary': the BRAND node program to run")

    @classmethod
    def describe_outputs(cls, settings: Any, input_specs: dict[str, StreamSpec]) -> dict[str, StreamSpec]:
        return {}

    def setup(self) -> None:
        s = self.settings
        url = redis_url_of(s.redis_url, self.context, self.kind)
        self.hosted = HostedNode(brand_command(s.binary, self.context.nickname, url, s.args),
                                 self.context.nickname, url)
        pid = self.hosted.start()
        self.context.report({"brand_pid": pid})

    def generate(self) -> Iterator[dict[str, Chunk]]:
        while not self.context.stop_requested():
            for text, fatal in self.hosted.new_states():
                if fatal:
                    raise NodeError(f"BRAND node {self.context.nickname!r} posted a fatal state: {text}")
                self.context.info(f"BRAND state: {text}")
            code = self.hosted.exit_code()
            if code is not None:
                raise NodeError(f"BRAND node {self.context.nickname!r} exited with code {code}")
            yield {}
            time.sleep(_POLL_S)

    def shutdown(self) -> None:
        if getattr(self, "hosted", None) is not None:
            self.hosted.stop()
