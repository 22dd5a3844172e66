"""From a stream of per-channel probabilities to seizure onsets: k of n windows, then quiet.

The site's score in a window is the ``min_channels``-th highest channel probability (so one
noisy electrode alone cannot raise an alarm when ``min_channels`` > 1). An onset is declared when
``k`` of the last ``n`` windows score at least ``threshold``; no other onset follows within
``refractory_s``. The event's ``onset_time`` is the end of the first of those ``n`` windows that
scored above threshold, ``detect_time`` the end of the window that completed the vote.
"""

from __future__ import annotations

from collections import deque
from dataclasses import asdict, dataclass, field

import numpy as np

from cortexlink.core.errors import InvalidParameterError


@dataclass
class SeizureEvent:
    """A detected seizure onset at one site."""

    site: str
    channels: list[int]
    onset_time: float
    detect_time: float
    score: float
    detected_ns: int = 0  # live use: monotonic_ns at which the detection was made
    kind: str = field(default="seizure", init=False)

    def to_dict(self) -> dict:
        return asdict(self)


class OnsetDetector:
    """k-of-n vote with a refractory period over ``(n_windows, n_channels)`` probabilities."""

    def __init__(self, site: str = "site0", threshold: float = 0.5, k: int = 3, n: int = 4,
                 refractory_s: float = 30.0, min_channels: int = 1) -> None:
        if not 0.0 < threshold < 1.0:
            raise InvalidParameterError(f"onset threshold must lie in (0, 1), got {threshold!r}")
        if not (isinstance(k, int) and isinstance(n, int) and 1 <= k <= n):
            raise InvalidParameterError(f"onset vote needs whole numbers 1 <= k <= n, got k={k!r}, n={n!r}")
        if not (isinstance(min_channels, int) and min_channels >= 1):
            raise InvalidParameterError(f"min_channels must be a whole number >= 1, got {min_channels!r}")
        if not refractory_s >= 0:
            raise InvalidParameterError(f"refractory_s must not be negative, got {refractory_s!r}")
        self.site, self.threshold, self.k, self.n = str(site), float(threshold), k, n
        self.refractory_s, self.min_channels = float(refractory_s), min_channels
        self.reset()

    def reset(self) -> None:
        self._recent: deque[tuple[float, bool]] = deque(maxlen=self.n)
        self._quiet_until = -np.inf

    def site_scores(self, probs: np.ndarray) -> np.ndarray:
        """The score of each window: the ``min_channels``-th highest channel probability."""
        m = min(self.min_channels, probs.shape[1])
        return -np.partition(-probs, m - 1, axis=1)[:, m - 1]

    def step(self, probs: np.ndarray, end_times: np.ndarray) -> list[SeizureEvent]:
        """Feed windows' probabilities and end times (s); returns the onsets they complete."""
        probs = np.asarray(probs, dtype=np.float64)
        if probs.ndim != 2 or probs.shape[0] != len(end_times):
            raise InvalidParameterError(
                f"give (n_windows, n_channels) probabilities and one end time per window; got {probs.shape} "
                f"and {len(end_times)} times")
        events = []
        if probs.shape[0] == 0:
            return events
        scores = self.site_scores(probs)
        for i, (s, t) in enumerate(zip(scores, end_times, strict=True)):
            self._recent.append((float(t), bool(s >= self.threshold)))
            if t < self._quiet_until or sum(hit for _, hit in self._recent) < self.k:
                continue
            onset = next(tt for tt, hit in self._recent if hit)
            channels = np.flatnonzero(probs[i] >= self.threshold).tolist()
            events.append(SeizureEvent(self.site, channels, onset, float(t), float(s)))
            self._quiet_until = float(t) + self.refractory_s
            self._recent.clear()
        return events

    def run(self, probs: np.ndarray, end_times: np.ndarray) -> list[SeizureEvent]:
        """Onsets of a whole probability trace (a fresh stream)."""
        self.reset()
        return self.step(probs, end_times)
