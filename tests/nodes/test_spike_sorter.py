"""``spike_sorter`` streams sorted units in the shape the binner takes in place of crossings."""

from __future__ import annotations

import numpy as np
import pytest

from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import NodeError
from cortexlink.core.streamspec import StreamSpec
from cortexlink.nodes.binning import BinnerNode
from cortexlink.nodes.spike_sorter import SpikeSorter
from cortexlink.sort import OnlineSorter, fit_sorter, ground_truth_recording, save_model

from .helpers import make_node


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    recording, _, probe = ground_truth_recording("tetrode", n_units=3, duration_s=6.0, max_depth_um=20.0,
                                                 seed=4)
    model, _ = fit_sorter(recording, probe)
    path = tmp_path_factory.mktemp("sorter") / "model.npz"
    save_model(model, path)
    return path, model, recording


def test_units_feed_the_binner(model_file):
    path, model, recording = model_file
    counts = (recording.microvolts() / 0.195).round().astype(np.int16)  # int16 counts at 0.195 uV
    spec = {"in": StreamSpec("raw", recording.n_channels, recording.sample_rate, "int16", 30)}
    node = make_node(SpikeSorter, {"model": str(path), "gain_uv": 0.195, "adapt": False}, spec)
    out_spec = SpikeSorter.describe_outputs(node.settings, spec)["out"]
    assert out_spec.n_channels == model.unit_ids.size and out_spec.dtype == "uint8"
    binner = make_node(BinnerNode, {"bin_ms": 10.0}, {"in": out_spec})
    rasters, bins = [], []
    for start in range(0, counts.shape[1], 30):
        chunk = Chunk(counts[:, start:start + 30], start, recording.sample_rate, 7 + start)
        out = node.process({"in": chunk})
        if out:
            assert out["out"].origin_ns == 7 + start
            rasters.append(out["out"].data)
            got = binner.process({"in": out["out"]})
            bins += [got["out"].data] if got else []
    raster = np.concatenate(rasters, axis=1)
    expected = OnlineSorter(model, adapt=False).sort(counts.astype(np.float32) * np.float32(0.195))
    final = expected.samples < raster.shape[1]
    assert raster.sum() == final.sum() > 20
    assert np.concatenate(bins, axis=1).sum() <= raster.sum()


def test_wrong_stream(model_file):
    path, _, recording = model_file
    with pytest.raises(NodeError, match="channels"):
        SpikeSorter.describe_outputs(SpikeSorter.make_settings({"model": str(path)}),
                                     {"in": StreamSpec("raw", 7, recording.sample_rate, "int16", 30)})
    with pytest.raises(NodeError, match="model"):
        SpikeSorter.describe_outputs(SpikeSorter.make_settings({}),
                                     {"in": StreamSpec("raw", 4, recording.sample_rate, "int16", 30)})
