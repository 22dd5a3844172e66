"""The node loop's bookkeeping: what a node's heartbeat says it wrote."""

from __future__ import annotations

import numpy as np

from cortexlink.core.chunk import Chunk
from cortexlink.graph.runner import _Loop, _write


class _Writer:
    def __init__(self) -> None:
        self.chunks: list[Chunk] = []

    def write(self, chunk: Chunk) -> None:
        self.chunks.append(chunk)


def test_samples_out_counts_the_main_port_whatever_the_order_returned():
    writers = {"out": _Writer(), "behaviour": _Writer()}  # declared order: "out" is the main port
    loop = _Loop(control=None, readers={}, main_port="out")
    signal, behaviour = Chunk(np.zeros((4, 30)), 0, 30000.0), Chunk(np.zeros((2, 5)), 0, 50.0)
    _write({"behaviour": behaviour, "out": signal}, writers, loop, now=1)
    _write({"behaviour": behaviour}, writers, loop, now=2)  # no signal this time
    _write({"out": signal}, writers, loop, now=3)
    assert loop.samples_out == 60 and loop.chunks_out == 3
    assert len(writers["out"].chunks) == 2 and len(writers["behaviour"].chunks) == 2
