"""The supervisor's side of remote nodes: placement checks and node plans that travel as JSON."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from cortexlink.core.errors import NodeError
from cortexlink.graph.graphfile import parse_graph
from cortexlink.graph.plan import plan_graph
from cortexlink.graph.remote import (
    check_placement,
    decode,
    encode,
    plan_from_json,
    plan_to_json,
    remote_machines,
)

NODES = Path(__file__).parent / "user_nodes" / "tiny_nodes.py"


def _plan(mid_machine: str, sink_machine: str = ""):
    sink = f", machine: {sink_machine}" if sink_machine else ""
    return plan_graph(parse_graph(f"""\
nodes:
  - {{name: Counter, module: {NODES}, nickname: src, parameters: {{n_channels: 4}}}}
  - {{name: Negate, module: {NODES}, nickname: mid, inputs: {{in: src}}, machine: {mid_machine},
     cpu_affinity: [0], restart: restart}}
  - {{name: Tally, module: {NODES}, nickname: sink, inputs: {{in: mid}}, feedback: {{hint: src}}{sink}}}
""", "g.yaml"), {})


def test_a_node_plan_survives_json_unchanged():
    for node in _plan("b").nodes:
        text = json.dumps(plan_to_json(node))
        assert plan_from_json(json.loads(text)) == node


def test_messages_round_trip_and_garbage_is_ignored():
    import numpy as np

    sent = encode({"kind": "report", "payload": {"n": np.int64(3)}})
    got = decode({k.encode(): v.encode() for k, v in sent.items()})
    assert got == {"kind": "report", "payload": {"n": 3}}
    for garbage in ({b"m": b"not json"}, {b"x": b"1"}, {b"m": b"[1]"}):
        assert decode(garbage) is None


def test_which_nodes_are_remote():
    host = socket.gethostname()
    assert remote_machines(_plan("b", "c")) == {"b": ["mid"], "c": ["sink"]}
    assert remote_machines(_plan(host)) == {} and remote_machines(_plan("localhost")) == {}
    assert remote_machines(_plan("rig"), machine="rig") == {}
    assert remote_machines(_plan("b", "b")) == {"b": ["mid", "sink"]}


def test_placement_needs_a_shared_redis():
    plan = _plan("b")
    check_placement(plan, "redis")
    check_placement(_plan("localhost"), "shm")
    with pytest.raises(NodeError, match=r"mid on 'b'.*shm transport works on one machine.*--redis-url"):
        check_placement(plan, "shm")
    with pytest.raises(NodeError, match="private redis-server"):
        check_placement(plan, "redis", private_server=True)
