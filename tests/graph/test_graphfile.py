"""Graph files' structure: each node key is checked by its entry in one table, every problem on its line."""

from __future__ import annotations

import pytest

from cortexlink.core import GraphError
from cortexlink.graph.graphfile import NODE_FIELDS, parse_graph

BAD = """\
nodes:
  - name: counter
    nickname: 9lives
    inputs:
      in: 5
    cpu_affinity: [-1]
    run_priority: 100
    heartbeat_timeout: 0.01
    colour: red
  - nickname: second
"""


def test_every_bad_key_is_named_on_its_own_line():
    with pytest.raises(GraphError) as info:
        parse_graph(BAD, "g.yaml")
    problems = str(info.value).split("; g.yaml")
    expected = [":3: node '9lives': 'nickname' must be letters",
                ":5: node '9lives': 'inputs' maps a port name",
                ":6: node '9lives': 'cpu_affinity' must be a list of CPU numbers",
                ":7: node '9lives': 'run_priority' must be an integer 1..99",
                ":8: node '9lives': 'heartbeat_timeout' must be seconds between 0.2 and 3600",
                ":9: unknown node key 'colour'", ":10: node needs 'name' as a non-empty string"]
    assert len(problems) == len(expected)
    for problem, want in zip(problems, expected, strict=True):
        assert want in problem, (problem, want)


def test_a_good_node_gets_each_value_converted_and_the_defaults_for_the_rest():
    text = ("nodes:\n  - {name: counter, nickname: src, cpu_affinity: 1, heartbeat_timeout: 2,\n"
            "     parameters: {rate: 5}}\n")
    (node,) = parse_graph(text, "g.yaml").nodes
    assert node.cpu_affinity == [1] and node.heartbeat_timeout == 2.0 and node.parameters == {"rate": 5}
    assert (node.restart, node.threads, node.machine) == ("stop", 1, None)
    assert node.line_of("parameters", "rate") == 3
    assert all(spec.help for spec in NODE_FIELDS.values())
