"""The built-in node kinds, described from their classes: what ``cortexlink nodes`` lists and what
``docs/nodes.md`` is rendered from (``nodes_markdown()``; a test keeps the page equal to it)."""

from __future__ import annotations

from cortexlink.core.errors import InvalidParameterError
from cortexlink.graph.catalog import NodeDoc, describe_node, render_markdown
from cortexlink.graph.graphfile import NODE_FIELDS
from cortexlink.graph.loading import load_class
from cortexlink.nodes import BUILTIN_NODES

__all__ = ["node_catalog", "nodes_markdown", "REGENERATE"]

REGENERATE = "cortexlink nodes --markdown > docs/nodes.md"
INTRO = ("Every built-in node kind a graph file can name, with its streams and settings (the "
         "`parameters:` of a node). Generated from the node classes by `" + REGENERATE + "`; "
         "`cortexlink nodes` prints the same.")


def node_catalog(kinds: list[str] | None = None) -> list[NodeDoc]:
    """``NodeDoc`` of each built-in kind (all, or ``kinds`` in that order)."""
    chosen = list(BUILTIN_NODES) if not kinds else kinds
    unknown = [k for k in chosen if k not in BUILTIN_NODES]
    if unknown:
        raise InvalidParameterError(f"unknown node kind {unknown[0]!r}; built-in kinds: "
                                    f"{', '.join(BUILTIN_NODES)}")
    return [describe_node(kind, load_class(BUILTIN_NODES[kind])) for kind in chosen]


def nodes_markdown() -> str:
    """The ``docs/nodes.md`` page."""
    keys = {key: spec.help + (" (required)" if spec.required else "") for key, spec in NODE_FIELDS.items()}
    return render_markdown(node_catalog(), keys, INTRO)
