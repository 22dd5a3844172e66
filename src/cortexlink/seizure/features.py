"""Seizure features per channel over sliding windows, as one streaming block.

Every window of ``window_s`` (evaluated every ``step_s``) gives each channel a vector of features,
all normalised by the window length so a feature means the same at any window size:

- ``band_power``: log10 power in each band (one Hann-windowed FFT, ``dsp.BandPower``) and the
  log10 share of the total that each band holds;
- ``filter_bank``: log10 mean energy of the signal after a Butterworth band-pass per band
  (filters carried across chunks, ``dsp.ButterworthFilter``);
- ``line_length``: log10 mean ``|x[n] - x[n-1]|`` (``dsp.LineLength`` per sample);
- ``amplitude``: log10 standard deviation, log10 peak-to-peak, skewness and excess kurtosis;
- ``xcor``: the channel's mean and largest absolute zero-lag correlation with the other
  channels of the site in the window (0 for a one-channel recording).

Bands default to the EEG bands plus the high-frequency ones (high gamma, ripple, fast ripple,
multi-unit) that lie below 0.45 x the sample rate and hold an FFT bin at the window's resolution.
Output rows are channel-major (``row = channel * n_features + feature``); ``windows_view``
turns a block's output into ``(n_windows, n_channels, n_features)``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import InvalidParameterError
from cortexlink.dsp.band_power import EEG_BANDS, BandPower
from cortexlink.dsp.block import Block
from cortexlink.dsp.filters import ButterworthFilter
from cortexlink.dsp.window import LineLength, SlidingWindowBlock

FEATURE_KINDS = ("band_power", "filter_bank", "line_length", "amplitude", "xcor")
HIGH_BANDS: dict[str, tuple[float, float]] = {
    "high_gamma": (65.0, 95.0),
    "ripple": (100.0, 250.0),
    "fast_ripple": (250.0, 500.0),
    "multi_unit": (500.0, 3000.0),
}
_TINY = 1e-12


def default_bands(sample_rate: float, window_s: float) -> dict[str, tuple[float, float]]:
    """The EEG and high-frequency bands below 0.45 x ``sample_rate`` that hold an FFT bin."""
    df = 1.0 / window_s
    out = {}
    for name, (lo, hi) in {**EEG_BANDS, **HIGH_BANDS}.items():
        first_bin = np.ceil(lo / df) * df
        if hi <= 0.45 * sample_rate and first_bin < hi:
            out[name] = (lo, hi)
    if not out:
        raise InvalidParameterError(
            f"no frequency band fits a {window_s:g} s window at {sample_rate:g} Hz; use a longer window_s "
            "or give bands explicitly")
    return out


def check_kinds(features: Sequence[str]) -> tuple[str, ...]:
    if isinstance(features, str):
        features = (features,)
    kinds = tuple(features)
    unknown = [k for k in kinds if k not in FEATURE_KINDS]
    if unknown or not kinds:
        raise InvalidParameterError(
            f"unknown seizure feature(s) {unknown or list(kinds)}; choose from {list(FEATURE_KINDS)}")
    return kinds


class _Windows(SlidingWindowBlock):
    """The windowed part: input rows are the raw channels, then each filter-bank output."""

    def __init__(self, owner: SeizureFeatures) -> None:
        super().__init__(owner.sample_rate, owner.window_s, owner.step_s)
        self.owner = owner

    def _n_rows(self, n_rows_in: int) -> int:
        return n_rows_in // self.owner.n_inputs_per_channel * self.owner.n_features

    def _features(self, windows: np.ndarray) -> np.ndarray:
        feats = self.owner.window_features(windows)  # (n_ch, n_feat, n_win)
        return feats.reshape(-1, feats.shape[-1])


class SeizureFeatures(Block):
    """Streaming per-channel seizure features (see the module docstring).

    ``process(chunk)`` returns a Chunk of ``n_channels * n_features`` rows at ``1 / step_s`` Hz
    whose window ``j`` ends at input sample ``(j * step) + window``; ``apply`` does a whole
    recording the same way; ``transform`` returns ``(n_windows, n_channels, n_features)``.
    """

    def __init__(self, sample_rate: float, window_s: float = 1.0, step_s: float = 0.5,
                 features: Sequence[str] = FEATURE_KINDS,
                 bands: dict[str, tuple[float, float]] | None = None, filter_order: int = 2) -> None:
        super().__init__(sample_rate)
        self.kinds = check_kinds(features)
        self.window_s = float(window_s)
        self.step_s = float(step_s)
        self.bands = dict(default_bands(self.sample_rate, self.window_s) if bands is None else bands)
        self._windows = _Windows(self)
        self.window = self._windows.window
        self.step = self._windows.hop
        self._power = BandPower(self.sample_rate, self.bands, self.window_s, self.step_s, method="fft",
                                log=False) if "band_power" in self.kinds else None
        self._filters = [ButterworthFilter(self.sample_rate, lo, hi, order=filter_order)
                         for lo, hi in self.bands.values()] if "filter_bank" in self.kinds else []
        self._line = LineLength(self.sample_rate, self.window_s, self.step_s)
        self.names = self._names()
        self.n_features = len(self.names)
        self.n_inputs_per_channel = 1 + len(self._filters)

    @property
    def output_rate(self) -> float:
        return self.sample_rate / self.step

    def config(self) -> dict:
        """The parameters that rebuild this block (JSON-ready)."""
        return {"sample_rate": self.sample_rate, "window_s": self.window_s, "step_s": self.step_s,
                "features": list(self.kinds), "bands": {k: list(v) for k, v in self.bands.items()}}

    def _names(self) -> list[str]:
        names: list[str] = []
        for kind in self.kinds:
            if kind == "band_power":
                names += [f"power:{b}" for b in self.bands] + [f"relative:{b}" for b in self.bands]
            elif kind == "filter_bank":
                names += [f"energy:{b}" for b in self.bands]
            elif kind == "line_length":
                names.append("line_length")
            elif kind == "amplitude":
                names += ["log_std", "log_ptp", "skewness", "kurtosis"]
            else:
                names += ["xcor_mean", "xcor_max"]
        return names

    # -- streaming ---------------------------------------------------------------------------------

    def _allocate(self, n_channels: int) -> None:
        for f in self._filters:
            f.reset()
        self._windows.reset()

    def _reset_state(self) -> None:
        self._allocate(0)

    def _process(self, chunk: Chunk, data: np.ndarray) -> Chunk:
        x = data.astype(np.float32, copy=False)
        rows = [x] + [f.process_trusted(Chunk(x, chunk.start_sample, self.sample_rate)).data
                      for f in self._filters]
        stacked = np.concatenate(rows, axis=0) if len(rows) > 1 else x
        return self._windows.process_trusted(Chunk(stacked, chunk.start_sample, self.sample_rate,
                                                   chunk.origin_ns))

    def transform(self, data: np.ndarray) -> np.ndarray:
        """Features of a whole ``(n_channels, n_samples)`` array: ``(n_windows, n_channels, n_features)``."""
        return self.windows_view(self.apply(np.asarray(data)))

    def windows_view(self, rows: np.ndarray) -> np.ndarray:
        """``(n_channels * n_features, n_windows)`` output -> ``(n_windows, n_channels, n_features)``."""
        return rows.reshape(-1, self.n_features, rows.shape[-1]).transpose(2, 0, 1)

    # -- the features of a batch of windows ---------------------------------------------------------

    def window_features(self, windows: np.ndarray) -> np.ndarray:
        """``windows`` (n_rows, n_win, window) as stacked by ``_process`` -> (n_ch, n_feat, n_win)."""
        n_ch = windows.shape[0] // self.n_inputs_per_channel
        raw = windows[:n_ch]
        parts: list[np.ndarray] = []
        for kind in self.kinds:
            if kind == "band_power":
                p = self._power._features(raw).reshape(n_ch, len(self.bands), -1)
                total = p.sum(axis=1, keepdims=True)
                parts += [np.log10(p + _TINY), np.log10((p + _TINY) / (total + _TINY))]
            elif kind == "filter_bank":
                fb = windows[n_ch:].reshape(len(self._filters), n_ch, *raw.shape[1:])
                energy = np.mean(fb * fb, axis=-1).transpose(1, 0, 2)
                parts.append(np.log10(energy + _TINY))
            elif kind == "line_length":
                ll = self._line._features(raw) / (self.window - 1)
                parts.append(np.log10(ll + _TINY)[:, None])
            elif kind == "amplitude":
                parts.append(amplitude_features(raw))
            else:
                parts.append(xcor_features(raw))
        return np.concatenate(parts, axis=1)


def amplitude_features(windows: np.ndarray) -> np.ndarray:
    """(n_ch, n_win, n) -> (n_ch, 4, n_win): log10 std, log10 peak-to-peak, skewness, excess kurtosis."""
    mean = windows.mean(axis=-1, keepdims=True)
    d = windows - mean
    var = np.mean(d * d, axis=-1)
    safe = np.where(var > _TINY, var, 1.0)
    skew = np.where(var > _TINY, np.mean(d ** 3, axis=-1) / safe ** 1.5, 0.0)
    kurt = np.where(var > _TINY, np.mean(d ** 4, axis=-1) / safe ** 2 - 3.0, 0.0)
    ptp = windows.max(axis=-1) - windows.min(axis=-1)
    return np.stack([0.5 * np.log10(var + _TINY), np.log10(ptp + _TINY), skew, kurt], axis=1)


def xcor_features(windows: np.ndarray) -> np.ndarray:
    """(n_ch, n_win, n) -> (n_ch, 2, n_win): each channel's mean and largest absolute zero-lag
    correlation with the other channels in the same window."""
    n_ch, n_win, n = windows.shape
    if n_ch < 2:
        return np.zeros((n_ch, 2, n_win))
    d = windows - windows.mean(axis=-1, keepdims=True)
    norm = np.sqrt(np.sum(d * d, axis=-1, keepdims=True))
    z = d / np.where(norm > 0, norm, 1.0)
    corr = np.abs(np.einsum("cwn,dwn->wcd", z, z))  # (n_win, n_ch, n_ch)
    idx = np.arange(n_ch)
    corr[:, idx, idx] = 0.0
    mean = corr.sum(axis=-1) / (n_ch - 1)
    return np.stack([mean.T, corr.max(axis=-1).T], axis=1)
