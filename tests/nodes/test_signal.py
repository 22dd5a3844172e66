"""Signal nodes driven chunk by chunk equal their dsp blocks run offline on the whole stream."""

import numpy as np
import pytest

from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import GraphError
from cortexlink.core.streamspec import StreamSpec
from cortexlink.dsp import ButterworthFilter, SpikeBandPower, ThresholdCrossings
from cortexlink.nodes.signal import CommonAverage, Filter, SpikeBandPowerNode, ThresholdCrossingsNode

from .helpers import make_node

FS = 30000.0
CHUNK = 30


def _signal(n_ch=8, seconds=0.4, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 20, size=(n_ch, int(FS * seconds)))
    spikes = rng.random(x.shape) < 0.002
    x[spikes] -= 200
    return x.astype(np.float32)


def _feed(node, x, chunk=CHUNK):
    outs = []
    for start in range(0, x.shape[1], chunk):
        res = node.process({"in": Chunk(x[:, start:start + chunk], start, FS, 100 + start)})
        if res is not None:
            outs.append(res["out"])
    return outs


def _spec(x, dtype="float32"):
    return {"in": StreamSpec("x", x.shape[0], FS, dtype, CHUNK)}


def test_filter_node_equals_offline_filter_and_keeps_origin():
    x = _signal()
    node = make_node(Filter, {"low": 300.0, "high": 6000.0, "order": 2}, _spec(x))
    outs = _feed(node, x, chunk=37)
    got = np.concatenate([o.data for o in outs], axis=1)
    want = ButterworthFilter(FS, 300.0, 6000.0, 2).apply(x)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-3)
    assert [o.origin_ns for o in outs[:2]] == [100, 137]
    with pytest.raises(GraphError):
        Filter.make_settings({"low": "high"})


def test_car_node_references_each_group_separately():
    x = _signal(n_ch=8)
    x[:4] += 50.0   # group offsets differ: one common average would leave them in
    x[4:] -= 80.0
    node = make_node(CommonAverage, {"groups": 2}, _spec(x))
    got = np.concatenate([o.data for o in _feed(node, x)], axis=1)
    np.testing.assert_allclose(got[:4].mean(axis=0), 0, atol=1e-3)
    np.testing.assert_allclose(got[4:].mean(axis=0), 0, atol=1e-3)
    np.testing.assert_allclose(got[:4], x[:4] - x[:4].mean(axis=0), atol=1e-3)
    with pytest.raises(Exception, match="equal groups"):
        CommonAverage.describe_outputs(CommonAverage.make_settings({"groups": 3}), _spec(x))


def test_threshold_crossings_node_counts_per_ms_after_measuring_rms():
    x = _signal(seconds=0.5)
    node = make_node(ThresholdCrossingsNode, {"rms_s": 0.1, "bin_ms": 1.0, "estimator": "rms"}, _spec(x))
    spec = ThresholdCrossingsNode.describe_outputs(node.settings, _spec(x))["out"]
    assert (spec.sample_rate, spec.chunk_samples) == (1000.0, 1)
    outs = _feed(node, x)
    counts = np.concatenate([o.data for o in outs], axis=1)
    assert counts.shape == (8, 500) and outs[-1].start_sample == 499
    n_cal = int(0.1 * FS)
    assert not counts[:, :n_cal // 30].any()   # nothing counted while the RMS is measured
    rms = ThresholdCrossings(FS).calibrate(x[:, :n_cal], estimator="rms")
    np.testing.assert_allclose(node.block.rms, rms, rtol=1e-9)
    ref = ThresholdCrossings(FS, rms=node.block.rms)
    ref.continue_after(x[:, n_cal - 1])
    want = ref.process(Chunk(x[:, n_cal:], n_cal, FS)).data.reshape(8, -1, 30).sum(axis=2)  # thresholds hold
    np.testing.assert_array_equal(counts[:, n_cal // 30:], want)
    assert counts.sum() > 50


def test_spike_band_power_node_equals_offline_block():
    x = _signal()
    node = make_node(SpikeBandPowerNode, {"band": [250.0, 5000.0]}, _spec(x))
    got = np.concatenate([o.data for o in _feed(node, x, chunk=45)], axis=1)
    want = SpikeBandPower(FS, (250.0, 5000.0)).apply(x)
    np.testing.assert_allclose(got, want, rtol=1e-4)


def test_spike_band_power_restarts_on_its_grid_after_a_lost_chunk():
    x = _signal()
    node = make_node(SpikeBandPowerNode, {"band": None}, _spec(x))
    outs = []
    for start in range(0, x.shape[1], 45):
        if start == 450:   # this chunk is lost (reader overrun)
            continue
        res = node.process({"in": Chunk(x[:, start:start + 45], start, FS)})
        if res:
            outs.append(res["out"])
    want = (x.astype(np.float64) ** 2).reshape(8, -1, 30).mean(axis=2)
    for o in outs:
        for k in range(o.data.shape[1]):
            np.testing.assert_allclose(o.data[:, k], want[:, o.start_sample + k], rtol=1e-4)
    bins = [o.start_sample + k for o in outs for k in range(o.data.shape[1])]
    assert 14 in bins and 15 not in bins and 16 not in bins and 17 in bins  # 15, 16 touch the hole


def test_threshold_crossings_robust_noise_estimate():
    x = _signal(seconds=0.3)
    node = make_node(ThresholdCrossingsNode, {"rms_s": 0.1, "estimator": "robust"}, _spec(x))
    _feed(node, x)
    want = ThresholdCrossings(FS).calibrate(x[:, :3000], estimator="robust")
    np.testing.assert_allclose(node.block.rms, want)
    assert (node.block.rms < np.sqrt((x[:, :3000].astype(float) ** 2).mean(axis=1))).all()  # spikes ignored
