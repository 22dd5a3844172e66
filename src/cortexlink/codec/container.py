"""The compressed file format: header, block index, CRC32-checked blocks.

Layout (integers are LEB128 varints unless marked; fixed fields little-endian)::

    b"CXL" version:u8 flags:u8 n_channels n_samples block_samples
    sample_rate (varint, or f64 with RATE_F64)  gain_uv:f64 if GAIN  t0:f64 if T0
    WAV header (length + bytes) if WAV and not WAV_STD;  WAV trailer (length + bytes) if TRAILER
    one entry per block: method:u8 length crc32:u32
    crc32:u32 of everything above
    the block payloads, back to back

Block ``i`` holds samples ``[i * block_samples, (i + 1) * block_samples)`` of every channel, so a
time range needs only its blocks. Every size is checked against the bytes present before anything
is allocated, and every byte is covered by a CRC32, so damage is reported, never decoded.
"""

from __future__ import annotations

import math
import struct
import zlib
from dataclasses import dataclass

from cortexlink.codec.levels import LEVELS
from cortexlink.core.errors import CorruptDataError
from cortexlink.io.wav import wav_header

MAGIC = b"CXL"
VERSION = 2  # 2: the fast kernel codes low bits and signs as plain bits
METHODS = ("stored", *LEVELS)  # a block's method byte is its index here
MAX_CHANNELS = 1 << 16
MAX_BLOCK_VALUES = 1 << 26

WAV, WAV_STD, TRAILER, RATE_F64, GAIN, T0 = (1 << i for i in range(6))
# what a payload that passed its CRC but was never written by the engine can make a decoder raise
DATA_ERRORS = (ValueError, IndexError, KeyError, OverflowError, ZeroDivisionError, EOFError, struct.error)


