"""Compression engine: int16 ``(n_channels, n_samples)`` blocks to compact payloads and back.

A block payload starts with a method byte: 0 = raw little-endian int16 (used whenever coding would
not pay), 1 = coded. A coded payload holds one lattice map per channel (see ``lattice``) and then
one range-coded stream of the lattice codes of all channels, channel after channel, each starting
from fresh adaptive state so that blocks decode independently. Streams carry the adaptive state
across chunks instead and code the int16 values themselves.
"""

from __future__ import annotations

import struct

import numpy as np

from cortexlink.codec import engine_fast, engine_max, lattice
from cortexlink.core.errors import CorruptDataError, InvalidDataError, InvalidParameterError

LEVELS = ("fast", "max")
_KERNELS = {"fast": engine_fast, "max": engine_max}
_LATTICE = struct.Struct("<dddHH")
_IDENTITY_TOP = 65535
_MAX_SAMPLES_PER_BYTE = 1 << 15  # no payload codes more densely; bounds allocation on damaged input


def _kernel(level: str):
    if level not in _KERNELS:
        raise InvalidParameterError(f"unknown codec level {level!r}; use one of {', '.join(LEVELS)}")
    return _KERNELS[level]


def _check(data: np.ndarray) -> np.ndarray:
    arr = np.asarray(data)
    if arr.ndim != 2 or arr.dtype != np.int16:
        raise InvalidDataError(
            f"the codec takes int16 arrays of shape (n_channels, n_samples), got {arr.dtype} {arr.shape}; "
            "convert the samples to int16 ADC counts first"
        )
    return np.ascontiguousarray(arr)


def _out_buffer(n: int) -> np.ndarray:
    return np.empty(3 * n + 64, np.uint8)


def encode_block(data: np.ndarray, level: str = "max") -> bytes:
    """Compress one block; the payload decodes with ``decode_block`` given its shape and level."""
    kern = _kernel(level)
    data = _check(data)
    n_ch, n = data.shape
    if n == 0 or n_ch == 0:
        return b""
    codes = np.empty((n_ch, n), np.int32)
    top = np.full(n_ch, _IDENTITY_TOP, np.int64)
    head = bytearray(b"\x01")
    for c in range(n_ch):
        fit = lattice.learn(data[c])
        if fit is None:
            head.append(0)
            codes[c] = data[c].astype(np.int32) + 32768
        else:
            step, offsets, split, codes[c] = fit
            top[c] = int(codes[c].max())
            head.append(1)
            head += _LATTICE.pack(step, offsets[0], offsets[1], split, top[c])
    out = _out_buffer(n_ch * n)
    size = kern.encode(codes, top, *kern.new_state(n_ch, top), out)
    if len(head) + size > 2 * data.size or size > len(out):
        return b"\x00" + data.astype("<i2").tobytes()
    return bytes(head) + out[:size].tobytes()


def _tables(payload: bytes, n_ch: int) -> tuple[list[np.ndarray | None], np.ndarray, int]:
    """Parse the per-channel lattice maps: (value tables, code maxima, payload offset of the stream)."""
    pos, tables, top = 1, [], np.full(n_ch, _IDENTITY_TOP, np.int64)
    for c in range(n_ch):
        if pos >= len(payload) or payload[pos] > 1:
            raise CorruptDataError("codec payload: channel map is truncated or of unknown kind")
        pos += 1
        if payload[pos - 1] == 0:
            tables.append(None)
            continue
        if pos + _LATTICE.size > len(payload):
            raise CorruptDataError("codec payload: lattice map is truncated")
        step, off0, off1, split, top[c] = _LATTICE.unpack_from(payload, pos)
        pos += _LATTICE.size
        if not (np.isfinite([step, off0, off1]).all() and 0 < step < 1e6 and abs(off0) + abs(off1) < 1e6):
            raise CorruptDataError("codec payload: lattice map holds impossible numbers")
        t = lattice.table(step, (off0, off1), split, int(top[c]) + 1)
        if t.min() < -32768 or t.max() > 32767:
            raise CorruptDataError("codec payload: lattice map leaves the int16 range")
        tables.append(t.astype(np.int16))
    return tables, top, pos


