"""Graph nodes for the BRAND interop tests: a ramp whose channels can be told apart, and a check of it."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from cortexlink.core import Chunk, StreamSpec
from cortexlink.graph import Node, SourceNode


def ramp(n_channels: int, start: int, n: int) -> np.ndarray:
    """Channel c holds c * 100 + sample % 100: a transposed or shuffled block cannot match."""
    t = start + np.arange(n)
    return (np.arange(n_channels)[:, None] * 100 + t[None, :] % 100).astype(np.int16)


class Ramp(SourceNode):
    kind = "ramp"

    @dataclass
    class Settings:
        n_channels: int = 4
        chunk: int = 10
        rate: float = 1000.0

    @classmethod
    def describe_outputs(cls, settings, input_specs):
        return {"out": StreamSpec("out", settings.n_channels, settings.rate, "int16", settings.chunk)}

    def generate(self):
        s, i, start = self.settings, 0, time.monotonic()
        while not self.context.stop_requested():
            data = ramp(s.n_channels, i * s.chunk, s.chunk)
            yield {"out": Chunk(data, i * s.chunk, s.rate, time.monotonic_ns())}
            i += 1
            time.sleep(max(0.0, start + i * s.chunk / s.rate - time.monotonic()))


class RampCheck(Node):
    """Counts chunks that are a ramp (channel c = c * 100 + a running sample count mod 100)."""

    kind = "ramp_check"
    outputs = ()

    def setup(self):
        self.ok = self.bad = 0

    def process(self, inputs):
        data = inputs["in"].data.astype(np.int64)
        first = data[0]
        steps_ok = np.all((np.diff(first) % 100) == 1)
        offsets = np.broadcast_to(np.arange(data.shape[0])[:, None] * 100, data.shape)
        channels_ok = np.array_equal(data - first, offsets)
        if steps_ok and channels_ok:
            self.ok += 1
        else:
            self.bad += 1
        self.context.report({"ok": self.ok, "bad": self.bad})
        return None
