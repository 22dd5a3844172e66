"""Graph files are checked before anything starts, and every problem names its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from cortexlink.core import GraphError
from cortexlink.graph.graphfile import parse_graph
from cortexlink.graph.plan import load_plan, plan_graph

NODES = Path(__file__).parent / "user_nodes" / "tiny_nodes.py"
REGISTRY = {k: f"{NODES}:{c}" for k, c in
            [("counter", "Counter"), ("negate", "Negate"), ("tally", "Tally"), ("join", "Join")]}

GOOD = """\
metadata: {graph_name: test}
nodes:
  - name: counter
    nickname: src
    parameters: {n_channels: 3, chunk: 5}
  - name: negate
    nickname: neg
    inputs: {in: src}
  - name: tally
    nickname: sink
    inputs: {in: neg}
    feedback: {hint: neg}
"""


def plan_of(text: str):
    return plan_graph(parse_graph(text, source="g.yaml"), REGISTRY)


def test_a_good_graph_plans_streams_in_dependency_order():
    plan = plan_of(GOOD)
    assert [n.nickname for n in plan.nodes] == ["src", "neg", "sink"]
    assert plan.streams["src"].n_channels == 3 and plan.streams["neg"].chunk_samples == 5
    assert plan.readers == {"src": ["neg"], "neg": ["sink", "sink"]}
    assert plan.sinks() == ["sink"]
    assert plan.node("src").is_source and not plan.node("neg").is_source


def test_user_node_module_is_loaded_from_its_own_path(tmp_path):
    (tmp_path / "my_nodes.py").write_text(
        "from cortexlink.graph import Node\n"
        "class Twice(Node):\n"
        "    def process(self, inputs):\n"
        "        return {'out': inputs['in'].derive(inputs['in'].data * 2)}\n")
    graph = tmp_path / "g.yaml"
    graph.write_text(GOOD + "  - {name: Twice, module: my_nodes.py, nickname: twice, inputs: {in: src}}\n")
    plan = load_plan(graph, REGISTRY)
    assert plan.node("twice").class_ref == f"{(tmp_path / 'my_nodes.py').resolve()}:Twice"
    assert plan.streams["twice"] == plan.streams["src"].__class__(**{**plan.streams["src"].__dict__,
                                                                       "name": "twice"})


@pytest.mark.parametrize("change, line, words", [
    (("name: negate", "name: negatee"), 6, ["unknown node kind 'negatee'", "did you mean 'negate'"]),
    (("nickname: sink", "nickname: neg"), 10, ["duplicate nickname 'neg'", "line 7"]),
    (("{n_channels: 3, chunk: 5}", "{n_channels: 3, chunk: 5.5}"), 5, ["parameter 'chunk' must be an int"]),
    (("{n_channels: 3, chunk: 5}", "{n_channels: 3, chunks: 5}"), 5, ["unknown parameter 'chunks'"]),
    (("inputs: {in: neg}", "inputs: {in: negg}"), 11, ["no node writes it", "did you mean 'neg'"]),
    (("feedback: {hint: neg}", "feedback: {hunt: neg}"), 12, ["no feedback port 'hunt'"]),
    (("    nickname: neg\n", "    nickname: neg\n    colour: red\n"), 8, ["unknown node key 'colour'"]),
])
def test_invalid_graphs_are_rejected_naming_the_line(change, line, words):
    text = GOOD.replace(*change)
    with pytest.raises(GraphError) as info:
        plan_of(text)
    msg = str(info.value)
    assert f"g.yaml:{line}:" in msg, msg
    for w in words:
        assert w in msg, msg


def test_missing_parameter_is_named():
    registry = {**REGISTRY, "explode": f"{NODES}:Explode"}
    text = GOOD.replace("parameters: {n_channels: 3, chunk: 5}", "parameters: {n_channels: 3, chunk: 5}")
    plan_graph(parse_graph(text, "g.yaml"), registry)  # Explode's parameter has a default: fine
    from dataclasses import dataclass

    from cortexlink.graph.settings import check_settings

    @dataclass
    class S:
        gain: float

    assert "missing parameter 'gain' (a float)" in check_settings(S, {})[1][0][1]


def test_a_cycle_of_driving_inputs_is_rejected_but_feedback_may_close_a_loop():
    cyclic = """\
nodes:
  - {name: join, nickname: j, inputs: {a: src, b: n2}}
  - {name: counter, nickname: src}
  - {name: negate, nickname: n2, inputs: {in: j}}
"""
    with pytest.raises(GraphError, match=r"g.yaml:\d+: cycle among driving inputs: .*j.*n2") as info:
        plan_of(cyclic)
    assert "feedback" in str(info.value)
    loop = """\
nodes:
  - {name: counter, nickname: src}
  - {name: tally, nickname: t, inputs: {in: src}, feedback: {hint: n2}}
  - {name: negate, nickname: n2, inputs: {in: src}}
"""
    assert [n.nickname for n in plan_of(loop).nodes][0] == "src"


def test_unconnected_driving_input_and_two_writers_are_rejected():
    with pytest.raises(GraphError, match=r"g.yaml:3: .*'in' is not connected"):
        plan_of("nodes:\n  - {name: counter, nickname: src}\n  - {name: negate, nickname: neg}\n")
    with pytest.raises(GraphError, match="written by both 'a'"):
        plan_of("nodes:\n  - {name: counter, nickname: a, outputs: {out: x}}\n"
                "  - {name: counter, nickname: b, outputs: {out: x}}\n")


def test_yaml_syntax_errors_and_duplicate_keys_name_the_line():
    with pytest.raises(GraphError, match=r"g.yaml:4: not valid YAML: .*line 3"):
        plan_of("nodes:\n  - name: counter\n    nickname: [a\n")
    with pytest.raises(GraphError, match=r"g.yaml:4: key 'nickname' appears twice"):
        plan_of("nodes:\n  - name: counter\n    nickname: a\n    nickname: b\n")
    with pytest.raises(GraphError, match="'nodes' must be a non-empty list"):
        plan_of("metadata: {}\n")
    with pytest.raises(GraphError, match="unknown top-level key 'node'"):
        plan_of("node: []\nnodes: [{name: counter, nickname: a}]\n")


def test_bad_scheduling_fields_are_rejected():
    with pytest.raises(GraphError, match=r"g.yaml:2: .*'restart' must be one of stop, restart"):
        plan_of("nodes:\n  - {name: counter, nickname: a, restart: sometimes}\n")
    with pytest.raises(GraphError, match=r"g.yaml:2: .*'threads' must be an integer"):
        plan_of("nodes:\n  - {name: counter, nickname: a, threads: 0}\n")
    assert plan_of("nodes:\n  - {name: counter, nickname: a, threads: 2}\n").node("a").threads == 2
    with pytest.raises(GraphError, match="cpu_affinity"):
        plan_of("nodes:\n  - {name: counter, nickname: a, cpu_affinity: [-1]}\n")
