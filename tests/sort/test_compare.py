"""Our ground-truth comparison gives SpikeInterface's numbers on the same pair of sortings."""

from __future__ import annotations

import numpy as np
import pytest

from cortexlink.core.errors import InvalidDataError
from cortexlink.sort import Sorting, compare_to_ground_truth, to_spikeinterface


def _perturbed(truth: Sorting, seed: int) -> Sorting:
    """Spikes jittered up to +-0.6 ms, 10 % dropped, 5 % random extras, one unit split in two, two
    units merged, and a unit of noise."""
    rng = np.random.default_rng(seed)
    keep = rng.random(truth.n_spikes) > 0.1
    samples = truth.spike_samples[keep] + rng.integers(-18, 19, keep.sum())
    units = truth.spike_units[keep].copy() + 10
    ids = np.unique(units)
    units[(units == ids[0]) & (rng.random(units.size) < 0.5)] = 99      # split
    units[units == ids[2]] = ids[1]                                      # merge
    extra = rng.integers(0, truth.n_samples, truth.n_spikes // 20)
    noise_unit = rng.integers(0, truth.n_samples, 300)
    return Sorting(truth.sample_rate, np.concatenate([np.maximum(samples, 0), extra, noise_unit]),
                   np.concatenate([units, rng.choice(ids, extra.size), np.full(300, 77)]))


@pytest.mark.parametrize("seed", [0, 1])
def test_matches_spikeinterface(tetrode, seed):
    from spikeinterface.comparison import compare_sorter_to_ground_truth

    truth = tetrode[1]
    found = _perturbed(truth, seed)
    ours = compare_to_ground_truth(found, truth)
    theirs = compare_sorter_to_ground_truth(to_spikeinterface(truth), to_spikeinterface(found),
                                            exhaustive_gt=True, delta_time=0.4)
    perf = theirs.get_performance()
    np.testing.assert_allclose(ours.accuracy, perf["accuracy"].to_numpy(float), atol=1e-9)
    np.testing.assert_allclose(ours.precision, perf["precision"].to_numpy(float), atol=1e-9)
    np.testing.assert_allclose(ours.recall, perf["recall"].to_numpy(float), atol=1e-9)
    assert ours.n_well_detected == theirs.count_well_detected_units(0.8)
    assert sorted(ours.false_positive_units) == sorted(int(u) for u in theirs.get_false_positive_units())
    partner = [theirs.hungarian_match_12[u] for u in theirs.unit1_ids]
    assert [int(p) for p in partner] == ours.partner.tolist()


def test_perfect_and_empty(tetrode):
    truth = tetrode[1]
    same = compare_to_ground_truth(truth, truth)
    assert np.all(same.accuracy == 1.0) and same.n_well_detected == truth.n_units
    empty = compare_to_ground_truth(Sorting(truth.sample_rate, np.zeros(0, np.int64), np.zeros(0, np.int64)),
                                    truth)
    assert np.all(empty.accuracy == 0.0) and np.all(empty.partner == -1)


def test_rates_must_agree(tetrode):
    truth = tetrode[1]
    other = Sorting(truth.sample_rate / 2, truth.spike_samples, truth.spike_units)
    with pytest.raises(InvalidDataError, match="Hz"):
        compare_to_ground_truth(other, truth)
