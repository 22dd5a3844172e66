"""The custom-node example: its graph validates, and the user's class loads from its file."""

from pathlib import Path

import numpy as np

from cortexlink.core.chunk import Chunk
from cortexlink.graph.loading import load_class
from cortexlink.graph.plan import load_plan
from cortexlink.nodes import BUILTIN_NODES

from .helpers import make_node

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_custom_graph_validates_with_the_users_node():
    plan = load_plan(EXAMPLES / "custom_graph.yaml", BUILTIN_NODES)
    clip = plan.node("clip")
    assert clip.class_ref.endswith("custom_node.py:ClipArtifacts")
    assert plan.streams["clipped"].dtype == "float32"


def test_custom_node_clips_chunk_by_chunk():
    cls = load_class(f"{EXAMPLES / 'custom_node.py'}:ClipArtifacts")
    node = make_node(cls, {"limit": 10.0})
    chunk = Chunk(np.array([[-50.0, 3.0, 40.0]], np.float32), 7, 1000.0, 99)
    out = node.process({"in": chunk})["out"]
    assert out.data.tolist() == [[-10.0, 3.0, 10.0]] and out.data.dtype == np.float32
    assert (out.start_sample, out.origin_ns) == (7, 99)
