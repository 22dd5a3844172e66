"""Graph parameters fill a node's Settings with their types checked."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pytest

from cortexlink.core import Chunk, GraphError, NodeError, StreamSpec
from cortexlink.graph import Node, NodeContext
from cortexlink.graph.settings import check_settings


@dataclass
class S:
    n: int
    gain: float = 1.0
    mode: Literal["a", "b"] = "a"
    bands: tuple[float, float] = (1.0, 2.0)
    names: list[str] = field(default_factory=list)
    limit: int | None = None
    extra: dict[str, float] = field(default_factory=dict)


def test_good_parameters_are_converted_where_declared():
    s, problems = check_settings(S, {"n": 3, "gain": 2, "bands": [5, 6], "limit": None, "extra": {"x": 1}})
    assert not problems
    assert s.gain == 2.0 and isinstance(s.gain, float) and s.bands == (5.0, 6.0)


@pytest.mark.parametrize("params, key, words", [
    ({"n": 1.5}, "n", "must be an int"),
    ({"n": True}, "n", "must be an int"),
    ({"n": 1, "mode": "c"}, "mode", "one of 'a', 'b'"),
    ({"n": 1, "bands": [1.0]}, "bands", "bands"),
    ({"n": 1, "names": ["x", 2]}, "names", "a list of str"),
    ({"n": 1, "limit": "many"}, "limit", "an int or null"),
    ({"n": 1, "extra": {"x": "y"}}, "extra", "a mapping"),
    ({"n": 1, "gian": 2.0}, "gian", "unknown parameter 'gian'"),
    ({}, None, "missing parameter 'n'"),
])
def test_bad_parameters_are_named(params, key, words):
    settings, problems = check_settings(S, params)
    assert settings is None
    assert any(k == key and words in msg for k, msg in problems), problems


def test_node_make_settings_and_standalone_context():
    class Gain(Node):
        kind = "gain"

        @dataclass
        class Settings:
            factor: float = 2.0

        def process(self, inputs):
            self.context.report({"seen": inputs["in"].n_samples})
            self.context.warning("careful")
            return {"out": inputs["in"].derive(inputs["in"].data * self.settings.factor)}

    with pytest.raises(GraphError, match="gain: parameter 'factor' must be a float"):
        Gain.make_settings({"factor": "x"})
    spec = StreamSpec("x", 2, 100.0, "float32", 4)
    assert Gain.describe_outputs(Gain.make_settings(), {"in": spec}) == {"out": spec}
    ctx = NodeContext.standalone("g", {"in": spec}, {"out": spec})
    node = Gain(Gain.make_settings({"factor": 3}), ctx)
    node.setup()
    import numpy as np

    out = node.process({"in": Chunk(np.ones((2, 4), np.float32), 0, 100.0, 7)})
    assert out["out"].data[0, 0] == 3.0 and out["out"].origin_ns == 7
    assert ctx.reports == {"seen": 4} and ("warning", "careful") in ctx.messages
    with pytest.raises(NodeError, match="override describe_outputs"):
        Gain.describe_outputs(Gain.make_settings(), {})
