"""Noticing that the neural features have drifted, and refitting a decoder on recent data.

``DriftDetector`` learns each channel's mean rate and how much a ``window``-bin average of it
varies during calibration. Online it keeps the last ``window`` bins; a channel has drifted when
its recent mean stays more than ``threshold`` of those SDs (default 2) from the calibration mean
for ``hold`` consecutive bins (default ``2 * window``). Behaviour moves every channel's rate
for a few seconds at a time, and 2-SD excursions of single windows are common; a sustained
shift is not (a run survives dips to half the threshold). When at least ``min_channels``
channels have drifted a ``DriftEvent`` is recorded, once until every channel has recovered.
``recalibrate`` fits a fresh copy of a decoder on recent data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cortexlink.core.errors import InvalidDataError, InvalidParameterError, NotFittedError
from cortexlink.decode.base import Decoder, as_features


@dataclass
class DriftEvent:
    """A drift found at bin ``bin_index`` (counted since ``reset``) on ``channels``."""

    bin_index: int
    channels: np.ndarray
    scores: np.ndarray  # signed shift in SDs of the window mean, for every channel


class DriftDetector:
    """Firing-rate shift detector over a sliding window of bins (time on the last axis)."""

    def __init__(
        self, window: int = 200, threshold: float = 2.0, hold: int | None = None, min_channels: int = 1
    ):
        hold = 2 * int(window) if hold is None else int(hold)
        if int(window) < 2 or float(threshold) <= 0 or hold < 1 or int(min_channels) < 1:
            raise InvalidParameterError(
                "need window >= 2 bins, threshold > 0, hold >= 1 and min_channels >= 1"
            )
        self.window, self.threshold, self.hold = int(window), float(threshold), hold
        self.min_channels = int(min_channels)
        self.mean: np.ndarray | None = None
        self.events: list[DriftEvent] = []

    def fit(self, X: np.ndarray) -> DriftDetector:
        """Learn baseline means and the SD of ``window``-bin means from calibration data."""
        X = as_features(X)
        n_win = X.shape[1] // self.window
        if n_win < 2:
            raise InvalidDataError(
                f"the drift baseline needs at least {2 * self.window} bins, got {X.shape[1]}"
            )
        self.mean = X.mean(axis=1)
        win_means = X[:, : n_win * self.window].reshape(X.shape[0], n_win, self.window).mean(axis=2)
        # SD of a window mean: from the spread of the window means, floored by the Poisson-like
        # per-bin spread so channels that were flat during calibration do not fire on noise.
        per_bin = X.std(axis=1) / np.sqrt(self.window)
        self.sd = np.maximum(win_means.std(axis=1, ddof=1), per_bin) + 1e-9
        self.reset()
        return self

    def reset(self) -> None:
        if self.mean is None:
            raise NotFittedError("fit the drift detector on calibration data first")
        self._buf = np.zeros((self.mean.shape[0], self.window))
        self._sum = np.zeros(self.mean.shape[0])
        self._n = 0
        self._run = np.zeros(self.mean.shape[0], dtype=np.int64)
        self._active = False
        self.events = []

    def scores(self, X_recent: np.ndarray) -> np.ndarray:
        """Shift of each channel's mean over ``X_recent`` in SDs of a window mean (signed)."""
        if self.mean is None:
            raise NotFittedError("fit the drift detector on calibration data first")
        X = as_features(X_recent, "X_recent", n_features=self.mean.shape[0])
        sd = self.sd * np.sqrt(self.window / X.shape[1])
        return (X.mean(axis=1) - self.mean) / sd

    def check(self, X_recent: np.ndarray) -> DriftEvent | None:
        """Stateless: a ``DriftEvent`` if every window ending in the last ``hold`` bins of
        ``X_recent`` is shifted on at least ``min_channels`` channels, else ``None``."""
        if self.mean is None:
            raise NotFittedError("fit the drift detector on calibration data first")
        X = as_features(X_recent, "X_recent", n_features=self.mean.shape[0])
        need = self.window + self.hold - 1
        if X.shape[1] < need:
            raise InvalidDataError(f"check needs at least window + hold - 1 = {need} bins, got {X.shape[1]}")
        c = np.cumsum(X[:, -need:], axis=1)
        c = np.concatenate([np.zeros((X.shape[0], 1)), c], axis=1)
        means = (c[:, self.window :] - c[:, : -self.window]) / self.window
        s = (means - self.mean[:, None]) / self.sd[:, None]
        bad = np.flatnonzero(np.all(np.abs(s) > self.threshold, axis=1))
        return DriftEvent(X.shape[1] - 1, bad, s[:, -1]) if bad.size >= self.min_channels else None

    def update(self, x_t: np.ndarray) -> DriftEvent | None:
        """Feed one bin ``(n_channels,)``; returns a new ``DriftEvent`` when a drift starts."""
        if self.mean is None:
            raise NotFittedError("fit the drift detector on calibration data first")
        x_t = np.asarray(x_t, dtype=np.float64)
        if x_t.shape != self.mean.shape or not np.isfinite(x_t).all():
            raise InvalidDataError(
                f"update expects one finite bin of shape {self.mean.shape}, got {x_t.shape}"
            )
        pos = self._n % self.window
        self._sum += x_t - self._buf[:, pos]
        self._buf[:, pos] = x_t
        self._n += 1
        if self._n < self.window:
            return None
        s = (self._sum / self.window - self.mean) / self.sd
        a = np.abs(s)
        # hysteresis: a run survives dips into (threshold/2, threshold], ends below threshold/2
        keep = np.where(a > self.threshold / 2, self._run, 0)
        self._run = np.where(a > self.threshold, self._run + 1, keep)
        bad = np.flatnonzero(self._run >= self.hold)
        event = None
        if bad.size >= self.min_channels and not self._active:
            event = DriftEvent(self._n - 1, bad, s)
            self.events.append(event)
            self._active = True
        elif bad.size == 0:
            self._active = False
        return event


def recalibrate(decoder: Decoder, X_recent: np.ndarray, Y_recent: np.ndarray) -> Decoder:
    """A fresh decoder with ``decoder``'s parameters fitted on recent data (the original is untouched)."""
    return decoder.clone().fit(X_recent, Y_recent)
