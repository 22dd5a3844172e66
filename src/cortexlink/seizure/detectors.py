"""Seizure detectors: per-channel features, a classifier, one interface for files and streams.

    det = SeizureDetector("gbt").fit(recordings, labels)   # labels: 0/1, per-sample, or intervals
    p = det.predict_proba(recording)                         # (n_windows, n_channels) in [0, 1]
    probs, end_s = det.step(chunk)                           # the same, streamed chunk by chunk
    det.save("dog1.npz"); det = SeizureDetector.load("dog1.npz")

Each channel's vector is its own features plus, with ``context=True``, the median of each
feature over the site's channels in that window (a seizure is a state of the site). Training
pools the windows of every channel of every recording given: one patient's recordings make a
patient-specific detector, many patients' a cross-patient one.

A fitted detector may be shared by threads for ``predict_proba`` / ``feature_matrix`` (each call
has its own feature state); ``step`` keeps one stream's state, so each stream needs its own copy
(``stream_copy``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import InvalidDataError, InvalidParameterError, ModelFileError, NotFittedError
from cortexlink.core.recording import Recording
from cortexlink.core.validation import check_positive
from cortexlink.decode.modelfile import read_model, write_model
from cortexlink.seizure.features import FEATURE_KINDS, SeizureFeatures, check_kinds
from cortexlink.seizure.models import MODELS, BoostedTrees, check_feature_index

MODEL_KIND_PREFIX = "seizure-"
Labels = float | int | np.ndarray | Sequence[tuple[float, float]]


def as_microvolts(signal: Recording | np.ndarray, sample_rate: float | None = None,
                  gain_uv: float = 1.0) -> tuple[np.ndarray, float]:
    """``(data in uV as float32, sample_rate)`` of a Recording or a 2-D array (counts x ``gain_uv``)."""
    if isinstance(signal, Recording):
        return signal.microvolts().astype(np.float32, copy=False), signal.sample_rate
    if sample_rate is None:
        raise InvalidParameterError("give sample_rate with an array (or pass a Recording)")
    data = np.asarray(signal)
    if data.ndim != 2:
        raise InvalidDataError(f"expected a (n_channels, n_samples) array, got shape {data.shape}")
    if data.dtype.kind not in "biuf":
        raise InvalidDataError(f"data must be numeric, got dtype {data.dtype}")
    out = data.astype(np.float32)
    if gain_uv != 1.0:
        out *= np.float32(gain_uv)
    return out, float(sample_rate)


def window_labels(labels: Labels, n_samples: int, sample_rate: float, window: int, step: int) -> np.ndarray:
    """0/1 label of each window from a recording's labels, taken at the window's centre sample.

    ``labels``: one number for the whole recording, a per-sample 0/1 array, or a list of
    ``(onset_s, offset_s)`` seizure intervals from the recording's start."""
    n_win = 0 if n_samples < window else (n_samples - window) // step + 1
    centres = np.arange(n_win) * step + window // 2
    if np.ndim(labels) == 0:
        return np.full(n_win, int(bool(labels)))
    arr = np.asarray(labels, dtype=np.float64)
    if arr.ndim == 1 and arr.size == n_samples:
        return (arr[centres] > 0.5).astype(int)
    if arr.ndim == 2 and arr.shape[1] == 2 or arr.size == 0:
        t = centres / sample_rate
        out = np.zeros(n_win, dtype=int)
        for on, off in arr.reshape(-1, 2):
            out[(t >= on) & (t < off)] = 1
        return out
    raise InvalidParameterError(
        f"labels must be 0/1 for the whole recording, a per-sample array of {n_samples} values, or "
        f"(onset_s, offset_s) intervals; got shape {arr.shape}")


