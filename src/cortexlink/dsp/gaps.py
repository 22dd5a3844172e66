"""Keep binned outputs on their time grid when a stream has gaps (chunks lost to an overrun).

The dsp blocks assume a contiguous stream. A reader that falls behind loses chunks (the runtime
counts and reports them); a binning block fed across the hole would then number its bins wrongly
from there on. ``GridAligned`` notices the jump in ``start_sample``, resets the block and restarts
it on the next bin boundary, so bin ``k`` always covers samples ``[k*b, (k+1)*b)``. On a
contiguous stream it changes nothing but where the first bin starts.
"""

from __future__ import annotations

from typing import Any

from cortexlink.core.chunk import Chunk


class GridAligned:
    """Feeds ``block`` (anything with ``process(chunk)`` and ``reset()`` whose output bins are
    ``bin_samples`` input samples each); ``gaps`` counts the holes it restarted after."""

    def __init__(self, block: Any, bin_samples: int) -> None:
        self.block = block
        self.bin_samples = int(bin_samples)
        self.expected: int | None = None
        self.gaps = 0

    def process(self, chunk: Chunk) -> Chunk | None:
        """The block's output for ``chunk`` (None when nothing of it lies on the grid yet)."""
        if self.expected is not None and chunk.start_sample != self.expected:
            self.block.reset()
            self.expected = None
            self.gaps += 1
        if self.expected is None and self.bin_samples > 1:
            skip = (-chunk.start_sample) % self.bin_samples
            if skip >= chunk.data.shape[1]:
                return None
            if skip:
                chunk = chunk.split(skip)[1]
        self.expected = chunk.start_sample + chunk.data.shape[1]
        return self.block.process(chunk)
