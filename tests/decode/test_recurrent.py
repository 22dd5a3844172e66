"""Network decoders: seeded, early-stopped, and a clear error without PyTorch."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from cortexlink.core.errors import InvalidParameterError
from cortexlink.decode import load_decoder, make_decoder

from .helpers import build

pytest.importorskip("torch")


def test_same_seed_same_network(population):
    X, Y = population
    a = build("gru", epochs=3, seed=7).fit(X[:, :1500], Y[:, :1500])
    b = build("gru", epochs=3, seed=7).fit(X[:, :1500], Y[:, :1500])
    np.testing.assert_array_equal(a.predict(X[:, 2400:2500]), b.predict(X[:, 2400:2500]))


def test_early_stopping_keeps_best_epoch(population):
    X, Y = population
    dec = build("lstm", epochs=40, patience=2, lr=0.05).fit(X[:, :1500], Y[:, :1500])
    val = [v for _, v in dec.history]
    assert len(val) < 40  # stopped early
    assert np.argmin(val) == len(val) - 1 - 2  # and the last `patience` epochs did not improve


@pytest.mark.parametrize("name", ["gru", "lstm"])
def test_two_layer_step_equals_predict(name, population):
    X, Y = population
    dec = build(name, layers=2, epochs=2, dropout=0.1).fit(X[:, :1500], Y[:, :1500])
    seq = X[:, 2400:2600]
    dec.reset()
    online = np.stack([dec.step(seq[:, t]) for t in range(seq.shape[1])], axis=1)
    np.testing.assert_allclose(online, dec.predict(seq), rtol=1e-9, atol=1e-9)


def test_bad_network_parameters():
    with pytest.raises(InvalidParameterError, match="window"):
        make_decoder("gru", window=5, burn_in=10)
    with pytest.raises(InvalidParameterError, match="hidden"):
        make_decoder("lstm", hidden=0)


def test_clear_error_without_torch(fitted, tmp_path, monkeypatch):
    path = fitted("gru").save(tmp_path / "g.safetensors")
    monkeypatch.setitem(sys.modules, "torch", None)  # as if torch were not installed
    with pytest.raises(InvalidParameterError, match=r"pip install cortexlink\[torch\]"):
        make_decoder("gru")
    with pytest.raises(InvalidParameterError, match="PyTorch"):
        load_decoder(path)
    make_decoder("wiener")  # the linear decoders do not need it
