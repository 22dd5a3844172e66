"""run_plan: a planned graph run start to finish in one call, its report as data."""

from __future__ import annotations

from pathlib import Path

import pytest

from cortexlink.core.errors import InvalidParameterError
from cortexlink.graph.graphfile import parse_graph
from cortexlink.graph.plan import plan_graph
from cortexlink.graph.session import EXIT_INTERRUPTED, run_plan

NODES = Path(__file__).parent / "user_nodes" / "tiny_nodes.py"


def _plan(n_chunks: int = 0):
    text = f"""\
nodes:
  - {{name: Counter, module: {NODES}, nickname: src, parameters: {{rate: 1000.0, n_chunks: {n_chunks}}}}}
  - {{name: Tally, module: {NODES}, nickname: sink, inputs: {{in: src}}}}
"""
    return plan_graph(parse_graph(text, "g.yaml"), {})


def test_a_run_reports_its_nodes_metrics_and_lines():
    said: list[str] = []
    report = run_plan(_plan(n_chunks=30), duration=30, pm_qos=False, log=said.append)
    assert report.exit_code == 0 and not report.failed and not report.interrupted
    assert report.metrics["sink"]["samples"] == 300 and report.transport == "shm"
    assert said == report.notes and said[0].startswith("running g.yaml over shm for 30 s")
    assert "chunks dropped (reader overruns): 0" in report.summary
    assert report.lines()[-1] == "stopped: all nodes finished"
    assert [row.nickname for row in report.nodes] == ["src", "sink"]


def test_on_tick_stops_the_run_with_its_reason():
    report = run_plan(_plan(), pm_qos=False, on_tick=lambda nodes, t: "enough" if t > 1.0 else None)
    assert report.reason == "enough" and report.exit_code == 0


def test_bad_options_are_refused_before_anything_starts():
    plan = _plan()
    with pytest.raises(InvalidParameterError, match="transport must be one of shm, redis"):
        run_plan(plan, transport="zmq")
    with pytest.raises(InvalidParameterError, match="goes with the redis transport"):
        run_plan(plan, redis_url="redis://localhost:1")
    with pytest.raises(InvalidParameterError, match="redis://host:port"):
        run_plan(plan, transport="redis", redis_url="http://localhost:1")
    with pytest.raises(InvalidParameterError, match="buffer"):
        run_plan(plan, buffer_s=0)


def test_an_interrupted_run_exits_130():
    from cortexlink.graph.session import RunReport
    from cortexlink.graph.status import RunResult

    report = RunReport("g.yaml", "shm", RunResult([], "interrupted (Ctrl-C)", False, 1.0, [], [], True), [])
    assert report.exit_code == EXIT_INTERRUPTED == 130
