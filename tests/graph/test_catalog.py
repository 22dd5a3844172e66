"""A node class described from itself: settings with types, defaults and the comments as help."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from cortexlink.graph.catalog import describe_node, render_markdown, type_name
from cortexlink.graph.loading import load_class

NODES = Path(__file__).parent / "user_nodes" / "tiny_nodes.py"


def test_a_user_node_is_described_from_its_class():
    doc = describe_node("counter", load_class(f"{NODES}:Counter"))
    assert doc.source and doc.inputs == () and doc.outputs == ("out",)
    assert doc.summary.startswith("Chunks of ``n_channels`` x ``chunk`` int16")
    by = {s.name: s for s in doc.settings}
    assert (by["rate"].type, by["rate"].default, by["rate"].help) == ("float", "1000.0", "")
    assert by["n_chunks"].help == "0: until stopped"
    page = render_markdown([doc], {"name": "node kind"})
    assert "## `counter`" in page and "| `n_chunks` | `int` | `0` | 0: until stopped |" in page


def test_type_names_read_as_python():
    assert type_name(float | None) == "float | None"
    assert type_name(dict[str, Any]) == "dict[str, Any]"
    assert type_name(tuple[float, ...]) == "tuple[float, ...]"
    assert type_name(Literal["a", "b"]) == "'a' | 'b'"
