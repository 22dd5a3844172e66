import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import InvalidParameterError
from cortexlink.dsp import LineLength

FS = 1000.0
CUTS = st.lists(st.integers(0, 3000), max_size=12)


@settings(max_examples=25, deadline=None)
@given(cuts=CUTS, window_s=st.sampled_from([0.05, 0.2]), hop_s=st.sampled_from([0.01, 0.05, 0.3]))
def test_any_chunking_equals_whole(spiky, assert_chunk_invariant, cuts, window_s, hop_s):
    assert_chunk_invariant(LineLength(FS, window_s=window_s, hop_s=hop_s), spiky, cuts)


def test_matches_definition_on_each_window(spiky):
    ll = LineLength(FS, window_s=0.2, hop_s=0.05)
    out = ll.apply(spiky)
    x = spiky.astype(np.float64)
    n_win = (3000 - 200) // 50 + 1
    assert out.shape == (4, n_win) and ll.output_rate == 20.0
    for j in (0, 7, n_win - 1):
        w = x[:, j * 50:j * 50 + 200]
        np.testing.assert_allclose(out[:, j], np.abs(np.diff(w, axis=1)).sum(axis=1), rtol=1e-6)


def test_windows_are_emitted_by_the_chunk_that_completes_them():
    ll = LineLength(FS, window_s=0.1, hop_s=0.05)
    x = np.ones((1, 300), np.float32)
    assert ll.process(Chunk(x[:, :99], 0, FS)).n_samples == 0
    out = ll.process(Chunk(x[:, 99:100], 99, FS))
    assert out.n_samples == 1 and out.start_sample == 0
    out = ll.process(Chunk(x[:, 100:300], 100, FS))
    assert out.n_samples == 4 and out.start_sample == 1


def test_bad_parameters():
    with pytest.raises(InvalidParameterError, match="window_s"):
        LineLength(FS, window_s=0.001)  # one sample: no difference to take
    with pytest.raises(InvalidParameterError, match="hop_s"):
        LineLength(FS, hop_s=-1)


def _bonn_line_length(data_dir, folder: str, n_files: int = 10) -> np.ndarray:
    from cortexlink.io.formats import open_recording

    files = sorted((data_dir / "seizure" / "bonn" / folder).iterdir())[:n_files]
    values = []
    for f in files:
        rec = open_recording(f)
        values.append(LineLength(rec.sample_rate, window_s=2.0, hop_s=1.0).apply(rec).data.mean())
    return np.array(values)


def test_line_length_separates_seizure_from_healthy_eeg(data_dir):
    healthy = _bonn_line_length(data_dir, "A_Z")
    seizure = _bonn_line_length(data_dir, "E_S")
    assert np.median(seizure) > 3 * np.median(healthy)


def test_real_eeg_any_chunking_equals_whole(data_dir, assert_chunk_invariant):
    from cortexlink.io.formats import open_recording

    rec = open_recording(data_dir / "seizure" / "bonn" / "E_S" / "S001.txt")
    ll = LineLength(rec.sample_rate, window_s=1.0, hop_s=0.25)
    rng = np.random.default_rng(0)
    for _ in range(5):
        assert_chunk_invariant(ll, rec.data, sorted(rng.integers(0, rec.n_samples, 20).tolist()))


def test_long_inputs_are_evaluated_in_batches_with_the_same_result(spiky, monkeypatch):
    from cortexlink.dsp import window

    whole = LineLength(FS, window_s=0.1, hop_s=0.01).apply(spiky)
    monkeypatch.setattr(window, "_BATCH_VALUES", 1000)  # a few windows per batch
    np.testing.assert_array_equal(LineLength(FS, window_s=0.1, hop_s=0.01).apply(spiky), whole)
