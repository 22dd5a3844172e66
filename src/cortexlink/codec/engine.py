"""Compression engine: int16 ``(n_channels, n_samples)`` blocks to compact payloads and back.

A block payload starts with a method byte: 0 = raw little-endian int16 (whenever coding would not
pay), 1 = coded at the block's level, 2 = coded by the fast kernel (when smaller): one lattice map
per channel (see ``lattice``), then one range-coded stream of the codes of all channels, channel
after channel, from fresh adaptive state so blocks decode alone.
A stream chunk starts with 0 (maps unchanged) or 1 and the maps of the channels whose map
changed (learned from the values seen so far); adaptive state carries across chunks.
"""

from __future__ import annotations

import struct

import numpy as np

from cortexlink.codec import engine_fast, engine_max, lattice
from cortexlink.core.errors import CorruptDataError, InvalidDataError, InvalidParameterError

LEVELS = ("fast", "max")
_KERNELS = {"fast": engine_fast, "max": engine_max}
_MAP = struct.Struct("<dddHH")  # step, offset below zero, offset from zero, split code, top code
_IDENTITY = (1.0, -32768.0, -32768.0, 32768.0)
_MAX_SAMPLES_PER_BYTE = 1 << 15  # no payload codes more densely; bounds allocation on damaged input
_PROVISIONAL_CHUNKS = 64  # a stream relearns identity-mapped channels with few values this long
_MIN_VALUES = 24  # distinct values a stream channel needs before its lattice is learned
_COUNT = struct.Struct("<I")
_KEEP = 1 << 31  # set in a map update's channel index: the channel keeps its adaptive state


def _kernel(level: str):
    if level not in _KERNELS:
        raise InvalidParameterError(f"unknown codec level {level!r}; use one of {', '.join(LEVELS)}")
    return _KERNELS[level]


def _check(data: np.ndarray, n_channels: int | None = None) -> np.ndarray:
    arr = np.asarray(data)
    if arr.ndim != 2 or arr.dtype != np.int16 or (n_channels is not None and arr.shape[0] != n_channels):
        raise InvalidDataError(
            f"the codec takes int16 arrays of shape ({n_channels or 'n_channels'}, n_samples), got "
            f"{arr.dtype} {arr.shape}; convert the samples to int16 ADC counts of every channel first"
        )
    return np.ascontiguousarray(arr)


def _pack(maps: np.ndarray, top: np.ndarray, spares: dict | None = None) -> bytes:
    out = bytearray()
    for c, (m, t) in enumerate(zip(maps, top, strict=True)):
        if tuple(m) == _IDENTITY:
            out.append(0)
            continue
        out += (b"\x02" if spares and c in spares else b"\x01") + _MAP.pack(*m[:3], int(m[3]), int(t))
        if spares and c in spares:
            pos, val = spares[c]
            out += _COUNT.pack(len(pos)) + pos.astype("<u4").tobytes() + val.astype("<i2").tobytes()
    return bytes(out)


def _unpack(payload: bytes, pos: int, n_ch: int) -> tuple[np.ndarray, np.ndarray, int, dict]:
    """Per-channel maps ``(step, off0, off1, split)``, top codes, where the coded stream starts, and
    the samples off the lattice ``{channel: (positions, values)}``."""
    if n_ch > len(payload) - pos:
        raise CorruptDataError(f"codec payload of {len(payload)} bytes cannot hold maps of {n_ch} channels")
    maps, top, spares = np.tile(_IDENTITY, (n_ch, 1)), np.full(n_ch, 65535, np.int64), {}
    for c in range(n_ch):
        if pos >= len(payload) or payload[pos] > 2:
            raise CorruptDataError("codec payload: channel map is truncated or of unknown kind")
        kind, pos = payload[pos], pos + 1
        if not kind:
            continue
        if pos + _MAP.size + _COUNT.size * (kind == 2) > len(payload):
            raise CorruptDataError("codec payload: lattice map is truncated")
        *maps[c], top[c] = _MAP.unpack_from(payload, pos)
        pos += _MAP.size
        if not (np.isfinite(maps[c]).all() and 0 < maps[c, 0] < 1e6 and np.abs(maps[c, 1:3]).max() < 1e6):
            raise CorruptDataError("codec payload: lattice map holds impossible numbers")
        if kind == 2:
            (n,), pos = _COUNT.unpack_from(payload, pos), pos + _COUNT.size
            if pos + 6 * n > len(payload):
                raise CorruptDataError("codec payload: list of samples off the lattice is truncated")
            spares[c] = (np.frombuffer(payload, "<u4", n, pos).astype(np.int64),
                         np.frombuffer(payload, "<i2", n, pos + 4 * n))
            pos += 6 * n
    return maps, top, pos, spares


