"""EDF through MNE: real EEG opens in microvolts with names and annotations; damaged files do not."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from cortexlink.core import CorruptDataError, RecordingNotFoundError
from cortexlink.core.errors import MissingDependencyError
from cortexlink.io.edf import load_edf


@pytest.fixture(scope="module")
def run4(data_dir):
    return data_dir / "eeg_mi" / "eegmmidb" / "S001" / "S001R04.edf"


def test_real_eeg_in_microvolts_with_names_and_annotations(run4):
    rec = load_edf(run4)
    assert rec.n_channels == 64 and rec.sample_rate == 160.0 and rec.n_samples == 20000
    assert rec.data.dtype == np.float32 and rec.gain_uv == 1.0
    assert 10 < float(np.abs(rec.data).max()) < 5000  # scalp EEG in uV, not volts
    assert rec.metadata["channel_names"][:3] == ["Fc5.", "Fc3.", "Fc1."]
    annotations = rec.metadata["annotations"]
    assert {a["description"] for a in annotations} == {"T0", "T1", "T2"}
    assert annotations[0] == {"onset": 0.0, "duration": 4.2, "description": "T0"}
    assert rec.metadata["meas_date"].startswith("2009-08-12")


def test_matches_the_digital_samples_scaled_by_the_header(run4):
    """The first record of channel 0, decoded by hand from the EDF bytes."""
    raw = run4.read_bytes()
    n_signals = int(raw[252:256])

    def first_signal(offset: int) -> float:  # 8-byte ASCII field of signal 0 in the per-signal block
        start = 256 + offset * n_signals
        return float(raw[start:start + 8])

    pmin, pmax, dmin, dmax = (first_signal(offset) for offset in (104, 112, 120, 128))
    per_record = int(first_signal(216))
    digital = np.frombuffer(raw, "<i2", count=per_record, offset=256 * (n_signals + 1))
    expected = (digital - dmin) * (pmax - pmin) / (dmax - dmin) + pmin
    assert np.allclose(load_edf(run4).data[0, :per_record], expected, atol=1e-3)


@pytest.mark.parametrize("damage, message", [
    (lambda raw: raw[: len(raw) // 2], "truncated"),
    (lambda raw: raw[:100], "not numbers"),
    (lambda raw: raw[:236] + b"99999999" + raw[244:], "99999999 records"),
    (lambda raw: raw[:252] + b"   0" + raw[256:], "0 signals"),
    (lambda raw: b"0       " + b"x" * 600, "not numbers"),
])
def test_damaged_files_are_corrupt(run4, tmp_path, damage, message):
    (tmp_path / "bad.edf").write_bytes(damage(run4.read_bytes()))
    with pytest.raises(CorruptDataError, match=message):
        load_edf(tmp_path / "bad.edf")


def test_missing_file(tmp_path):
    with pytest.raises(RecordingNotFoundError):
        load_edf(tmp_path / "none.edf")


def test_without_mne_the_error_names_the_edf_extra(run4, monkeypatch):
    monkeypatch.setitem(sys.modules, "mne", None)  # as if mne were not installed
    with pytest.raises(MissingDependencyError, match=r"reading EDF/BDF needs mne.*cortexlink\[edf\]"):
        load_edf(run4)


def test_edf_written_by_mne_reads_back(tmp_path):
    """EDF+ exported by MNE (through edfio) opens with the samples MNE reads, within the format's
    16-bit quantisation of what was written, with channel names and annotations kept."""
    mne = pytest.importorskip("mne")
    pytest.importorskip("edfio")
    rng = np.random.default_rng(5)
    volts = rng.standard_normal((3, 2560)) * 20e-6
    raw = mne.io.RawArray(volts, mne.create_info(["Fp1", "Cz", "O2"], 256.0, "eeg"), verbose="error")
    raw.set_annotations(mne.Annotations([1.0, 4.5], [0.5, 1.0], ["T1", "T2"]))
    path = tmp_path / "mne.edf"
    mne.export.export_raw(path, raw, fmt="edf", verbose="error")
    rec = load_edf(path)
    assert rec.sample_rate == 256.0 and rec.n_channels == 3
    assert rec.metadata["channel_names"] == ["Fp1", "Cz", "O2"]
    assert [(a["onset"], a["description"]) for a in rec.metadata["annotations"]] == [(1.0, "T1"), (4.5, "T2")]
    step_uv = 2 * np.abs(volts).max() * 1e6 / 65535  # one digital step of the exported range
    assert np.abs(rec.data - volts * 1e6).max() <= 2 * step_uv
    again = mne.io.read_raw_edf(path, preload=True, verbose="error").get_data() * 1e6
    np.testing.assert_allclose(rec.data, again, rtol=1e-6, atol=1e-4)
