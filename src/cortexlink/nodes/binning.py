"""Binning nodes: ``binner`` (one stream) and ``feature_binner`` (crossings and power together).

Bins carry the ``origin_ns`` of the chunk that completed them, so latency downstream is measured
from the last sample of the bin. Bin ``k`` covers input samples ``[k*b, (k+1)*b)`` even across
gaps left by lost chunks (see ``GridAligned``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import NodeError
from cortexlink.core.streamspec import StreamSpec
from cortexlink.dsp import Binner
from cortexlink.dsp.gaps import GridAligned
from cortexlink.graph.node import Node
from cortexlink.nodes._specs import only_input, resampled


def grid_binner(spec: StreamSpec, bin_ms: float, mode: str) -> GridAligned:
    """A Binner for ``spec``, kernels warmed up, kept on its bin grid across gaps."""
    block = Binner(spec.sample_rate, bin_ms, mode)
    warm = Binner(spec.sample_rate, bin_ms, mode)
    warm.process(Chunk(np.zeros((spec.n_channels, block.bin_samples), spec.dtype), 0, spec.sample_rate))
    return GridAligned(block, block.bin_samples)


class BinnerNode(Node):
    """Sum (event counts) or mean of every ``bin_ms`` of the input; float32 bins."""

    kind = "binner"

    @dataclass
    class Settings:
        bin_ms: float = 10.0
        mode: Literal["sum", "mean"] = "sum"

    @classmethod
    def describe_outputs(cls, settings: Any, input_specs: dict[str, StreamSpec]) -> dict[str, StreamSpec]:
        spec = only_input(cls.kind, input_specs)
        return {"out": resampled(spec, Binner(spec.sample_rate, settings.bin_ms, settings.mode).output_rate)}

    def setup(self) -> None:
        self.block = grid_binner(self.context.input_specs["in"], self.settings.bin_ms, self.settings.mode)

    def process(self, inputs: dict[str, Chunk]) -> dict[str, Chunk] | None:
        out = self.block.process(inputs["in"])
        return {"out": out} if out is not None and out.data.shape[1] else None


class FeatureBinner(Node):
    """Bins threshold-crossing counts (summed) and spike band power (averaged) of the same
    channels into one feature stream: rows ``[crossings; power]``, one column per bin.

    Columns are paired by bin index, so a chunk lost on one input costs only the bins it
    touched (``bins_unpaired`` in the report), never the alignment of the others.
    """

    kind = "feature_binner"
    inputs = ("crossings", "power")
    MAX_PENDING = 256

    @dataclass
    class Settings:
        bin_ms: float = 10.0

    @classmethod
    def describe_outputs(cls, settings: Any, input_specs: dict[str, StreamSpec]) -> dict[str, StreamSpec]:
        try:
            tc, sbp = input_specs["crossings"], input_specs["power"]
        except KeyError as exc:
            raise NodeError(f"feature_binner needs 'crossings' and 'power' inputs, missing {exc}") from None
        if tc.sample_rate != sbp.sample_rate:
            raise NodeError(f"feature_binner: crossings at {tc.sample_rate:g} Hz and power at "
                            f"{sbp.sample_rate:g} Hz; give both at the same rate")
        rate = Binner(tc.sample_rate, settings.bin_ms).output_rate
        return {"out": resampled(tc, rate, n_channels=tc.n_channels + sbp.n_channels)}

    def setup(self) -> None:
        specs = self.context.input_specs
        self.tc = grid_binner(specs["crossings"], self.settings.bin_ms, "sum")
        self.sbp = grid_binner(specs["power"], self.settings.bin_ms, "mean")
        self._pending: tuple[dict[int, tuple[np.ndarray, int]], dict[int, tuple[np.ndarray, int]]] = ({}, {})
        self.unpaired = 0

    def process(self, inputs: dict[str, Chunk]) -> dict[str, Chunk] | None:
        a = self.tc.process(inputs["crossings"])
        b = self.sbp.process(inputs["power"])
        na = 0 if a is None else a.data.shape[1]
        nb = 0 if b is None else b.data.shape[1]
        in_step = na and na == nb and a.start_sample == b.start_sample
        if in_step and not (self._pending[0] or self._pending[1]):
            out = np.concatenate([a.data, b.data], axis=0)  # the usual case: both in step
            return {"out": Chunk(out, a.start_sample, a.sample_rate, min(a.origin_ns, b.origin_ns))}
        return self._pair(a, b)

    def _pair(self, a: Chunk | None, b: Chunk | None) -> dict[str, Chunk] | None:
        for side, chunk in zip(self._pending, (a, b), strict=True):
            if chunk is not None:
                for k in range(chunk.data.shape[1]):
                    side[chunk.start_sample + k] = (chunk.data[:, k], chunk.origin_ns)
        both = sorted(set(self._pending[0]) & set(self._pending[1]))
        if not both:
            self._prune()
            return None
        run = [k for i, k in enumerate(both) if k == both[0] + i]  # a chunk is a contiguous run
        cols, origin = [], None
        for k in run:
            (ca, oa), (cb, ob) = self._pending[0].pop(k), self._pending[1].pop(k)
            cols.append(np.concatenate([ca, cb]))
            origin = min(oa, ob) if origin is None else min(origin, oa, ob)
        for side in self._pending:  # bins older than one emitted now will never pair
            for k in [k for k in side if k < run[-1]]:
                del side[k]
                self.unpaired += 1
        if self.unpaired:
            self.context.report({"bins_unpaired": self.unpaired})
        rate = (a if a is not None else b).sample_rate
        return {"out": Chunk(np.stack(cols, axis=1), run[0], rate, origin)}

    def _prune(self) -> None:
        for side in self._pending:
            while len(side) > self.MAX_PENDING:
                del side[min(side)]
                self.unpaired += 1
