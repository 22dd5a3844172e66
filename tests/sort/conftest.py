"""A small SpikeInterface ground-truth recording (tetrode, 5 well-separated units, 30 s) and our
sort of it, shared by the sort tests (generating and sorting it once keeps them quick)."""

from __future__ import annotations

import pytest

from cortexlink.sort import fit_sorter, ground_truth_recording

SEED = 2  # a draw whose 5 units all have SNR >= 5 ("well separated"); the tests check that


@pytest.fixture(scope="session")
def tetrode():
    recording, truth, probe = ground_truth_recording("tetrode", n_units=5, duration_s=30.0, max_depth_um=20.0,
                                                     seed=SEED)
    return recording, truth, probe


@pytest.fixture(scope="session")
def tetrode_sorted(tetrode):
    recording, _truth, probe = tetrode
    model, sorting = fit_sorter(recording, probe)
    return model, sorting
