"""The built-in node kinds' reference: complete, read from the classes, and docs/nodes.md equal to it."""

from __future__ import annotations

from pathlib import Path

import pytest

from cortexlink.core.errors import InvalidParameterError
from cortexlink.nodes import BUILTIN_NODES
from cortexlink.nodes.catalog import REGENERATE, node_catalog, nodes_markdown

PAGE = Path(__file__).resolve().parents[2] / "docs" / "nodes.md"


def test_every_builtin_kind_is_listed_with_its_streams_and_settings():
    docs = {d.kind: d for d in node_catalog()}
    assert list(docs) == list(BUILTIN_NODES)
    dec = {s.name: s for s in docs["binned_decoder"].settings}
    assert (dec["calibration_s"].type, dec["calibration_s"].default) == ("float", "20.0")
    assert dec["calibration_s"].help == "open-loop block used to fit the decoder"  # the field's comment
    assert dec["bin_ms"].help.startswith("bin width")  # the subclass's own field, after the inherited ones
    assert "relative to the graph file" in dec["model_path"].help
    assert docs["binned_decoder"].inputs == ("crossings", "power") and docs["binned_decoder"].feedback == (
        "intended", "mask")
    src = {s.name: s for s in docs["file_source"].settings}
    assert src["path"].default == "required" and docs["file_source"].source
    assert {s.name: s.type for s in docs["sim_source"].settings}["task"] == "'center_out' | 'pursuit' | None"


def test_an_unknown_kind_is_refused_naming_the_known_ones():
    with pytest.raises(InvalidParameterError, match="unknown node kind 'filtre'.*filter"):
        node_catalog(["filtre"])


def test_the_committed_docs_page_is_the_generated_one():
    assert PAGE.read_text() == nodes_markdown(), f"docs/nodes.md is stale; regenerate it: {REGENERATE}"
