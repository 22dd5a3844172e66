"""Channel loss: masked decoding degrades less than zero-filled decoding."""

from __future__ import annotations

import pytest

from cortexlink.core.errors import InvalidParameterError
from cortexlink.decode.datasets import MotorData
from cortexlink.decode.robustness import channel_loss


@pytest.fixture
def motor(population):
    X, Y = population
    return MotorData(X=X, Y=Y, bin_width=0.05, output_names=["vx", "vy"], source="simulated")


def test_masking_keeps_more_of_the_fit_than_zero_filling(motor):
    rows = channel_loss(motor, ["wiener", "kalman"], fractions=(0.0, 0.5), draws=2)
    assert [(r.decoder, r.fraction) for r in rows] == [
        ("wiener", 0.0), ("wiener", 0.5), ("kalman", 0.0), ("kalman", 0.5)
    ]
    for r in rows:
        if r.fraction == 0.0:
            assert r.r2_masked == r.r2_zero_filled and r.n_lost == 0
        else:
            assert r.r2_masked > r.r2_zero_filled


def test_bad_arguments_are_clear(motor):
    with pytest.raises(InvalidParameterError, match="fractions"):
        channel_loss(motor, ["wiener"], fractions=(1.0,))
    with pytest.raises(InvalidParameterError, match="classifiers"):
        channel_loss(motor, ["lda"])