@dataclass
class Header:
    """What a container says about its signal; ``wav_header`` is set when it came from a WAV file."""

    n_channels: int
    n_samples: int
    sample_rate: float
    block_samples: int
    gain_uv: float = 1.0
    t0: float = 0.0
    wav_header: bytes | None = None
    wav_trailer: bytes = b""

    @property
    def n_blocks(self) -> int:
        return -(-self.n_samples // self.block_samples)


@dataclass
class Block:
    """One index entry: how block ``index`` was coded and where its payload lies."""

    index: int
    method: str
    offset: int
    length: int
    crc: int


def varint_bytes(n: int) -> bytes:
    out = bytearray()
    while n >= 0x80:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


class ByteReader:
    """Reads fields from untrusted bytes; running past the end is a CorruptDataError."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, n: int) -> bytes:
        if n > len(self.data) - self.pos:
            raise CorruptDataError(
                f"compressed data is truncated: needs {n} more bytes at offset {self.pos}, "
                f"has {len(self.data) - self.pos}; the file is incomplete"
            )
        self.pos += n
        return self.data[self.pos - n:self.pos]

    def varint(self) -> int:
        n = shift = 0
        while True:
            b = self.take(1)[0]
            n |= (b & 0x7F) << shift
            if b < 0x80:
                return n
            shift += 7
            if shift > 63:
                raise CorruptDataError(f"compressed data has an over-long number at offset {self.pos}")

    def f64(self) -> float:
        return struct.unpack("<d", self.take(8))[0]

    def u32(self) -> int:
        return struct.unpack("<I", self.take(4))[0]


def pack(header: Header, blocks: list[tuple[str, bytes]]) -> bytes:
    """Serialise a header and the ``(method, payload)`` of each block into one container."""
    h = header
    rate_int = float(h.sample_rate).is_integer() and 0 < h.sample_rate < 2**53
    std_wav = h.wav_header is not None and rate_int and h.wav_header == wav_header(
        h.n_channels, h.n_samples, int(h.sample_rate))
    flags = ((WAV if h.wav_header is not None else 0) | (WAV_STD if std_wav else 0)
             | (TRAILER if h.wav_trailer else 0) | (0 if rate_int else RATE_F64)
             | (GAIN if h.gain_uv != 1.0 else 0) | (T0 if h.t0 != 0.0 else 0))
    out = [MAGIC, bytes([VERSION, flags]), varint_bytes(h.n_channels), varint_bytes(h.n_samples),
           varint_bytes(h.block_samples),
           varint_bytes(int(h.sample_rate)) if rate_int else struct.pack("<d", h.sample_rate)]
    if flags & GAIN:
        out.append(struct.pack("<d", h.gain_uv))
    if flags & T0:
        out.append(struct.pack("<d", h.t0))
    if h.wav_header is not None and not std_wav:
        out += [varint_bytes(len(h.wav_header)), h.wav_header]
    if h.wav_trailer:
        out += [varint_bytes(len(h.wav_trailer)), h.wav_trailer]
    for method, payload in blocks:
        out += [bytes([METHODS.index(method)]), varint_bytes(len(payload)),
                struct.pack("<I", zlib.crc32(payload))]
    head = b"".join(out)
    return b"".join([head, struct.pack("<I", zlib.crc32(head)), *(p for _, p in blocks)])


def unpack(data: bytes) -> tuple[Header, list[Block]]:
    """Parse and verify a container's header and index; payloads are checked by ``payload``."""
    data = bytes(data)
    r = ByteReader(data)
    if r.take(3) != MAGIC:
        raise CorruptDataError("not a cortexlink compressed file (bad magic); check what was passed")
    version, flags = r.take(2)
    if version != VERSION:
        raise CorruptDataError(f"compressed file has format version {version}; this cortexlink reads "
                               f"version {VERSION} only, so decode it with a cortexlink of its version")
    n_ch, n, bs = r.varint(), r.varint(), r.varint()
    if not 0 < n_ch <= MAX_CHANNELS or not 0 < bs <= MAX_BLOCK_VALUES // n_ch:
        raise CorruptDataError(f"compressed header declares {n_ch} channels in blocks of {bs} samples, "
                               "which is out of range; the file is damaged")
    rate = r.f64() if flags & RATE_F64 else float(r.varint())
    gain = r.f64() if flags & GAIN else 1.0
    t0 = r.f64() if flags & T0 else 0.0
    if not (0 < rate < math.inf and 0 < gain < math.inf and math.isfinite(t0)):
        raise CorruptDataError(f"compressed header has sample rate {rate}, gain {gain}, t0 {t0}; "
                               "the file is damaged")
    header = Header(n_ch, n, rate, bs, gain, t0)
    # each index entry takes at least 6 bytes: refuse absurd sizes before building anything
    if header.n_blocks > (len(data) - r.pos) // 6:
        raise CorruptDataError(f"compressed header declares {n} samples ({header.n_blocks} blocks) but "
                               f"the file has only {len(data)} bytes; it is damaged or truncated")
    if flags & WAV_STD:
        try:
            header.wav_header = wav_header(n_ch, n, int(rate))
        except struct.error:
            raise CorruptDataError("compressed header describes a WAV file too large to exist; "
                                   "the file is damaged") from None
    elif flags & WAV:
        header.wav_header = r.take(r.varint())
    if flags & TRAILER:
        header.wav_trailer = r.take(r.varint())
    entries = []
    for _ in range(header.n_blocks):
        method = r.take(1)[0]
        if method >= len(METHODS):
            raise CorruptDataError(f"compressed block has unknown method {method}; the file is damaged")
        entries.append((METHODS[method], r.varint(), r.u32()))
    end = r.pos
    if r.u32() != zlib.crc32(data[:end]):
        raise CorruptDataError("compressed header fails its CRC32 check; the file is damaged")
    blocks, offset = [], r.pos
    for i, (method, length, crc) in enumerate(entries):
        blocks.append(Block(i, method, offset, length, crc))
        offset += length
    if offset != len(data):
        raise CorruptDataError(f"compressed blocks need {offset} bytes but the file has {len(data)}; "
                               "it is truncated or has trailing bytes")
    return header, blocks


def payload(data: bytes, block: Block) -> bytes:
    """The bytes of ``block``, verified against its CRC32."""
    chunk = bytes(data[block.offset:block.offset + block.length])
    if zlib.crc32(chunk) != block.crc:
        raise CorruptDataError(f"compressed block {block.index} fails its CRC32 check; the file is damaged")
    return chunk
