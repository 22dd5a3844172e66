"""cursor_task node: ideal path while calibrating, decoded velocity once live, metrics reported."""

import numpy as np
import pytest

from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import GraphError, InvalidDataError
from cortexlink.core.streamspec import StreamSpec
from cortexlink.nodes.cursor_task import STATE_ROWS, CursorTaskNode

from .helpers import make_node

BINS = {"in": StreamSpec("decoded", 3, 100.0, "float32")}


def _feed(node, vx, vy, live, k):
    return node.process({"in": Chunk(np.array([[vx], [vy], [live]], np.float32), k, 100.0, 1)})


def test_calibration_moves_on_the_ideal_path_then_decoded_velocity_drives():
    node = make_node(CursorTaskNode, {"seed": 2, "report_every_s": 1000.0}, BINS, connect_feedback=False)
    specs = CursorTaskNode.describe_outputs(node.settings, BINS)
    assert specs["intended"].n_channels == 2 and specs["state"].n_channels == len(STATE_ROWS)
    for k in range(1000):  # 10 s of calibration: the ideal subject acquires targets
        out = _feed(node, 0.0, 0.0, 0.0, k)
    assert node.task.metrics.acquired >= 5
    assert out["intended"].data.shape == (2, 1) and out["intended"].origin_ns == 1
    assert node.summary()["targets_acquired"] == 0  # nothing counts before closed loop
    # closed loop with a perfect decoder: decoded = the intended velocity fed back
    for k in range(1000, 2000):
        vx, vy = node._intended
        out = _feed(node, vx, vy, 1.0, k)
    s = node.summary()
    assert s["targets_acquired"] >= 5 and s["targets_failed"] == 0
    assert s["velocity_r2"] == pytest.approx(1.0) and s["velocity_corr"] == pytest.approx(1.0)
    assert s["targets_per_min"] == pytest.approx(60 * s["targets_acquired"] / 10.0, rel=0.01)
    assert 0 < s["time_to_target_s"] < 2
    state = out["state"].data[:, 0]
    assert state[STATE_ROWS.index("live")] == 1.0


def test_a_dead_decoder_acquires_nothing_and_scores_badly():
    node = make_node(CursorTaskNode, {"seed": 0, "timeout_s": 1.0}, BINS, connect_feedback=False)
    rng = np.random.default_rng(0)
    for k in range(500):
        _feed(node, *rng.normal(0, 5, 2), 1.0, k)
    node.shutdown()
    r = node.context.reports
    assert r["targets_failed"] >= 3  # (the centre targets are close to a random walk anyway)
    assert r["velocity_r2"] < 0.1


def test_several_bins_per_chunk_and_bad_input():
    node = make_node(CursorTaskNode, {}, BINS)
    out = node.process({"in": Chunk(np.zeros((3, 4), np.float32), 0, 100.0, 5)})
    assert out["state"].data.shape == (len(STATE_ROWS), 4)
    with pytest.raises(InvalidDataError, match="vx, vy, live"):
        node.process({"in": Chunk(np.zeros((2, 1), np.float32), 4, 100.0, 5)})
    with pytest.raises(GraphError, match="workspace"):
        CursorTaskNode.make_settings({"target_distance": 20.0})


def test_decoded_velocity_is_scored_against_the_behaviour_that_drove_each_bin():
    node = make_node(CursorTaskNode, {"seed": 1}, BINS)
    rng = np.random.default_rng(0)
    truth = rng.normal(0, 10, size=(2, 300)).astype(np.float32)
    for k in range(300):
        # the behaviour stream repeats recent blocks; here one block = one bin
        lo = max(0, k - 7)
        node.context.set_latest("behaviour", Chunk(truth[:, lo:k + 1], lo, 100.0))
        if k % 50 == 0:
            node.context.set_latest("behaviour", Chunk(truth[:, lo:k + 1], lo, 100.0))
        _feed(node, truth[0, k], truth[1, k], 1.0, k)  # decoded == the velocity that drove the bin
    s = node.summary()
    assert s["velocity_r2"] == pytest.approx(1.0) and node.unlabelled == 0
    node2 = make_node(CursorTaskNode, {"seed": 1}, BINS)
    node2.context.set_latest("behaviour", Chunk(truth[:, 290:300], 290, 100.0))
    _feed(node2, 1.0, 1.0, 1.0, 5)  # bin 5's label was never seen: not scored
    assert node2.unlabelled == 1 and node2.pairs.n == 0
