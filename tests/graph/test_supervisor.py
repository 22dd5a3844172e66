"""Nodes run as processes: a killed node is noticed and restarted or stops the graph, per policy."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from cortexlink.graph.graphfile import parse_graph
from cortexlink.graph.plan import plan_graph
from cortexlink.graph.shm import ShmTransport
from cortexlink.graph.supervisor import Supervisor

NODES = Path(__file__).parent / "user_nodes" / "tiny_nodes.py"


def graph(tmp_path: Path, neg_policy: str = "restart", middle: str = "Negate", source_chunks: int = 0):
    text = f"""\
nodes:
  - {{name: Counter, module: {NODES}, nickname: src, parameters: {{rate: 2000.0, n_chunks: {source_chunks}}}}}
  - {{name: {middle}, module: {NODES}, nickname: mid, inputs: {{in: src}}, restart: {neg_policy}}}
  - {{name: Tally, module: {NODES}, nickname: sink, inputs: {{in: mid}},
     parameters: {{path: {tmp_path}/tally}}}}
"""
    return plan_graph(parse_graph(text, "g.yaml"), {})


class Killer:
    """Kills node ``nick`` with SIGKILL once the graph has run ``after`` seconds; records events."""

    def __init__(self, nick: str, after: float = 1.0) -> None:
        self.nick, self.after = nick, after
        self.killed_at: float | None = None
        self.events: list[tuple[float, str, str, str]] = []

    def tick(self, nodes, elapsed):
        if self.killed_at is None and elapsed > self.after:
            st = next(s for s in nodes if s.nickname == self.nick)
            if st.state == "NODE_READY":
                os.kill(st.pid, signal.SIGKILL)
                self.killed_at = time.monotonic()

    def event(self, nick, state, message):
        self.events.append((time.monotonic(), nick, state, message))


def run(plan, duration, killer=None):
    transport = ShmTransport()
    try:
        sup = Supervisor(plan, transport, on_tick=killer.tick if killer else None,
                         on_event=killer.event if killer else None)
        return sup.run(duration)
    finally:
        transport.destroy()
        assert not transport.dir.exists()


def test_clean_run_passes_every_chunk_and_reports(tmp_path):
    result = run(graph(tmp_path, source_chunks=100), duration=30)
    assert result.reason == "all nodes finished" and not result.failed
    by = {st.nickname: st for st in result.nodes}
    assert [by[n].state for n in ("src", "mid", "sink")] == ["DONE"] * 3
    assert by["sink"].reports["samples"] == 1000  # readers attach before the source starts: nothing lost
    assert by["mid"].total_in() == by["mid"].total_out() == 100 and by["mid"].total_overruns() == 0
    assert by["sink"].histogram("e2e").count == 100
    assert (tmp_path / "tally.done").read_text() == "1000"  # shutdown() ran
    lines = (tmp_path / "tally").read_text().split()
    assert [int(x) for x in lines[::2]] == list(range(0, 1000, 10))


def test_sigkilled_node_is_detected_and_restarted(tmp_path):
    killer = Killer("mid")
    result = run(graph(tmp_path, "restart"), duration=3.0, killer=killer)
    assert killer.killed_at is not None
    died = [e for e in killer.events if e[1] == "mid" and e[2] == "NODE_DIED"]
    assert died and "killed by signal 9" in died[0][3]
    detect_s = died[0][0] - killer.killed_at
    print(f"SIGKILL noticed after {detect_s * 1e3:.1f} ms")
    assert detect_s < 1.0
    states = [e[2] for e in killer.events if e[1] == "mid"]
    assert states[states.index("NODE_DIED"):][:2] == ["NODE_DIED", "NODE_RESTART"]
    by = {st.nickname: st for st in result.nodes}
    assert by["mid"].restarts == 1 and not result.failed and result.reason == "duration reached"
    assert by["sink"].reports["samples"] > 0
    # the others kept running: the source never restarted and the sink got data after the restart
    assert by["src"].restarts == 0 and by["sink"].restarts == 0
    ready_again = [e[0] for e in killer.events if e[1] == "mid" and e[2] == "NODE_READY"][-1]
    assert ready_again > killer.killed_at


def test_sigkilled_node_with_stop_policy_stops_the_graph_cleanly(tmp_path):
    killer = Killer("mid")
    result = run(graph(tmp_path, "stop"), duration=20.0, killer=killer)
    assert result.failed and "'mid' died (killed by signal 9)" in result.reason
    by = {st.nickname: st for st in result.nodes}
    assert by["mid"].state == "DEAD"
    assert by["src"].state == "DONE" and by["sink"].state == "DONE"  # the others shut down cleanly
    assert (tmp_path / "tally.done").exists()
    assert result.duration_s < 20.0


def test_exception_in_a_node_is_published_as_fatal_error(tmp_path):
    killer = Killer("none", after=1e9)
    result = run(graph(tmp_path, "stop", middle="Explode"), duration=20.0, killer=killer)
    fatal = [e for e in killer.events if e[2] == "NODE_FATAL_ERROR"]
    assert fatal and fatal[0][1] == "mid" and "RuntimeError: boom on purpose" in fatal[0][3]
    assert "tiny_nodes.py" in fatal[0][3]
    assert result.failed and "exit code 1" in result.reason


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_node_stops_cleanly_on_sigint_and_sigterm(tmp_path, sig):
    """SIGINT (Ctrl-C reaches every process of the terminal) ends a node through shutdown()."""
    killer = Killer("none", after=1e9)
    sent = {}

    def tick(nodes, elapsed):
        st = next(s for s in nodes if s.nickname == "sink")
        if not sent and elapsed > 1.0 and st.state == "NODE_READY":
            os.kill(st.pid, sig)
            sent["t"] = 1

    transport = ShmTransport()
    try:
        result = Supervisor(graph(tmp_path, "stop"), transport, on_tick=tick, on_event=killer.event).run(3.0)
    finally:
        transport.destroy()
    by = {st.nickname: st for st in result.nodes}
    assert by["sink"].state == "DONE" and by["sink"].exit_code == 0
    assert (tmp_path / "tally.done").exists()
    assert ("sink", "NODE_SHUTDOWN") in [(e[1], e[2]) for e in killer.events]


def test_redis_run_follows_brand_conventions(tmp_path, redis_url):
    """States in <nickname>_state, the graph in supergraph_stream, stopGraph on supervisor_ipstream."""
    from cortexlink.graph.redis_transport import RedisTransport

    transport = RedisTransport(redis_url)
    transport.client.flushall()
    sent = {}

    def tick(nodes, elapsed):
        sink = next(s for s in nodes if s.nickname == "sink")
        if not sent and all(s.state == "NODE_READY" for s in nodes) and sink.reports.get("samples"):
            transport.client.xadd("supervisor_ipstream", {"commands": "stopGraph"})
            sent["t"] = 1

    try:
        result = Supervisor(graph(tmp_path, "stop"), transport, on_tick=tick).run(20.0)
        assert sent and "stopGraph" in result.reason and not result.failed
        states = [f[b"status"].decode() for _, f in transport.client.xrange("mid_state")]
        assert states[:2] == ["NODE_STARTED", "NODE_STARTED"] or states[0] == "NODE_STARTED"
        assert "NODE_READY" in states and states[-1] == "NODE_SHUTDOWN"
        graph_entry = transport.client.xrevrange("supergraph_stream", count=1)[0][1][b"data"]
        assert b'"nickname": "mid"' in graph_entry
        by = {st.nickname: st for st in result.nodes}
        assert by["sink"].reports["samples"] > 0
    finally:
        transport.destroy()


def test_cpu_affinity_from_the_graph_file_is_applied(tmp_path):
    text = f"""\
