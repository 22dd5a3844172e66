"""monitor node: statuses per window of the raw stream, warnings for faults, counts at the end."""

import numpy as np

from cortexlink.core.chunk import Chunk
from cortexlink.core.streamspec import StreamSpec
from cortexlink.dsp.monitor import DEAD, OK
from cortexlink.nodes.monitor import MonitorNode

from .helpers import make_node


def test_a_dead_channel_is_flagged_on_the_status_stream():
    rate = 30000.0
    spec = {"in": StreamSpec("raw", 3, rate, "int16", 300)}
    node = make_node(MonitorNode, {"window_s": 0.05, "baseline_s": 0.5, "hold": 2}, spec)
    assert node.context.output_specs["status"].sample_rate == 20.0
    rng = np.random.default_rng(0)
    statuses = []
    for k in range(200):  # 2 s in 10 ms chunks; channel 2 dies at 1.5 s
        x = (rng.standard_normal((3, 300)) * 40).astype(np.int16)
        if k >= 150:
            x[2] = 0
        out = node.process({"in": Chunk(x, k * 300, rate, 5)})
        if out:
            assert out["status"].origin_ns == 5
            statuses.append(out["status"].data)
    status = np.concatenate(statuses, axis=1)
    assert status.shape == (3, 40)
    assert status[2, -1] == DEAD and (status[:2] == OK).all()
    node.shutdown()
    assert node.context.reports["channel_faults"] == 1
    assert any("channel 2: dead" in str(m) for _, m in node.context.messages)


def test_a_graph_can_wire_the_monitor_status_to_a_decoder_mask():
    import yaml

    from cortexlink.graph.graphfile import parse_graph
    from cortexlink.graph.plan import plan_graph
    from cortexlink.nodes import BUILTIN_NODES
    from cortexlink.nodes.default_graph import default_graph_text

    doc = yaml.safe_load(default_graph_text(n_arrays=1))
    next(n for n in doc["nodes"] if n["nickname"] == "decoder")["feedback"]["mask"] = "status"
    doc["nodes"].append({"name": "monitor", "nickname": "health", "inputs": {"in": "raw"},
                         "outputs": {"status": "status"}})
    plan = plan_graph(parse_graph(yaml.safe_dump(doc), "g.yaml"), BUILTIN_NODES)
    assert "health" in [n.nickname for n in plan.nodes]