def _reset(kern, state: list, top: np.ndarray, channels: list[int]) -> None:
    """Fresh adaptive state for ``channels`` (all of them if the state's shape must change)."""
    if not channels:
        return
    fresh = kern.new_state(len(channels), top[channels])
    if any(a.size * len(channels) != f.size * len(top) for a, f in zip(state, fresh, strict=True)):
        state[:] = kern.new_state(len(top), top)
        return
    for a, f in zip(state, fresh, strict=True):
        a.reshape(len(top), -1)[channels] = f.reshape(len(channels), -1)


def _values(codes: np.ndarray, maps: np.ndarray, top: np.ndarray) -> np.ndarray:
    """Samples of ``codes``: computed one by one for short chunks, looked up in a table for blocks."""
    if codes.shape[1] < 4096:
        v = lattice.values(codes, *(maps[:, i:i + 1] for i in range(4)))
        return np.clip(v, -32768, 32767).astype(np.int16)
    out = np.empty(codes.shape, np.int16)
    for c in range(len(codes)):
        if tuple(maps[c]) == _IDENTITY:
            out[c] = codes[c] - 32768
        else:
            table = np.clip(lattice.values(np.arange(top[c] + 1), *maps[c]), -32768, 32767)
            out[c] = table.astype(np.int16)[codes[c]]
    return out


def _run(kern, codes: np.ndarray, top: np.ndarray, state: tuple, out: np.ndarray | None = None) -> bytes:
    """The kernel's bytes for ``codes`` (longer than raw if they overflow ``out``: blocks then go raw)."""
    out = np.empty(3 * codes.size + 64, np.uint8) if out is None else out
    size = kern.encode(codes, top, *state, out)
    return out[:size].tobytes() if size <= len(out) else b"\xff" * len(out)


def _decode(kern, payload: bytes, pos: int, top: np.ndarray, state: tuple, n_ch: int, n: int) -> np.ndarray:
    """Codes of ``n_ch`` x ``n`` samples from ``payload[pos:]``; sizes are checked before allocating."""
    if n_ch * n > _MAX_SAMPLES_PER_BYTE * len(payload):
        raise CorruptDataError(f"codec payload of {len(payload)} bytes cannot hold {n_ch} x {n} samples")
    codes = np.empty((n_ch, n), np.int32)
    if not kern.decode(np.frombuffer(payload, np.uint8), pos, top, *state, codes):
        raise CorruptDataError("codec payload does not decode; the data is damaged")
    return codes


def _spare_fit(v: np.ndarray, c: int, maps: np.ndarray, top: np.ndarray, codes: np.ndarray, spares: dict):
    """Lattice of the values seen at least twice, the rest kept aside: a glitch or two must not cost
    a channel its lattice."""
    u, count = np.unique(v, return_counts=True)
    fit = lattice.learn(u[count > 1])
    if fit is None:
        return
    m = np.array([[fit[0], *fit[1], fit[2]]])
    k = np.empty((1, len(v)), np.int32)
    lattice.codes(v[None], m, k)
    k = np.clip(k[0], 0, fit[3].max())
    off = np.flatnonzero(lattice.values(k, *m[0]) != v)
    if len(off) <= len(v) // 100:
        maps[c], top[c], codes[c], spares[c] = m[0], fit[3].max(), k, (off, v[off])


