"""Compression engine: int16 ``(n_channels, n_samples)`` blocks to compact payloads and back.

A block payload starts with a method byte: 0 = raw little-endian int16 (whenever coding would not
pay), 1 = coded at the block's level, 2 = coded by the fast kernel (when smaller): one lattice map
per channel (see ``lattice``), then one range-coded stream of the codes of all channels, channel
after channel, from fresh adaptive state so blocks decode alone.
A stream chunk starts with a flags byte: 1 = the maps of the channels whose map changed follow
(learned from the values seen so far), 2 = samples the maps miss follow (flat index, value); then
the coded stream, whose adaptive state carries across chunks.
"""

from __future__ import annotations

import struct

import numpy as np
from numba import njit

from cortexlink.codec import engine_fast, engine_max, lattice
from cortexlink.codec.levels import LEVELS, check_level
from cortexlink.core.errors import CorruptDataError, InvalidDataError, InvalidParameterError

_KERNELS = dict(zip(LEVELS, (engine_fast, engine_max), strict=True))
_MAP = struct.Struct("<dddHH")  # step, offset below zero, offset from zero, split code, top code
_IDENTITY = (1.0, -32768.0, -32768.0, 32768.0)
_MAX_SAMPLES_PER_BYTE = 1 << 15  # no payload codes more densely; bounds allocation on damaged input
_MIN_VALUES = 24  # distinct values a stream channel needs before its lattice is learned
_SEEN = 2048  # distinct values after which a stream stops trying to learn an identity channel
_BUDGET_VALUES = 1536  # and at most about this many distinct values between them (learning time)
_BUDGET = 16  # channels a stream may (re)learn per chunk: bounds the time a chunk takes
_COUNT = struct.Struct("<I")
_UPDATE = np.dtype([("c", "<u4"), ("kind", "u1"), ("step", "<f8"), ("off0", "<f8"), ("off1", "<f8"),
                    ("split", "<u2"), ("top", "<u2")])  # a stream's map update of one channel
_KEEP = 1 << 31  # set in a map update's channel index: the channel keeps its adaptive state


def _kernel(level: str):
    return _KERNELS[check_level(level)]


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


def _sane(maps: np.ndarray) -> bool:
    """Whether lattice maps ``(step, off0, off1, split)`` hold numbers a real map can have."""
    return bool(np.isfinite(maps).all() and ((0 < maps[:, 0]) & (maps[:, 0] < 1e6)).all()
                and (np.abs(maps[:, 1:3]) < 1e6).all())


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
        if not _sane(maps[c:c + 1]):
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
        return lattice.samples(codes, maps, np.empty(codes.shape, np.int16))
    out = np.empty(codes.shape, np.int16)
    for c in range(len(codes)):
        if tuple(maps[c]) == _IDENTITY:
            out[c] = codes[c] - 32768
        else:
            table = np.clip(lattice.values(np.arange(top[c] + 1), *maps[c]), -32768, 32767)
            np.take(table.astype(np.int16), codes[c], out=out[c], mode="clip")  # codes <= top: checked
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
    codes = np.empty(data.shape, np.int32)
    maps, top = np.tile(_IDENTITY, (n_ch, 1)), np.full(n_ch, 65535, np.int64)
    spares = {}
    for c in range(n_ch):
        fit = lattice.learn(data[c])
        if fit is not None:
            maps[c], codes[c] = (fit[0], *fit[1], fit[2]), fit[3]
            top[c] = codes[c].max()
            continue
        codes[c] = data[c] + np.int32(32768)
        if n >= 1000:
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


@njit(cache=True)
def _due(ok, learning, n_seen, tried):
    """Channels to (re)learn now, at most ``_BUDGET``: identity channels that have seen twice the values
    of their last try (``_MIN_VALUES`` at first), then channels whose map missed new values, those
    with the most new values first."""
    ripe = np.flatnonzero(learning & (n_seen >= np.maximum(_MIN_VALUES, 2 * tried)) & ok)
    if len(ripe) >= _BUDGET:
        return ripe[:_BUDGET]
    missed = np.flatnonzero(~ok & (n_seen > tried))
    missed = missed[np.argsort(tried[missed] - n_seen[missed], kind="mergesort")]
    return np.concatenate((ripe, missed))[:_BUDGET]


