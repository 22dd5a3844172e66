"""A graph across machines on one host: a redis-server on a TCP port, an agent process for machine
``b`` and the supervisor here. Data crosses, remote deaths get their node's policy, a missing or
dead agent is reported, and Ctrl-C stops an agent cleanly."""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from cortexlink.core.errors import NodeError
from cortexlink.graph.graphfile import parse_graph
from cortexlink.graph.plan import plan_graph
from cortexlink.graph.redis_transport import RedisTransport
from cortexlink.graph.remote import agent_key
from cortexlink.graph.supervisor import Supervisor
from cortexlink.nodes import BUILTIN_NODES

NODES = Path(__file__).parent / "user_nodes" / "tiny_nodes.py"
SRC = Path(__file__).resolve().parents[2] / "src"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def tcp_redis(tmp_path_factory, redis_server_exe):
    """A redis-server on a TCP port, as machines would share it."""
    exe = redis_server_exe
    port = _free_port()
    folder = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                             "no", "--dir", str(folder), "--loglevel", "warning"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}"
    deadline = time.monotonic() + 10
    while True:
        try:
            RedisTransport(url).close()
            break
        except Exception:
            assert proc.poll() is None and time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)
    yield url
    proc.terminate()
    proc.wait(5)


class AgentProcess:
    """``cortexlink agent`` in its own process (session), as on another machine."""

    def __init__(self, url: str, machine: str) -> None:
        env = {**os.environ, "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
        self.proc = subprocess.Popen([sys.executable, "-m", "cortexlink", "agent", "--redis-url", url,
                                      "--machine", machine], env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, start_new_session=True)
        client = RedisTransport(url).client
        deadline = time.monotonic() + 30
        while not client.exists(agent_key(machine)):
            assert self.proc.poll() is None, self.proc.communicate()[1]
            assert time.monotonic() < deadline, "the agent did not come up"
            time.sleep(0.05)
        client.close()

    def stop(self, sig: int = signal.SIGINT) -> tuple[int, str]:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
        try:
            _, err = self.proc.communicate(timeout=20)
        finally:
            if self.proc.poll() is None:
                os.killpg(self.proc.pid, signal.SIGKILL)
        return self.proc.returncode, err


@pytest.fixture(scope="module")
def agent_b(tcp_redis):
    agent = AgentProcess(tcp_redis, "b")
    yield agent
    code, err = agent.stop()
    assert code == 0 and "stopped" in err


def _plan(text: str):
    return plan_graph(parse_graph(text, "g.yaml"), BUILTIN_NODES)


def _run(plan, url: str, duration: float, **kwargs):
    transport = RedisTransport(url)
    try:
        return Supervisor(plan, transport, **kwargs).run(duration)
    finally:
        transport.destroy()


def _tiny_graph(tmp_path: Path, policy: str, machine: str = "b") -> str:
    return f"""\
nodes:
  - {{name: Counter, module: {NODES}, nickname: src, parameters: {{rate: 2000.0}}}}
  - {{name: Negate, module: {NODES}, nickname: mid, inputs: {{in: src}}, machine: {machine},
     restart: {policy}}}
  - {{name: Tally, module: {NODES}, nickname: sink, inputs: {{in: mid}}, machine: {machine},
     parameters: {{path: {tmp_path}/tally}}}}
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_graph_runs_across_machines_and_the_recording_is_complete(tmp_path, tcp_redis, agent_b):
    from cortexlink.core.chunk import Chunk
    from cortexlink.dsp import ButterworthFilter
    from cortexlink.nodes.recorder import read_recording_folder

    folder = tmp_path / "rec"
    plan = _plan(f"""\
nodes:
  - {{name: Counter, module: {NODES}, nickname: src,
     parameters: {{n_channels: 3, chunk: 30, rate: 30000.0, n_chunks: 200}}}}
  - {{name: filter, nickname: bp, inputs: {{in: src}}, machine: b, parameters: {{low: 300.0, high: 3000.0}}}}
  - {{name: recorder, nickname: rec, inputs: {{in: bp}}, machine: b, parameters: {{path: {folder}}}}}
""")
    result = _run(plan, tcp_redis, 60.0)
    assert result.reason == "all nodes finished" and not result.failed, result.events
    by = {st.nickname: st for st in result.nodes}
    assert [by[n].state for n in ("src", "bp", "rec")] == ["DONE"] * 3
    # the remote nodes ran in the agent's processes, not ours, and their statistics came back
    children = {p.pid for p in multiprocessing.active_children()}
    assert by["bp"].pid and by["bp"].pid not in children and by["bp"].pid != os.getpid()
    assert by["bp"].total_in() == by["bp"].total_out() == 200 and by["bp"].total_overruns() == 0
    assert by["rec"].histogram("e2e").count == 200 and by["rec"].reports["acknowledged_chunks"] == 200
    # every chunk crossed, in order, and equals filtering the whole source offline
    stream = read_recording_folder(folder)["bp"]
    assert [c.start_sample for c in stream.chunks()] == [30 * i for i in range(200)]
    counts = np.broadcast_to((np.arange(6000) % 30000).astype(np.int16), (3, 6000)).copy()
    expected = ButterworthFilter(30000.0, 300.0, 3000.0, 4).process(Chunk(counts, 0, 30000.0)).data
    np.testing.assert_allclose(stream.data, expected, rtol=1e-4, atol=1e-2)
    assert (folder / "bp.npz").exists()  # the recorder's clean shutdown ran on the agent


def test_remote_states_are_published_and_the_agent_serves_the_next_run(tmp_path, tcp_redis, agent_b):
    plan = _plan(_tiny_graph(tmp_path, "stop"))
    transport = RedisTransport(tcp_redis)
    try:
        result = Supervisor(plan, transport).run(1.5)
        states = [f[b"status"].decode() for _, f in transport.client.xrange("mid_state")]
    finally:
        transport.destroy()
    assert result.reason == "duration reached" and not result.failed
    assert states[0] == "NODE_STARTED" and "NODE_READY" in states and states[-1] == "NODE_SHUTDOWN"
    by = {st.nickname: st for st in result.nodes}
    assert by["sink"].state == "DONE" and by["sink"].reports["samples"] > 0
    assert (tmp_path / "tally.done").exists()


def test_a_remote_source_feeds_a_local_sink_without_loss(tmp_path, tcp_redis, agent_b):
    plan = _plan(f"""\
nodes:
  - {{name: Counter, module: {NODES}, nickname: src, machine: b, parameters: {{rate: 2000.0, n_chunks: 100}}}}
  - {{name: Tally, module: {NODES}, nickname: sink, inputs: {{in: src}}, parameters: {{path: {tmp_path}/t}}}}
""")
    result = _run(plan, tcp_redis, 30.0)
    assert result.reason == "all nodes finished" and not result.failed, result.events
    by = {st.nickname: st for st in result.nodes}
    assert by["src"].total_out() == 100 and by["sink"].reports["samples"] == 1000
    lines = (tmp_path / "t").read_text().split()
    assert [int(x) for x in lines[::2]] == list(range(0, 1000, 10))


@pytest.mark.parametrize("policy", ["restart", "stop"])
def test_killed_remote_node_gets_its_policy(tmp_path, tcp_redis, agent_b, policy):
    seen: dict[str, float] = {}
    events: list[tuple[float, str, str, str]] = []

    def tick(nodes, elapsed):
        mid = next(s for s in nodes if s.nickname == "mid")
        if "killed" not in seen and elapsed > 1.0 and mid.state == "NODE_READY" and mid.pid:
            os.kill(mid.pid, signal.SIGKILL)
            seen["killed"] = time.monotonic()

    def event(nick, state, message):
        events.append((time.monotonic(), nick, state, message))

    result = _run(_plan(_tiny_graph(tmp_path, policy)), tcp_redis, 3.0, on_tick=tick, on_event=event)
    assert seen, f"the remote node never became ready: {result.reason}"
    died = [e for e in events if e[1] == "mid" and e[2] == "NODE_DIED"]
    assert died and "killed by signal 9" in died[0][3]
    print(f"remote SIGKILL noticed after {(died[0][0] - seen['killed']) * 1e3:.0f} ms")
    by = {st.nickname: st for st in result.nodes}
    if policy == "restart":
        assert by["mid"].restarts == 1 and not result.failed and result.reason == "duration reached"
        ready = [e[0] for e in events if e[1] == "mid" and e[2] == "NODE_READY"]
        assert ready and ready[-1] > seen["killed"]
        assert by["mid"].state == "DONE" and by["src"].restarts == 0
    else:
        assert result.failed and "'mid' died (killed by signal 9)" in result.reason
        assert by["mid"].state == "DEAD" and by["sink"].state == "DONE" and by["src"].state == "DONE"
    assert (tmp_path / "tally.done").exists()  # the remote sink was stopped cleanly at the end


def test_a_machine_without_agent_fails_clearly_and_starts_nothing(tmp_path, tcp_redis):
    plan = _plan(_tiny_graph(tmp_path, "stop", machine="nowhere"))
    transport = RedisTransport(tcp_redis)
    transport.client.delete("src_state", "mid_state", "sink_state")  # left by earlier runs
    try:
        with pytest.raises(NodeError) as err:
            Supervisor(plan, transport, agent_wait=0.3).run(5.0)
        assert not transport.client.exists("src_state")  # no node was started, not even the local one
    finally:
        transport.destroy()
    message = str(err.value)
    assert "machine 'nowhere'" in message and "mid, sink" in message
    assert f"cortexlink agent --redis-url {tcp_redis} --machine nowhere" in message


def test_shm_refuses_a_graph_across_machines(tmp_path):
    from cortexlink.graph.shm import ShmTransport

    transport = ShmTransport()
    try:
        with pytest.raises(NodeError, match="--transport redis --redis-url"):
            Supervisor(_plan(_tiny_graph(tmp_path, "stop")), transport)
    finally:
        transport.destroy()


def test_a_node_on_this_machine_by_name_runs_here(tmp_path, tcp_redis):
    """``machine`` naming this host (or ``--machine``) needs no agent."""
    plan = _plan(_tiny_graph(tmp_path, "stop", machine="here"))
    result = _run(plan, tcp_redis, 1.0, machine="here")
    assert not result.failed and {st.state for st in result.nodes} == {"DONE"}, (result.reason, result.events)


def test_a_dead_agent_is_noticed_and_its_nodes_stop_by_themselves(tmp_path, tcp_redis):
    agent = AgentProcess(tcp_redis, "c")
    seen: dict[str, object] = {}

    def tick(nodes, elapsed):
        sink = next(s for s in nodes if s.nickname == "sink")
        if "killed" not in seen and elapsed > 1.0 and sink.state == "NODE_READY" and sink.pid:
            seen["pids"] = [s.pid for s in nodes if s.plan.machine == "c"]
            agent.proc.kill()  # SIGKILL the agent alone; its nodes are orphaned
            seen["killed"] = time.monotonic()

    died: list[float] = []

    def event(nick, state, message):
        if state == "NODE_DIED" and not died:
            died.append(time.monotonic())

    try:
        result = _run(_plan(_tiny_graph(tmp_path, "restart", machine="c")), tcp_redis, 20.0, on_tick=tick,
                      on_event=event)
    finally:
        agent.stop(signal.SIGKILL)
    assert seen, f"the remote nodes never became ready: {result.reason}"
    assert result.failed and "agent on machine 'c' stopped answering" in result.reason
    print(f"dead agent noticed after {died[0] - seen['killed']:.2f} s")
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in seen["pids"]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(p) for p in seen["pids"]), "orphaned nodes kept running"
    assert (tmp_path / "tally.done").exists()  # they stopped cleanly (shutdown ran)


def test_ctrl_c_stops_an_agent_and_its_nodes_cleanly(tmp_path, tcp_redis):
    agent = AgentProcess(tcp_redis, "d")
    sent: dict[str, tuple[int, str]] = {}

    def tick(nodes, elapsed):
        if not sent and elapsed > 1.0 and all(s.state == "NODE_READY" for s in nodes):
            sent["agent"] = agent.stop(signal.SIGINT)  # to the agent's whole group, as a terminal does

    try:
        result = _run(_plan(_tiny_graph(tmp_path, "stop", machine="d")), tcp_redis, 4.0, on_tick=tick)
    finally:
        agent.stop(signal.SIGKILL)
    code, err = sent["agent"]
    assert code == 0 and "agent for machine 'd' stopped" in err
    by = {st.nickname: st for st in result.nodes}
    assert by["mid"].state == "DONE" and by["sink"].state == "DONE"
    assert (tmp_path / "tally.done").exists()


def test_serve_agent_checks_the_url_and_the_server_before_serving():
    from cortexlink.core.errors import CortexlinkError, InvalidParameterError
    from cortexlink.graph.agent import serve_agent

    with pytest.raises(InvalidParameterError, match="redis://host:port"):
        serve_agent("http://localhost:6379", "b")
    with pytest.raises(CortexlinkError, match="cannot reach Redis"):
        serve_agent("redis://127.0.0.1:1", "b", pm_qos=False)
