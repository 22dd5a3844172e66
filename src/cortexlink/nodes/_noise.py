"""The noise level of each channel, measured on the first seconds of a live stream.

Threshold crossings need a per-channel noise RMS before they can be counted. Nodes that set their
thresholds on the stream itself (as BRAND's threshold node does) feed it the first ``n_samples``
chunk by chunk: ``rms`` accumulates the sum of squares (no big buffer, no one-off stall);
``robust`` (``median |x| / 0.6745`` away from spikes) keeps the segment and computes it once.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from cortexlink.dsp import ThresholdCrossings


class NoiseEstimate:
    """Per-channel noise of the first ``n_samples`` samples of a ``sample_rate`` stream."""

    def __init__(self, n_channels: int, n_samples: int, sample_rate: float,
                 estimator: Literal["rms", "robust"] = "rms") -> None:
        self.target = max(1, int(n_samples))
        self.sample_rate = sample_rate
        self.fill = 0
        self._sum_sq = np.zeros(n_channels)
        self._segment = np.empty((n_channels, self.target), np.float32) if estimator == "robust" else None

    def add(self, data: np.ndarray) -> np.ndarray | None:
        """Take the next chunk's samples; the per-channel RMS once ``n_samples`` were seen, else None."""
        part = data[:, :self.target - self.fill]
        if self._segment is not None:
            self._segment[:, self.fill:self.fill + part.shape[1]] = part
        else:
            p64 = part.astype(np.float64)
            self._sum_sq += np.einsum("ij,ij->i", p64, p64)
        self.fill += part.shape[1]
        if self.fill < self.target:
            return None
        if self._segment is not None:
            segment, self._segment = self._segment, None
            return ThresholdCrossings(self.sample_rate).calibrate(segment, estimator="robust")
        return np.sqrt(self._sum_sq / self.fill)
