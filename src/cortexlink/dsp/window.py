"""Sliding-window features: a window of ``window_s`` evaluated every ``hop_s``.

Window ``j`` covers input samples ``[s0 + j*hop, s0 + j*hop + window)`` (``s0``: the first sample
the block saw) and is emitted by the chunk that completes it; the last ``window - 1`` samples are
carried between chunks. Output rate is ``sample_rate / hop``.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from cortexlink.core.chunk import Chunk
from cortexlink.dsp.block import Block, samples_for

_BATCH_VALUES = 1 << 22  # window samples handed to ``_features`` at once (32 MiB of float64)


class SlidingWindowBlock(Block):
    """Base of the windowed features; subclasses implement ``_features(windows)``."""

    def __init__(self, sample_rate: float, window_s: float, hop_s: float) -> None:
        super().__init__(sample_rate)
        self.window = samples_for(window_s, self.sample_rate, "window_s", minimum=2)
        self.hop = samples_for(hop_s, self.sample_rate, "hop_s")
        self._tail = np.zeros((0, 0))
        self._seen = 0
        self._emitted = 0
        self._first_sample: int | None = None

    @property
    def output_rate(self) -> float:
        return self.sample_rate / self.hop

    def _features(self, windows: np.ndarray) -> np.ndarray:
        """``windows`` (n_channels, n_windows, window) float64 -> (n_rows, n_windows) features."""
        raise NotImplementedError

    def _n_rows(self, n_channels: int) -> int:
        return n_channels

    def _allocate(self, n_channels: int) -> None:
        self._tail = np.zeros((n_channels, 0))
        self._seen = 0
        self._emitted = 0
        self._first_sample = None

    def _process(self, chunk: Chunk, data: np.ndarray) -> Chunk:
        if self._first_sample is None:
            self._first_sample = chunk.start_sample
        buf = np.concatenate([self._tail, data.astype(np.float64)], axis=1)
        buf_start = self._seen - self._tail.shape[1]  # stream index (since s0) of buf[:, 0]
        self._seen += data.shape[1]
        # windows j with end j*hop + window <= seen, not yet emitted
        n_total = 0 if self._seen < self.window else (self._seen - self.window) // self.hop + 1
        js = np.arange(self._emitted, n_total)
        start = self._first_sample // self.hop + self._emitted
        out = np.empty((self._n_rows(data.shape[0]), js.size), dtype=np.float32)
        batch = max(1, _BATCH_VALUES // (data.shape[0] * self.window))  # bounds memory offline
        all_windows = sliding_window_view(buf, self.window, axis=1) if js.size else buf
        for b in range(0, js.size, batch):
            sel = js[b:b + batch]
            out[:, b:b + sel.size] = self._features(all_windows[:, sel * self.hop - buf_start])
        self._emitted = n_total
        # keep what a future window can still need: everything from the next window's start
        # (fewer than ``window`` samples, since that window is not complete yet)
        self._tail = buf[:, max(0, n_total * self.hop - buf_start):].copy()
        return Chunk(out, start, self.output_rate, chunk.origin_ns)


class LineLength(SlidingWindowBlock):
    """Sum of ``|x[n] - x[n-1]|`` over each window (EEG seizure feature), per channel."""

    def __init__(self, sample_rate: float, window_s: float = 1.0, hop_s: float = 0.25) -> None:
        super().__init__(sample_rate, window_s, hop_s)

    def _features(self, windows: np.ndarray) -> np.ndarray:
        return np.abs(np.diff(windows, axis=-1)).sum(axis=-1)
