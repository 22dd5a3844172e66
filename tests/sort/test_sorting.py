"""Sorting save/load (NPZ, NWB), SpikeInterface exchange, and bad files."""

from __future__ import annotations

import numpy as np
import pytest

from cortexlink.core.errors import CorruptDataError, InvalidDataError, UnsupportedFormatError
from cortexlink.sort import (
    Sorting,
    load_sorting,
    recording_from_spikeinterface,
    save_sorting,
    sorting_from_spikeinterface,
    to_spikeinterface,
    to_spikeinterface_recording,
)


def _same(a: Sorting, b: Sorting) -> None:
    assert a.sample_rate == b.sample_rate
    np.testing.assert_array_equal(a.spike_samples, b.spike_samples)
    np.testing.assert_array_equal(a.spike_units, b.spike_units)
    np.testing.assert_array_equal(a.unit_ids, b.unit_ids)


@pytest.mark.parametrize("suffix", [".npz", ".nwb"])
def test_round_trip(tetrode_sorted, tmp_path, suffix):
    sorting = tetrode_sorted[1]
    path = tmp_path / f"units{suffix}"
    save_sorting(sorting, path)
    back = load_sorting(path)
    _same(sorting, back)
    np.testing.assert_allclose(back.amplitudes, sorting.amplitudes, rtol=1e-6)
    np.testing.assert_array_equal(back.unit_channels, sorting.unit_channels)
    np.testing.assert_allclose(back.templates, sorting.templates, rtol=1e-6)


def test_spikeinterface_exchange(tetrode_sorted, tetrode):
    sorting = tetrode_sorted[1]
    si_sorting = to_spikeinterface(sorting)
    for unit in sorting.unit_ids:
        np.testing.assert_array_equal(si_sorting.get_unit_spike_train(unit), sorting.spike_train(unit))
    _same(sorting_from_spikeinterface(si_sorting), sorting)
    recording, _, probe = tetrode
    back, back_probe = recording_from_spikeinterface(to_spikeinterface_recording(recording, probe))
    np.testing.assert_array_equal(back.data, recording.data)
    np.testing.assert_array_equal(back_probe.positions, probe.positions)


def test_bad_files(tmp_path):
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a zip")
    with pytest.raises(CorruptDataError):
        load_sorting(junk)
    other = tmp_path / "other.npz"
    np.savez(other, x=np.zeros(3))
    with pytest.raises(UnsupportedFormatError):
        load_sorting(other)
    with pytest.raises(UnsupportedFormatError):
        load_sorting(tmp_path / "units.txt")


def test_bad_sorting():
    with pytest.raises(InvalidDataError):
        Sorting(30000.0, np.array([1, 2]), np.array([0]))
    with pytest.raises(InvalidDataError):
        Sorting(30000.0, np.array([-1]), np.array([0]))
    with pytest.raises(InvalidDataError):
        Sorting(30000.0, np.array([1]), np.array([3]), unit_ids=np.array([0, 1]))


def test_simulator_ground_truth_reads_as_a_sorting(tmp_path):
    """``cortexlink simulate --truth`` writes what ``sort-eval`` takes as TRUTH."""
    from cortexlink.cli import main
    from cortexlink.sort import load_sorting

    truth = tmp_path / "truth.npz"
    assert main(["simulate", "--channels", "4", "--seconds", "0.5", "--out", str(tmp_path / "r.npz"),
                 "--truth", str(truth), "--quiet"]) == 0
    sorting = load_sorting(truth)
    with np.load(truth) as raw:
        order = np.lexsort((raw["spike_units"], raw["spike_samples"]))
        np.testing.assert_array_equal(sorting.spike_samples, raw["spike_samples"][order])
        np.testing.assert_array_equal(sorting.spike_units, raw["spike_units"][order])
        assert sorting.sample_rate == float(raw["sample_rate"])
        assert sorting.n_units == raw["unit_channels"].size
