"""``binned_decoder``: ``feature_binner`` and ``decoder`` in one node, one hop fewer.

Every hop between node processes costs a wake-up (tens of microseconds on an idle machine, up to
a scheduler tick on a busy one) and adds its own scheduling tail, while binning is tens of
microseconds of work per chunk. Binning inside the decoder's process takes one whole hop out of
the path from the last sample of a bin to the decoded velocity. Inputs: ``crossings`` and
``power`` (as ``feature_binner``); outputs: ``out`` (the decoder's rows ``vx, vy, live``) and
``features`` (the bins, for a recorder). Settings: the decoder's, plus ``bin_ms``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cortexlink.core.chunk import Chunk
from cortexlink.core.streamspec import StreamSpec
from cortexlink.nodes.binning import FeatureBinner
from cortexlink.nodes.decoder import DecoderNode


class BinnedDecoder(DecoderNode):
    """Bin threshold crossings and spike band power, then decode every completed bin."""

    kind = "binned_decoder"
    inputs = FeatureBinner.inputs
    outputs = ("out", "features")

    @dataclass
    class Settings(DecoderNode.Settings):
        bin_ms: float = 10.0                    # bin width, as feature_binner's

    @classmethod
    def describe_outputs(cls, settings: Any, input_specs: dict[str, StreamSpec]) -> dict[str, StreamSpec]:
        features = FeatureBinner.describe_outputs(FeatureBinner.Settings(settings.bin_ms), input_specs)["out"]
        return {**super().describe_outputs(settings, {"in": features}), "features": features}

    def setup(self) -> None:
        self.binner = FeatureBinner(FeatureBinner.Settings(self.settings.bin_ms), self.context)
        self.binner.setup()
        super().setup()
        features = self.context.output_specs["features"]
        self._allocate(features.n_channels, features.sample_rate)  # checks a loaded model's size now

    def process(self, inputs: dict[str, Chunk]) -> dict[str, Chunk] | None:
        binned = self.binner.process(inputs)
        if binned is None:
            return None
        features = binned["out"]
        return {**super().process({"in": features}), "features": features}  # "out" first: its e2e counts
