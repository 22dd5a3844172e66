"""NDT: causal attention over a rolling context; step equals predict; safe save/load."""

from __future__ import annotations

import numpy as np
import pytest

from cortexlink.core.errors import InvalidDataError, InvalidParameterError
from cortexlink.decode import load_decoder, make_decoder

pytest.importorskip("torch")

TINY = {"hidden": 16, "layers": 1, "heads": 2, "context": 6, "epochs": 2, "window": 24, "batch_size": 16}


@pytest.fixture(scope="module")
def ndt(population):
    X, Y = population
    return make_decoder("ndt", **TINY).fit(X[:, :1500], Y[:, :1500])


def test_step_equals_predict_and_the_fit_decodes(ndt, population):
    X, Y = population
    test = X[:, 2400:2700]
    pred = ndt.predict(test)
    ndt.reset()
    steps = np.stack([ndt.step(test[:, t]) for t in range(test.shape[1])], axis=1)
    np.testing.assert_allclose(steps, pred, rtol=1e-9, atol=1e-9)
    assert np.corrcoef(pred[0], Y[0, 2400:2700])[0, 1] > 0.5


def test_output_depends_only_on_the_last_context_bins(ndt, population):
    X, _ = population
    a = X[:, 100:140].copy()
    b = a.copy()
    b[:, :20] = 0.0  # change bins long before the last context
    np.testing.assert_allclose(ndt.predict(a)[:, -1], ndt.predict(b)[:, -1], rtol=1e-12)
    b[:, -3] += 5.0
    assert not np.allclose(ndt.predict(a)[:, -1], ndt.predict(b)[:, -1])


def test_save_load_round_trip_and_bad_input(ndt, population, tmp_path):
    X, _ = population
    back = load_decoder(ndt.save(tmp_path / "ndt.safetensors"))
    np.testing.assert_array_equal(back.predict(X[:, :200]), ndt.predict(X[:, :200]))
    with pytest.raises(InvalidDataError):
        ndt.predict(X[:3, :50])  # wrong channel count
    with pytest.raises(InvalidParameterError, match="window"):
        make_decoder("ndt", context=40, window=20)
    with pytest.raises(InvalidParameterError, match="heads"):
        make_decoder("ndt", hidden=10, heads=4)
