"""``cortexlink eeg-eval`` and ``cortexlink devices``: output, and one-line errors with exit 2."""

from __future__ import annotations

import numpy as np
import pytest

from .helpers import run


def _edf_free_recording(tmp_path):
    """A simulated 2-class recording with annotations, saved as NPZ (metadata kept)."""
    from cortexlink.core.recording import Recording
    from cortexlink.io import save_recording

    rng = np.random.default_rng(0)
    data = rng.normal(size=(4, 160 * 40)).astype(np.float32)
    notes = [{"onset": 1.0 + 2.5 * i, "duration": 2.0, "description": "T1" if i % 2 else "T2"}
             for i in range(15)]
    path = tmp_path / "rec.npz"
    save_recording(Recording(data, 160.0, metadata={"annotations": notes}), path)
    return path


def test_eeg_eval_errors_are_one_line_exit_2(tmp_path, capsys):
    code, _, err = run(["eeg-eval", "--data", tmp_path / "missing.edf"], capsys)
    assert code == 2 and err.count("\n") == 1 and "error" in err
    path = _edf_free_recording(tmp_path)
    code, _, err = run(["eeg-eval", "--data", path, "--pipelines", "csp-lda,nope", "--no-cross"], capsys)
    assert code == 2 and "unknown EEG pipeline 'nope'" in err and err.count("\n") == 1
    code, _, err = run(["eeg-eval", "--data", path, "--channels", "C3"], capsys)
    assert code == 2 and err.count("\n") == 1 and "error" in err


def test_pipeline_names_in_the_help_match_the_registry():
    from cortexlink.cli.eeg import PIPELINE_CHOICES
    from cortexlink.decode.trials import PIPELINES

    assert PIPELINE_CHOICES.split(", ") == list(PIPELINES)


def test_devices_lists_lsl_streams(capsys):
    pytest.importorskip("pylsl")
    from cortexlink.io.lsl import synthetic_outlet_thread

    with synthetic_outlet_thread("cortexlink-cli-devices", 4, 100.0, seconds=5, name="cli-devices"):
        code, out, _ = run(["devices", "--wait", "1.0", "--no-boards"], capsys)
    assert code == 0 and "cli-devices" in out and "4 channels at 100 Hz" in out


def test_eeg_train_saves_a_causal_classifier_the_node_loads(tmp_path, capsys):
    from cortexlink.decode.trials import load_classifier

    path = _edf_free_recording(tmp_path)
    out = tmp_path / "clf.npz"
    args = ["eeg-train", "--data", path, "--out", out, "--pipeline", "csp-lda", "--tmax", "2"]
    code, text, _ = run(args, capsys)
    assert code == 0 and "csp-lda fitted on 15 trials" in text and str(out) in text
    clf = load_classifier(out)
    assert clf.causal_ and clf.band_ == (8.0, 35.0) and clf.n_samples_ == 321
    code, _, err = run(["eeg-train", "--data", path, "--out", out, "--pipeline", "nope"], capsys)
    assert code == 2 and err.count("\n") == 1 and "unknown EEG pipeline 'nope'" in err
