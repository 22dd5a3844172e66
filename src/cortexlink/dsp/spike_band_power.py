"""Spike band power: mean power of the 250-5000 Hz band in bins (1 ms by default).

The signal is band-passed (Butterworth, state carried), squared and averaged per bin; the bin
straddling a chunk edge is carried over. With ``band=None`` the input is taken as already
band-limited (e.g. after the chain's own band-pass and CAR) and only squared and averaged.
"""

from __future__ import annotations

import numpy as np

from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import InvalidParameterError
from cortexlink.dsp.binning import BinAccumulator
from cortexlink.dsp.block import Block, samples_for_ms
from cortexlink.dsp.filters import ButterworthFilter


class SpikeBandPower(Block):
    """Band power per ``bin_ms`` bin: output rate ``sample_rate / bin_samples`` (1 kHz at 1 ms)."""

    def __init__(self, sample_rate: float, band: tuple[float, float] | None = (250.0, 5000.0),
                 bin_ms: float = 1.0, order: int = 2) -> None:
        super().__init__(sample_rate)
        self.band = band
        self._filter: ButterworthFilter | None = None
        if band is not None:
            if len(band) != 2:
                raise InvalidParameterError(f"band must be (low_hz, high_hz), got {band!r}")
            self._filter = ButterworthFilter(self.sample_rate, low=band[0], high=band[1], order=order)
        self.bin_samples = samples_for_ms(bin_ms, self.sample_rate, "bin_ms")
        self._bins = BinAccumulator(self.bin_samples, square=True, mean=True)

    @property
    def output_rate(self) -> float:
        return self.sample_rate / self.bin_samples

    @property
    def bins(self) -> BinAccumulator:
        """The partial bins carried between chunks (advanced in place by a fused kernel)."""
        return self._bins

    def _allocate(self, n_channels: int) -> None:
        self._bins.allocate(n_channels)
        if self._filter is not None:
            self._filter.reset()

    def _process(self, chunk: Chunk, data: np.ndarray) -> Chunk:
        if self._filter is not None:
            data = self._filter.process_trusted(chunk).data
        return self._bins.push(chunk, data, self.output_rate)
