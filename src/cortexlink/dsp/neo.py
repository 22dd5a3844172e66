"""Nonlinear energy operator (Teager-Kaiser): ``psi[n] = x[n]^2 - x[n-1] x[n+1]``.

It needs one sample of look-ahead, so the streamed output is delayed by one sample:
``y[t] = psi[t-1] = x[t-1]^2 - x[t-2] x[t]``, with the samples before the stream began taken as 0.
The same holds offline, so any chunking gives the same output.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from cortexlink.core.chunk import Chunk
from cortexlink.dsp.block import Block


@njit(cache=True, boundscheck=False, error_model="numpy")
def _neo(x, last, y):
    n_ch, n_s = x.shape
    for c in range(n_ch):
        x2 = last[c, 0]  # x[t-2]
        x1 = last[c, 1]  # x[t-1]
        for t in range(n_s):
            x0 = np.float64(x[c, t])
            y[c, t] = x1 * x1 - x2 * x0
            x2 = x1
            x1 = x0
        last[c, 0] = x2
        last[c, 1] = x1


class NEO(Block):
    """Streaming nonlinear energy operator, output delayed by one sample (see module doc)."""

    delay_samples = 1

    def __init__(self, sample_rate: float) -> None:
        super().__init__(sample_rate)
        self._last = np.zeros((0, 2))

    def _allocate(self, n_channels: int) -> None:
        self._last = np.zeros((n_channels, 2))

    def _process(self, chunk: Chunk, data: np.ndarray) -> Chunk:
        out = np.empty(data.shape, dtype=np.float32)
        _neo(data, self._last, out)
        return chunk.derive(out)
