"""Learning the ADC code lattice of int16 samples."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

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


@given(st.lists(st.integers(-2000, 2000), min_size=1, max_size=60, unique=True),
       st.floats(0.5, 80.0), st.integers(0, 60))
def test_hull_vertices_hold_the_extremes_a_step_search_looks_for(ks, s, j):
    k = np.sort(np.array(ks, np.float64))
    u = np.floor(s * k + np.random.default_rng(len(ks)).uniform(0, 3, len(k)))
    j = min(j, len(k))
    keep = np.zeros(len(k), np.bool_)
    lattice._mark_hulls(u, k, 0, j, keep)
    lattice._mark_hulls(u, k, j, len(k), keep)
    for a, b in ((0, j), (j, len(k))):
        if b > a:
            for trial in (s, s * 1.01, s * 0.97):
                r = u[a:b] - trial * k[a:b]
                kept = r[keep[a:b]]
                assert kept.max() == pytest.approx(r.max(), abs=1e-6)
                assert kept.min() == pytest.approx(r.min(), abs=1e-6)


def test_codes_of_some_channels_leaves_the_others_alone():
    rng = np.random.default_rng(5)
    v = (rng.integers(0, 40, (4, 50)) * 64).astype(np.int16)
    maps = np.tile([64.0, 0.0, 0.0, 0.0], (4, 1))
    every, some = np.empty((4, 50), np.int32), np.full((4, 50), -7, np.int32)
    assert lattice.codes(v, maps, every).all()
    assert lattice.codes_of(v, maps, some, np.array([1, 3])).all()
    np.testing.assert_array_equal(some[[1, 3]], every[[1, 3]])
    assert (some[[0, 2]] == -7).all()
