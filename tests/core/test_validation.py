"""The shared argument checks return clean values or raise cortexlink errors that say what to do."""

from __future__ import annotations

import numpy as np
import pytest

from cortexlink.core import InvalidDataError, InvalidParameterError
from cortexlink.core.validation import check_2d, check_finite, check_positive, check_sample_rate


def test_sample_rate_accepts_numbers_and_numeric_strings():
    assert check_sample_rate(30000) == 30000.0 and isinstance(check_sample_rate(np.int32(5)), float)
    assert check_sample_rate("173.61") == 173.61


@pytest.mark.parametrize("value", [0, -1.0, float("inf"), float("nan"), "abc", None, [1]])
def test_sample_rate_refuses(value):
    with pytest.raises(InvalidParameterError, match="my_rate"):
        check_sample_rate(value, "my_rate")


@pytest.mark.parametrize("value", [0, -0.1, float("inf"), "x"])
def test_positive_refuses(value):
    with pytest.raises(InvalidParameterError, match="gain"):
        check_positive(value, "gain")


def test_check_2d():
    assert check_2d([[1, 2]]).shape == (1, 2)
    assert check_2d(np.zeros((3, 0))).shape == (3, 0)
    with pytest.raises(InvalidDataError, match=r"data\[None, :\]"):
        check_2d(np.zeros(4))
    with pytest.raises(InvalidDataError, match="zero samples"):
        check_2d(np.zeros((3, 0)), "x", allow_empty_samples=False)
    with pytest.raises(InvalidDataError, match="x has zero channels"):
        check_2d(np.zeros((0, 3)), "x")


def test_check_finite_counts_bad_values_and_ignores_integers():
    check_finite(np.array([[1, 2]], np.int16))
    check_finite(np.zeros((1, 0), np.float32))
    with pytest.raises(InvalidDataError, match="holds 2 NaN or infinite values"):
        check_finite(np.array([np.nan, 1.0, np.inf]))
