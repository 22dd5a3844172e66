"""The live status and final tables show what the supervisor gathered."""

from __future__ import annotations

from rich.console import Console

from cortexlink.core import StreamSpec
from cortexlink.graph.plan import NodePlan
from cortexlink.graph.report import fmt_ns, result_table, status_table, summary_lines
from cortexlink.graph.stats import LatencyHistogram
from cortexlink.graph.status import NodeStatus, RunResult


def _status() -> NodeStatus:
    spec = StreamSpec("x", 1, 1000.0)
    st = NodeStatus(NodePlan("dec", "decoder", "m:C", {}, {"in": spec}, {}, {"out": spec}, False))
    st.state, st.pid, st.chunks_out, st.chunks_in, st.overruns = "NODE_READY", 42, 10, {"in": 12}, {"in": 2}
    h = LatencyHistogram()
    for ns in (100_000, 200_000, 5_000_000):
        h.add(ns)
    st.hist = {"e2e": h, "proc": h, "transit": LatencyHistogram()}
    st.cpu_first, st.cpu_last = (1.0, 10.0), (1.1, 20.0)
    st.reports = {"r2": 0.8123456, "targets": 3}
    return st


def _render(table) -> str:
    console = Console(width=200, record=True)
    console.print(table)
    return console.export_text()


def test_tables_and_summary():
    st = _status()
    live = _render(status_table([st], 3.0))
    assert "dec" in live and "NODE_READY" in live and "42" in live
    result = RunResult([st], "duration reached", False, 3.0, ["dec"], [])
    final = _render(result_table(result))
    assert "5000" in final and "1.0" in final  # max e2e in us; CPU% = 0.1 s / 10 s
    lines = summary_lines(result)
    assert any(line.startswith("end-to-end latency at dec: p50") for line in lines)
    assert "chunks dropped (reader overruns): 2" in lines
    assert "dec: r2 = 0.8123" in lines and "dec: targets = 3" in lines
    assert fmt_ns(float("nan")) == "-" and fmt_ns(20e6) == "20.0 ms"


def test_a_node_gets_longer_to_answer_until_its_first_call_returns():
    """The first work call may compile numba code: the heartbeat bound is then at least the grace;
    once a call has returned (and again after a restart) it is the node's own timeout."""
    from cortexlink.graph.status import FIRST_CALL_GRACE_S

    spec = StreamSpec("x", 1, 1000.0)
    plan = NodePlan("dec", "decoder", "m:C", {}, {"in": spec}, {}, {"out": spec}, False,
                    heartbeat_timeout=3.0)
    st = NodeStatus(plan)
    assert st.heartbeat_limit == FIRST_CALL_GRACE_S > 3.0
    st.calls = 1
    assert st.heartbeat_limit == 3.0
    st.fold()  # restarted: its new process compiles again (from the cache, usually)
    assert st.heartbeat_limit == FIRST_CALL_GRACE_S
