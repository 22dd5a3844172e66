"""Every recording in ../shared/data (all but the MAT files) opens with open_recording, sanely."""

from __future__ import annotations

from fnmatch import fnmatch

import numpy as np
import pytest

from cortexlink.io import open_recording

LOCUST = {"dtype": "int16", "n_channels": 4, "sample_rate": 15000}
PURKINJE = {"dtype": "float32", "n_channels": 1, "sample_rate": 15000}

# pattern, options, channels, rate, samples (None: varies)
RULES = [
    ("neuralink/*.wav", {}, 1, 19531.0, None),
    ("seizure/bonn/*/*.txt", {}, 1, 173.61, 4097),
    ("seizure/ombao_wang2018_8ch/*.txt", {"sample_rate": 100}, 1, 100.0, 32678),
    ("eeg_mi/eegmmidb/S001/*.edf", {}, 64, 160.0, None),
    ("seizure/chbmit_seizures/*.edf", {}, 23, 256.0, None),
    ("seizure/chbmit_chb01_03/*.edf", {}, 23, 256.0, 41 * 256),
    ("spikesort/tridesclous_locust/*.raw", LOCUST, 4, 15000.0, 431548),
    ("spikesort/tridesclous_purkinje/*.raw", PURKINJE, 1, 15000.0, 850500),
]
NOT_RECORDINGS = ["README.md", "SOURCES.tsv", "*/info.json", "*.mat", "seizure/chbmit_summaries/*"]


def _match(name: str, pattern: str) -> bool:
    return fnmatch(name.lower(), pattern.lower())  # some Bonn sets name their files *.TXT


def _files(data_dir) -> list[str]:
    return sorted(str(p.relative_to(data_dir)) for p in data_dir.rglob("*") if p.is_file())


def test_every_file_is_covered_by_exactly_one_rule(data_dir):
    uncovered = []
    for name in _files(data_dir):
        matches = [r for r in RULES if _match(name, r[0])] + [p for p in NOT_RECORDINGS if _match(name, p)]
        if len(matches) != 1:
            uncovered.append((name, len(matches)))
    assert not uncovered, f"files without exactly one rule: {uncovered[:10]}"


@pytest.mark.parametrize("pattern, options, channels, rate, samples", RULES, ids=[r[0] for r in RULES])
def test_all_files_of_a_kind_open(data_dir, pattern, options, channels, rate, samples):
    paths = [data_dir / name for name in _files(data_dir) if _match(name, pattern)]
    assert paths, f"no files match {pattern}"
    for path in paths:
        rec = open_recording(path, **options)
        assert (rec.n_channels, rec.sample_rate) == (channels, rate), path
        assert rec.duration > 1.0, path
        if samples is not None:
            assert rec.n_samples == samples, path
        assert rec.data.dtype in (np.int16, np.float32)
        spread = rec.data.max(axis=1).astype(np.float64) - rec.data.min(axis=1)
        assert spread.min() > 0, f"{path}: a channel is constant"


def test_neuralink_wavs_are_about_five_seconds(data_dir):
    durations = [open_recording(p).duration for p in sorted((data_dir / "neuralink").glob("*.wav"))]
    assert len(durations) == 100 and 4.5 < min(durations) and max(durations) < 5.5


def test_purkinje_trace_is_one_channel_despite_its_info_json(data_dir):
    """info.json beside it says shape (-1, 4); read as one channel the trace is smooth in sample order."""
    rec = open_recording(data_dir / "spikesort/tridesclous_purkinje/purkinje_cell_attached.raw", **PURKINJE)
    x = rec.data[0].astype(np.float64)
    lag = [np.corrcoef(x[:-k], x[k:])[0, 1] for k in (1, 2, 3, 4)]
    assert lag[0] > 0.95 and lag[0] > lag[1] > lag[2] > lag[3]  # decays with lag: no 4-way interleave
