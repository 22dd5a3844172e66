"""``latency_probe``: how old each chunk of a stream is when it gets here (now - origin_ns)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from cortexlink.core.chunk import Chunk
from cortexlink.graph.node import Node


class LatencyRecorder:
    """Keeps the last ``capacity`` latencies (ns) in a preallocated ring and summarises them."""

    def __init__(self, capacity: int) -> None:
        self._ring = np.zeros(max(1, int(capacity)), dtype=np.int64)
        self.count = 0
        self.max_ns = 0

    def add(self, latency_ns: int) -> None:
        self._ring[self.count % self._ring.shape[0]] = latency_ns
        self.count += 1
        if latency_ns > self.max_ns:
            self.max_ns = latency_ns

    def summary_us(self) -> dict[str, float]:
        """p50 / p99 over the kept window and the max over everything, in microseconds."""
        if self.count == 0:
            return {"chunks": 0, "p50_us": float("nan"), "p99_us": float("nan"), "max_us": float("nan")}
        kept = self._ring[:min(self.count, self._ring.shape[0])]
        p50, p99 = np.percentile(kept, [50, 99])
        return {"chunks": self.count, "p50_us": round(float(p50) / 1e3, 1),
                "p99_us": round(float(p99) / 1e3, 1), "max_us": round(self.max_ns / 1e3, 1)}


class LatencyProbe(Node):
    """Records ``monotonic_ns() - origin_ns`` of every chunk and reports p50 / p99 / max."""

    kind = "latency_probe"
    outputs = ()

    @dataclass
    class Settings:
        window: int = 600_000       # latencies kept for the percentiles (10 min of 1 ms chunks)
        report_every_s: float = 1.0

    def setup(self) -> None:
        self.latencies = LatencyRecorder(self.settings.window)
        self._next_report = time.monotonic() + self.settings.report_every_s

    def process(self, inputs: dict[str, Chunk]) -> dict[str, Any] | None:
        chunk = inputs["in"]
        if chunk.origin_ns:
            self.latencies.add(time.monotonic_ns() - chunk.origin_ns)
        if time.monotonic() >= self._next_report:
            self._next_report += self.settings.report_every_s
            self.context.report(self.latencies.summary_us())
        return None

    def shutdown(self) -> None:
        self.context.report(self.latencies.summary_us())
