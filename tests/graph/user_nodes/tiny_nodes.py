"""Tiny nodes for the runtime tests, loaded from this file's path like a user's own nodes."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cortexlink.core import Chunk, StreamSpec
from cortexlink.graph import Node, SourceNode


class Counter(SourceNode):
    """Chunks of ``n_channels`` x ``chunk`` int16 holding a running sample count, paced at ``rate`` Hz."""

    kind = "counter"
    outputs = ("out",)

    @dataclass
    class Settings:
        n_channels: int = 2
        chunk: int = 10
        rate: float = 1000.0
        n_chunks: int = 0  # 0: until stopped
        setup_s: float = 0.0  # a slow setup (loading a model, building a population)

    @classmethod
    def describe_outputs(cls, settings, input_specs):
        return {"out": StreamSpec("out", settings.n_channels, settings.rate, "int16", settings.chunk)}

    def setup(self):
        time.sleep(self.settings.setup_s)

    def generate(self):
        s = self.settings
        period = s.chunk / s.rate
        start = time.monotonic()
        i = 0
        while not self.context.stop_requested() and (s.n_chunks == 0 or i < s.n_chunks):
            data = np.empty((s.n_channels, s.chunk), np.int16)
            data[:] = (np.arange(s.chunk) + i * s.chunk) % 30000
            yield {"out": Chunk(data, i * s.chunk, s.rate, time.monotonic_ns())}
            i += 1
            delay = start + i * period - time.monotonic()
            if delay > 0:
                time.sleep(delay)


class Negate(Node):
    kind = "negate"

    def process(self, inputs):
        chunk = inputs["in"]
        return {"out": chunk.derive(-chunk.data)}


class Tally(Node):
    """Counts samples and writes the total to ``path`` (one line per chunk, flushed) - a tiny recorder."""

    kind = "tally"
    outputs = ()
    feedback_inputs = ("hint",)

    @dataclass
    class Settings:
        path: str = ""

    def setup(self):
        import os

        self.total = 0
        self.file = open(self.settings.path, "a") if self.settings.path else None
        self.context.report({"cpus": ",".join(map(str, sorted(os.sched_getaffinity(0))))})

    def process(self, inputs):
        chunk = inputs["in"]
        self.total += chunk.n_samples
        if self.file is not None:
            self.file.write(f"{chunk.start_sample} {chunk.end_sample}\n")
            self.file.flush()
        self.context.report({"samples": self.total})
        return None

    def shutdown(self):
        if self.file is not None:
            Path(self.settings.path + ".done").write_text(str(self.total))
            self.file.close()


class Explode(Node):
    """Raises in process() after ``after`` chunks."""

    kind = "explode"

    @dataclass
    class Settings:
        after: int = 3

    def setup(self):
        self.n = 0

    def process(self, inputs):
        self.n += 1
        if self.n > self.settings.after:
            raise RuntimeError("boom on purpose")
        return {"out": inputs["in"]}


class Join(Node):
    """Two driving inputs, one output: their sum."""

    kind = "join"
    inputs = ("a", "b")

    @classmethod
    def describe_outputs(cls, settings, input_specs):
        return {"out": input_specs["a"]}

    def process(self, inputs):
        return {"out": inputs["a"].derive(inputs["a"].data + inputs["b"].data)}
