"""binned_decoder: the same decoded velocity as feature_binner -> decoder, in one node."""

import numpy as np
import pytest

from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import NodeError
from cortexlink.core.streamspec import StreamSpec
from cortexlink.decode.kalman import KalmanFilter
from cortexlink.nodes.binned_decoder import BinnedDecoder
from cortexlink.nodes.binning import FeatureBinner
from cortexlink.nodes.decoder import DecoderNode

from .helpers import make_node

RATE = 1000.0
SPECS = {"crossings": StreamSpec("tc", 4, RATE, "float32"), "power": StreamSpec("sbp", 4, RATE, "float32")}


def _inputs(n=400):
    rng = np.random.default_rng(3)
    tc = rng.poisson(0.3, size=(4, n)).astype(np.float32)
    sbp = rng.gamma(2.0, 10.0, size=(4, n)).astype(np.float32)
    return [{"crossings": Chunk(tc[:, s:s + 1], s, RATE, 1000 + s),
             "power": Chunk(sbp[:, s:s + 1], s, RATE, 1000 + s)} for s in range(n)]


def _model(tmp_path, n_features=8):
    rng = np.random.default_rng(0)
    model = KalmanFilter()
    model.fit(rng.gamma(2.0, 5.0, size=(n_features, 200)), rng.normal(size=(2, 200)))
    return str(model.save(tmp_path / "kf.npz"))


def test_decodes_exactly_as_the_two_node_chain(tmp_path):
    path = _model(tmp_path)
    fused = make_node(BinnedDecoder, {"model_path": path, "bin_ms": 10.0}, SPECS)
    binner = make_node(FeatureBinner, {"bin_ms": 10.0}, SPECS)
    decoder = make_node(DecoderNode, {"model_path": path},
                        {"in": FeatureBinner.describe_outputs(binner.settings, SPECS)["out"]})
    got, want = [], []
    for inputs in _inputs():
        out = fused.process(inputs)
        bins = binner.process(inputs)
        assert (out is None) == (bins is None)
        if out is not None:
            assert list(out) == ["out", "features"]
            ref = decoder.process({"in": bins["out"]})["out"]
            np.testing.assert_array_equal(out["features"].data, bins["out"].data)
            assert out["out"].origin_ns == ref.origin_ns == bins["out"].origin_ns
            got.append(out["out"].data)
            want.append(ref.data)
    assert len(got) == 40
    np.testing.assert_allclose(np.concatenate(got, axis=1), np.concatenate(want, axis=1))


def test_describes_decoded_rows_and_features():
    specs = BinnedDecoder.describe_outputs(BinnedDecoder.make_settings({"bin_ms": 20.0}), SPECS)
    assert (specs["out"].n_channels, specs["out"].sample_rate) == (3, 50.0)
    assert (specs["features"].n_channels, specs["features"].sample_rate) == (8, 50.0)


def test_a_model_of_another_size_is_refused_at_setup(tmp_path):
    with pytest.raises(NodeError, match="expects 6 features"):
        make_node(BinnedDecoder, {"model_path": _model(tmp_path, n_features=6)}, SPECS)
