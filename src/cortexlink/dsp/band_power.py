"""Band power over a sliding window (Welch or a single Hann-windowed FFT), for EEG features.

Each emitted window gives, per channel, the power in every named band: the one-sided PSD summed
over the band's frequency bins times the bin width. Output rows are channel-major
(``row = channel * n_bands + band``); ``feature_names`` spells them out.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from cortexlink.core.errors import InvalidParameterError
from cortexlink.dsp.block import samples_for
from cortexlink.dsp.window import SlidingWindowBlock

EEG_BANDS: dict[str, tuple[float, float]] = {
    "delta": (1.0, 4.0),
    "theta": (4.0, 8.0),
    "alpha": (8.0, 13.0),
    "beta": (13.0, 30.0),
    "gamma": (30.0, 45.0),
}


class BandPower(SlidingWindowBlock):
    """Power per band (``bands``: name -> (low_hz, high_hz)) over ``window_s``, every ``hop_s``.

    ``method="welch"`` averages Hann segments of ``segment_s`` (50 % overlap); ``"fft"`` uses one
    Hann-windowed FFT of the whole window. ``log=True`` returns ``log10`` of the power.
    """

    def __init__(self, sample_rate: float, bands: dict[str, tuple[float, float]] | None = None,
                 window_s: float = 2.0, hop_s: float = 0.5, method: Literal["welch", "fft"] = "welch",
                 segment_s: float = 1.0, log: bool = False) -> None:
        super().__init__(sample_rate, window_s, hop_s)
        if method not in ("welch", "fft"):
            raise InvalidParameterError(f"band power method must be 'welch' or 'fft', got {method!r}")
        self.method = method
        self.log = bool(log)
        if method == "fft":
            self.nperseg = self.window
        else:
            self.nperseg = min(samples_for(segment_s, self.sample_rate, "segment_s", minimum=2), self.window)
        self.bands = dict(EEG_BANDS if bands is None else bands)
        if not self.bands:
            raise InvalidParameterError("give at least one band")
        freqs = np.fft.rfftfreq(self.nperseg, 1.0 / self.sample_rate)
        self._df = float(freqs[1] - freqs[0])
        nyq = self.sample_rate / 2
        masks = []
        for name, edges in self.bands.items():
            try:
                lo, hi = (float(e) for e in edges)
            except (TypeError, ValueError):
                raise InvalidParameterError(
                    f"band {name!r} must be (low_hz, high_hz), got {edges!r}"
                ) from None
            if not (0 <= lo < hi) or not np.isfinite(hi):
                raise InvalidParameterError(f"band {name!r} needs 0 <= low < high, got ({lo:g}, {hi:g}) Hz")
            if hi > nyq:
                raise InvalidParameterError(
                    f"band {name!r} reaches {hi:g} Hz, above the Nyquist frequency {nyq:g} Hz; lower its edge"
                )
            m = (freqs >= lo) & (freqs < hi)
            if not m.any():
                raise InvalidParameterError(
                    f"band {name!r} ({lo:g}-{hi:g} Hz) holds no frequency bin at a resolution of "
                    f"{self._df:g} Hz; use a longer segment_s (or window_s with method='fft')"
                )
            masks.append(m)
        self._masks = np.array(masks, dtype=np.float64)  # (n_bands, n_freqs)

    def feature_names(self, channel_ids: list | np.ndarray) -> list[str]:
        """``"<channel>:<band>"`` for every output row."""
        return [f"{c}:{b}" for c in channel_ids for b in self.bands]

    def _output_channel_ids(self, input_ids: np.ndarray) -> np.ndarray:
        return np.array(self.feature_names(input_ids))

    def _n_rows(self, n_channels: int) -> int:
        return n_channels * len(self.bands)

    def _features(self, windows: np.ndarray) -> np.ndarray:
        from scipy.signal import welch

        _, psd = welch(windows, fs=self.sample_rate, window="hann", nperseg=self.nperseg,
                       noverlap=self.nperseg // 2, axis=-1)
        power = psd @ self._masks.T * self._df  # (n_ch, n_win, n_bands)
        if self.log:
            power = np.log10(np.maximum(power, np.finfo(np.float64).tiny))
        n_ch, n_win, n_b = power.shape
        return power.transpose(0, 2, 1).reshape(n_ch * n_b, n_win)
