"""binner and feature_binner: sums/means per bin, bins numbered by time even across lost chunks."""

import numpy as np
import pytest

from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import GraphError, NodeError
from cortexlink.core.streamspec import StreamSpec
from cortexlink.nodes.binning import BinnerNode, FeatureBinner

from .helpers import make_node

RATE = 1000.0


def _counts(n_ch=4, n=200, seed=0):
    return np.random.default_rng(seed).poisson(1.0, size=(n_ch, n)).astype(np.float32)


def test_binner_sums_per_bin_across_chunk_edges():
    x = _counts()
    spec = {"in": StreamSpec("tc", 4, RATE, "float32", 3)}
    node = make_node(BinnerNode, {"bin_ms": 10.0}, spec)
    out_spec = BinnerNode.describe_outputs(node.settings, spec)["out"]
    assert out_spec.sample_rate == 100.0 and out_spec.chunk_samples == 1
    outs = [node.process({"in": Chunk(x[:, s:s + 3], s, RATE, s)}) for s in range(0, 200, 3)]
    outs = [o["out"] for o in outs if o is not None]
    got = np.concatenate([o.data for o in outs], axis=1)
    np.testing.assert_allclose(got, x.reshape(4, 20, 10).sum(axis=2))
    assert outs[0].origin_ns == 9   # the chunk that completed bin 0 (samples 9..11)
    with pytest.raises(GraphError, match="mode"):
        BinnerNode.make_settings({"mode": "median"})


def test_binner_keeps_bin_numbers_after_a_lost_chunk():
    x = _counts()
    spec = {"in": StreamSpec("p", 4, RATE, "float32")}
    node = make_node(BinnerNode, {"bin_ms": 10.0, "mode": "mean"}, spec)
    bins = {}
    for s in range(0, 200, 7):
        if s == 49:  # samples 49..55 lost: bins 4 and 5 are incomplete
            continue
        res = node.process({"in": Chunk(x[:, s:s + 7], s, RATE)})
        if res:
            o = res["out"]
            for k in range(o.data.shape[1]):
                bins[o.start_sample + k] = o.data[:, k]
    assert 4 not in bins and 5 not in bins and {3, 6, 7} <= set(bins)
    want = x[:, :200].reshape(4, 20, 10).mean(axis=2)
    for k, col in bins.items():
        np.testing.assert_allclose(col, want[:, k], rtol=1e-6)


def _specs(n=4):
    return {"crossings": StreamSpec("tc", n, RATE, "float32"), "power": StreamSpec("sbp", n, RATE, "float32")}


def test_feature_binner_stacks_counts_and_mean_power():
    tc, sbp = _counts(seed=1), _counts(seed=2) * 100
    node = make_node(FeatureBinner, {"bin_ms": 10.0}, _specs())
    assert FeatureBinner.describe_outputs(node.settings, _specs())["out"].n_channels == 8
    outs = []
    for s in range(200):
        res = node.process({"crossings": Chunk(tc[:, s:s + 1], s, RATE, s),
                            "power": Chunk(sbp[:, s:s + 1], s, RATE, s)})
        if res:
            outs.append(res["out"])
    got = np.concatenate([o.data for o in outs], axis=1)
    assert got.shape == (8, 20) and [o.start_sample for o in outs] == list(range(20))
    np.testing.assert_allclose(got[:4], tc.reshape(4, 20, 10).sum(axis=2))
    np.testing.assert_allclose(got[4:], sbp.reshape(4, 20, 10).mean(axis=2), rtol=1e-6)


def test_feature_binner_pairs_by_bin_when_one_input_lost_chunks():
    tc, sbp = _counts(seed=1), _counts(seed=2)
    node = make_node(FeatureBinner, {"bin_ms": 10.0}, _specs())
    tc_chunks = [Chunk(tc[:, s:s + 1], s, RATE) for s in range(200) if not 30 <= s < 35]
    sbp_chunks = [Chunk(sbp[:, s:s + 1], s, RATE) for s in range(200)]
    emitted = {}
    for a, b in zip(tc_chunks, sbp_chunks, strict=False):  # paired by arrival, as the runtime does
        res = node.process({"crossings": a, "power": b})
        if res:
            o = res["out"]
            for k in range(o.data.shape[1]):
                emitted[o.start_sample + k] = o.data[:, k]
    assert 3 not in emitted and {0, 1, 2, 4, 5, 10, 18} <= set(emitted)
    for k, col in emitted.items():
        np.testing.assert_allclose(col[:4], tc[:, 10 * k:10 * k + 10].sum(axis=1))
        np.testing.assert_allclose(col[4:], sbp[:, 10 * k:10 * k + 10].mean(axis=1), rtol=1e-6)
    assert node.unpaired >= 1


def test_feature_binner_needs_equal_rates():
    specs = _specs()
    specs["power"] = StreamSpec("sbp", 4, 2000.0, "float32")
    with pytest.raises(NodeError, match="same rate"):
        FeatureBinner.describe_outputs(FeatureBinner.make_settings({}), specs)
