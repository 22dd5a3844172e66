"""End to end through the simulator: spike times -> bins -> decoders recover the true velocity."""

from __future__ import annotations

import numpy as np
import pytest

from cortexlink import sim
from cortexlink.decode import bin_spikes, make_decoder, r2_score


@pytest.fixture(scope="module")
def simulated():
    result = sim.simulate(96, 120.0, sample_rate=4000.0, seed=3)
    truth, fs, width = result.truth, result.truth.sample_rate, 0.05
    X = bin_spikes(
        truth.spike_samples / fs,
        truth.spike_units.astype(np.int64),
        width,
        n_units=truth.n_units,
        t_stop=result.recording.duration,
    )
    centres = (np.arange(X.shape[1]) + 0.5) * width
    period = truth.control_period_samples / fs
    Y = truth.velocity[:, np.minimum((centres / period).astype(np.int64), truth.velocity.shape[1] - 1)]
    return X, Y


@pytest.mark.parametrize("name", ["wiener", "kalman", "kalman-ss"])
def test_decoders_recover_simulated_velocity(simulated, name):
    X, Y = simulated
    n = int(0.8 * X.shape[1])
    dec = make_decoder(name).fit(X[:, :n], Y[:, :n])
    assert np.all(r2_score(Y[:, n:], dec.predict(X[:, n:])) > 0.6)
