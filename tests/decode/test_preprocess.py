"""Binning and lag stacking."""

from __future__ import annotations

import numpy as np
import pytest

from cortexlink.core.errors import InvalidDataError, InvalidParameterError
from cortexlink.decode import bin_events, bin_spikes, lag_stack, sqrt_counts, zscore


def test_bin_spikes_counts_each_unit():
    times = np.array([0.01, 0.02, 0.06, 0.11, 0.12, 0.149])
    units = np.array([0, 1, 0, 1, 1, 0])
    counts = bin_spikes(times, units, 0.05, n_units=3, t_stop=0.15)
    np.testing.assert_array_equal(counts, [[1, 1, 1], [1, 0, 2], [0, 0, 0]])


def test_bin_spikes_bad_input():
    with pytest.raises(InvalidDataError, match="one unit per spike"):
        bin_spikes(np.zeros(3), np.zeros(2, dtype=int), 0.05)
    with pytest.raises(InvalidDataError, match="NaN"):
        bin_spikes(np.array([np.nan]), np.zeros(1, dtype=int), 0.05)
    with pytest.raises(InvalidParameterError):
        bin_spikes(np.zeros(1), np.zeros(1, dtype=int), -1.0)


def test_bin_events_sums_blocks():
    ev = np.zeros((2, 10), dtype=bool)
    ev[0, [0, 3, 4]] = True
    ev[1, 9] = True
    np.testing.assert_array_equal(bin_events(ev, 4), [[2, 1], [0, 0]])


def test_lag_stack_is_causal_and_zero_padded():
    Z = np.arange(1.0, 7.0).reshape(2, 3)
    L = lag_stack(Z, 2)
    np.testing.assert_array_equal(L, [[1, 2, 3], [4, 5, 6], [0, 1, 2], [0, 4, 5]])
    with pytest.raises(InvalidParameterError):
        lag_stack(Z, 0)


def test_sqrt_and_zscore():
    np.testing.assert_array_equal(sqrt_counts(np.array([[4.0, -1.0]])), [[2.0, 0.0]])
    z = zscore(np.array([[1.0, 3.0], [2.0, 2.0]]))
    np.testing.assert_array_equal(z, [[-1.0, 1.0], [0.0, 0.0]])
