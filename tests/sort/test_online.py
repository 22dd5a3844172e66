"""The online sorter equals the offline matching pass, in any chunking; models round-trip."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cortexlink.core.errors import InvalidDataError, ModelFileError
from cortexlink.sort import OnlineSorter, compare_to_ground_truth, load_model, save_model
from cortexlink.sort.matching import Matcher
from cortexlink.sort.preprocess import preprocess
from cortexlink.sort.sorting import Sorting


def _offline_spikes(model, recording):
    x, _ = preprocess(recording.microvolts(), recording.sample_rate, model.probe, model.params,
                      model.whitener)
    s, u, a = Matcher(model.templates, model.geometry, model.params).match_all(x, n_jobs=1)
    return s, model.unit_ids[u], a


@pytest.fixture(scope="module")
def segment(tetrode):
    return tetrode[0].time_slice(0, 3.0)


def test_online_equals_offline(tetrode_sorted, segment):
    model = tetrode_sorted[0]
    s, u, a = _offline_spikes(model, segment)
    spikes = OnlineSorter(model, adapt=False).sort(segment, chunk_samples=30)
    assert s.size > 50
    np.testing.assert_array_equal(spikes.samples, s)
    np.testing.assert_array_equal(spikes.units, u)
    np.testing.assert_allclose(spikes.scales, a, rtol=1e-12)


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sizes=st.lists(st.integers(1, 2500), min_size=1, max_size=6), adapt=st.booleans())
def test_chunk_invariant(tetrode_sorted, segment, sizes, adapt):
    model = tetrode_sorted[0]
    segment = segment.time_slice(0, 1.0 if min(sizes) > 10 else 0.3)
    whole = OnlineSorter(model, adapt).sort(segment, chunk_samples=segment.n_samples)
    sorter = OnlineSorter(model, adapt)
    data = segment.microvolts()
    parts, start, i = [], 0, 0
    while start < data.shape[1]:
        n = sizes[i % len(sizes)]
        parts.append(sorter.process(data[:, start:start + n]))
        start, i = start + n, i + 1
    parts.append(sorter.finish())
    got = np.concatenate([p.samples for p in parts])
    np.testing.assert_array_equal(got, whole.samples)  # released in time order, nothing twice
    np.testing.assert_array_equal(np.concatenate([p.units for p in parts]), whole.units)


def test_online_accuracy_near_offline(tetrode, tetrode_sorted):
    recording, truth, _ = tetrode
    model, offline = tetrode_sorted
    spikes = OnlineSorter(model, adapt=True).sort(recording, chunk_samples=300)
    online = Sorting(recording.sample_rate, spikes.samples, spikes.units, unit_ids=model.unit_ids)
    a_on = compare_to_ground_truth(online, truth).accuracy.mean()
    a_off = compare_to_ground_truth(offline, truth).accuracy.mean()
    assert a_on >= a_off - 0.05


def test_raster_and_recalibration(tetrode_sorted, segment, tmp_path):
    model = tetrode_sorted[0]
    path = tmp_path / "model.npz"
    save_model(model, path)
    loaded = load_model(path)
    sorter = OnlineSorter(loaded, adapt=False)
    data = segment.microvolts()
    from cortexlink.core.chunk import Chunk

    rasters = [sorter.process_raster(Chunk(data[:, i:i + 300], i, segment.sample_rate))
               for i in range(0, data.shape[1], 300)]
    rasters = [r for r in rasters if r is not None]
    covered = np.concatenate([r.data for r in rasters], axis=1)
    assert rasters[0].start_sample == 0 and covered.shape[0] == model.unit_ids.size
    samples, rows = np.nonzero(covered.T)
    s, u, _ = _offline_spikes(model, segment)
    final = s < covered.shape[1]
    got = sorted(zip(samples.tolist(), model.unit_ids[rows].tolist(), strict=True))
    assert got == sorted(zip(s[final].tolist(), u[final].tolist(), strict=True))
    sorter.recalibrate(model)  # same templates: matching carries on
    assert sorter.process(data[:, :300]).samples.size >= 0
    with pytest.raises(InvalidDataError):
        sorter.process(data[:2, :30])


def test_bad_model_file(tmp_path):
    path = tmp_path / "model.npz"
    np.savez(path, x=np.zeros(2))
    with pytest.raises(ModelFileError):
        load_model(path)
