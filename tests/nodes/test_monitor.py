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
