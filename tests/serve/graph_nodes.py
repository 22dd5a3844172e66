"""Tiny nodes for the serve tests: a steady velocity source and a stand-in decoder, loaded by path."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from cortexlink.core import Chunk, StreamSpec
from cortexlink.graph import Node, SourceNode


class SteadyVelocity(SourceNode):
    """Rows ``vx, vy, live`` at ``rate`` Hz, one sample a chunk: a constant velocity, live."""

    kind = "steady_velocity"
    outputs = ("out",)

    @dataclass
    class Settings:
        vx: float = 10.0
        vy: float = -5.0
        rate: float = 100.0

    @classmethod
    def describe_outputs(cls, settings, input_specs):
        return {"out": StreamSpec("out", 3, settings.rate, "float32", 1)}

    def generate(self):
        s = self.settings
        start, i = time.monotonic(), 0
        while not self.context.stop_requested():
            data = np.array([[s.vx], [s.vy], [1.0]], np.float32)
            yield {"out": Chunk(data, i, s.rate, time.monotonic_ns())}
            i += 1
            delay = start + i / s.rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)


class PassDecoder(Node):
    """Stands in for a decoder: passes its input on (so it can be killed in a test)."""

    kind = "pass_decoder"

    def process(self, inputs):
        return {"out": inputs["in"]}
