"""Epochs cut at EDF+ annotations match MNE's Epochs; bad input gives clear errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cortexlink.core.errors import CortexlinkError, InvalidDataError, InvalidParameterError
from cortexlink.core.recording import Recording
from cortexlink.decode.trials import epochs_from_recording
from cortexlink.decode.trials.epochs import bandpass

RUN4 = (
    Path(__file__).resolve().parents[3]
    / ".."
    / "shared"
    / "data"
    / "eeg_mi"
    / "eegmmidb"
    / "S001"
    / "S001R04.edf"
)
needs_data = pytest.mark.skipif(not RUN4.exists(), reason="EEGMMIDB S001 not in ../shared/data")


@needs_data
def test_epochs_match_mne_on_the_same_annotations():
    mne = pytest.importorskip("mne")
    from cortexlink.io import open_recording

    raw = mne.io.read_raw_edf(RUN4, preload=True, verbose="error")
    events, ids = mne.events_from_annotations(raw, event_id={"T1": 1, "T2": 2}, verbose="error")
    rec = open_recording(RUN4)
    whole = epochs_from_recording(rec, events=["T1", "T2"], tmin=-0.5, tmax=2.0, band=None)
    reject = float(np.median(np.ptp(whole.data, axis=2).max(axis=1)))  # drops about half
    for limit in (None, reject):
        ref = mne.Epochs(
            raw,
            events,
            ids,
            tmin=-0.5,
            tmax=2.0,
            baseline=None,
            preload=True,
            verbose="error",
            reject=None if limit is None else {"eeg": limit * 1e-6},
        )
        ours = epochs_from_recording(
            rec, events=["T1", "T2"], tmin=-0.5, tmax=2.0, band=None, reject_uv=limit
        )
        assert ours.n_trials == len(ref) > 0
        np.testing.assert_allclose(ours.data, ref.get_data() * 1e6, rtol=1e-5, atol=1e-3)
        np.testing.assert_array_equal(ours.labels, ref.events[:, 2] - 1)
        np.testing.assert_array_equal(ours.events, ref.events[:, 0])
    assert 0 < ours.n_trials < whole.n_trials
    assert whole.class_names == ["T1", "T2"] and whole.n_channels == 64
    assert whole.pick(["c3", "Cz.."]).channel_names == ["C3", "Cz"]


def _recording(n=1600, notes=None):
    data = np.random.default_rng(0).normal(size=(3, n)).astype(np.float32)
    return Recording(data, 160.0, metadata={"channel_names": ["C3", "Cz", "C4"], "annotations": notes or []})


def test_cuts_and_filters_trials_and_drops_those_past_the_ends():
    notes = [{"onset": t, "duration": 1.0, "description": d} for t, d in ((0.1, "A"), (3.0, "B"), (9.8, "A"))]
    ep = epochs_from_recording(_recording(notes=notes), ["A", "B"], tmin=0.0, tmax=1.0)
    assert ep.n_trials == 2 and ep.data.shape == (2, 3, 161)  # the last one runs past the end
    np.testing.assert_array_equal(ep.labels, [0, 1])
    np.testing.assert_array_equal(ep.events, [16, 480])


@pytest.mark.parametrize(
    "case, error, words",
    [
        ("no_events", InvalidDataError, "no event annotations"),
        ("unknown_event", InvalidDataError, "none of the events"),
        ("unknown_channel", InvalidParameterError, "unknown channel 'Fz'"),
        ("short", InvalidDataError, "shorter than the 8-35 Hz filter needs"),
    ],
)
def test_bad_input_is_a_clear_error(case, error, words):
    notes = [{"onset": 1.0, "duration": 1.0, "description": "T1"}]
    rec = _recording(notes=[] if case == "no_events" else notes)
    kwargs = {"events": ["T9"] if case == "unknown_event" else ["T1"]}
    if case == "unknown_channel":
        kwargs["channels"] = ["C3", "Fz"]
    with pytest.raises(error, match=words) as info:
        if case == "short":
            bandpass(np.zeros((2, 3, 40)), 160.0, 8.0, 35.0)
        else:
            epochs_from_recording(rec, **kwargs)
    assert isinstance(info.value, CortexlinkError)
