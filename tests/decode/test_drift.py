"""Drift: a firing-rate shift raises one event; recalibration refits on recent data."""

from __future__ import annotations

import numpy as np
import pytest

from cortexlink.core.errors import InvalidDataError
from cortexlink.decode import DriftDetector, WienerFilter, r2_score, recalibrate

from .helpers import tuned_population


def test_rate_shift_raises_one_event_on_the_shifted_channels():
    X, _ = tuned_population(n_units=20, n_bins=5000, seed=3)
    det = DriftDetector(window=100, threshold=2.0, min_channels=3).fit(X[:, :2000])
    moved = [2, 5, 11, 12, 17, 19]
    shifted = X[:, 2000:].copy()
    shifted[moved, 1000:] *= 2.0  # six electrodes double their rate at bin 1000 of the stream
    events = [e for t in range(shifted.shape[1]) if (e := det.update(shifted[:, t])) is not None]
    assert len(events) == 1
    assert 1000 + det.hold <= events[0].bin_index < 1000 + det.hold + det.window
    assert set(events[0].channels.tolist()) <= set(moved) and len(events[0].channels) >= 3
    assert det.check(shifted[:, -400:]) is not None and det.check(X[:, 2000:2400]) is None


def test_no_event_on_stable_data():
    X, _ = tuned_population(n_units=20, n_bins=6000, seed=4)
    det = DriftDetector(window=200).fit(X[:, :3000])
    assert det.check(X[:, 3000:3600]) is None
    assert all(det.update(X[:, t]) is None for t in range(3000, 6000))


def test_recalibrate_refits_on_recent_data():
    X, Y = tuned_population(n_units=30, n_bins=3000, seed=5)
    old = WienerFilter(n_lags=5).fit(X[:, :1500], Y[:, :1500])
    remapped = X[::-1, 1500:]  # electrodes moved: every channel now sees another unit
    assert np.all(r2_score(Y[:, 2500:], old.predict(remapped[:, 1000:])) < 0.3)
    new = recalibrate(old, remapped[:, :1000], Y[:, 1500:2500])
    assert new is not old and new.params() == old.params()
    assert np.all(r2_score(Y[:, 2500:], new.predict(remapped[:, 1000:])) > 0.6)


def test_baseline_too_short():
    with pytest.raises(InvalidDataError, match="at least"):
        DriftDetector(window=100).fit(np.ones((3, 150)))
