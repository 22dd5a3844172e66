"""The binned drifting population: tuned counts, scheduled faults, slow decay, determinism."""

import numpy as np
import pytest

from cortexlink.core.errors import InvalidParameterError
from cortexlink.sim.drifting import DriftConfig, DriftingPopulation, scheduled_faults


def _session(seed=0, **drift):
    cfg = DriftConfig(faults=(("dead", 2, 10.0), ("noisy", 5, 10.0)), decay_s=40.0, **drift)
    pop = DriftingPopulation(8, bin_s=0.05, drift=cfg, seed=seed)
    t = np.arange(1200) * 0.05
    v = 15.0 * np.stack([np.cos(t), np.sin(t)])
    return pop, pop.counts(v), v


def test_counts_are_tuned_faults_start_on_time_and_a_seed_repeats():
    pop, counts, v = _session()
    assert counts.shape == (8, 1200) and (counts >= 0).all()
    before, after = slice(0, 200), slice(200, None)  # faults start at 10 s = bin 200
    assert counts[2, before].any() and not counts[2, after].any()
    assert counts[5, after].mean() > 3 * counts[5, before].mean()
    drive = pop.units.direction @ v
    healthy = [c for c in range(8) if c not in (2, 5)]
    assert np.mean([np.corrcoef(counts[c, before], drive[c, before])[0, 1] for c in healthy]) > 0.3
    np.testing.assert_array_equal(_session()[1], counts)
    assert pop.faulty_channels().tolist() == [2, 5] and pop.faulty_channels(5.0).size == 0


def test_decaying_channels_lose_detections_and_faults_are_checked():
    pop = DriftingPopulation(50, drift=DriftConfig(decaying_fraction=0.5, final_detection=0.2, decay_s=100.0))
    assert np.isclose(pop.detection(100.0).min(), 0.2) and pop.detection(0.0).min() == 1.0
    faults = scheduled_faults(20, 100.0, 6, seed=1)
    assert len({c for _, c, _ in faults}) == 6 and all(20.0 <= t <= 80.0 for _, _, t in faults)
    with pytest.raises(InvalidParameterError, match="fault"):
        DriftConfig(faults=(("melted", 0, 1.0),))
    with pytest.raises(InvalidParameterError, match="outside"):
        DriftingPopulation(4, drift=DriftConfig(faults=(("dead", 4, 1.0),)))
