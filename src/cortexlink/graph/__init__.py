"""The real-time runtime: nodes as OS processes, graph files, transports and the supervisor.

No neuroscience here: algorithms are adapted to the runtime in ``cortexlink.nodes``.
"""

from cortexlink.graph.node import Node, NodeContext, NoSettings, SourceNode

__all__ = ["Node", "NodeContext", "NoSettings", "SourceNode"]
