"""Simulated two-class motor-imagery trials with a known spatial pattern, and a second session
seen through a different mixing (a drift that re-centring should undo)."""

from __future__ import annotations

import numpy as np
import pytest

from cortexlink.decode.trials import Epochs, concatenate

RATE = 160.0


def simulate(
    n_trials: int = 40,
    n_channels: int = 8,
    n_samples: int = 321,
    seed: int = 0,
    session: int = 0,
    drift: float = 0.0,
    strength: float = 1.0,
) -> Epochs:
    """Class 0 raises a sensorimotor rhythm (8-30 Hz, mu and beta) in source 0, class 1 in source 1;
    the sources are mixed into the channels by a fixed matrix (times a session-specific distortion
    of size ``drift``)."""
    from scipy.signal import butter, sosfilt

    sos = butter(4, [8, 30], btype="bandpass", fs=RATE, output="sos")
    rng = np.random.default_rng(seed)
    mixing = np.random.default_rng(123).normal(size=(n_channels, n_channels)) + 3 * np.eye(n_channels)
    if drift:
        mixing = (
            np.eye(n_channels)
            + drift * np.random.default_rng(1000 + session).normal(size=(n_channels, n_channels))
        ) @ mixing
    labels = np.arange(n_trials) % 2
    data = np.empty((n_trials, n_channels, n_samples))
    for i, y in enumerate(labels):
        src = rng.normal(size=(n_channels, n_samples))
        amp = np.ones(2)
        amp[y] += strength * 2.0
        rhythm = sosfilt(sos, rng.normal(size=(2, n_samples + 200)), axis=1)[:, 200:]
        src[:2] += amp[:, None] * rhythm / rhythm.std()
        data[i] = mixing @ src
    return Epochs(
        data,
        labels,
        RATE,
        [f"C{i}" for i in range(n_channels)],
        ["left", "right"],
        session=np.full(n_trials, session),
    )


@pytest.fixture(scope="module")
def two_class() -> Epochs:
    return simulate(40, seed=1)


@pytest.fixture(scope="module")
def two_sessions() -> Epochs:
    return concatenate(
        [
            simulate(30, seed=2, session=0, drift=0.6, strength=0.5),
            simulate(30, seed=3, session=1, drift=0.6, strength=0.5),
        ]
    )