def encode_block(data: np.ndarray, level: str = "max") -> bytes:
    """Compress one block; the payload decodes with ``decode_block`` given its shape and level."""
    kern = _kernel(level)
    data = _check(data)
    n_ch, n = data.shape
    if data.size == 0:
        return b""
    codes = data.astype(np.int32) + 32768
    maps, top = np.tile(_IDENTITY, (n_ch, 1)), np.full(n_ch, 65535, np.int64)
    spares = {}
    for c in range(n_ch):
        fit = lattice.learn(data[c])
        if fit is not None:
            maps[c], codes[c] = (fit[0], *fit[1], fit[2]), fit[3]
            top[c] = codes[c].max()
        elif n >= 1000:
            _spare_fit(data[c], c, maps, top, codes, spares)
    head = _pack(maps, top, spares)
    payload = b"\x01" + head + _run(kern, codes, top, kern.new_state(n_ch, top))
    if kern is not engine_fast:  # data the max model does not fit (no lattice) may favour fast
        fast = b"\x02" + head + _run(engine_fast, codes, top, engine_fast.new_state(n_ch, top))
        payload = min(payload, fast, key=len)
    return payload if len(payload) <= 2 * data.size else b"\x00" + data.astype("<i2").tobytes()


def decode_block(payload: bytes, n_channels: int, n_samples: int, level: str) -> np.ndarray:
    """Exact inverse of ``encode_block``; raises CorruptDataError on payloads it can tell are damaged."""
    kern = _kernel(level)
    if n_channels < 0 or n_samples < 0:
        raise CorruptDataError(f"codec block declares {n_channels} channels x {n_samples} samples")
    if n_channels * n_samples == 0:
        if payload:
            raise CorruptDataError("codec payload holds bytes for an empty block")
        return np.zeros((n_channels, n_samples), np.int16)
    if not payload or payload[0] > 2:
        raise CorruptDataError("codec payload is empty or of unknown method; the block is damaged")
    kern = engine_fast if payload[0] == 2 else kern
    if payload[0] == 0:
        if len(payload) != 1 + 2 * n_channels * n_samples:
            raise CorruptDataError(f"raw block of {len(payload) - 1} bytes is not {n_channels}x{n_samples}")
        return np.frombuffer(payload, "<i2", offset=1).reshape(n_channels, n_samples).astype(np.int16)
    maps, top, pos, spares = _unpack(payload, 1, n_channels)
    codes = _decode(kern, payload, pos, top, kern.new_state(n_channels, top), n_channels, n_samples)
    out = _values(codes, maps, top)
    for c, (where, val) in spares.items():
        if len(where) and where.max() >= n_samples:
            raise CorruptDataError("codec payload: a sample off the lattice lies beyond the block")
        out[c, where] = val
    return out


class _Stream:
    def __init__(self, n_channels: int, level: str = "fast"):
        self._kern = _kernel(level)
        if n_channels < 1:
            raise InvalidParameterError(f"a stream needs at least one channel, got {n_channels}")
        self.n_channels = n_channels
        self._maps, self._top = np.tile(_IDENTITY, (n_channels, 1)), np.full(n_channels, 65535, np.int64)
        self._state = list(self._kern.new_state(n_channels, self._top))


