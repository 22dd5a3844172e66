"""Common average reference: subtract, at every sample, the mean (or median) across channels.

Bad channels can be left out of the reference through ``exclude``; they are still re-referenced
(every output channel has the reference subtracted). The block keeps no state across chunks, so
chunk invariance is immediate.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numba import njit

from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import InvalidDataError, InvalidParameterError
from cortexlink.dsp.block import Block


@njit(cache=True, boundscheck=False, error_model="numpy")
def column_means(x: np.ndarray, used: np.ndarray, acc: np.ndarray) -> None:
    """``acc[t]`` = mean over the ``used`` channels of ``x[:, t]``, summed in channel order (float64)."""
    n_ch, n_s = x.shape
    for t in range(n_s):
        acc[t] = 0.0
    n_used = 0
    for c in range(n_ch):
        if used[c]:
            n_used += 1
            for t in range(n_s):
                acc[t] += x[c, t]
    for t in range(n_s):
        acc[t] /= n_used


@njit(cache=True, boundscheck=False, error_model="numpy")
def _car_mean(x: np.ndarray, used: np.ndarray, y: np.ndarray, acc: np.ndarray) -> None:
    column_means(x, used, acc)
    n_ch, n_s = x.shape
    for c in range(n_ch):
        for t in range(n_s):
            y[c, t] = x[c, t] - acc[t]


@njit(cache=True, boundscheck=False, error_model="numpy")
def _car_median(x: np.ndarray, used_idx: np.ndarray, y: np.ndarray) -> None:
    n_ch, n_s = x.shape
    col = np.empty(used_idx.shape[0])
    for t in range(n_s):
        for i in range(used_idx.shape[0]):
            col[i] = x[used_idx[i], t]
        ref = np.median(col)
        for c in range(n_ch):
            y[c, t] = x[c, t] - ref


class CommonAverageReference(Block):
    """Re-reference every channel to the ``mode`` ("mean" or "median") of the channels not in
    ``exclude`` (channel indices or a boolean mask of bad channels)."""

    linear = True

    def __init__(self, sample_rate: float, mode: Literal["mean", "median"] = "mean",
                 exclude: np.ndarray | list[int] | None = None) -> None:
        super().__init__(sample_rate)
        if mode not in ("mean", "median"):
            raise InvalidParameterError(f"CAR mode must be 'mean' or 'median', got {mode!r}")
        self.mode = mode
        self.exclude = None if exclude is None else np.asarray(exclude)
        if self.exclude is not None and self.exclude.dtype.kind not in "biu":
            raise InvalidParameterError(
                f"exclude must be channel indices or a boolean mask, got dtype {self.exclude.dtype}"
            )
        self._used = np.ones(0, dtype=np.bool_)
        self._used_idx = np.zeros(0, dtype=np.int64)
        self._acc = np.zeros(0)

    def _allocate(self, n_channels: int) -> None:
        used = np.ones(n_channels, dtype=np.bool_)
        if self.exclude is not None:
            ex = self.exclude
            if ex.dtype == np.bool_:
                if ex.shape != (n_channels,):
                    raise InvalidDataError(
                        f"CAR exclude mask has shape {ex.shape} but the stream has {n_channels} channels"
                    )
                used &= ~ex
            else:
                if ex.size and (ex.min() < 0 or ex.max() >= n_channels):
                    raise InvalidDataError(
                        f"CAR exclude names channels outside 0..{n_channels - 1} (got {ex.min()}..{ex.max()})"
                    )
                used[ex] = False
        if not used.any():
            raise InvalidParameterError("CAR exclude leaves no channel to compute the reference from")
        self._used = used
        self._used_idx = np.flatnonzero(used).astype(np.int64)

    @property
    def used(self) -> np.ndarray:
        """Boolean mask of the channels the reference is computed from (set on the first chunk)."""
        return self._used

    def mean_buffer(self, n_samples: int) -> np.ndarray:
        """Scratch for the per-sample reference, kept between chunks (at least ``n_samples`` long)."""
        if self._acc.shape[0] < n_samples:
            self._acc = np.empty(max(n_samples, 64))
        return self._acc

    def _process(self, chunk: Chunk, data: np.ndarray) -> Chunk:
        out = np.empty(data.shape, dtype=np.float32)
        if self.mode == "mean":
            _car_mean(data, self._used, out, self.mean_buffer(data.shape[1]))
        else:
            _car_median(data, self._used_idx, out)
        return chunk.derive(out)
