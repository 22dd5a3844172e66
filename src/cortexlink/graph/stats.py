"""Latency histograms kept by each node and merged by the supervisor.

Log-spaced bins (16 per octave, about 4.4% wide) hold any run length in constant memory and
travel in heartbeats as a few sparse (bin, count) pairs; the maximum is kept exactly.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["LatencyHistogram"]

PER_OCTAVE = 16
N_BINS = 40 * PER_OCTAVE  # 1 ns .. 2**40 ns (about 18 minutes)


class LatencyHistogram:
    """Counts of nanosecond latencies; ``percentile`` answers within one bin (about 4%)."""

    __slots__ = ("counts", "count", "max_ns")

    def __init__(self) -> None:
        self.counts = np.zeros(N_BINS, dtype=np.int64)
        self.count = 0
        self.max_ns = 0

    def add(self, ns: int) -> None:
        if ns < 1:
            ns = 1
        b = int(math.log2(ns) * PER_OCTAVE)
        self.counts[b if b < N_BINS else N_BINS - 1] += 1
        self.count += 1
        if ns > self.max_ns:
            self.max_ns = ns

    def sparse(self) -> tuple[list[int], list[int], int]:
        """``(bins, counts, max_ns)`` of the non-empty bins, for a heartbeat."""
        idx = np.flatnonzero(self.counts)
        return idx.tolist(), self.counts[idx].tolist(), int(self.max_ns)

    @classmethod
    def from_sparse(cls, data: tuple[list[int], list[int], int]) -> LatencyHistogram:
        h = cls()
        bins, counts, max_ns = data
        if bins:
            h.counts[np.asarray(bins, dtype=np.int64)] = np.asarray(counts, dtype=np.int64)
        h.count = int(h.counts.sum())
        h.max_ns = int(max_ns)
        return h

    def merge(self, other: LatencyHistogram) -> LatencyHistogram:
        out = LatencyHistogram()
        out.counts = self.counts + other.counts
        out.count = self.count + other.count
        out.max_ns = max(self.max_ns, other.max_ns)
        return out

    def percentile(self, q: float) -> float:
        """The ``q``-th percentile in ns (the geometric centre of its bin; NaN when empty)."""
        if self.count == 0:
            return float("nan")
        rank = q / 100.0 * self.count
        b = int(np.searchsorted(np.cumsum(self.counts), max(rank, 1), side="left"))
        value = 2.0 ** ((b + 0.5) / PER_OCTAVE)
        return min(value, float(self.max_ns))
