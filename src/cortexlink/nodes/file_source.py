"""``file_source``: replay a recording (any format ``open_recording`` reads) in real time or as
fast as the graph takes it, optionally looping. With ``events`` (EDF+ annotations), one more row
carries the event code at each annotation's onset (``cortexlink.io.events``; codes in the log)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import InvalidParameterError
from cortexlink.core.streamspec import StreamSpec
from cortexlink.graph.node import SourceNode
from cortexlink.graph.settings import graph_path
from cortexlink.nodes.pacing import Pacer


def _open(path: str, events: bool = False):
    from cortexlink.core.recording import Recording
    from cortexlink.io import open_recording

    rec = open_recording(path)
    if not events:
        return rec
    from cortexlink.io.events import marker_row

    data = np.vstack([np.asarray(rec.data, np.float32) * np.float32(rec.gain_uv), marker_row(rec)[None]])
    return Recording(data, rec.sample_rate, metadata=rec.metadata)


class FileSource(SourceNode):
    """Chunks of ``chunk_ms`` of a recording's samples (as stored: int16 counts or float32)."""

    kind = "file_source"

    @dataclass
    class Settings:
        path: str = graph_path()                # recording file (any format open_recording reads)
        chunk_ms: float = 1.0
        realtime: bool = True
        loop: bool = False
        events: bool = False                    # add a last row of event codes (annotations; float32 output)

        def __post_init__(self) -> None:
            if not self.chunk_ms > 0:
                raise InvalidParameterError(f"chunk_ms must be positive, got {self.chunk_ms}")

    @staticmethod
    def _chunk_samples(settings: Any, rate: float) -> int:
        n = int(round(settings.chunk_ms * 1e-3 * rate))
        if n < 1:
            raise InvalidParameterError(f"chunk_ms={settings.chunk_ms} is under one sample at {rate:g} Hz")
        return n

    @classmethod
    def describe_outputs(cls, settings: Any, input_specs: dict[str, StreamSpec]) -> dict[str, StreamSpec]:
        rec = _open(settings.path, settings.events)
        return {"out": StreamSpec("out", rec.n_channels, rec.sample_rate, str(rec.data.dtype),
                                  cls._chunk_samples(settings, rec.sample_rate))}

    def setup(self) -> None:
        self.recording = _open(self.settings.path, self.settings.events)
        if self.settings.events:
            from cortexlink.io.events import event_codes

            codes = ", ".join(f"{k}={v}" for k, v in event_codes(self.recording).items()) or "none"
            self.context.info(f"event row {self.recording.n_channels - 1}: {codes}")
        self.n = self._chunk_samples(self.settings, self.recording.sample_rate)
        self.pacer = Pacer(self.n / self.recording.sample_rate, self.settings.realtime, on_late=self._late)

    def _late(self, seconds: float) -> None:
        self.context.warning(f"replay is {seconds * 1e3:.0f} ms behind real time")

    def generate(self) -> Iterator[dict[str, Chunk]]:
        rec, n = self.recording, self.n
        if rec.n_samples == 0:
            return
        data = rec.data
        i = 0
        while not self.context.stop_requested():
            pos = (i * n) % rec.n_samples if self.settings.loop else i * n
            if pos >= rec.n_samples:
                return
            piece = data[:, pos:pos + n]
            if piece.shape[1] < n and self.settings.loop:  # wrap around the end of the file
                piece = np.concatenate([piece, data[:, :n - piece.shape[1]]], axis=1)
            self.pacer.wait(i)
            yield {"out": Chunk(np.ascontiguousarray(piece), i * n, rec.sample_rate, self.context.now_ns())}
            i += 1
