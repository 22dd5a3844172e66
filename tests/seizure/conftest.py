"""Small simulated scenes shared by the seizure tests (250 Hz keeps them quick)."""

import pytest

from cortexlink.sim.scene import simulate_scene

RATE = 250.0


@pytest.fixture(scope="session")
def train_scene():
    return simulate_scene(n_sites=3, channels_per_site=4, seconds=40.0, sample_rate=RATE, seizure=True,
                          seizure_onset_s=10.0, seizure_duration_s=20.0, spread_delays_s=[0.0, 4.0, 1000.0],
                          seed=1, task=None)


@pytest.fixture(scope="session")
def spread_scene():
    """Site0 seizes first, site1 3 s and site2 6 s later; site3 never (its episode is past the end)."""
    return simulate_scene(n_sites=4, channels_per_site=4, seconds=30.0, sample_rate=RATE, seizure=True,
                          seizure_onset_s=6.0, seizure_duration_s=12.0,
                          spread_delays_s=[0.0, 3.0, 6.0, 1000.0], seed=3, task=None)
