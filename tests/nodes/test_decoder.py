"""decoder node: calibrates on labelled bins, goes live, decodes; or loads a saved model."""

import time

import numpy as np
import pytest

from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import CortexlinkError, GraphError, NodeError
from cortexlink.core.streamspec import StreamSpec
from cortexlink.nodes.decoder import LIVE_ROW, DecoderNode

from .helpers import make_node

N_FEAT = 24
SPEC = {"in": StreamSpec("bins", N_FEAT, 100.0, "float32")}


class Monkey:
    """Linear-Gaussian features tuned to a smooth 2-D velocity."""

    def __init__(self, seed=0):
        self.rng = np.random.default_rng(seed)
        self.tuning = self.rng.normal(size=(N_FEAT, 2))
        self.t = 0

    def velocity(self):
        self.t += 1
        return np.array([np.sin(self.t / 17.0), np.cos(self.t / 23.0)]) * 10

    def features(self, v):
        return (5 + self.tuning @ v / 5 + self.rng.normal(size=N_FEAT)).astype(np.float32)


def _run(node, monkey, n_bins, start=0):
    decoded, intended, live = [], [], []
    for k in range(start, start + n_bins):
        v = monkey.velocity()
        node.context.set_latest("intended", Chunk(v[:, None].astype(np.float32), k, 100.0))
        out = node.process({"in": Chunk(monkey.features(v)[:, None], k, 100.0, 7)})["out"]
        assert out.origin_ns == 7
        decoded.append(out.data[:2, 0])
        intended.append(v)
        live.append(out.data[LIVE_ROW, 0])
    return np.array(decoded).T, np.array(intended).T, np.array(live)


def _wait_live(node):
    node._fit_thread.join(120)  # returns when the fit ends; a loaded machine may take a while


@pytest.mark.parametrize("kind", ["kalman", "wiener"])
def test_calibrates_then_decodes(kind, tmp_path):
    node = make_node(DecoderNode, {"decoder": kind, "calibration_s": 3.0,
                                   "save_path": str(tmp_path / "model.npz")}, SPEC)
    monkey = Monkey()
    dec, _, live = _run(node, monkey, 300)
    assert not live.any() and not dec.any()  # calibrating: velocity rows are 0
    _wait_live(node)
    dec, want, live = _run(node, monkey, 400, start=300)
    assert live.all()
    corr = [np.corrcoef(dec[i], want[i])[0, 1] for i in range(2)]
    assert min(corr) > 0.8
    assert node.context.reports["calibration_bins"] == 300
    assert (tmp_path / "model.npz").exists()
    # the saved model loads into a fresh node that is live at once and decodes the same way
    loaded = make_node(DecoderNode, {"model_path": str(tmp_path / "model.npz")}, SPEC)
    dec2, want2, live2 = _run(loaded, monkey, 200)  # the same monkey, later on
    assert live2.all() and min(np.corrcoef(dec2[i], want2[i])[0, 1] for i in range(2)) > 0.8


def test_bins_without_a_label_are_not_used():
    node = make_node(DecoderNode, {"calibration_s": 0.5}, SPEC)
    for k in range(20):  # the task has not spoken yet
        node.process({"in": Chunk(np.ones((N_FEAT, 1), np.float32), k, 100.0)})
    assert node._n_collected == 0 and node._missing_labels == 20


def test_loaded_model_with_other_feature_count_is_rejected(tmp_path):
    node = make_node(DecoderNode, {"calibration_s": 1.0, "save_path": str(tmp_path / "m.npz")}, SPEC)
    _run(node, Monkey(), 100)
    _wait_live(node)
    deadline = time.monotonic() + 5
    while not (tmp_path / "m.npz").exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    other = {"in": StreamSpec("bins", N_FEAT + 1, 100.0, "float32")}
    with pytest.raises(NodeError, match="expects 24 features"):
        make_node(DecoderNode, {"model_path": str(tmp_path / "m.npz")}, other)


def test_bad_settings():
    with pytest.raises(GraphError, match="unknown decoder"):
        DecoderNode.make_settings({"decoder": "magic"})
    with pytest.raises(GraphError, match="calibration_s"):
        DecoderNode.make_settings({"calibration_s": 0})
    with pytest.raises(GraphError, match="'wiener' has no parameter 'q_ridge'; its parameters: n_lags"):
        DecoderNode.make_settings({"decoder": "wiener", "params": {"q_ridge": 1.0}})
    with pytest.raises(GraphError, match="'n_lags' must be an int"):
        DecoderNode.make_settings({"decoder": "kalman", "params": {"n_lags": "5"}})


def test_decoder_names_and_defaults_are_decodes():
    from cortexlink.decode import make_decoder

    node = make_node(DecoderNode, {"decoder": "kalman-ss", "params": {"n_lags": 2}}, SPEC)
    assert node.model.params() == make_decoder("kalman-ss", n_lags=2).params()
    assert make_node(DecoderNode, {}, SPEC).model.params() == make_decoder("kalman").params()


def test_a_missing_save_folder_is_refused_at_setup(tmp_path):
    with pytest.raises(CortexlinkError, match="does not exist"):
        make_node(DecoderNode, {"save_path": str(tmp_path / "nodir" / "m.npz")}, SPEC)


