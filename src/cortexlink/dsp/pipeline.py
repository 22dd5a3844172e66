"""``Pipeline``: blocks chained so one ``process`` call runs them all in order."""

from __future__ import annotations

import numpy as np

from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import InvalidParameterError
from cortexlink.core.recording import Recording
from cortexlink.dsp.block import Block, input_array


class Pipeline(Block):
    """Run ``blocks`` in sequence; each block's rate must equal the previous block's output rate.

    The input is checked once (values included) by the first block; later blocks skip the NaN
    scan, since their input is what an earlier block just produced.
    """

    def __init__(self, *blocks: Block) -> None:
        if not blocks:
            raise InvalidParameterError("a Pipeline needs at least one block")
        for b in blocks:
            if not isinstance(b, Block):
                raise InvalidParameterError(f"Pipeline takes Blocks, got {type(b).__name__}")
        for a, b in zip(blocks, blocks[1:], strict=False):
            if b.sample_rate != a.output_rate:
                raise InvalidParameterError(
                    f"{type(b).__name__} expects {b.sample_rate:g} Hz but {type(a).__name__} emits "
                    f"{a.output_rate:g} Hz; build it for the rate it will receive"
                )
        super().__init__(blocks[0].sample_rate)
        self.blocks = list(blocks)
        self.linear = all(b.linear for b in blocks)

    @property
    def output_rate(self) -> float:
        return self.blocks[-1].output_rate

    def process(self, chunk: Chunk) -> Chunk:
        out = self.blocks[0].process(chunk)
        for b in self.blocks[1:]:
            out = b.process_trusted(out)
        return out

    def _process(self, chunk: Chunk, data: np.ndarray) -> Chunk:  # apply() goes through process()
        return self.process(chunk)

    def reset(self) -> None:
        for b in self.blocks:
            b.reset()
        super().reset()

    def calibrate(self, signal: Recording | np.ndarray) -> None:
        """Calibrate every block that can be, on the segment as the blocks before it transform it,
        then reset the stream state the calibration pass left behind."""
        data = input_array(signal, self.sample_rate, "Pipeline.calibrate")
        for b in self.blocks:
            if hasattr(b, "calibrate"):
                b.calibrate(data)
            data = b.apply(data)
        self.reset()

    def _output_channel_ids(self, input_ids: np.ndarray) -> np.ndarray:
        for b in self.blocks:
            input_ids = b._output_channel_ids(input_ids)
        return input_ids
