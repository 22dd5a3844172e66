"""``score_channels``: how likely each channel of a window of signal is seizing (for queries).

The default detector needs no user file: it ships as package data
(``seizure/data/default_detector.npz``, a safe model file) fitted by ``fit_default_detector`` on
the simulator's multi-site seizure scenes (250 Hz to 30 kHz, some with electrode faults). If that
file is missing or damaged it is fitted again, deterministically, at first use and cached under
``$XDG_CACHE_HOME/cortexlink`` (``~/.cache/cortexlink``). It uses only features defined in
physical units (EEG band powers up to 45 Hz, amplitude statistics, cross-channel correlation), so
it applies at any sample rate of 100 Hz or more and any channel count.

``score_channels`` is thread-safe: the query engine calls it from several threads at once.
"""

from __future__ import annotations

import os
import tempfile
import threading
from functools import lru_cache
from pathlib import Path

import numpy as np

from cortexlink.core.errors import CortexlinkError, InvalidDataError, InvalidParameterError
from cortexlink.dsp.band_power import EEG_BANDS
from cortexlink.seizure.detectors import SeizureDetector, as_microvolts

DEFAULT_VERSION = 2
DEFAULT_FEATURES = ("band_power", "amplitude", "xcor")
_DEFAULT_SCENES = (  # (sample_rate, seed, seizure, faults)
    (1000.0, 11, True, False), (30000.0, 12, True, False), (1000.0, 13, True, True), (250.0, 14, True, False),
    (500.0, 15, True, True), (30000.0, 16, True, True), (2000.0, 17, True, False), (250.0, 18, True, True),
    (1000.0, 19, False, True), (30000.0, 20, False, False), (250.0, 21, False, False),
    (250.0, 22, False, True), (500.0, 23, False, False),
)
VISIBLE_FRACTION = 0.17  # (0.17 / 0.8) ** 1.5 = 0.1 of the episode's amplitude (sim.seizure envelope)
SHIPPED = Path(__file__).parent / "data" / "default_detector.npz"


def _cache_path() -> Path:
    root = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(root) / "cortexlink" / f"seizure_default_v{DEFAULT_VERSION}.npz"


def fit_default_detector() -> SeizureDetector:
    """Fit the default detector on simulated seizure scenes (deterministic; a few minutes).

    An episode's amplitude grows from zero, so its first ``VISIBLE_FRACTION`` (below a tenth of
    its final amplitude) is left out of training rather than labelled either way."""
    from cortexlink.sim.scene import simulate_scene

    recordings, labels = [], []
    for rate, seed, seizure, faults in _DEFAULT_SCENES:
        scene = simulate_scene(n_sites=3, channels_per_site=8, seconds=24.0 if seizure else 60.0,
                               sample_rate=rate, seizure=seizure, seizure_onset_s=6.0,
                               seizure_duration_s=12.0, spread_delays_s=[0.0, 2.0, 0.0], faults=faults,
                               seed=seed, task=None)
        recs, labs = scene_examples(scene)
        recordings += recs
        labels += labs
    det = SeizureDetector("gbt", window_s=1.0, step_s=0.5, features=DEFAULT_FEATURES, bands=EEG_BANDS,
                          n_trees=100, max_leaf_nodes=15)
    return det.fit(recordings, labels, any_channels=True)


def scene_examples(scene) -> tuple[list, list]:
    """Training pieces of a simulated ``SceneResult``: each site before its episode (label 0) and
    from the point the episode is visible (label 1 to its offset), the faint start left out."""
    recordings, labels = [], []
    truth = scene.truth
    for site, rec in scene.recordings.items():
        on = truth.seizure_onsets_s.get(site)
        if on is None:
            recordings.append(rec)
            labels.append(0)
            continue
        off = truth.seizure_offsets_s[site]
        visible = on + VISIBLE_FRACTION * (off - on)
        recordings += [rec.time_slice(0.0, on), rec.time_slice(visible)]
        labels += [0, [(0.0, off - visible)]]
    return recordings, labels


_DEFAULT_LOCK = threading.Lock()


def default_detector() -> SeizureDetector:
    """The default detector: the shipped (or cached) file if it is there and sound, else fitted and
    cached. One object for the process; threads may share it (``SeizureDetector`` batch calls keep
    no shared state)."""
    with _DEFAULT_LOCK:  # first callers wait for one load instead of each loading (or fitting) it
        return _load_default()


@lru_cache(maxsize=1)
def _load_default() -> SeizureDetector:
    path = _cache_path()
    for candidate in (SHIPPED, path):
        if candidate.is_file():
            try:
                return SeizureDetector.load(candidate)
            except CortexlinkError:
                pass  # a damaged file is rebuilt below
    det = fit_default_detector()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".npz", delete=False) as tmp:
            tmp_path = Path(tmp.name)
        det.save(tmp_path)
        os.replace(tmp_path, path)
    except (OSError, CortexlinkError):
        pass  # no writable cache: keep the detector in memory only
    return det


def _resolve(detector: SeizureDetector | str | os.PathLike | None) -> SeizureDetector:
    if detector is None:
        return default_detector()
    if isinstance(detector, SeizureDetector):
        return detector
    if isinstance(detector, (str, os.PathLike)):
        return SeizureDetector.load(detector)
    raise InvalidParameterError(
        f"detector must be None, a SeizureDetector or a model file path, got {type(detector).__name__}")


def score_channels(data: np.ndarray, sample_rate: float, detector: SeizureDetector | str | None = None,
                   gain_uv: float = 1.0) -> np.ndarray:
    """Probability (0..1) that each channel of ``data`` is seizing: ``(n_channels,)`` float64.

    ``data`` is ``(n_channels, n_samples)`` float microvolts or int16 ADC counts (times
    ``gain_uv``). It must span at least one detector window (1 s for the default); a longer
    block is scored window by window and each channel's probabilities averaged. ``detector``:
    None for the default (see the module docstring), a fitted ``SeizureDetector``, or the path of
    a file saved by one.
    """
    arr = np.asarray(data)
    if arr.ndim != 2 or arr.shape[0] == 0:
        raise InvalidDataError(f"score_channels expects (n_channels, n_samples) data, got shape {arr.shape}")
    uv, rate = as_microvolts(arr, sample_rate, gain_uv)
    if not np.isfinite(uv).all():
        raise InvalidDataError("score_channels: data holds NaN or infinite values; clean them first")
    probs = _resolve(detector).predict_proba(uv, rate)
    return probs.mean(axis=0).astype(np.float64)
