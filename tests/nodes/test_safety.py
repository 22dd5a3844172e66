"""The safety node as an adapter: limits what the decoder says, keeps the other rows, zeroes on its
watchdog only once the decoder has spoken, and holds zero after SIGUSR1 (the emergency stop)."""

from __future__ import annotations

import os

import numpy as np

from cortexlink.core.chunk import Chunk
from cortexlink.core.streamspec import StreamSpec
from cortexlink.graph.node import NodeContext
from cortexlink.nodes.safety import STOP_SIGNAL, SafetyNode

SPEC = StreamSpec("decoded", 3, 100.0, "float32", 1)


def _node(**params) -> SafetyNode:
    settings = SafetyNode.make_settings(params)
    outputs = SafetyNode.describe_outputs(settings, {"in": SPEC})
    node = SafetyNode(settings, NodeContext.standalone("safety", {"in": SPEC}, outputs))
    node.setup()
    return node


def _chunk(vx: float, vy: float, i: int) -> Chunk:
    return Chunk(np.array([[vx], [vy], [1.0]], np.float32), i, 100.0, 1)


def test_limits_pass_other_rows_and_say_so():
    node = _node(max_speed=5.0, max_accel=1000.0)
    out = node.process({"in": _chunk(30.0, 40.0, 0)})
    assert np.allclose(out["out"].data[:, 0], [3.0, 4.0, 1.0])
    assert out["interventions"].data[0, 0] == 1  # speed_limited, cumulative
    assert "interventions" not in node.process({"in": _chunk(0.3, 0.4, 1)})


def test_watchdog_waits_for_the_first_decoder_output():
    node = _node(watchdog_s=0.05)
    assert node.input_timeout_s == 0.05 and node.on_input_timeout() is None
    node.process({"in": _chunk(1.0, 1.0, 0)})
    quiet = node.on_input_timeout()
    assert not np.any(quiet["out"].data[:2]) and quiet["out"].data[2, 0] == 1.0
    assert quiet["out"].start_sample == 1
    assert any("watchdog" in m for _, m in node.context.messages)
    node.process({"in": _chunk(1.0, 1.0, 2)})
    assert any("decoder output is back" in m for _, m in node.context.messages)


def test_stop_signal_holds_zero():
    node = _node()
    node.process({"in": _chunk(1.0, 1.0, 0)})
    os.kill(os.getpid(), STOP_SIGNAL)
    out = node.process({"in": _chunk(10.0, 10.0, 1)})
    assert not np.any(out["out"].data[:2])
    assert any("emergency stop" in m for _, m in node.context.messages)
