"""Compress and decompress files: what ``cortexlink compress`` and ``decompress`` do, as one call.

A WAV file goes through ``compress_wav_file`` so it comes back byte for byte; any other recording
format is read as int16 counts. The output's folder is checked before any work starts.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from cortexlink.codec.api import DEFAULT_BLOCK_SECONDS, CompressedReader, compress, compress_wav_file
from cortexlink.codec.levels import DEFAULT_LEVEL, check_level
from cortexlink.core.paths import existing_file, writable_target, writing


@dataclass
class Compressed:
    """What ``compress_file`` did: sizes in bytes and the seconds compression took."""

    original_bytes: int
    compressed_bytes: int
    seconds: float

    @property
    def ratio(self) -> float:
        return self.original_bytes / max(1, self.compressed_bytes)


@dataclass
class Decompressed:
    """What ``decompress_file`` wrote: its shape and ``kind`` ("original WAV file" or a format)."""

    n_channels: int
    n_samples: int
    kind: str


def compress_file(source: str | Path, target: str | Path, level: str = DEFAULT_LEVEL,
                  block_seconds: float | None = DEFAULT_BLOCK_SECONDS) -> Compressed:
    """Compress the recording file ``source`` into ``target`` (see ``compress`` for the blocks)."""
    source, target = existing_file(source), writable_target(target)
    check_level(level)
    t0 = time.perf_counter()
    if source.suffix.lower() == ".wav":
        packed = compress_wav_file(source, level, block_seconds)
    else:
        from cortexlink.io import open_recording

        packed = compress(open_recording(source), level, block_seconds)
    seconds = time.perf_counter() - t0
    _write(target, packed)
    return Compressed(source.stat().st_size, len(packed), seconds)


def decompress_file(source: str | Path, target: str | Path, start_s: float | None = None,
                    stop_s: float | None = None) -> Decompressed:
    """Restore ``source`` into ``target``: the original file, byte for byte, when it was a WAV file,
    all of it is asked for and ``target`` ends in .wav; else ``[start_s, stop_s)`` seconds of it
    as a recording in the format ``target``'s extension names."""
    source, target = existing_file(source), writable_target(target)
    reader = CompressedReader(source.read_bytes())
    whole = start_s is None and stop_s is None
    if whole and reader.header.wav_header is not None and target.suffix.lower() == ".wav":
        _write(target, reader.wav_bytes())
        return Decompressed(reader.n_channels, reader.n_samples, "original WAV file")
    from cortexlink.io import save_recording

    rec = reader.recording(start_s, stop_s)
    return Decompressed(rec.n_channels, rec.n_samples, f"{save_recording(rec, target)} recording")


def _write(target: Path, data: bytes) -> None:
    with writing(target):
        target.write_bytes(data)
