"""Intra-implant packets (Hull III-D): an 84-bit header, up to 256 bytes of data, a CRC32 on the
header and one on the data; TDMA air time; and uniform bit-error injection on the air bits.

On air a packet is ``header (84 bits) | header CRC32 | data | data CRC32``. ``pack`` returns those
bits as a uint8 array of 0/1 (the 84-bit header is not byte-aligned), ``unpack`` checks both CRCs.
Hash payloads are compressed with ``cortexlink.similarity.compress_hashes`` before packing.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from cortexlink.core.errors import CorruptDataError, InvalidParameterError

__all__ = [
    "Header",
    "Packet",
    "pack",
    "unpack",
    "air_bits",
    "airtime_ms",
    "flip_bits",
    "HEADER_FIELDS",
    "HEADER_BITS",
    "MAX_PAYLOAD",
    "KINDS",
]

# (field, bits): 84 bits in all
HEADER_FIELDS = (
    ("version", 3),
    ("kind", 3),
    ("src", 6),
    ("dst", 6),
    ("flow", 8),
    ("seq", 16),
    ("slot", 12),
    ("timestamp", 20),
    ("length", 9),
    ("reserved", 1),
)
HEADER_BITS = sum(b for _, b in HEADER_FIELDS)
MAX_PAYLOAD = 256
KINDS = {"signal": 0, "hash": 1, "partial": 2, "control": 3}
BROADCAST = 63
assert HEADER_BITS == 84


@dataclass(frozen=True)
class Header:
    kind: int
    src: int
    dst: int = BROADCAST
    flow: int = 0
    seq: int = 0
    slot: int = 0
    timestamp: int = 0
    length: int = 0
    version: int = 1
    reserved: int = 0


@dataclass(frozen=True)
class Packet:
    header: Header
    payload: bytes
    header_ok: bool = True
    data_ok: bool = True


def _to_bits(value: int, width: int) -> np.ndarray:
    return ((value >> np.arange(width - 1, -1, -1)) & 1).astype(np.uint8)


def _from_bits(bits: np.ndarray) -> int:
    return (
        int(bits.astype(np.int64) @ (1 << np.arange(bits.size - 1, -1, -1, dtype=np.int64)))
        if bits.size
        else 0
    )


def _crc_bits(bits: np.ndarray) -> np.ndarray:
    return _to_bits(zlib.crc32(np.packbits(bits).tobytes()), 32)


def pack(header: Header, payload: bytes) -> np.ndarray:
    """The packet's air bits (0/1 uint8): header, header CRC32, payload, payload CRC32."""
    if len(payload) > MAX_PAYLOAD:
        raise InvalidParameterError(
            f"a packet carries at most {MAX_PAYLOAD} bytes, got {len(payload)}; "
            f"split the data over several packets"
        )
    fields = {**vars(header), "length": len(payload)}
    parts = []
    for name, width in HEADER_FIELDS:
        value = int(fields[name])
        if not 0 <= value < (1 << width):
            raise InvalidParameterError(f"packet header field {name} must fit {width} bits, got {value}")
        parts.append(_to_bits(value, width))
    head = np.concatenate(parts)
    data = np.unpackbits(np.frombuffer(payload, dtype=np.uint8))
    return np.concatenate([head, _crc_bits(head), data, _crc_bits(data)])


def unpack(bits: np.ndarray, strict: bool = True) -> Packet:
    """Read air bits back. ``strict``: a CRC mismatch raises ``CorruptDataError``; otherwise the
    packet comes back with ``header_ok``/``data_ok`` set (the receiver's drop policy decides)."""
    bits = np.asarray(bits, dtype=np.uint8)
    if bits.size < HEADER_BITS + 64 or (bits.size - HEADER_BITS - 64) % 8:
        raise CorruptDataError(f"a packet is 84 + 64 bits plus whole bytes of data, got {bits.size} bits")
    head = bits[:HEADER_BITS]
    header_ok = bool(np.array_equal(_crc_bits(head), bits[HEADER_BITS : HEADER_BITS + 32]))
    data = bits[HEADER_BITS + 32 : -32]
    data_ok = bool(np.array_equal(_crc_bits(data), bits[-32:]))
    values, pos = {}, 0
    for name, width in HEADER_FIELDS:
        values[name] = _from_bits(head[pos : pos + width])
        pos += width
    if strict and not (header_ok and data_ok):
        raise CorruptDataError(
            f"packet {'header' if not header_ok else 'data'} CRC32 mismatch; drop it or ask for it again"
        )
    header = Header(**values)
    return Packet(header, np.packbits(data).tobytes(), header_ok, data_ok)


def air_bits(payload_bytes: int) -> int:
    """Bits on air for one packet carrying ``payload_bytes``."""
    return HEADER_BITS + 64 + 8 * payload_bytes


def airtime_ms(payload_bytes: int, rate_mbps: float = 7.0, guard_us: float = 0.0) -> float:
    """How long one packet holds the radio (its TDMA slot share), guard time included."""
    return air_bits(payload_bytes) / (rate_mbps * 1e3) + guard_us / 1e3


def flip_bits(bits: np.ndarray, ber: float, rng: np.random.Generator) -> np.ndarray:
    """A copy of ``bits`` with each bit flipped independently with probability ``ber``."""
    if not 0 <= ber <= 1:
        raise InvalidParameterError(f"bit error rate must be in [0, 1], got {ber}")
    return bits ^ (rng.random(bits.size) < ber).astype(np.uint8)