def decode_block(payload: bytes, n_channels: int, n_samples: int, level: str) -> np.ndarray:
    """Exact inverse of ``encode_block``; raises CorruptDataError on payloads it can tell are damaged."""
    kern = _kernel(level)
    if n_channels < 0 or n_samples < 0:
        raise CorruptDataError(f"codec block declares {n_channels} channels x {n_samples} samples")
    total = n_channels * n_samples
    if total == 0:
        if payload:
            raise CorruptDataError("codec payload holds bytes for an empty block")
        return np.zeros((n_channels, n_samples), np.int16)
    if not payload or payload[0] > 1:
        raise CorruptDataError("codec payload is empty or of unknown method; the block is damaged")
    if payload[0] == 0:
        if len(payload) != 1 + 2 * total:
            raise CorruptDataError(f"raw codec block has {len(payload) - 1} bytes, expected {2 * total}")
        return np.frombuffer(payload, "<i2", offset=1).reshape(n_channels, n_samples).astype(np.int16)
    if total > _MAX_SAMPLES_PER_BYTE * len(payload):
        raise CorruptDataError(f"codec payload of {len(payload)} bytes cannot hold {total} samples")
    tables, top, pos = _tables(payload, n_channels)
    codes = np.empty((n_channels, n_samples), np.int32)
    buf = np.frombuffer(payload, np.uint8)
    if not kern.decode(buf, pos, top, *kern.new_state(n_channels, top), codes):
        raise CorruptDataError("codec payload does not decode; the block is damaged")
    out = np.empty((n_channels, n_samples), np.int16)
    for c, t in enumerate(tables):
        out[c] = (codes[c] - 32768) if t is None else t[codes[c]]
    return out


class StreamEncoder:
    """Codes successive chunks of a live stream; adaptive state is carried from chunk to chunk."""

    def __init__(self, n_channels: int, level: str = "fast"):
        self._kern = _kernel(level)
        if n_channels < 1:
            raise InvalidParameterError(f"a stream needs at least one channel, got {n_channels}")
        self.n_channels = n_channels
        self._top = np.full(n_channels, _IDENTITY_TOP, np.int64)
        self._state = self._kern.new_state(n_channels, self._top)
        self._out = _out_buffer(0)

    def encode(self, chunk: np.ndarray) -> bytes:
        """Bytes for one chunk ``(n_channels, k)`` of int16 samples."""
        chunk = _check(chunk)
        if chunk.shape[0] != self.n_channels:
            raise InvalidDataError(f"chunk has {chunk.shape[0]} channels, the stream {self.n_channels}")
        if chunk.shape[1] == 0:
            return b""
        if len(self._out) < 3 * chunk.size + 64:
            self._out = _out_buffer(chunk.size)
        size = self._kern.encode(chunk.astype(np.int32) + 32768, self._top, *self._state, self._out)
        return self._out[:size].tobytes()


class StreamDecoder:
    """Inverse of ``StreamEncoder``: feed it the chunks' bytes in order with their sample counts."""

    def __init__(self, n_channels: int, level: str = "fast"):
        self._kern = _kernel(level)
        if n_channels < 1:
            raise InvalidParameterError(f"a stream needs at least one channel, got {n_channels}")
        self.n_channels = n_channels
        self._top = np.full(n_channels, _IDENTITY_TOP, np.int64)
        self._state = self._kern.new_state(n_channels, self._top)

    def decode(self, payload: bytes, n_samples: int) -> np.ndarray:
        """Samples ``(n_channels, n_samples)`` of the next chunk."""
        if n_samples == 0:
            return np.zeros((self.n_channels, 0), np.int16)
        if n_samples < 0 or self.n_channels * n_samples > _MAX_SAMPLES_PER_BYTE * max(len(payload), 1):
            raise CorruptDataError(f"stream chunk of {len(payload)} bytes cannot hold {n_samples} samples")
        codes = np.empty((self.n_channels, n_samples), np.int32)
        buf = np.frombuffer(payload, np.uint8)
        if not self._kern.decode(buf, 0, self._top, *self._state, codes):
            raise CorruptDataError("stream chunk does not decode; the stream is damaged")
        return (codes - 32768).astype(np.int16)
