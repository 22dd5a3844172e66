"""NDT: causal attention over a rolling context; step equals predict; safe save/load."""

from __future__ import annotations

import numpy as np
import pytest

from cortexlink.core.errors import InvalidDataError, InvalidParameterError
from cortexlink.decode import load_decoder, make_decoder

from .helpers import check_context_decoder

pytest.importorskip("torch")

TINY = {"hidden": 16, "layers": 1, "heads": 2, "context": 6, "epochs": 2, "window": 24, "batch_size": 16}


@pytest.fixture(scope="module")
def ndt(population):
    X, Y = population
    return make_decoder("ndt", **TINY).fit(X[:, :1500], Y[:, :1500])


def test_step_equals_predict_it_decodes_and_sees_only_its_context(ndt, population):
    check_context_decoder(ndt, *population, context=TINY["context"])


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
