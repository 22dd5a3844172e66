"""eeg_classifier: sliding-window probabilities from a saved classifier, chunked == whole; file_source
replays an EDF with an event row."""

from __future__ import annotations

import numpy as np

from cortexlink.core.chunk import Chunk
from cortexlink.core.streamspec import StreamSpec
from cortexlink.nodes.eeg_classifier import EEGClassifier

from ..decode.trials.conftest import simulate
from .helpers import make_node


def test_sliding_window_probabilities_chunked_equal_whole(tmp_path):
    from cortexlink.decode.trials import make_classifier

    ep = simulate(20, n_samples=161, seed=4)
    model = make_classifier("ts-lr").fit(ep).save(tmp_path / "m.npz")
    stream = np.concatenate(list(ep.data[:6]), axis=1).astype(np.float32)  # 6 trials back to back
    spec = {"in": StreamSpec("eeg", 8, 160.0, "float32", 16)}
    params = {"model": str(model), "hop_s": 0.25}
    whole = make_node(EEGClassifier, params, spec).process({"in": Chunk(stream, 0, 160.0, 1)})["out"]
    node = make_node(EEGClassifier, params, spec)
    parts = [
        node.process({"in": Chunk(stream[:, i : i + 16], i, 160.0, 1)}) for i in range(0, stream.shape[1], 16)
    ]
    chunked = np.concatenate([p["out"].data for p in parts if p], axis=1)
    assert whole.data.shape[0] == 2 and whole.sample_rate == 4.0
    assert whole.data.shape[1] == (stream.shape[1] - 161) // 40 + 1
    np.testing.assert_allclose(chunked, whole.data, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(whole.data.sum(axis=0), 1, rtol=1e-5)
    out = EEGClassifier.describe_outputs(EEGClassifier.make_settings(params), spec)["out"]
    assert out.n_channels == 2 and out.sample_rate == 4.0


def test_file_source_adds_an_event_row():
    from cortexlink.core.recording import Recording
    from cortexlink.io.events import event_codes, marker_row

    notes = [
        {"onset": 0.5, "duration": 1, "description": "T1"},
        {"onset": 1.0, "duration": 1, "description": "T0"},
    ]
    rec = Recording(np.zeros((2, 320), np.float32), 160.0, metadata={"annotations": notes})
    assert event_codes(rec) == {"T0": 1, "T1": 2}
    row = marker_row(rec)
    assert row[80] == 2 and row[160] == 1 and np.count_nonzero(row) == 2
