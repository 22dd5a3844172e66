"""Online == offline: a classifier trained on causally filtered epochs gets, from a stream run
through ``WindowClassifier`` in chunks, exactly the probabilities it gives those epochs; one trained
on zero-phase filtered epochs is refused."""

from __future__ import annotations

import numpy as np
import pytest

from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import InvalidParameterError
from cortexlink.core.recording import Recording
from cortexlink.decode.trials import epochs_from_recording, make_classifier
from cortexlink.decode.trials.online import WindowClassifier

from .conftest import RATE, simulate

TRIAL = 200  # samples between cues: five hops of 40


def _stream_with_cues(n_trials: int = 24) -> Recording:
    sim = simulate(n_trials, n_samples=TRIAL, seed=7)
    lead = np.random.default_rng(8).normal(size=(sim.n_channels, TRIAL))
    data = np.concatenate([lead, *sim.data], axis=1)
    notes = [
        {"onset": (i + 1) * TRIAL / RATE, "duration": 1.0, "description": sim.class_names[y]}
        for i, y in enumerate(sim.labels)
    ]
    return Recording(
        data.astype(np.float32), RATE, metadata={"channel_names": sim.channel_names, "annotations": notes}
    )


@pytest.mark.parametrize("name", ["csp-lda", "ts-lr"])
def test_stream_windows_at_the_cues_equal_the_causal_epochs(name):
    rec = _stream_with_cues()
    options = {"events": ["left", "right"], "tmin": 0.0, "tmax": 1.0, "band": (8.0, 30.0)}
    epochs = epochs_from_recording(rec, causal=True, **options)
    assert epochs.causal and epochs.band == (8.0, 30.0)
    clf = make_classifier(name).fit(epochs)
    block = WindowClassifier(clf, RATE, hop_s=40 / RATE)
    stream = rec.data.astype(np.float64)
    outs = [block.process(Chunk(stream[:, i : i + 37], i, RATE, 1)) for i in range(0, stream.shape[1], 37)]
    proba = np.concatenate([o.data for o in outs if o.n_samples], axis=1).T  # (windows, classes)
    at_cues = proba[epochs.events // 40]  # window j starts at sample 40 j
    np.testing.assert_allclose(at_cues, clf.predict_proba(epochs), rtol=1e-4, atol=1e-5)
    # the zero-phase trials of the same cues are different trials: what the node ran before
    zero_phase = epochs_from_recording(rec, **options)
    assert not np.allclose(zero_phase.data, epochs.data, atol=1e-3 * np.abs(epochs.data).max())
    with pytest.raises(InvalidParameterError, match="zero-phase"):
        WindowClassifier(make_classifier(name).fit(zero_phase), RATE)