class StreamEncoder(_Stream):
    """Codes successive chunks of a live stream; adaptive state is carried from chunk to chunk."""

    def __init__(self, n_channels: int, level: str = "fast"):
        super().__init__(n_channels, level)
        self._seen, self._n_seen = [np.zeros(0, np.int16)] * n_channels, np.zeros(n_channels, np.int64)
        self._out = np.empty(0, np.uint8)
        self._chunks = 0

    def _relearn(self, chunk: np.ndarray, ok: np.ndarray) -> bytes:
        """Relearn maps where values fell off them (or young identity maps) and return b"\x01" and
        the changed maps; a channel whose earlier values keep their codes keeps its adaptive state."""
        young = (self._maps[:, 0] == 1) & (self._n_seen < _MIN_VALUES) & (self._chunks < _PROVISIONAL_CHUNKS)
        changed = []
        for c in np.flatnonzero(~ok | young):
            old, prev = self._maps[c:c + 1].copy(), self._seen[c][None]
            self._seen[c] = np.union1d(self._seen[c], chunk[c])
            self._n_seen[c] = len(self._seen[c])
            fit = lattice.learn(self._seen[c], anchored=True) if self._n_seen[c] >= _MIN_VALUES else None
            new = _IDENTITY if fit is None else (fit[0], *fit[1], fit[2])
            if not lattice.codes(chunk[c:c + 1], np.array([new]), np.empty((1, chunk.shape[1]), np.int32))[0]:
                new, fit = _IDENTITY, None  # values the inverse map misses go raw rather than wrong
            if new != tuple(old[0]):
                self._maps[c] = new
                self._top[c] = 65535 if fit is None else (32768 - min(fit[1])) // fit[0]
                ka, kb = np.empty(prev.shape, np.int32), np.empty(prev.shape, np.int32)
                keep = lattice.codes(prev, old, ka)[0] and lattice.codes(prev, self._maps[c:c + 1], kb)[0]
                changed.append(c | (_KEEP if keep and np.array_equal(ka, kb) and prev.size else 0))
        if not changed:
            return b"\x00"
        _reset(self._kern, self._state, self._top, [c for c in changed if c < _KEEP])
        return b"\x01" + _COUNT.pack(len(changed)) + b"".join(
            _COUNT.pack(c) + _pack(self._maps[c % _KEEP:c % _KEEP + 1], self._top[c % _KEEP:c % _KEEP + 1])
            for c in changed)

    def encode(self, chunk: np.ndarray) -> bytes:
        """Bytes for one chunk ``(n_channels, k)`` of int16 samples."""
        chunk = _check(chunk, self.n_channels)
        if chunk.shape[1] == 0:
            return b""
        codes = np.empty(chunk.shape, np.int32)
        ok = lattice.codes(chunk, self._maps, codes)
        head = self._relearn(chunk, ok)
        self._chunks += 1
        if (head != b"\x00" or not ok.all()) and not lattice.codes(chunk, self._maps, codes).all():
            raise InvalidDataError("stream values fall off their learned lattice")  # relearned or raw: never
        if len(self._out) < 32 * codes.size + 64:  # the worst case of a chunk
            self._out = np.empty(32 * codes.size + 64, np.uint8)
        return head + _run(self._kern, codes, self._top, self._state, self._out)


class StreamDecoder(_Stream):
    """Inverse of ``StreamEncoder``: feed it the chunks' bytes in order with their sample counts."""

    def decode(self, payload: bytes, n_samples: int) -> np.ndarray:
        """Samples ``(n_channels, n_samples)`` of the next chunk."""
        if n_samples == 0:
            return np.zeros((self.n_channels, 0), np.int16)
        if n_samples < 0 or not payload or payload[0] > 1:
            raise CorruptDataError("stream chunk is empty or of unknown kind; the stream is damaged")
        pos = 1
        if payload[0] == 1:
            if len(payload) < 1 + _COUNT.size or _COUNT.unpack_from(payload, 1)[0] > self.n_channels:
                raise CorruptDataError("stream chunk: map update is truncated or names too many channels")
            changed, pos = [], 1 + _COUNT.size
            for _ in range(_COUNT.unpack_from(payload, 1)[0]):
                c = _COUNT.unpack_from(payload, pos)[0] if pos + _COUNT.size <= len(payload) else _KEEP - 1
                if c % _KEEP >= self.n_channels:
                    raise CorruptDataError("stream chunk: map update names an unknown channel")
                maps, top, pos, _ = _unpack(payload, pos + _COUNT.size, 1)
                self._maps[c % _KEEP], self._top[c % _KEEP] = maps[0], top[0]
                changed += [] if c >= _KEEP else [c]
            _reset(self._kern, self._state, self._top, changed)
        codes = _decode(self._kern, payload, pos, self._top, self._state, self.n_channels, n_samples)
        return _values(codes, self._maps, self._top)
