"""Networks that keep working: the read-out refitted for masked channels, and fine-tuning."""

from __future__ import annotations

import numpy as np
import pytest

from cortexlink.core.errors import InvalidDataError
from cortexlink.core.metrics import r2_score

from .helpers import build

pytest.importorskip("torch")


@pytest.fixture(scope="module")
def gru(population):
    X, Y = population
    return build("gru").fit(X[:, :2400], Y[:, :2400])


def _r2(Y, P) -> float:
    return float(np.mean(r2_score(Y, P)))


def test_a_masked_network_refits_its_readout_beats_zero_filling_and_steps_as_it_predicts(population, gru):
    X, Y = population
    Xte, Yte = X[:, 2400:], Y[:, 2400:]
    full = gru.predict(Xte)
    dead = np.arange(0, X.shape[0], 2)
    zeroed = Xte.copy()
    zeroed[dead] = 0.0
    r2_zero = _r2(Yte, gru.predict(zeroed))
    before = gru.weights["out.weight"].copy()
    gru.set_channel_mask(dead)
    assert not np.array_equal(gru.weights["out.weight"], before)  # the head was refitted
    masked = gru.predict(zeroed)
    assert _r2(Yte, masked) > r2_zero
    gru.reset()
    steps = np.stack([gru.step(zeroed[:, t]) for t in range(300)], axis=1)
    np.testing.assert_allclose(steps, masked[:, :300], rtol=1e-9, atol=1e-9)
    gru.set_channel_mask([])
    np.testing.assert_array_equal(gru.predict(Xte), full)


def test_fine_tuning_follows_new_labels_and_keeps_step_equal_to_predict(population):
    X, Y = population
    dec = build("gru").fit(X[:, :1200], Y[:, :1200])
    flipped = -Y  # the subject now means the opposite with the same activity
    test = X[:, 2400:2700]
    before = _r2(flipped[:, 2400:2700], dec.predict(test))
    dec.adapt(X[:, 1200:2400], flipped[:, 1200:2400], keep=0.0)
    pred = dec.predict(test)
    assert _r2(flipped[:, 2400:2700], pred) > before + 0.5
    dec.reset()
    np.testing.assert_allclose(np.stack([dec.step(test[:, t]) for t in range(300)], axis=1), pred,
                               rtol=1e-9, atol=1e-9)
    with pytest.raises(InvalidDataError, match="too short to fine-tune"):
        dec.adapt(X[:, :40], Y[:, :40])
