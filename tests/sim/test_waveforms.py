"""Waveforms: biphasic or triphasic, 0.8-1.5 ms, 30-300 uV, trough where the truth says."""

import numpy as np
import pytest

from cortexlink.sim.waveforms import (
    FIXED_POINT,
    random_waveforms,
    template_length,
    to_fixed_point,
    trough_index,
    waveform,
)


@pytest.mark.parametrize("rate", [30000.0, 20000.0, 40000.0])
def test_trough_depth_and_position(rate):
    w = waveform(rate, 120.0, 1.0, 0.3, 0.0)
    assert w.shape == (template_length(rate),)
    assert np.argmin(w) == trough_index(rate)
    assert w.min() == pytest.approx(-120.0, rel=0.02)
    assert abs(w[0]) < 1.0 and abs(w[-1]) < 1.0


def _phases(w: np.ndarray, frac: float = 0.1) -> list[int]:
    """Signs of the successive lobes larger than ``frac`` of the trough."""
    big = np.where(np.abs(w) > frac * np.abs(w).max(), np.sign(w), 0)
    signs = [int(s) for s in big if s != 0]
    return [s for i, s in enumerate(signs) if i == 0 or s != signs[i - 1]]


def test_biphasic_and_triphasic_shapes():
    assert _phases(waveform(30000.0, 100.0, 1.2, 0.35, 0.0)) == [-1, 1]
    assert _phases(waveform(30000.0, 100.0, 1.2, 0.35, 0.25)) == [1, -1, 1]


@pytest.mark.parametrize("width", [0.8, 1.5])
def test_duration_follows_width(width):
    fs = 300000.0
    w = waveform(fs, 100.0, width, 0.35, 0.0)
    active = np.flatnonzero(np.abs(w) > 0.05 * 100.0)
    duration_ms = (active[-1] - active[0]) / fs * 1e3
    assert 0.7 * width < duration_ms < 1.1 * width


def test_random_waveforms_in_range_and_varied():
    w = random_waveforms(np.random.default_rng(0), 40, 30000.0, (30.0, 300.0), (0.8, 1.5), 0.3)
    depth = -w.min(axis=1)
    assert np.all((depth > 29.9) & (depth < 300.1))
    assert depth.max() / depth.min() > 3
    assert sum(len(_phases(x)) == 3 for x in w) >= 4
    assert sum(len(_phases(x)) == 2 for x in w) >= 20


def test_fixed_point_round_trip():
    w = waveform(30000.0, 77.7, 1.0, 0.3, 0.1)
    np.testing.assert_allclose(to_fixed_point(w) / FIXED_POINT, w, atol=0.5 / FIXED_POINT)
