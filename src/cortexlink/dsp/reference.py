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


def channel_groups(n_channels: int, groups: int,
                   exclude: list[int] | np.ndarray = ()) -> list[tuple[int, int, np.ndarray | None]]:
    """``groups`` equal channel ranges ``(lo, hi, excluded)``, one per array; ``excluded``: the
    channels of ``exclude`` (stream indices) in the range, relative to it, or None."""
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
        raise InvalidParameterError(f"groups must be a whole number of at least 1, got {groups!r}")
    if n_channels % groups:
        raise InvalidParameterError(f"{n_channels} channels do not split into {groups} equal groups")
    size = n_channels // groups
    excluded = np.asarray(exclude, dtype=np.int64)
    out = []
    for g in range(groups):
        lo, hi = g * size, (g + 1) * size
        mine = excluded[(excluded >= lo) & (excluded < hi)] - lo
        out.append((lo, hi, mine if mine.size else None))
    return out


class GroupedReference(Block):
    """Common average reference computed separately for each of ``groups`` equal channel groups
    (one per array when several arrays share a stream); ``exclude``: bad channels (stream indices)
    left out of their group's reference."""

    linear = True

    def __init__(self, sample_rate: float, groups: int = 1, mode: Literal["mean", "median"] = "mean",
                 exclude: list[int] | np.ndarray = ()) -> None:
        super().__init__(sample_rate)
        self.groups, self.mode, self.exclude = groups, mode, list(np.asarray(exclude, dtype=np.int64))
        CommonAverageReference(self.sample_rate, mode)  # checks the mode now
        self._parts: list[tuple[int, int, CommonAverageReference]] = []

    def _allocate(self, n_channels: int) -> None:
        self._parts = [(lo, hi, CommonAverageReference(self.sample_rate, self.mode, mine))
                       for lo, hi, mine in channel_groups(n_channels, self.groups, self.exclude)]

    def _reset_state(self) -> None:
        self._parts = []

    def _process(self, chunk: Chunk, data: np.ndarray) -> Chunk:
        if len(self._parts) == 1:
            return self._parts[0][2].process_trusted(chunk)
        out = np.empty(data.shape, dtype=np.float32)
        for lo, hi, block in self._parts:
            out[lo:hi] = block.process_trusted(chunk.derive(data[lo:hi])).data
        return chunk.derive(out)
