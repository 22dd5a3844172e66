"""Live-stream compression: chunk in, framed bytes out, with the model's state kept across chunks.

A stream is a header (``b"CXS"``, version, level, channel count, sample rate, CRC32) followed by
one frame per chunk: ``n_samples`` and payload length as varints, the CRC32 of those and the
payload, then the payload.
Frames must be decoded in order, since each continues the state of the one before.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

from cortexlink.codec.api import _engine
from cortexlink.codec.container import DATA_ERRORS, MAX_BLOCK_VALUES, MAX_CHANNELS, ByteReader, varint_bytes
from cortexlink.codec.levels import LEVELS, STREAM_LEVEL, check_level
from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import CorruptDataError, InvalidDataError, InvalidParameterError
from cortexlink.core.recording import Recording
from cortexlink.core.validation import check_sample_rate

STREAM_MAGIC = b"CXS"
STREAM_VERSION = 2  # as the container format


class _StreamEnd:
    """What both ends of a stream know: channel count, sample rate, level."""

    def __init__(self, n_channels: int, sample_rate: float, level: str) -> None:
        if not 0 < int(n_channels) <= MAX_CHANNELS:
            raise InvalidParameterError(f"n_channels must be 1..{MAX_CHANNELS}, got {n_channels}")
        self.n_channels, self.level = int(n_channels), check_level(level)
        self.sample_rate = check_sample_rate(sample_rate)


class Encoder(_StreamEnd):
    """Compresses consecutive chunks of ``n_channels`` int16 channels into frames."""

    def __init__(self, n_channels: int, sample_rate: float, level: str = STREAM_LEVEL) -> None:
        super().__init__(n_channels, sample_rate, level)
        self._engine = _engine().StreamEncoder(self.n_channels, level)

    def header(self) -> bytes:
        """The bytes that open the stream; a ``Decoder`` is built from them."""
        head = (STREAM_MAGIC + bytes([STREAM_VERSION, LEVELS.index(self.level)])
                + varint_bytes(self.n_channels) + struct.pack("<d", self.sample_rate))
        return head + struct.pack("<I", zlib.crc32(head))

    def encode(self, chunk: np.ndarray | Chunk) -> bytes:
        """One frame holding ``chunk`` (``(n_channels, k)`` int16, any ``k``)."""
        data = chunk.data if isinstance(chunk, Chunk) else np.asarray(chunk)
        if data.ndim != 2 or data.shape[0] != self.n_channels or data.dtype != np.int16:
            raise InvalidDataError(f"stream chunks must be int16 ({self.n_channels}, n_samples), "
                                   f"got {data.dtype} {data.shape}")
        if data.size > MAX_BLOCK_VALUES:
            raise InvalidDataError(f"a chunk of {data.size} values is too big for one frame; "
                                   f"send at most {MAX_BLOCK_VALUES // self.n_channels} samples at a time")
        payload = self._engine.encode(np.ascontiguousarray(data))
        sizes = varint_bytes(data.shape[1]) + varint_bytes(len(payload))
        return sizes + struct.pack("<I", zlib.crc32(payload, zlib.crc32(sizes))) + payload


class Decoder(_StreamEnd):
    """Decodes the frames of one stream in order; build it with ``Decoder.from_header``."""

    def __init__(self, n_channels: int, sample_rate: float, level: str = STREAM_LEVEL) -> None:
        super().__init__(n_channels, sample_rate, level)
        self._engine = _engine().StreamDecoder(self.n_channels, level)
        self.samples_decoded = 0

    @classmethod
    def from_header(cls, data: bytes) -> tuple[Decoder, int]:
        """A decoder for the stream whose first bytes are ``data``, and the header's length."""
        r = ByteReader(bytes(data))
        if r.take(3) != STREAM_MAGIC:
            raise CorruptDataError("not a cortexlink stream (bad magic); check what was passed")
        version, level = r.take(2)
        if version != STREAM_VERSION or level >= len(LEVELS):
            raise CorruptDataError(f"stream header has version {version}, level {level}; "
                                   f"this cortexlink reads version {STREAM_VERSION}")
        n_ch, rate = r.varint(), r.f64()
        if r.u32() != zlib.crc32(r.data[:r.pos - 4]):
            raise CorruptDataError("stream header fails its CRC32 check; the stream is damaged")
        if not 0 < n_ch <= MAX_CHANNELS or not 0 < rate < float("inf"):
            raise CorruptDataError(f"stream header declares {n_ch} channels at {rate} Hz; it is damaged")
        return cls(n_ch, rate, LEVELS[level]), r.pos

    def decode(self, frame: bytes) -> np.ndarray:
        """The ``(n_channels, k)`` int16 samples of exactly one frame."""
        data, end = self.decode_at(bytes(frame), 0)
        if end != len(frame):
            raise CorruptDataError(f"frame has {len(frame) - end} bytes after its payload; it is damaged")
        return data

    def decode_at(self, buf: bytes, pos: int) -> tuple[np.ndarray, int]:
        """Decode the frame starting at ``buf[pos]``; returns its samples and where the next begins."""
        r = ByteReader(buf)
        r.pos = pos
        n, length = r.varint(), r.varint()
        if n * self.n_channels > MAX_BLOCK_VALUES:
            raise CorruptDataError(f"frame declares {n} samples, more than a frame can hold; it is damaged")
        sizes = buf[pos:r.pos]
        crc = r.u32()
        payload = r.take(length)
        if zlib.crc32(payload, zlib.crc32(sizes)) != crc:
            raise CorruptDataError(f"frame at byte {pos} fails its CRC32 check; the stream is damaged")
        try:
            out = self._engine.decode(payload, n)
        except DATA_ERRORS as exc:
            raise CorruptDataError(f"frame at byte {pos} does not decode ({type(exc).__name__}: {exc}); "
                                   "the stream is damaged") from exc
        if out.shape != (self.n_channels, n):
            raise CorruptDataError(f"frame at byte {pos} decoded to shape {out.shape}; the stream is damaged")
        self.samples_decoded += n
        return out, r.pos


def read_stream(data: bytes) -> Recording:
    """Decode a whole stream (header and frames, back to back) into a Recording."""
    data = bytes(data)
    decoder, pos = Decoder.from_header(data)
    parts = []
    while pos < len(data):
        samples, pos = decoder.decode_at(data, pos)
        parts.append(samples)
    joined = np.concatenate(parts, axis=1) if parts else np.zeros((decoder.n_channels, 0), np.int16)
    return Recording(joined, decoder.sample_rate)
