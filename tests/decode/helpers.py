"""Synthetic cosine-tuned Poisson populations with known velocity, and tiny decoder settings."""

from __future__ import annotations

import numpy as np
import pytest


def tuned_population(n_units: int = 40, n_bins: int = 3000, seed: int = 0, lead: int = 2):
    """Counts ``(n_units, n_bins)`` of cosine-tuned Poisson units and the velocity ``(2, n_bins)``
    they encode; activity leads movement by ``lead`` bins, as in motor cortex."""
    rng = np.random.default_rng(seed)
    kernel = np.exp(-0.5 * (np.arange(-15, 16) / 5.0) ** 2)
    noise = rng.standard_normal((2, n_bins + lead + 60))
    vel = np.stack([np.convolve(r, kernel, mode="same") for r in noise])[:, 30:-30]
    vel /= vel.std(axis=1, keepdims=True)
    pref = rng.uniform(0, 2 * np.pi, n_units)
    depth = rng.uniform(0.5, 1.0, n_units)
    base = rng.uniform(1.0, 3.0, n_units)
    drive = np.cos(pref)[:, None] * vel[0] + np.sin(pref)[:, None] * vel[1]
    rate = base[:, None] * np.exp(0.6 * depth[:, None] * drive)
    counts = rng.poisson(rate)
    # activity in bin t reflects the velocity of bin t + lead
    return counts[:, lead : lead + n_bins].astype(np.float64), vel[:, :n_bins]


TINY_NET = dict(hidden=16, epochs=15, lr=1e-2, window=40, burn_in=5, batch_size=8, threads=1, dropout=0.0)
REGRESSORS = ("wiener", "kalman", "kalman-ss", "gru", "lstm")
CLASSIFIERS = ("lda", "svm")


def build(name: str, **params):
    """A decoder by name; the networks tiny so tests stay fast."""
    from cortexlink.decode import make_decoder

    if name in ("gru", "lstm"):
        pytest.importorskip("torch")
        params = {**TINY_NET, **params}
    return make_decoder(name, **params)


def intent_labels(Y: np.ndarray) -> np.ndarray:
    """Discrete intent from velocity: the quadrant of the movement direction (0..3)."""
    angle = np.arctan2(Y[1], Y[0])
    return (np.floor((angle + np.pi) / (np.pi / 2)).astype(np.int64)) % 4


def check_context_decoder(dec, X, Y, context: int) -> None:
    """A rolling-context decoder: ``step`` equals ``predict``, it decodes ``Y``, and its last output
    depends on the last ``context`` bins only."""
    test = X[:, 2400:2600]
    pred = dec.predict(test)
    dec.reset()
    steps = np.stack([dec.step(test[:, t]) for t in range(test.shape[1])], axis=1)
    np.testing.assert_allclose(steps, pred, rtol=1e-9, atol=1e-9)
    assert np.corrcoef(pred[0], Y[0, 2400:2600])[0, 1] > 0.5
    a = X[:, 100:100 + 3 * context].copy()
    b = a.copy()
    b[:, : -context] = 0.0  # bins before the last context change nothing
    np.testing.assert_allclose(dec.predict(a)[:, -1], dec.predict(b)[:, -1], rtol=1e-12)
    b[:, -2] += 5.0
    assert not np.allclose(dec.predict(a)[:, -1], dec.predict(b)[:, -1])