class SeizureDetector:
    """Per-channel seizure probabilities from windowed features and a ``model`` (``svm``, ``gbt``)."""

    def __init__(self, model: str = "gbt", window_s: float = 1.0, step_s: float = 0.5,
                 features: Sequence[str] = FEATURE_KINDS, bands: dict[str, tuple[float, float]] | None = None,
                 context: bool = True, max_rows: int = 300_000, **model_params: Any) -> None:
        if model not in MODELS:
            raise InvalidParameterError(f"unknown seizure model {model!r}; choose from {sorted(MODELS)}")
        self.model_name = model
        self.model = MODELS[model](**model_params)
        self.window_s, self.step_s = float(window_s), float(step_s)
        self.features = tuple(features)
        self.bands = None if bands is None else dict(bands)
        self.context = bool(context)
        self.max_rows = int(max_rows)
        self.sample_rate: float | None = None
        self.n_channels: int | None = None
        self.feature_names: list[str] = []
        self._blocks: dict[float, SeizureFeatures] = {}
        self.reset()
        check_kinds(self.features)
        check_positive(self.window_s, "window_s")
        check_positive(self.step_s, "step_s")

    # -- features ---------------------------------------------------------------------------------

    def block(self, sample_rate: float) -> SeizureFeatures:
        """The feature block for ``sample_rate`` (the fitted bands at any rate), for its geometry:
        window, step and feature names. Computing features takes a ``new_block`` (state)."""
        if sample_rate not in self._blocks:
            block = self.new_block(sample_rate)
            if self.bands is None:
                self.bands = dict(block.bands)
            self._blocks[sample_rate] = block
        return self._blocks[sample_rate]

    def new_block(self, sample_rate: float) -> SeizureFeatures:
        """A feature block of its own (filter and window state) for one pass over a signal, so
        concurrent calls of ``feature_matrix`` / ``predict_proba`` never share state."""
        return SeizureFeatures(sample_rate, self.window_s, self.step_s, self.features, self.bands)

    def _vectors(self, feats: np.ndarray) -> np.ndarray:
        """(n_win, n_ch, n_feat) -> (n_win, n_ch, n_inputs) with the site-median context."""
        if not self.context:
            return feats
        med = np.median(feats, axis=1, keepdims=True)
        return np.concatenate([feats, np.broadcast_to(med, feats.shape)], axis=2)

    def feature_matrix(self, signal: Recording | np.ndarray, sample_rate: float | None = None,
                       gain_uv: float = 1.0) -> np.ndarray:
        """The model's inputs for every window and channel: ``(n_windows, n_channels, n_inputs)``."""
        data, rate = as_microvolts(signal, sample_rate, gain_uv)
        block = self.block(rate)  # fixes the bands on first use; its state is never touched here
        if data.shape[1] < block.window:
            raise InvalidDataError(
                f"recording of {data.shape[1]} samples is shorter than one {self.window_s:g} s window "
                f"({block.window} samples at {rate:g} Hz); give a longer recording or a shorter window_s")
        return self._vectors(self.new_block(rate).transform(data).astype(np.float64))

    # -- training and prediction ------------------------------------------------------------------

    def fit(self, recordings: Sequence[Recording | np.ndarray], labels: Sequence[Labels],
            sample_rate: float | None = None, any_channels: bool = False) -> SeizureDetector:
        """Train on ``recordings`` with one ``labels`` entry each (see ``window_labels``).

        The channel count is remembered unless the recordings differ in it or ``any_channels``."""
        if isinstance(recordings, (Recording, np.ndarray)):
            recordings, labels = [recordings], [labels]
        if len(recordings) != len(labels) or not recordings:
            raise InvalidParameterError(
                f"give one labels entry per recording: {len(recordings)} recordings, {len(labels)} labels")
        X, y, counts = [], [], set()
        for rec, lab in zip(recordings, labels, strict=True):
            F = self.feature_matrix(rec, sample_rate)
            rate = rec.sample_rate if isinstance(rec, Recording) else float(sample_rate)
            block = self.block(rate)
            n_samples = rec.n_samples if isinstance(rec, Recording) else np.asarray(rec).shape[1]
            wl = window_labels(lab, n_samples, rate, block.window, block.step)
            X.append(F.reshape(-1, F.shape[2]))
            y.append(np.repeat(wl, F.shape[1]))
            counts.add(F.shape[1])
        first = recordings[0]
        rate = first.sample_rate if isinstance(first, Recording) else float(sample_rate)
        n_channels = None if any_channels or len(counts) > 1 else counts.pop()
        return self.fit_matrix(np.concatenate(X), np.concatenate(y), rate, n_channels)

    def fit_matrix(self, X: np.ndarray, y: np.ndarray, sample_rate: float,
                   n_channels: int | None = None) -> SeizureDetector:
        """Train on rows of ``feature_matrix`` output (``(n_rows, n_inputs)``) and 0/1 labels; for
        cross-validation that computes each recording's features once."""
        X, y = np.asarray(X, dtype=np.float64), np.asarray(y)
        if X.shape[0] > self.max_rows:
            keep = np.sort(np.random.default_rng(0).choice(X.shape[0], self.max_rows, replace=False))
            X, y = X[keep], y[keep]
        self.sample_rate = float(sample_rate)
        self.feature_names = self._input_names()
        if X.ndim != 2 or X.shape[1] != len(self.feature_names):
            raise InvalidDataError(
                f"feature rows must be (n, {len(self.feature_names)}), got {X.shape}; use feature_matrix")
        self.model.fit(X, y)
        self.n_channels = n_channels
        return self

    def _input_names(self) -> list[str]:
        names = self.block(self.sample_rate).names
        return names + [f"site_median:{n}" for n in names] if self.context else list(names)

    def _check_fitted(self, n_channels: int) -> None:
        if self.sample_rate is None:
            raise NotFittedError("this seizure detector is not fitted; call fit() or load a model file")
        if self.n_channels is not None and n_channels != self.n_channels:
            raise InvalidDataError(
                f"the detector was trained on {self.n_channels} channels but the data has {n_channels}; "
                "use recordings of the same montage, or train with any_channels=True")

    def predict_proba(self, signal: Recording | np.ndarray, sample_rate: float | None = None,
                      gain_uv: float = 1.0) -> np.ndarray:
        """Probability that each channel is seizing in each window: ``(n_windows, n_channels)``."""
        n_ch = signal.n_channels if isinstance(signal, Recording) else np.asarray(signal).shape[0]
        self._check_fitted(n_ch)
        return self._proba(self.feature_matrix(signal, sample_rate, gain_uv))

    def predict_matrix(self, F: np.ndarray) -> np.ndarray:
        """Probabilities ``(n_windows, n_channels)`` of a ``feature_matrix`` output."""
        self._check_fitted(F.shape[1])
        return self._proba(F)

    def _proba(self, F: np.ndarray) -> np.ndarray:
        n_win, n_ch, n_in = F.shape
        if n_win == 0:
            return np.zeros((0, n_ch))
        return self.model.decision(F.reshape(-1, n_in)).reshape(n_win, n_ch)

    def window_end_times(self, n_windows: int, sample_rate: float, first: int = 0) -> np.ndarray:
        """End time (s, from the stream's start) of windows ``first .. first + n_windows - 1``."""
        block = self.block(sample_rate)
        return ((first + np.arange(n_windows)) * block.step + block.window) / sample_rate

    # -- streaming --------------------------------------------------------------------------------

    def reset(self) -> None:
        """Start a new stream for ``step``."""
        self._stream = None
        self._pending: list[np.ndarray] = []
        self._seen = 0
        self._emitted = 0

    def stream_copy(self) -> SeizureDetector:
        """A detector sharing this one's fitted model (read only) with a stream state of its own."""
        twin = object.__new__(SeizureDetector)
        twin.__dict__.update(self.__dict__)
        twin._blocks = dict(self._blocks)
        twin.reset()
        return twin

    def step(self, chunk: Chunk, gain_uv: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        """Feed one chunk; returns the probabilities of the windows it completes
        ``(n_new, n_channels)`` and their end times (s since the stream's first sample).

        Chunks are held until one completes a window and then go through the features together:
        the sliding window carries ``window - 1`` samples, which a 1 ms chunk should not copy."""
        self._check_fitted(chunk.n_channels)
        if self._stream is None:
            self.reset()
            self._stream = self.new_block(chunk.sample_rate)
        data = chunk.data if gain_uv == 1.0 else chunk.data.astype(np.float32) * np.float32(gain_uv)
        self._pending.append(data)
        self._seen += data.shape[1]
        block = self._stream
        if self._seen < block.window + self._emitted * block.step:
            return np.zeros((0, chunk.n_channels)), np.zeros(0)
        buf = np.concatenate(self._pending, axis=1) if len(self._pending) > 1 else self._pending[0]
        self._pending = []
        out = block.process(Chunk(buf, self._seen - buf.shape[1], chunk.sample_rate, chunk.origin_ns))
        self._emitted += out.data.shape[1]
        F = self._vectors(block.windows_view(out.data).astype(np.float64))
        return self._proba(F), self.window_end_times(F.shape[0], chunk.sample_rate, out.start_sample)

    # -- files ------------------------------------------------------------------------------------

    def save(self, path: str | Path) -> Path:
        """Write the detector as a safe npz model file (arrays + JSON, checksummed; no pickle)."""
        if self.sample_rate is None:
            raise NotFittedError("fit the seizure detector before saving it")
        params = {"model": self.model_name, "model_params": self.model.params(), "window_s": self.window_s,
                  "step_s": self.step_s, "features": list(self.features),
                  "bands": [[k, *v] for k, v in self.bands.items()], "context": self.context,
                  "sample_rate": self.sample_rate, "n_channels": self.n_channels,
                  "feature_names": self.feature_names}
        return write_model(path, MODEL_KIND_PREFIX + self.model_name, params, self.model.arrays())

    @classmethod
    def load(cls, path: str | Path) -> SeizureDetector:
        """Read a file written by ``save``; a foreign, damaged or changed file is a ``ModelFileError``."""
        meta, arrays = read_model(path)
        kind = meta["kind"]
        if not kind.startswith(MODEL_KIND_PREFIX) or kind[len(MODEL_KIND_PREFIX):] not in MODELS:
            raise ModelFileError(f"{path} holds a {kind!r} model, not a seizure detector")
        p = meta["params"]
        try:
            det = cls(p["model"], p["window_s"], p["step_s"], p["features"],
                      {str(b[0]): (float(b[1]), float(b[2])) for b in p["bands"]}, p["context"])
            det.model = MODELS[p["model"]].from_arrays(p["model_params"], arrays)
            det.sample_rate = float(p["sample_rate"])
            det.n_channels = p["n_channels"]
            det.feature_names = det._input_names()
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            raise ModelFileError(f"{path}: seizure detector parameters are incomplete ({exc})") from None
        if det.feature_names != p.get("feature_names"):
            raise ModelFileError(f"{path}: the detector's features differ from what this cortexlink computes")
        n_in = len(det.feature_names)
        if isinstance(det.model, BoostedTrees):
            check_feature_index(det.model, n_in)
        elif det.model.coef.shape != (n_in,):
            raise ModelFileError(
                f"{path}: linear model has {det.model.coef.shape} weights for {n_in} features")
        return det
