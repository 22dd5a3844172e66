"""A graph driven over the API: start, status, a WebSocket stream at a chosen rate, the watchdog
zeroing velocity when the decoder is SIGKILLed, and the emergency stop zeroing velocity before
the graph stops (each read on the safety node's output stream)."""

from __future__ import annotations

import json
import os
import signal
import time

import numpy as np
import pytest

from .helpers import bearer

MAX_SPEED = 40.0


def _document() -> dict:
    """steady velocity (100, 0) -> stand-in decoder (restarts when killed) -> safety -> probe."""
    return {
        "metadata": {"graph_name": "serve-test"},
        "nodes": [
            {
                "name": "steady_velocity",
                "nickname": "intent",
                "parameters": {"vx": 100.0, "vy": 0.0},
                "outputs": {"out": "intent"},
            },
            {
                "name": "pass_decoder",
                "nickname": "decoder",
                "restart": "restart",
                "inputs": {"in": "intent"},
                "outputs": {"out": "decoded"},
            },
            {
                "name": "safety",
                "nickname": "safety",
                "inputs": {"in": "decoded"},
                "parameters": {"max_speed": MAX_SPEED, "max_accel": 400.0, "watchdog_s": 0.05},
                "outputs": {"out": "safe", "interventions": "interventions"},
            },
            {"name": "latency_probe", "nickname": "e2e", "inputs": {"in": "safe"}},
        ],
    }


def _read_until(tap, want, timeout: float):
    """Chunks read from ``tap`` until ``want(chunk)`` (the matching chunk, or None at the timeout)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        chunk = tap.read(0.05)
        if chunk is not None and want(chunk):
            return chunk
    return None


@pytest.mark.timeout(120)
def test_graph_over_the_api(client, tokens, config):
    ctl, read = bearer(tokens["control"]), bearer(tokens["read"])
    r = client.post("/graphs", json={"document": _document(), "duration_s": 60}, headers=ctl)
    assert r.status_code == 201, r.text
    gid = r.json()["id"]
    run = client.app.state.graphs.get(gid)
    try:
        assert run.wait_ready(60), run.reason
        safe = run.tap("safe")
        limited = _read_until(safe, lambda c: c.data[0, 0] > 0, 10)
        assert limited is not None and np.hypot(*limited.data[:2, 0]) <= MAX_SPEED + 1e-4

        # dashboards' streams at 20 and 5 messages a second: running totals, from one reader
        with (client.websocket_connect(f"/streams/safe?graph={gid}&rate=20") as ws,
              client.websocket_connect(f"/streams/safe?graph={gid}&rate=5") as slow):
            ws.send_text(json.dumps({"token": tokens["read"]}))
            slow.send_text(json.dumps({"token": tokens["read"]}))
            messages = [json.loads(ws.receive_text()) for _ in range(5)]
            others = [json.loads(slow.receive_text()) for _ in range(2)]
            feeds = client.app.state.feeds   # both clients share one reader of the stream
            assert list(feeds) == [(gid, "safe")] and feeds[(gid, "safe")].users == 2
            feed = feeds[(gid, "safe")]
        assert all(m["stream"] == "safe" and len(m["last"]) == 3 for m in messages + others)
        counts = [m["count"] for m in messages]
        assert counts == sorted(counts) and counts[-1] - counts[0] > 1
        # each frame was encoded once, whoever got it; the slow client's came from the same frames
        assert feed.frames <= feed.reads and feed.frames < len(messages) + len(others) + 10
        assert others[1]["count"] > others[0]["count"]

        status = client.get(f"/graphs/{gid}", headers=read).json()
        assert status["running"] and {n["nickname"] for n in status["nodes"]} == {
            "intent",
            "decoder",
            "safety",
            "e2e",
        }
        assert status["streams"]["safe"]["channels"] == 3

        # the watchdog: the decoder is killed; the safety node writes zero velocity on its own
        os.kill(run.supervisor.status["decoder"].pid, signal.SIGKILL)
        zero = _read_until(safe, lambda c: not np.any(c.data[:2]), 5)
        assert zero is not None, "the watchdog did not zero the velocity"
        # the node's event reaches the supervisor through its pipe, maybe after the chunk
        end = time.monotonic() + 10
        while not any("watchdog" in e[3] for e in run.events) and time.monotonic() < end:
            time.sleep(0.05)
        events = client.get(f"/graphs/{gid}", headers=read).json()["events"]
        assert any("watchdog" in e["message"] for e in events), events

        # the decoder restarts and velocity comes back, limited again
        assert _read_until(safe, lambda c: c.data[0, 0] > 0, 30) is not None, run.events[-5:]

        # emergency stop: velocity is zero on the stream before the graph stops
        r = client.post(f"/graphs/{gid}/stop-all", headers=ctl)
        outcome = r.json()
        assert r.status_code == 200 and outcome["stopped"], outcome
        assert outcome["safety_nodes"]["safety"]["zeroed"], outcome
        safe.close()
        final = client.get(f"/graphs/{gid}", headers=read).json()
        assert not final["running"] and final["reason"] == "emergency stop"
        assert any("emergency stop" in e["message"] for e in final["events"])
    finally:
        run.stop()
    audit = config.audit_log.read_text()
    assert "watchdog" in audit and "emergency stop" in audit  # interventions are in the audit log


def test_estop_reads_zero_before_the_stop_request(monkeypatch):
    """emergency_stop stops the graph only after the zero chunk is seen on the stream."""
    from cortexlink.core.chunk import Chunk
    from cortexlink.core.streamspec import StreamSpec
    from cortexlink.nodes.safety import emergency_stop

    order = []

    class Tap:
        def __init__(self):
            self.chunks = [np.ones((3, 1)), np.zeros((3, 1))]

        def read(self, timeout):
            data = self.chunks.pop(0) if self.chunks else None
            if data is not None:
                order.append("zero" if not data[:2].any() else "moving")
            return None if data is None else Chunk(data.astype(np.float32), 0, 100.0, 1)

        def close(self):
            pass

    class Plan:
        nodes = [type("N", (), {"nickname": "safety", "kind": "safety"})()]

        def node(self, nick):
            return type("P", (), {"outputs": {"out": StreamSpec("safe", 3, 100.0, "float32", 1)}})()

    class Run:
        plan, running = Plan(), True

        def tap(self, name):
            return Tap()

        def signal(self, nick, sig):
            order.append("signal")
            return True

        def stop(self, reason):
            order.append("stop")
            self.running = False

    outcome = emergency_stop(Run())
    assert order == ["signal", "moving", "zero", "stop"] and outcome["safety_nodes"]["safety"]["zeroed"]


def test_the_api_yields_the_cpu_to_the_graphs_it_starts(config):
    """The API's threads get nicer; graphs start from a launcher thread that keeps the priority."""
    import threading

    from cortexlink.serve.audit import AuditLog
    from cortexlink.serve.graphs import GraphManager

    def niceness() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    manager = GraphManager(config, AuditLog(config.audit_log))
    seen = {}

    def api_thread() -> None:
        before = niceness()
        manager.yield_cpu()
        seen["api"] = niceness() - before
        seen["graph"] = manager._launcher.submit(niceness).result() - before

    thread = threading.Thread(target=api_thread)
    thread.start()
    thread.join()
    manager.close()
    assert seen == {"api": min(config.api_nice, 19 - niceness()), "graph": 0}
