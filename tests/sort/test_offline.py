"""The offline sorter finds every unit of a small tetrode recording, and refuses bad input clearly."""

from __future__ import annotations

import numpy as np
import pytest

from cortexlink.core.errors import CortexlinkError, InvalidDataError, InvalidParameterError
from cortexlink.core.recording import Recording
from cortexlink.sort import SortParams, compare_to_ground_truth, isi_violations, sort_recording, unit_snr


def test_every_unit_found(tetrode, tetrode_sorted):
    recording, truth, _ = tetrode
    assert np.all(unit_snr(recording, truth) >= 5)  # the units are well separated
    sorting = tetrode_sorted[1]
    comparison = compare_to_ground_truth(sorting, truth)
    assert np.all(comparison.accuracy > 0.9), comparison.accuracy
    # what it found looks like neurons: templates, main channels and amplitudes filled in
    assert sorting.templates.shape[:2] == (sorting.n_units, recording.n_channels)
    matched = np.isin(sorting.unit_ids, comparison.partner)
    assert np.all(isi_violations(sorting)[matched] < 0.01)
    assert np.all(sorting.amplitudes > 0)


def test_bad_input(tetrode):
    recording, _, probe = tetrode
    short = recording.time_slice(0, 0.002)
    with pytest.raises(InvalidDataError, match="shorter"):
        sort_recording(short, probe)
    with pytest.raises(InvalidParameterError, match="channels"):
        sort_recording(recording.time_slice(0, 1.0), probe.positions[:3])
    with pytest.raises(InvalidDataError, match="zero channels"):
        sort_recording(np.zeros((0, 3000), np.float32), sample_rate=30000.0)
    with pytest.raises(CortexlinkError):
        sort_recording(np.full((4, 3000), np.nan, np.float32), sample_rate=30000.0)
    with pytest.raises(InvalidParameterError):
        SortParams(low_hz=7000.0)
    flat = Recording(np.zeros((4, 30000), np.float32), 30000.0)
    with pytest.raises(InvalidDataError, match="flat"):
        sort_recording(flat, probe)
