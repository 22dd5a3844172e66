"""A recorder killed with SIGKILL mid-run: the graph stops per policy and its file holds every chunk
it acknowledged before the kill, readable."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import numpy as np

from cortexlink.graph.graphfile import parse_graph
from cortexlink.graph.plan import plan_graph
from cortexlink.graph.shm import ShmTransport
from cortexlink.graph.supervisor import Supervisor
from cortexlink.nodes import BUILTIN_NODES
from cortexlink.nodes.recorder import read_recording_folder

NODES = Path(__file__).parent / "user_nodes" / "tiny_nodes.py"


def test_sigkilled_recorder_keeps_what_it_acknowledged(tmp_path):
    folder = tmp_path / "rec"
    text = f"""\
nodes:
  - {{name: Counter, module: {NODES}, nickname: src, parameters: {{n_channels: 3, chunk: 30, rate: 30000.0}}}}
  - name: recorder
    nickname: rec
    inputs: {{in: src}}
    parameters: {{path: {folder}, flush_ms: 50.0}}
    restart: stop
"""
    plan = plan_graph(parse_graph(text, "g.yaml"), BUILTIN_NODES)
    seen: dict[str, int] = {}

    def tick(nodes, elapsed):
        rec = next(s for s in nodes if s.nickname == "rec")
        acked = rec.reports.get("acknowledged_chunks", 0)
        if "killed" not in seen and acked >= 100:
            os.kill(rec.pid, signal.SIGKILL)
            seen["killed"], seen["acked"] = 1, acked

    transport = ShmTransport()
    try:
        result = Supervisor(plan, transport, on_tick=tick).run(20.0)
    finally:
        transport.destroy()
    assert seen, "the recorder never acknowledged 100 chunks"
    assert result.failed and "'rec' died (killed by signal 9)" in result.reason
    stream = read_recording_folder(folder)["src"]
    assert stream.n_chunks >= seen["acked"]
    chunks = stream.chunks()
    assert [c.start_sample for c in chunks] == [30 * i for i in range(len(chunks))]
    expected = np.arange(stream.data.shape[1]) % 30000
    np.testing.assert_array_equal(stream.data, np.broadcast_to(expected, (3, expected.size)))
