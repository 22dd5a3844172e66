"""Learning the ADC code lattice of int16 samples."""

from __future__ import annotations

import numpy as np

from cortexlink.codec import lattice


def _check(v: np.ndarray) -> tuple:
    fit = lattice.learn(v)
    assert fit is not None
    step, offsets, split, codes = fit
    np.testing.assert_array_equal(lattice.values(codes, step, *offsets, split), v)
    k = np.empty((1, len(v)), np.int32)
    assert lattice.codes(v[None], np.array([[step, *offsets, split]]), k).all()
    np.testing.assert_array_equal(k[0], codes)
    return fit


def test_ten_bit_codes_rounded_towards_zero_map_to_consecutive_codes():
    c = np.random.default_rng(0).integers(300, 700, 5000)
    v = np.trunc((c - 511.5) * (65535 / 1023)).astype(np.int16)
    step, _, _, codes = _check(v)
    assert abs(step - 65535 / 1023) < 1e-3
    np.testing.assert_array_equal(np.diff(np.unique(codes)), np.diff(np.unique(c)))


def test_integer_step_with_offset_and_a_single_half():
    v = (np.random.default_rng(1).integers(0, 50, 1000) * 63 + 5).astype(np.int16)
    step, _, _, codes = _check(v)
    assert codes.max() <= 49


def test_data_on_no_lattice_is_refused():
    rng = np.random.default_rng(2)
    assert lattice.learn(rng.integers(-32768, 32768, 1000).astype(np.int16)) is None
    assert lattice.learn(np.full(10, 3, np.int16)) is None
    assert lattice.learn(np.array([0, 1, 2, 3], np.int16)) is None
