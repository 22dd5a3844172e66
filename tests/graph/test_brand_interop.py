"""BRAND interop over one Redis server: a BRAND-style node (``brand/brand_client.py``, written from
BRAND's conventions, no cortexlink) hosted by an ``external`` node reads a cortexlink stream from
what Redis holds and writes a BRAND-style stream that the graph reads through ``redis_stream_in``;
a ramp whose channels differ proves nothing is transposed either way. The supervisor answers every
BRAND command on ``supervisor_status``."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path

import pytest

from cortexlink.graph.graphfile import parse_graph
from cortexlink.graph.plan import plan_graph
from cortexlink.graph.redis_transport import RedisTransport
from cortexlink.graph.supervisor import Supervisor
from cortexlink.nodes import BUILTIN_NODES

BRAND = Path(__file__).parent / "brand"
TINY = Path(__file__).parent / "user_nodes" / "tiny_nodes.py"
BRAND_FIELDS = {"name", "nickname", "module", "machine", "run_priority", "cpu_affinity", "parameters",
                "binary", "git_hash"}


def _interop_plan():
    text = f"""\
metadata: {{graph_name: brand_interop}}
nodes:
  - {{name: Ramp, module: {BRAND}/brand_nodes.py, nickname: ramp, parameters: {{n_channels: 4}}}}
  - {{name: external, nickname: bclient, restart: restart,
     parameters: {{binary: {BRAND}/brand_client.py, module: brand-simulator,
                  parameters: {{in_stream: ramp, out_stream: brand_out, n_channels: 3}}}}}}
  - {{name: redis_stream_in, nickname: from_brand,
     parameters: {{stream: brand_out, field: continuous, n_channels: 3, sample_rate: 1000.0,
                  chunk_samples: 10}}}}
  - {{name: RampCheck, module: {BRAND}/brand_nodes.py, nickname: check, inputs: {{in: from_brand}}}}
"""
    return plan_graph(parse_graph(text, "brand_interop.yaml"), BUILTIN_NODES)


@pytest.mark.slow
def test_a_brand_node_joins_the_graph_both_ways_and_is_restarted_when_killed(redis_url):
    transport = RedisTransport(redis_url)
    transport.client.flushall()
    client = transport.client
    seen: dict = {}

    def brand_ok() -> int:
        return int(client.hget("bclient_check", "ok") or 0)

    def tick(nodes, elapsed):
        by = {s.nickname: s for s in nodes}
        ok = by["check"].reports.get("ok", 0)
        pid = by["bclient"].reports.get("brand_pid")
        if "killed" not in seen and ok >= 20 and brand_ok() >= 20 and pid:
            os.kill(pid, signal.SIGKILL)
            seen.update(killed=pid, ok_at_kill=ok, brand_ok_at_kill=brand_ok())
        elif ("killed" in seen and "stopped" not in seen and by["bclient"].restarts >= 1
              and pid != seen["killed"] and ok >= seen["ok_at_kill"] + 10
              and brand_ok() >= seen["brand_ok_at_kill"] + 10):
            client.xadd("supervisor_ipstream", {"commands": "stopGraph"})
            seen["stopped"] = True

    try:
        result = Supervisor(_interop_plan(), transport, on_tick=tick).run(40.0)
        by = {s.nickname: s for s in result.nodes}
        assert seen.get("stopped"), (result.reason, seen, [s.last_message for s in result.nodes])
        assert "stopGraph" in result.reason and not result.failed
        assert by["bclient"].restarts == 1
        assert by["check"].reports["bad"] == 0 and by["check"].reports["ok"] > 20  # BRAND -> cortexlink
        assert int(client.hget("bclient_check", "bad") or 0) == 0 and brand_ok() > 20  # cortexlink -> BRAND
        states = [f for _, f in client.xrange("bclient_state")]
        assert {b"code": b"0", b"status": b"initialized"} in states
        graph = json.loads(client.xrevrange("supergraph_stream", count=1)[0][1][b"data"])
        assert {"redis_host", "redis_port", "graph_name", "graph_loaded_ts", "derivatives"} <= set(graph)
        assert BRAND_FIELDS <= set(graph["nodes"]["bclient"])
        assert graph["nodes"]["bclient"]["parameters"]["in_stream"] == "ramp"
        assert json.loads(client.get("ramp_spec"))["n_channels"] == 4
        assert json.loads(client.get("ramp_spec")) == graph["streams"]["ramp"]
    finally:
        transport.destroy()


def _replies(client, after: bytes, command: str, n: int = 1, timeout: float = 60.0) -> list[dict]:
    """The first ``n`` supervisor_status answers to ``command`` after entry id ``after``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [{k.decode(): v.decode() for k, v in f.items()}
                 for _, f in client.xrange("supervisor_status", min=b"(" + after)]
        found = [f for f in found if f.get("command") == command]
        if len(found) >= n:
            return found
        time.sleep(0.05)
    raise AssertionError(f"no answer to {command} within {timeout} s")


