"""``spike_sorter``: online spike sorting (``cortexlink.sort.OnlineSorter``) of a raw stream.

Templates come from a model file written by ``cortexlink sort --model`` (or ``save_model``). The
output has one row per unit, 1 at each of its spikes, at the input rate, a few milliseconds behind
the input (the sorter's release delay): the shape a ``threshold_crossings`` stream has, so the
``binner`` and the decoders take sorted units in place of crossings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import NodeError
from cortexlink.core.streamspec import StreamSpec
from cortexlink.graph.node import Node
from cortexlink.nodes._specs import only_input, resampled


class SpikeSorter(Node):
    """Sorted units of a raw stream, as a uint8 spike raster (one row per unit)."""

    kind = "spike_sorter"

    @dataclass
    class Settings:
        model: str = ""          # sorter model file (cortexlink sort --model FILE)
        gain_uv: float = 1.0     # microvolts per input unit (int16 counts)
        adapt: bool = True       # templates follow slow drift

    @classmethod
    def describe_outputs(cls, settings: Any, input_specs: dict[str, StreamSpec]) -> dict[str, StreamSpec]:
        spec = only_input(cls.kind, input_specs)
        model = _load(settings)
        if model.probe.n_channels != spec.n_channels:
            raise NodeError(f"spike_sorter: the model is for {model.probe.n_channels} channels, the input "
                            f"has {spec.n_channels}; sort a recording of this stream")
        if not np.isclose(model.sample_rate, spec.sample_rate):
            raise NodeError(f"spike_sorter: the model is for {model.sample_rate:g} Hz, the input is "
                            f"{spec.sample_rate:g} Hz")
        return {"out": resampled(spec, spec.sample_rate, "uint8", n_channels=max(1, model.unit_ids.size))}

    def setup(self) -> None:
        from cortexlink.sort import OnlineSorter

        model = _load(self.settings)
        spec = self.context.input_specs["in"]
        warm = OnlineSorter(model, self.settings.adapt)  # compiles the kernels before the stream starts
        warm.process_raster(Chunk(np.zeros((spec.n_channels, 4 * warm.delay_samples), np.float32), 0,
                                  spec.sample_rate))
        self.sorter = OnlineSorter(model, self.settings.adapt)
        self.gain = np.float32(self.settings.gain_uv)

    def process(self, inputs: dict[str, Chunk]) -> dict[str, Chunk] | None:
        chunk = inputs["in"]
        data = chunk.data if chunk.data.dtype == np.float32 and self.gain == 1 else chunk.data * self.gain
        out = self.sorter.process_raster(chunk.derive(np.asarray(data, np.float32)))
        return {"out": out} if out is not None else None


def _load(settings: Any) -> Any:
    from cortexlink.sort import load_model

    if not settings.model:
        raise NodeError("spike_sorter needs parameters.model: a sorter model file (cortexlink sort --model)")
    return load_model(settings.model)
