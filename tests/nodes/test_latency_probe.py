"""latency_probe: now - origin_ns per chunk, summarised as p50/p99/max."""

import time

import numpy as np
import pytest

from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import GraphError
from cortexlink.nodes.latency_probe import LatencyProbe, LatencyRecorder

from .helpers import make_node


def test_recorder_percentiles_over_window_and_max_over_all():
    rec = LatencyRecorder(capacity=100)
    for v in range(1, 101):
        rec.add(v * 1000)
    s = rec.summary_us()
    assert s["chunks"] == 100 and s["max_us"] == 100.0
    assert s["p50_us"] == pytest.approx(50.5) and s["p99_us"] == pytest.approx(99.0, abs=0.1)
    rec.add(10 ** 9)           # wraps: the window keeps the newest 100
    assert rec.summary_us()["max_us"] == 10 ** 6
    assert LatencyRecorder(4).summary_us()["chunks"] == 0


def test_probe_measures_age_of_each_chunk_and_reports_on_shutdown():
    probe = make_node(LatencyProbe, {"window": 1000, "report_every_s": 1000.0})
    data = np.zeros((2, 30), np.int16)
    for i in range(50):
        assert probe.process({"in": Chunk(data, 30 * i, 30000.0, time.monotonic_ns() - 2_000_000)}) is None
    probe.process({"in": Chunk(data, 0, 30000.0, 0)})  # no origin: not counted
    probe.shutdown()
    report = probe.context.reports
    assert report["chunks"] == 50
    assert 2000.0 <= report["p50_us"] <= report["p99_us"] <= report["max_us"]


def test_bad_settings_are_graph_errors():
    with pytest.raises(GraphError, match="window"):
        LatencyProbe.make_settings({"window": "big"})