def _send(client, command: str, n: int = 1, **fields) -> list[dict]:
    last = client.xrevrange("supervisor_status", count=1)
    after = last[0][0] if last else b"0-0"
    client.xadd("supervisor_ipstream", {"commands": command, **fields})
    return _replies(client, after, command, n)


def _wait_status(client, status: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        last = client.xrevrange("graph_status", count=1)
        if last and last[0][1][b"status"].decode() == status:
            return
        time.sleep(0.05)
    raise AssertionError(f"graph_status never became {status!r}")


@pytest.mark.slow
def test_every_supervisor_command_is_answered(redis_url, tmp_path):
    from cortexlink.io import open_recording
    from cortexlink.nodes.brand_service import serve_brand

    client = RedisTransport(redis_url).client
    client.flushall()
    graph = tmp_path / "g.yaml"
    graph.write_text(f"""\
nodes:
  - {{name: Counter, module: {TINY}, nickname: src, parameters: {{n_channels: 3, rate: 1000.0}}}}
  - {{name: Tally, module: {TINY}, nickname: sink, inputs: {{in: src}}}}
""")
    done = threading.Event()
    server = threading.Thread(target=serve_brand, args=(redis_url,),
                              kwargs={"data_dir": tmp_path, "stop": done.is_set}, daemon=True)
    server.start()
    try:
        time.sleep(0.5)
        assert _send(client, "danceGraph")[0]["status"] == "error"
        assert _send(client, "startGraph")[0]["status"] == "error"  # nothing loaded
        assert _send(client, "stopGraph")[0]["status"] == "error"  # nothing running
        assert _send(client, "loadGraph", file=str(graph))[0]["status"] == "ok"
        _wait_status(client, "initialized")
        assert _send(client, "updateParameters", src=json.dumps({"rate": 2000.0}))[0]["status"] == "ok"
        newest = json.loads(client.xrevrange("supergraph_stream", count=1)[0][1][b"data"])
        assert newest["nodes"]["src"]["parameters"]["rate"] == 2000.0
        assert _send(client, "updateParameters", nobody=json.dumps({"x": 1}))[0]["status"] == "error"
        assert _send(client, "setDataDir", path=str(tmp_path / "data"))[0]["status"] == "ok"
        assert _send(client, "saveRdb")[0]["status"] == "ok"
        assert _send(client, "startGraph")[0]["status"] == "ok"
        _wait_status(client, "running")
        time.sleep(0.5)
        assert _send(client, "loadGraph", file=str(graph))[0]["status"] == "error"  # a graph runs
        assert _send(client, "flushDb")[0]["status"] == "error"
        saved = _send(client, "saveNwb")[0]
        assert saved["status"] == "ok" and "src.nwb" in saved["message"], saved
        stopped = _send(client, "stopGraphAndSaveNWB", n=2)
        assert [r["status"] for r in stopped] == ["ok", "ok"], stopped
        _wait_status(client, "stopped")
        recording = open_recording(tmp_path / "data" / "src.nwb")
        assert recording.n_channels == 3 and recording.n_samples > 0
        assert client.exists("src"), ("stopGraphAndSaveNWB keeps the data streams", client.keys())
        assert _send(client, "flushDb")[0]["status"] == "ok" and not client.exists("src")
    finally:
        done.set()
        server.join(30)
