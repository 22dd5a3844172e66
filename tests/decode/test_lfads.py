"""LFADS-style decoder: causal over a rolling context; step equals predict; safe save/load."""

from __future__ import annotations

import numpy as np
import pytest

from cortexlink.core.errors import InvalidDataError, InvalidParameterError
from cortexlink.decode import load_decoder, make_decoder

from .helpers import check_context_decoder

pytest.importorskip("torch")

TINY = {"hidden": 16, "encoder": 16, "factors": 4, "context": 8, "epochs": 3, "batch_size": 32}


@pytest.fixture(scope="module")
def lfads(population):
    X, Y = population
    return make_decoder("lfads", **TINY).fit(X[:, :1500], Y[:, :1500])


def test_step_equals_predict_it_decodes_and_sees_only_its_context(lfads, population):
    check_context_decoder(lfads, *population, context=TINY["context"])


def test_save_load_round_trip_and_bad_input(lfads, population, tmp_path):
    X, _ = population
    back = load_decoder(lfads.save(tmp_path / "lfads.safetensors"))
    np.testing.assert_array_equal(back.predict(X[:, :200]), lfads.predict(X[:, :200]))
    with pytest.raises(InvalidDataError, match="NaN"):
        lfads.predict(np.full((X.shape[0], 20), np.nan))
    with pytest.raises(InvalidParameterError, match="context"):
        make_decoder("lfads", context=1)