@njit(cache=True)
def _learn_due(ok, learning, n_seen, tried, seen, maps, top):
    """Relearn the maps of the ``_due`` channels, about ``_BUDGET_VALUES`` values' worth; returns the
    channels whose map changed (with ``_KEEP`` when the channel had a map: its codes barely move,
    so it keeps its adaptive state). One compiled loop: no per-channel interpreter work."""
    changed = np.empty(_BUDGET, np.int64)
    n, cost = 0, 0
    for c in _due(ok, learning, n_seen, tried):
        cost += n_seen[c]
        if cost > _BUDGET_VALUES and n:
            break
        tried[c] = n_seen[c]
        found, s, off0, off1, split = lattice.learn_seen(seen[c], n_seen[c], True)
        learning[c] &= found or n_seen[c] < _SEEN
        if found:  # it maps every value seen, this chunk's too (samples ``codes`` misses go aside)
            changed[n] = c | (_KEEP if maps[c, 0] != 1.0 else 0)
            n += 1
            maps[c, 0], maps[c, 1], maps[c, 2], maps[c, 3] = s, off0, off1, split
            top[c], learning[c] = (32768 - min(off0, off1)) // s, False
    return changed[:n]


class _Stream:
    def __init__(self, n_channels: int, level: str = "fast"):
        self._kern = _kernel(level)
        if n_channels < 1:
            raise InvalidParameterError(f"a stream needs at least one channel, got {n_channels}")
        self.n_channels = n_channels
        self._maps, self._top = np.tile(_IDENTITY, (n_channels, 1)), np.full(n_channels, 65535, np.int64)
        self._state = list(self._kern.new_state(n_channels, self._top))


class StreamEncoder(_Stream):
    """Codes successive chunks of a live stream; adaptive state is carried from chunk to chunk.

    Work per chunk is bounded: the chunk's values are mapped and coded in one kernel call over all
    channels; at most ``_BUDGET`` channels (re)learn their lattice per chunk, from the distinct
    values they have shown (kept in bitmaps); samples a map misses meanwhile travel as
    exceptions beside the coded stream."""

    def __init__(self, n_channels: int, level: str = "fast"):
        super().__init__(n_channels, level)
        self._seen, self._n_seen = np.empty((n_channels, 1024), np.uint64), np.zeros(n_channels, np.int64)
        self._seen.fill(0)  # written now: mapping its pages on first touch cost the first chunk ~10 ms
        self._tried = np.zeros(n_channels, np.int64)  # distinct values at the last attempt to learn
        self._learning = np.ones(n_channels, bool)  # identity-mapped, still collecting values
        self._all, self._out = np.arange(n_channels), np.empty(0, np.uint8)
        self._codes = np.zeros((1, 1), np.int32)
        lattice.learn_seen(self._seen[0], 0, True)  # load the rarer kernels now, not mid-stream
        lattice.misses(np.zeros((1, 1), np.int16), self._maps, self._top, self._all[:0], self._codes)
        lattice.codes_of(np.zeros((1, 1), np.int16), self._maps, self._codes, self._all[:0])

    def _relearn(self, ok: np.ndarray) -> np.ndarray:
        """``_learn_due``, then fresh adaptive state for the channels that got their first map."""
        changed = _learn_due(ok, self._learning, self._n_seen, self._tried, self._seen, self._maps, self._top)
        _reset(self._kern, self._state, self._top, changed[changed < _KEEP].tolist())
        return changed

    def encode(self, chunk: np.ndarray) -> bytes:
        """Bytes for one chunk ``(n_channels, k)`` of int16 samples."""
        chunk = _check(chunk, self.n_channels)
        if chunk.shape[1] == 0:
            return b""
        if self._codes.shape != chunk.shape:
            self._codes = np.empty(chunk.shape, np.int32)
            self._out = np.empty(32 * chunk.size + 64, np.uint8)  # the worst case of a chunk
        codes = self._codes
        ok = lattice.codes(chunk, self._maps, codes)
        # what a relearned map must hold: every value while learning, then those of channels it missed
        lattice.note(chunk, np.flatnonzero(self._learning | ~ok), self._seen, self._n_seen)
        changed = self._relearn(ok)
        head = bytearray([0])
        if len(changed):
            rows = changed % _KEEP
            ok[rows] = lattice.codes_of(chunk, self._maps, codes, rows)[rows]
            update = np.empty(len(rows), _UPDATE)  # as _COUNT.pack(c) + _pack() of one lattice map each
            update["c"], update["kind"], update["top"] = changed, 1, self._top[rows]
            update["step"], update["off0"], update["off1"], update["split"] = self._maps[rows].T
            head[0] |= 1
            head += _COUNT.pack(len(changed)) + update.tobytes()
        if not ok.all():
            where = lattice.misses(chunk, self._maps, self._top, np.flatnonzero(~ok), codes)
            head[0] |= 2
            head += _COUNT.pack(len(where)) + where.astype("<u4").tobytes()
            head += chunk.ravel()[where].astype("<i2").tobytes()
        return bytes(head) + _run(self._kern, codes, self._top, self._state, self._out)


