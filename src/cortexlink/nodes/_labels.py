"""Which intended velocity was in force while a bin was recorded, from a behaviour stream.

The simulator publishes the velocity it drove each block with, plus the few blocks before it, on
its ``behaviour`` stream. Nodes read that stream as feedback ("latest value"), so ``LabelHistory``
keeps every column it has seen, indexed by block, and answers for any moment of the stream. This
pairs each bin with exactly the intention that produced it, whatever the loop's delays.
"""

from __future__ import annotations

import math

from cortexlink.core.chunk import Chunk


class LabelHistory:
    """Recent ``(vx, vy)`` labels by index on their stream's own rate."""

    def __init__(self, keep: int = 512) -> None:
        self.keep = int(keep)
        self.rate: float | None = None
        self._values: dict[int, tuple[float, float]] = {}
        self._newest = -1

    def add(self, chunk: Chunk | None) -> None:
        """Remember the columns of the newest chunk of the behaviour stream (None: nothing new)."""
        if chunk is None or chunk.data.shape[0] < 2:
            return
        self.rate = chunk.sample_rate
        data = chunk.data
        for k in range(data.shape[1]):
            i = chunk.start_sample + k
            if i > self._newest - self.keep:
                self._values[i] = (float(data[0, k]), float(data[1, k]))
        self._newest = max(self._newest, chunk.end_sample - 1)
        if len(self._values) > 2 * self.keep:
            oldest = self._newest - self.keep
            self._values = {i: v for i, v in self._values.items() if i > oldest}

    def at(self, time_s: float) -> tuple[float, float] | None:
        """The label in force at ``time_s`` seconds into the stream, if seen."""
        if self.rate is None:
            return None
        return self._values.get(math.floor(time_s * self.rate + 1e-9))


def bin_middle_s(chunk: Chunk, k: int) -> float:
    """Stream time (s) of the middle of column ``k`` of a binned chunk."""
    return (chunk.start_sample + k + 0.5) / chunk.sample_rate