def test_calibrating_without_labels_is_refused_at_setup():
    with pytest.raises(NodeError, match="intended"):
        make_node(DecoderNode, {}, SPEC, connect_feedback=False)


def test_gru_is_a_parameter_away():
    params = {"hidden": 8, "epochs": 2, "window": 30, "burn_in": 5, "batch_size": 8, "threads": 1}
    node = make_node(DecoderNode, {"decoder": "gru", "params": params, "calibration_s": 4.0}, SPEC)
    monkey = Monkey()
    _run(node, monkey, 400)
    _wait_live(node)
    dec, want, live = _run(node, monkey, 100, start=400)
    assert live.all() and type(node.model).__name__ == "GRUDecoder"
    assert np.isfinite(dec).all() and dec.std(axis=1).min() > 0


def test_a_loaded_gru_is_warmed_up_and_starts_from_a_clean_state(tmp_path):
    from cortexlink.decode.base import load_decoder

    params = {"hidden": 8, "epochs": 2, "window": 30, "burn_in": 5, "batch_size": 8, "threads": 1}
    path = tmp_path / "gru.safetensors"
    node = make_node(DecoderNode, {"decoder": "gru", "params": params, "calibration_s": 3.0,
                                   "save_path": str(path)}, SPEC)
    monkey = Monkey()
    _run(node, monkey, 300)
    _wait_live(node)
    # setup() ran the model a few steps on zeros, then reset it: its output is that of a fresh model
    loaded = make_node(DecoderNode, {"model_path": str(path)}, SPEC)
    fresh = load_decoder(path)
    for k in range(20):
        x = monkey.features(monkey.velocity())
        out = loaded.process({"in": Chunk(x[:, None], k, 100.0, 7)})["out"].data
        np.testing.assert_allclose(out[:2, 0], fresh.step(x), rtol=1e-5, atol=1e-5)


def test_a_run_that_ends_during_calibration_says_why_nothing_was_decoded():
    node = make_node(DecoderNode, {"calibration_s": 3.0}, SPEC)
    _run(node, Monkey(), 120)
    node.shutdown()
    why = node.context.reports["never_live"]
    assert "120 of 300 calibration bins" in why and "calibration_s (3 s)" in why


def test_readme_snippet_loads_a_saved_model_into_the_default_graph(tmp_path, monkeypatch, capsys):
    """The README's `model_path` example: valid in the default graph, and the node loads the file."""
    import re
    from pathlib import Path

    import yaml

    from cortexlink.cli import main
    from cortexlink.decode import make_decoder
    from cortexlink.graph.graphfile import parse_graph
    from cortexlink.graph.plan import plan_graph
    from cortexlink.nodes import BUILTIN_NODES, DEFAULT_GRAPH
    from cortexlink.nodes.binned_decoder import BinnedDecoder

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("## Decoders", 1)[1].split("\n## ", 1)[0]
    (snippet,) = re.findall(r"```yaml\n(.*?)```", section, re.S)
    (node,) = yaml.safe_load(snippet)
    graph = yaml.safe_load(DEFAULT_GRAPH.read_text())
    graph["nodes"] = [node if n["nickname"] == "decoder" else n for n in graph["nodes"]]
    (tmp_path / "graph.yaml").write_text(yaml.safe_dump(graph, sort_keys=False))
    plan = plan_graph(parse_graph((tmp_path / "graph.yaml").read_text(), str(tmp_path / "graph.yaml")),
                      BUILTIN_NODES)
    n_features = plan.streams["features"].n_channels
    rng = np.random.default_rng(0)
    model = make_decoder("kalman", n_lags=1, q_ridge=1.0)
    model.fit(rng.poisson(2.0, size=(n_features, 300)), rng.normal(size=(2, 300)))
    model.save(tmp_path / node["parameters"]["model_path"])
    monkeypatch.chdir(tmp_path)
    assert main(["graph", "validate", "graph.yaml"]) == 0, capsys.readouterr()
    params = {**node["parameters"], "model_path": str(tmp_path / node["parameters"]["model_path"])}
    specs = {name: plan.streams[stream] for name, stream in node["inputs"].items()}
    dec = make_node(BinnedDecoder, params, specs, connect_feedback=False)
    assert dec.live and dec.model.n_features_ == n_features == 384


def test_a_monitor_status_on_the_mask_feedback_masks_dead_channels_by_a_hot_swap():
    node = make_node(DecoderNode, {"decoder": "kalman", "calibration_s": 3.0}, SPEC)
    monkey = Monkey()
    _run(node, monkey, 300)
    _wait_live(node)
    _run(node, monkey, 20, start=300)
    status = np.zeros((N_FEAT // 2, 1), dtype=np.float32)  # features = 2 blocks of 12 channels
    status[[1, 4], 0] = 1.0  # dead
    node.context.set_latest("mask", Chunk(status, 0, 2.0))
    _run(node, monkey, 1, start=320)
    node.swap.join(120)  # the re-solve runs off the loop; the next bin swaps it in
    dec, want, _ = _run(node, monkey, 200, start=321)
    assert np.flatnonzero(node.model.channel_mask).tolist() == [1, 4, 13, 16]
    assert len(node.swap.log) == 1
    assert np.corrcoef(dec[0], want[0])[0, 1] > 0.8
