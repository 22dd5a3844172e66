"""``brainflow_source``: EEG from a BrainFlow board (OpenBCI Cyton/Ganglion and others; the
``synthetic`` board needs no hardware), in chunks of ``chunk_ms`` (``cortexlink.io.brainflow_board``).

Output: the board's EEG channels in microvolts (float32) at its rate. Samples the board's package
counter says were lost are counted and reported (``package_gaps``) and warned about.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import InvalidParameterError
from cortexlink.core.streamspec import StreamSpec
from cortexlink.graph.node import SourceNode


class BrainFlowSource(SourceNode):
    """A BrainFlow board's EEG rows, polled every ``chunk_ms``."""

    kind = "brainflow_source"

    @dataclass
    class Settings:
        board: str = "synthetic"  # BrainFlow board name (synthetic, cyton, ganglion, ...) or id
        serial_port: str = ""  # e.g. /dev/ttyUSB0 for a Cyton dongle
        ip_address: str = ""
        ip_port: int = 0
        mac_address: str = ""
        serial_number: str = ""
        chunk_ms: float = 40.0  # chunk length emitted
        timeout_s: float = 5.0  # no sample for this long: stop with a warning

        def __post_init__(self) -> None:
            if not self.chunk_ms > 0 or not self.timeout_s > 0:
                raise InvalidParameterError("chunk_ms and timeout_s must be positive")

    @staticmethod
    def _chunk(s: Any, rate: float) -> int:
        return max(1, int(round(s.chunk_ms * 1e-3 * rate)))

    @classmethod
    def describe_outputs(cls, settings: Any, input_specs: dict[str, StreamSpec]) -> dict[str, StreamSpec]:
        from cortexlink.io.brainflow_board import board_description

        d = board_description(settings.board)
        return {
            "out": StreamSpec(
                "out", len(d["eeg_rows"]), d["sample_rate"], "float32", cls._chunk(settings, d["sample_rate"])
            )
        }

    def setup(self) -> None:
        from cortexlink.io.brainflow_board import BrainFlowBoard

        s = self.settings
        self.board = BrainFlowBoard(
            s.board, s.serial_port, s.ip_address, s.ip_port, s.mac_address, s.serial_number
        )
        self.board.start()
        self.n = self._chunk(s, self.board.sample_rate)

    def generate(self) -> Iterator[dict[str, Chunk]]:
        from cortexlink.io.lsl import ChunkBuffer

        rate = self.board.sample_rate
        buffer = ChunkBuffer(self.board.n_channels, self.n)
        period = self.n / rate
        last_data = time.monotonic()
        reported = 0
        while not self.context.stop_requested():
            time.sleep(period / 2)
            now_ns = self.context.now_ns()
            data = self.board.read()
            if data.shape[1] == 0:
                if time.monotonic() - last_data > self.settings.timeout_s:
                    self.context.warning(
                        f"board {self.settings.board!r} sent nothing for "
                        f"{self.settings.timeout_s:g} s; stopping"
                    )
                    return
                continue
            last_data = time.monotonic()
            # sample k of this read was acquired about (n - 1 - k) / rate before it was read
            origin = now_ns - ((data.shape[1] - 1 - np.arange(data.shape[1])) * 1e9 / rate).astype(np.int64)
            if self.board.gaps != reported:
                self.context.warning(f"{self.board.gaps - reported} samples lost (package counter)")
                reported = self.board.gaps
            for block, start, first_ns in buffer.add(data, origin):
                yield {"out": Chunk(block, start, rate, first_ns)}

    def shutdown(self) -> None:
        self.context.report({"package_gaps": self.board.gaps})
        self.board.stop()