class StreamDecoder(_Stream):
    """Inverse of ``StreamEncoder``: feed it the chunks' bytes in order with their sample counts."""

    def decode(self, payload: bytes, n_samples: int) -> np.ndarray:
        """Samples ``(n_channels, n_samples)`` of the next chunk."""
        if n_samples == 0:
            return np.zeros((self.n_channels, 0), np.int16)
        if n_samples < 0 or not payload or payload[0] > 3:
            raise CorruptDataError("stream chunk is empty or of unknown kind; the stream is damaged")
        pos, size = 1, self.n_channels * n_samples
        if payload[0] & 1:
            n = _COUNT.unpack_from(payload, 1)[0] if len(payload) >= 1 + _COUNT.size else -1
            if not 0 <= n <= self.n_channels or 1 + _COUNT.size + n * _UPDATE.itemsize > len(payload):
                raise CorruptDataError("stream chunk: map update is truncated or names too many channels")
            update = np.frombuffer(payload, _UPDATE, n, 1 + _COUNT.size)
            rows = update["c"] % _KEEP
            maps = np.stack([update["step"], update["off0"], update["off1"], update["split"]], axis=1)
            if (rows >= self.n_channels).any() or (update["kind"] != 1).any() or not _sane(maps):
                raise CorruptDataError("stream chunk: map update names an unknown channel or impossible map")
            self._maps[rows], self._top[rows] = maps, update["top"]
            _reset(self._kern, self._state, self._top, [int(c) for c in update["c"] if c < _KEEP])
            pos = 1 + _COUNT.size + n * _UPDATE.itemsize
        where = np.zeros(0, np.int64)
        if payload[0] & 2:
            n = _COUNT.unpack_from(payload, pos)[0] if pos + _COUNT.size <= len(payload) else size + 1
            if n > size or pos + _COUNT.size + 6 * n > len(payload):
                raise CorruptDataError("stream chunk: list of exceptions is truncated or too long")
            where = np.frombuffer(payload, "<u4", n, pos + _COUNT.size).astype(np.int64)
            vals = np.frombuffer(payload, "<i2", n, pos + _COUNT.size + 4 * n)
            pos += _COUNT.size + 6 * n
            if n and where.max() >= size:
                raise CorruptDataError("stream chunk: an exception lies beyond the chunk")
        codes = _decode(self._kern, payload, pos, self._top, self._state, self.n_channels, n_samples)
        out = _values(codes, self._maps, self._top)
        if len(where):
            out.ravel()[where] = vals
        return out