nodes:
  - {{name: Counter, module: {NODES}, nickname: src, parameters: {{n_chunks: 20}}}}
  - {{name: Tally, module: {NODES}, nickname: sink, inputs: {{in: src}}, cpu_affinity: [0]}}
"""
    result = run(plan_graph(parse_graph(text, "g.yaml"), {}), duration=30)
    sink = next(st for st in result.nodes if st.nickname == "sink")
    assert sink.reports["cpus"] == "0" and sink.reports["samples"] == 200


def test_the_clock_starts_when_the_sources_start(tmp_path):
    """A source that takes 2 s to set up still produces the whole of a 2 s run: the duration counts
    from when every source is ready, and the summary says what the sources produced."""
    from cortexlink.graph.report import summary_lines

    text = f"""\
nodes:
  - {{name: Counter, module: {NODES}, nickname: src, parameters: {{rate: 1000.0, chunk: 10, setup_s: 2.0}}}}
  - {{name: Tally, module: {NODES}, nickname: sink, inputs: {{in: src}}}}
"""
    result = run(plan_graph(parse_graph(text, "g.yaml"), {}), duration=2.0)
    assert result.reason == "duration reached" and not result.failed
    src = next(st for st in result.nodes if st.nickname == "src")
    assert src.total_samples_out() == 10 * src.total_out() > 0
    assert 1.5 <= src.produced_s() <= result.duration_s + 0.5, (src.produced_s(), result.duration_s)
    line = next(x for x in summary_lines(result) if x.startswith("signal produced by the sources"))
    assert f"src {src.produced_s():.2f} s" in line and f"in {result.duration_s:.2f} s of wall clock" in line


def test_start_process_server_returns_once_the_preloaded_imports_are_done(tmp_path):
    """The run's remote nodes are started while local ones wait on the forkserver: if its imports
    were still running, the first local start would block the loop that keeps the run alive for the
    agents (seconds on a busy machine) and they would stop its nodes. So the imports are paid inside
    start_process_server. Checked in a fresh interpreter: the forkserver is one per process."""
    import subprocess
    import sys

    marker = tmp_path / "imported"
    (tmp_path / "slow_preload.py").write_text(
        f"import pathlib, time\ntime.sleep(1.0)\npathlib.Path({str(marker)!r}).write_text('done')\n")
    code = ("from cortexlink.graph.supervisor import process_context, start_process_server\n"
            "start_process_server(process_context(['slow_preload']))\n"
            f"print(__import__('os').path.exists({str(marker)!r}))\n")
    src = Path(__file__).resolve().parents[2] / "src"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(src)])}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "True"


def test_script_without_main_guard_is_told_why_its_nodes_died(tmp_path):
    """Every node process imports the script again; without the guard each one dies while Python
    starts it, and the reason says what to change instead of only "died"."""
    import subprocess
    import sys

    (tmp_path / "g.yaml").write_text(
        f"nodes:\n  - {{name: Counter, module: {NODES}, nickname: src, parameters: {{rate: 2000.0}}}}\n"
        f"  - {{name: Tally, module: {NODES}, nickname: sink, inputs: {{in: src}},\n"
        f"     parameters: {{path: {tmp_path}/t}}}}\n")
    script = tmp_path / "no_guard.py"
    script.write_text(
        "from cortexlink.graph.plan import load_plan\n"
        "from cortexlink.graph.session import run_plan\n"
        f"report = run_plan(load_plan({str(tmp_path / 'g.yaml')!r}, {{}}), duration=5.0, pm_qos=False)\n"
        "print('REASON', report.result.reason)\n"
    )
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    reason = [line for line in out.stdout.splitlines() if line.startswith("REASON")]
    assert reason and 'if __name__ == "__main__":' in reason[-1], out.stdout + out.stderr[-2000:]
