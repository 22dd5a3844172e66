"""``StreamingHasher``: hash every sliding window of every channel as chunks arrive.

Windows start on the global grid ``0, hop, 2 hop, ...`` of each channel's sample index and are
hashed as soon as they are complete, so any chunking of a stream gives the same codes, in the same
order, as hashing all its windows at once with ``family.hash``. For a sketch hash (``hop`` a
multiple of its ``step``) each sub-window dot product is computed once and its sign bit kept in a
small per-channel ring that every overlapping window reads; other families keep the last window's
worth of samples and hash the new windows in a batch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import InvalidDataError, InvalidParameterError
from cortexlink.similarity._checks import check_int
from cortexlink.similarity.hash_kernels import sketch_stream
from cortexlink.similarity.hashes import HashFamily, SketchHash

__all__ = ["HashedWindows", "StreamingHasher"]


@dataclass(frozen=True)
class HashedWindows:
    """The windows one chunk completed: ``codes[c, i]`` is channel ``c``'s window at ``starts[i]``
    (and ``summaries[c, i]`` its summary, for families that keep one)."""

    codes: np.ndarray   # (n_channels, n_windows, n_tables) uint64
    starts: np.ndarray  # (n_windows,) int64, first sample of each window since the stream began
    summaries: np.ndarray | None = None   # (n_channels, n_windows, summary_size) float32

    @property
    def n_windows(self) -> int:
        return int(self.starts.shape[0])


class StreamingHasher:
    """Stateful hasher of all channels' sliding windows at a fixed ``hop`` (samples)."""

    def __init__(self, family: HashFamily, hop: int | None = None) -> None:
        self.family = family
        default_hop = family.step if isinstance(family, SketchHash) else max(1, family.window // 4)
        self.hop = check_int(default_hop if hop is None else hop, "hop (samples between windows)", 1)
        self._incremental = isinstance(family, SketchHash) and self.hop % family.step == 0
        self.reset()

    def reset(self) -> None:
        """Start a new stream: forget the samples, bits and channel count carried so far."""
        self._n_channels: int | None = None
        self._total = 0           # samples seen per channel
        self._tail = np.zeros((0, 0))
        self._tail_start = 0      # stream index of the tail's first sample
        self._next = 0            # next sub-window position (sketch) or next window start (batch)
        self._bits = np.zeros((0, 0), dtype=np.uint8)

    @property
    def n_channels(self) -> int | None:
        return self._n_channels

    def process(self, chunk: Chunk | np.ndarray) -> HashedWindows:
        """Consume ``(n_channels, n_samples)`` samples; return the windows they completed."""
        data = chunk.data if isinstance(chunk, Chunk) else chunk
        data = self._checked(data)
        if self._n_channels is None:
            self._n_channels = data.shape[0]
            self._tail = np.zeros((data.shape[0], 0))
            if self._incremental:
                self._bits = np.zeros((data.shape[0], self.family.n_sub), dtype=np.uint8)
        ext = np.concatenate([self._tail, data], axis=1) if self._tail.shape[1] else data
        self._total += data.shape[1]
        if self._incremental:
            return self._process_sketch(ext)
        return self._process_batch(ext)

    def _process_sketch(self, ext: np.ndarray) -> HashedWindows:
        fam = self.family
        assert isinstance(fam, SketchHash)
        n_subs = max(0, (self._total - fam.filter_length - self._next) // fam.step + 1)
        capacity = n_subs * fam.step // self.hop + 1
        n_ch = ext.shape[0]
        codes = np.empty((capacity * n_ch, fam.n_tables), dtype=np.uint64)
        starts = np.empty(capacity, dtype=np.int64)
        self._next, n_out = sketch_stream(ext, self._tail_start, self._next, self._total, fam.filter,
                                          fam.step, self.hop, fam.window, fam.ngram, fam.keys,
                                          fam.per_table, self._bits, codes, starts)
        self._keep_from(ext, self._next)
        codes = codes[:n_out * n_ch].reshape(n_out, n_ch, fam.n_tables).transpose(1, 0, 2)
        return HashedWindows(np.ascontiguousarray(codes), starts[:n_out])

    def _process_batch(self, ext: np.ndarray) -> HashedWindows:
        window = self.family.window
        last = self._total - window
        starts = np.arange(self._next, last + 1, self.hop, dtype=np.int64)
        n_ch = ext.shape[0]
        size = self.family.summary_size
        if starts.size:
            views = np.lib.stride_tricks.sliding_window_view(ext, window, axis=1)
            windows = views[:, starts - self._tail_start].reshape(-1, window)
            codes = self.family.hash(windows).reshape(n_ch, starts.size, self.family.n_tables)
            summaries = self.family.summarise(windows).reshape(n_ch, starts.size, size) if size else None
            self._next = int(starts[-1]) + self.hop
        else:
            codes = np.empty((n_ch, 0, self.family.n_tables), dtype=np.uint64)
            summaries = np.empty((n_ch, 0, size), dtype=np.float32) if size else None
        self._keep_from(ext, self._next)
        return HashedWindows(codes, starts, summaries)

    def _keep_from(self, ext: np.ndarray, position: int) -> None:
        """Keep the samples from stream index ``position`` on (all we will need again)."""
        first = min(max(position - self._tail_start, 0), ext.shape[1])
        self._tail = np.ascontiguousarray(ext[:, first:])
        self._tail_start += first

    def _checked(self, data: np.ndarray) -> np.ndarray:
        arr = np.asarray(data)
        if arr.ndim != 2:
            raise InvalidDataError(f"chunks must be 2-D (n_channels, n_samples), got shape {arr.shape}")
        if self._n_channels is not None and arr.shape[0] != self._n_channels:
            raise InvalidDataError(f"this stream has {self._n_channels} channels, the chunk has "
                                   f"{arr.shape[0]}; call reset() to start a stream with other channels")
        if arr.shape[0] == 0:
            raise InvalidDataError("chunk has zero channels")
        if not np.issubdtype(arr.dtype, np.number):
            raise InvalidDataError(f"chunk must hold numbers, got dtype {arr.dtype}")
        out = np.ascontiguousarray(arr, dtype=np.float64)
        if not np.isfinite(out).all():
            raise InvalidDataError("chunk holds NaN or infinite samples; clean or interpolate them first")
        return out

    def hash_all(self, signal: np.ndarray) -> HashedWindows:
        """Hash a whole ``(n_channels, n_samples)`` signal as one fresh stream (``reset`` + ``process``)."""
        if np.asarray(signal).ndim == 2 and np.asarray(signal).shape[-1] < self.family.window:
            raise InvalidParameterError(f"signal has {np.asarray(signal).shape[-1]} samples, fewer than one "
                                        f"window of {self.family.window}; use a shorter window")
        self.reset()
        return self.process(signal)
