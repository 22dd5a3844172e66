"""The default graph through the real runtime: it runs to completion and closes the loop."""

import pytest

from cortexlink.graph.graphfile import parse_graph
from cortexlink.graph.plan import plan_graph
from cortexlink.graph.shm import ShmTransport
from cortexlink.graph.supervisor import Supervisor
from cortexlink.nodes import BUILTIN_NODES, DEFAULT_GRAPH
from cortexlink.nodes.default_graph import default_graph_text, fit_calibration


def test_default_graph_is_valid_as_shipped():
    plan = plan_graph(parse_graph(DEFAULT_GRAPH.read_text(), str(DEFAULT_GRAPH)), BUILTIN_NODES)
    assert plan.metadata["duration_s"] == 60
    assert plan.streams["raw"].n_channels == 192 and plan.streams["raw"].sample_rate == 30000.0
    assert plan.streams["crossings"].sample_rate == 1000.0 and plan.streams["features"].sample_rate == 100.0
    assert plan.streams["features"].n_channels == 384
    assert plan.node("decoder").parameters["calibration_s"] == 20.0


def test_default_graph_runs_and_decoded_velocity_follows_intention():
    # the default graph with a short calibration, 10 ms chunks and one array, light enough for a
    # busy test machine
    text = default_graph_text(calibration_s=3.0, rms_s=0.3, chunk_ms=10.0, n_arrays=1)
    plan = plan_graph(parse_graph(text, "default-short.yaml"), BUILTIN_NODES)
    transport = ShmTransport()
    try:
        result = Supervisor(plan, transport).run(8.0)
    finally:
        transport.destroy()
    assert not result.failed, result.reason
    nodes = {s.nickname: s for s in result.nodes}
    task, decoder, probe = nodes["task"].reports, nodes["decoder"].reports, nodes["e2e"].reports
    chunks = nodes["monkey"].chunks_out
    assert decoder.get("calibration_bins") == 300, f"never calibrated ({chunks} chunks simulated)"
    assert task["closed_loop_s"] > 2.0, task
    assert task["velocity_corr"] > 0.5
    assert task["targets_acquired"] >= 1
    assert probe["chunks"] > 400 and probe["p50_us"] > 0


def test_a_short_run_gets_a_calibration_block_scaled_to_it():
    assert fit_calibration(None) == (None, []) and fit_calibration(60.0) == (None, [])
    calibration, notes = fit_calibration(20.0)
    assert calibration == pytest.approx(20.0 / 3) and "calibrates on the first 6.7 s" in notes[0]
    calibration, notes = fit_calibration(5.0)
    assert calibration is None and "too short for closed-loop control" in notes[0]
    assert "give a duration of 9 s or more" in notes[0]
