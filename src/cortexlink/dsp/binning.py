"""Binning: sums (event counts) or means over consecutive bins of N samples.

The partial bin at the end of a chunk is carried into the next, so bins straddling chunk edges
come out exactly as they would offline. Bin ``j`` of the output covers input samples
``[s0 + j*N, s0 + (j+1)*N)`` where ``s0`` is the first sample the block saw; the output rate is
``sample_rate / N``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numba import njit

from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import InvalidParameterError
from cortexlink.dsp.block import Block, samples_for_ms

_TILE = 8  # channels summed side by side: independent chains the CPU can overlap


@njit(cache=True, boundscheck=False, error_model="numpy")
def bin_chunk(x, acc, fill, bin_samples, square, mean, out):
    """Accumulate ``x`` (optionally squared) into bins; ``acc`` holds each channel's partial bin
    of ``fill`` samples. Writes completed bins to ``out`` and returns the new fill.

    Each channel's sum runs strictly in time order, so a bin split across chunks sums exactly as
    it would whole. The sums of a tile of channels advance together, sample by sample: one
    channel's 30 dependent additions at a time left the CPU waiting on each.
    """
    n_ch, n_s = x.shape
    n_full = n_ch - n_ch % _TILE
    t = 0
    k = 0
    f = fill
    while t < n_s:
        stop = min(n_s, t + bin_samples - f)  # up to the end of the current bin
        for c0 in range(0, n_full, _TILE):
            for u in range(t, stop):
                for c in range(c0, c0 + _TILE):
                    v = np.float64(x[c, u])
                    acc[c] += v * v if square else v
        for c in range(n_full, n_ch):
            for u in range(t, stop):
                v = np.float64(x[c, u])
                acc[c] += v * v if square else v
        f += stop - t
        t = stop
        if f == bin_samples:
            for c in range(n_ch):
                out[c, k] = acc[c] / bin_samples if mean else acc[c]
                acc[c] = 0.0
            k += 1
            f = 0
    return f


class BinAccumulator:
    """Carried partial bins for one stream (shared by ``Binner`` and ``SpikeBandPower``)."""

    def __init__(self, bin_samples: int, square: bool, mean: bool) -> None:
        self.bin_samples = bin_samples
        self.square = square
        self.mean = mean
        self.acc = np.zeros(0)
        self.fill = 0
        self.bins_done = 0
        self.first_sample: int | None = None

    def allocate(self, n_channels: int) -> None:
        self.acc = np.zeros(n_channels)
        self.fill = 0
        self.bins_done = 0
        self.first_sample = None

    def push(self, chunk: Chunk, data: np.ndarray, output_rate: float) -> Chunk:
        out = self.output_buffer(data.shape[0], data.shape[1])
        self.fill = bin_chunk(data, self.acc, self.fill, self.bin_samples, self.square, self.mean, out)
        return self.emit(chunk, out, output_rate)

    def output_buffer(self, n_channels: int, n_samples: int) -> np.ndarray:
        """A fresh float32 array for the bins that ``n_samples`` more samples complete."""
        return np.empty((n_channels, (self.fill + n_samples) // self.bin_samples), dtype=np.float32)

    def emit(self, chunk: Chunk, out: np.ndarray, output_rate: float) -> Chunk:
        """Wrap the bins just completed from ``chunk`` as a Chunk at the bin rate, positioned in
        the stream of bins."""
        if self.first_sample is None:
            self.first_sample = chunk.start_sample
        start = self.first_sample // self.bin_samples + self.bins_done
        self.bins_done += out.shape[1]
        return Chunk(out, start, output_rate, chunk.origin_ns)


class Binner(Block):
    """Sum (``"sum"``: event counts when fed crossings) or mean of every ``bin_ms`` of signal."""

    def __init__(self, sample_rate: float, bin_ms: float = 20.0,
                 mode: Literal["sum", "mean"] = "sum") -> None:
        super().__init__(sample_rate)
        if mode not in ("sum", "mean"):
            raise InvalidParameterError(f"Binner mode must be 'sum' or 'mean', got {mode!r}")
        self.mode = mode
        self.bin_samples = samples_for_ms(bin_ms, self.sample_rate, "bin_ms")
        self.linear = mode == "mean"
        self._bins = BinAccumulator(self.bin_samples, square=False, mean=mode == "mean")

    @property
    def output_rate(self) -> float:
        return self.sample_rate / self.bin_samples

    def _allocate(self, n_channels: int) -> None:
        self._bins.allocate(n_channels)

    def _process(self, chunk: Chunk, data: np.ndarray) -> Chunk:
        return self._bins.push(chunk, data, self.output_rate)
