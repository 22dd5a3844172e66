"""``spike_features`` gives what filter -> car -> threshold_crossings / spike_band_power give."""

from __future__ import annotations

import numpy as np
import pytest

from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import GraphError
from cortexlink.core.streamspec import StreamSpec
from cortexlink.nodes.signal import CommonAverage, Filter, SpikeBandPowerNode, ThresholdCrossingsNode
from cortexlink.nodes.spike_features import SpikeFeatures
from cortexlink.sim import simulate

from .helpers import make_node

RATE = 30000.0


def _signal(n_channels: int, seconds: float, seed: int = 1) -> np.ndarray:
    return np.ascontiguousarray(simulate(n_channels, seconds, RATE, seed=seed).recording.data)


def _chunks(x: np.ndarray, sizes: list[int]):
    start, i = 0, 0
    while start < x.shape[1]:
        n = sizes[i % len(sizes)]
        yield Chunk(x[:, start:start + n], start, RATE, 1000 + start)
        start += n
        i += 1


def _separate(x: np.ndarray, sizes: list[int], groups: int, estimator: str, exclude: list[int]):
    raw = {"in": StreamSpec("raw", x.shape[0], RATE, str(x.dtype), 30)}
    filt = make_node(Filter, {}, raw)
    car = make_node(CommonAverage, {"groups": groups, "exclude": exclude},
                    {"in": Filter.describe_outputs(filt.settings, raw)["out"]})
    ref = {"in": CommonAverage.describe_outputs(car.settings, raw)["out"]}
    tc = make_node(ThresholdCrossingsNode, {"rms_s": 0.2, "estimator": estimator}, ref)
    sbp = make_node(SpikeBandPowerNode, {"band": None}, ref)
    counts, power = [], []
    for chunk in _chunks(x, sizes):
        r = {"in": car.process({"in": filt.process({"in": chunk})["out"]})["out"]}
        a, b = tc.process(r), sbp.process(r)
        counts += [a["out"].data] if a else []
        power += [b["out"].data] if b else []
    return np.concatenate(counts, axis=1), np.concatenate(power, axis=1), tc


def _fused(x: np.ndarray, sizes: list[int], groups: int, estimator: str, exclude: list[int]):
    raw = {"in": StreamSpec("raw", x.shape[0], RATE, str(x.dtype), 30)}
    node = make_node(SpikeFeatures, {"groups": groups, "rms_s": 0.2, "estimator": estimator,
                                     "exclude": exclude}, raw)
    counts, power = [], []
    for chunk in _chunks(x, sizes):
        out = node.process({"in": chunk}) or {}
        counts += [out["crossings"].data] if "crossings" in out else []
        power += [out["power"].data] if "power" in out else []
        if out:
            assert all(c.origin_ns == chunk.origin_ns for c in out.values())
    return np.concatenate(counts, axis=1), np.concatenate(power, axis=1), node


@pytest.mark.parametrize(("groups", "estimator", "sizes", "exclude"), [
    (1, "rms", [30], []),
    (2, "rms", [45, 7, 300], [3]),
    (2, "robust", [30], []),
])
def test_fused_features_equal_the_separate_nodes(groups, estimator, sizes, exclude):
    x = _signal(16, 0.6)
    counts, power, tc = _separate(x, sizes, groups, estimator, exclude)
    fused_counts, fused_power, node = _fused(x, sizes, groups, estimator, exclude)
    np.testing.assert_array_equal(fused_counts, counts)
    np.testing.assert_array_equal(fused_power, power)
    assert counts[:, 200:].sum() > 0  # thresholds were set after 0.2 s and crossings counted
    assert [m for m in node.context.messages if m[0] == "info"] == \
        [m for m in tc.context.messages if m[0] == "info"]


def test_output_specs_match_the_separate_nodes_and_bad_settings_are_refused():
    raw = {"in": StreamSpec("raw", 8, RATE, "int16", 30)}
    specs = SpikeFeatures.describe_outputs(SpikeFeatures.make_settings({"groups": 2, "bin_ms": 2.0}), raw)
    assert specs["crossings"].sample_rate == specs["power"].sample_rate == 500.0
    assert specs["crossings"].n_channels == 8 and specs["power"].dtype == "float32"
    with pytest.raises(GraphError, match="groups"):
        SpikeFeatures.make_settings({"groups": 0})
    with pytest.raises(GraphError, match="rms_s"):
        SpikeFeatures.make_settings({"rms_s": 0})
    with pytest.raises(Exception, match="equal groups"):
        SpikeFeatures.describe_outputs(SpikeFeatures.make_settings({"groups": 3}), raw)
    with pytest.raises(Exception, match="Nyquist|high"):
        SpikeFeatures.describe_outputs(SpikeFeatures.make_settings({"high": 20000.0}), raw)
