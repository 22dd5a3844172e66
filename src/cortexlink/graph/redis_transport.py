"""The ``redis`` transport: Redis Streams with BRAND's conventions.

Each stream is a Redis stream of the same name; an entry holds one chunk in two fields: ``h``, a
64-byte little-endian header (seq, samples, start sample, rate, origin_ns, write time, the writer's
clock identity and offset to the server's clock: see ``clock.py``) and ``d``,
the samples (C order). Two fields, not one per number: fewer items to parse per entry. Streams are
trimmed to about ``slots`` entries so memory stays bounded. Each writer and reader has its own
connection (``resp.RespConnection``: hiredis parsing, no redis-py call overhead); one XADD round
trip per chunk. Readers XREAD with BLOCK (no spinning, no short polling) from their own last id; a
gap in ``seq`` is a chunk trimmed before this reader got to it and is counted in ``overruns``. A
reader on another machine than the writer moves ``origin_ns`` and the write time onto its own
monotonic clock, so latencies stay true across machines.
Lifecycle states go to ``<nickname>_state``, the running graph to ``supergraph_stream`` and
commands for the supervisor (e.g. ``stopGraph``) are read from ``supervisor_ipstream``.
"""

from __future__ import annotations

import json
import struct
import time
from collections import deque
from typing import Any

import numpy as np

from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import TransportError
from cortexlink.core.optional import require
from cortexlink.core.streamspec import StreamSpec
from cortexlink.graph.brand import SPEC_SUFFIX
from cortexlink.graph.clock import Clock, measure_clock
from cortexlink.graph.resp import MAX_BLOCK_MS, RespConnection, encode_command
from cortexlink.graph.transport import StreamReader, StreamWriter, Transport, check_chunk

__all__ = ["RedisTransport", "redis_client"]

STATE_SUFFIX = "_state"
SUPERGRAPH = "supergraph_stream"
SUPERVISOR_IN = "supervisor_ipstream"
_META = "cortexlink_specs"  # hash: stream name -> slots
# seq, n_samples, start_sample, sample_rate, origin_ns, write_ns, clock id, clock offset to the server
HEADER = struct.Struct("<qqqdqqqq")


def redis_client(url: str):
    """A redis-py client for ``redis://host:port[/db]`` or ``unix:///path/to.sock``."""
    redis = require("redis", "redis", "the redis transport")
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=5)
        client.ping()
    except Exception as exc:
        raise TransportError(f"cannot reach Redis at {url}: {exc}; start redis-server or give another URL") \
            from None
    return client


def _seq_of(fields: dict[bytes, bytes]) -> int | None:
    head = fields.get(b"h")
    return None if head is None or len(head) != HEADER.size else HEADER.unpack(head)[0]


def _parts(fields: list[bytes] | dict[bytes, bytes]) -> tuple[bytes | None, bytes | None, bool]:
    """(header, samples, is_end_marker) of an entry's fields, as a flat RESP list or a dict."""
    if isinstance(fields, list):
        if len(fields) == 4 and fields[0] == b"h" and fields[2] == b"d":  # what our writer writes
            return fields[1], fields[3], False
        fields = dict(zip(fields[::2], fields[1::2], strict=False))
    return fields.get(b"h"), fields.get(b"d"), b"end" in fields


def _entry_to_chunk(head: bytes | None, samples: bytes | None, spec: StreamSpec,
                    dtype: np.dtype, clock: Clock) -> tuple[int, int, Chunk]:
    if head is None or len(head) != HEADER.size or samples is None:
        raise TransportError(f"stream {spec.name!r} holds an entry that is not a cortexlink chunk")
    seq, n, start, rate, origin, wrote, writer_clock, writer_offset = HEADER.unpack(head)
    shift = clock.shift_from(writer_clock, writer_offset)
    origin, wrote = origin + shift, wrote + shift
    data = np.frombuffer(samples, dtype=dtype)
    if data.size != spec.n_channels * n:
        raise TransportError(f"stream {spec.name!r}: entry holds {data.size} values, expected "
                             f"{spec.n_channels} x {n}")
    return seq, wrote, Chunk(data.reshape(spec.n_channels, n), start, rate, origin)


class RedisWriter(StreamWriter):
    """XADDs each chunk in one round trip on its own connection; the samples are sent from the
    chunk's own buffer (no copy into a command string)."""

    def __init__(self, client: Any, url: str, spec: StreamSpec, slots: int, clock: Clock) -> None:
        self.spec, self.slots = spec, slots
        self.clock = clock
        self.key = spec.name.encode()
        last = client.xrevrange(self.key, count=1)
        seq = _seq_of(last[0][1]) if last else None
        self.seq = 0 if seq is None else seq + 1
        self.conn = RespConnection(url)
        # every XADD is this prefix, the 48-byte header, the samples' length line, the samples, CRLF
        head_arg = encode_command("XADD", self.key, "MAXLEN", "~", slots, "*", "h")
        self._prefix = b"*10\r\n" + head_arg[head_arg.index(b"\r\n") + 2:] + b"$%d\r\n" % HEADER.size
        self._end = encode_command("XADD", self.key, "MAXLEN", "~", slots, "*", "end", "1")

    def write(self, chunk: Chunk) -> None:
        check_chunk(self.spec, chunk)
        data = chunk.data if chunk.data.flags.c_contiguous else np.ascontiguousarray(chunk.data)
        now = time.monotonic_ns()
        head = HEADER.pack(self.seq, data.shape[1], chunk.start_sample, chunk.sample_rate,
                           chunk.origin_ns or now, now, self.clock.ident, self.clock.offset_ns)
        self.conn.call(self._prefix, head, b"\r\n$1\r\nd\r\n$%d\r\n" % data.nbytes, data, b"\r\n")
        self.seq += 1
        self.chunks += 1

    def end(self) -> None:
        self.conn.call(self._end)

    def release(self) -> None:
        self.conn.close()


class RedisReader(StreamReader):
    """XREAD BLOCK from its own last id on its own connection; waits in the server, never polls."""

    def __init__(self, client: Any, url: str, spec: StreamSpec, from_start: bool, clock: Clock) -> None:
        self.spec = spec
        self.clock = clock
        self.dtype = np.dtype(spec.dtype)
        self.key = spec.name.encode()
        self.last_id = b"0-0"
        self.expect: int | None = 0  # the writer numbers chunks from 0; a gap is an overrun
        edge = client.xrange(self.key, count=1) if from_start else client.xrevrange(self.key, count=1)
        if edge:
            seq = _seq_of(edge[0][1])
            if from_start:
                self.expect = seq
            else:
                self.last_id = edge[0][0]
                self.expect = seq + 1 if seq is not None else None
        self.conn = RespConnection(url)
        # XREAD COUNT 256 BLOCK <ms> STREAMS <key> <last id>: only the wait and the id change per call
        self._xread = encode_command("XREAD", "COUNT", 256, "BLOCK")
        self._xread = b"*8" + self._xread[2:]  # 8 arguments in all
        self._streams = encode_command("STREAMS", self.key)[4:]
        self.pending: deque = deque()
        self._ended = False
        self._last: Chunk | None = None

    def _accept(self, entry_id: bytes, fields: list[bytes]) -> Chunk | None:
        self.last_id = entry_id
        head, samples, ended = _parts(fields)
        if ended:
            self._ended = True
            return None
        self._ended = False
        seq, wrote, chunk = _entry_to_chunk(head, samples, self.spec, self.dtype, self.clock)
        if self.expect is not None and seq > self.expect:
            self.overruns += seq - self.expect
        self.expect = seq + 1
        self.last_write_ns = wrote
        self.chunks += 1
        self._last = chunk
        return chunk

    def read(self, timeout: float) -> Chunk | None:
        deadline = time.monotonic() + timeout
        looked = False
        while True:
            while self.pending:
                chunk = self._accept(*self.pending.popleft())
                if chunk is not None:
                    return chunk
            if self._ended:
                return None
            block = min(int((deadline - time.monotonic()) * 1000), MAX_BLOCK_MS)
            last_id = self.last_id
            if block >= 1:
                reply = self.conn.call(b"%b$%d\r\n%d\r\n%b$%d\r\n%b\r\n" % (
                    self._xread, len(str(block)), block, self._streams, len(last_id), last_id))
            elif not looked:  # under a millisecond left: look once without waiting (BLOCK 0 is forever)
                reply = self.conn.call(encode_command("XREAD", "COUNT", 256, "STREAMS", self.key, last_id))
            else:
                return None
            looked = True
            if reply:
                self.pending.extend(reply[0][1])

    def latest(self) -> Chunk | None:
        last = self.conn.call(encode_command("XREVRANGE", self.key, "+", "-", "COUNT", 2))
        for entry_id, fields in last or []:
            if _parts(fields)[2]:
                continue
            if entry_id != self.last_id:
                self.pending.clear()
                self.expect = None  # skipping to the newest is not an overrun
                self._accept(entry_id, fields)
            break
        return self._last

    @property
    def at_end(self) -> bool:
        return self._ended and not self.pending

    def release(self) -> None:
        self.conn.close()


class RedisTransport(Transport):
    """Streams in a Redis server, shared by every machine that can reach it."""

    kind = "redis"

    def __init__(self, url: str) -> None:
        self.url = url
        self.client = redis_client(url)
        self.command_cursor = b"$"  # id of the last supervisor_ipstream entry read
        self._open: list[RedisWriter | RedisReader] = []  # each holds its own connection
        self._clock: Clock | None = None
        self.keep_streams = False

    @property
    def clock(self) -> Clock:
        """This machine's monotonic clock against the server's (measured once, at first use)."""
        if self._clock is None:
            self._clock = measure_clock(self.client.time)
        return self._clock

    @property
    def address(self) -> dict[str, Any]:
        return {"kind": "redis", "url": self.url}

    def create(self, spec: StreamSpec, slots: int = 256) -> None:
        self.client.delete(spec.name)
        self.client.hset(_META, spec.name, slots)

    def _slots(self, name: str) -> int:
        value = self.client.hget(_META, name)
        if value is None:
            raise TransportError(f"stream {name!r} was not created on {self.url}; "
                                 "the supervisor creates streams")
        return int(value)

    def writer(self, spec: StreamSpec) -> RedisWriter:
        w = RedisWriter(self.client, self.url, spec, self._slots(spec.name), self.clock)
        self._open.append(w)
        return w

    def reader(self, spec: StreamSpec, from_start: bool = False) -> RedisReader:
        self._slots(spec.name)
        r = RedisReader(self.client, self.url, spec, from_start, self.clock)
        self._open.append(r)
        return r

    def publish_state(self, nickname: str, state: str, message: str = "") -> None:
        try:
            self.client.xadd(f"{nickname}{STATE_SUFFIX}", {"status": state, "message": message[:2000]},
                             maxlen=1000, approximate=True)
        except Exception:  # the mirror must never take a node down
            pass

    def publish_graph(self, description: dict[str, Any], listen_from_now: bool = True) -> None:
        """Add ``description`` to ``supergraph_stream`` (BRAND's shape: see ``brand.py``) and each
        stream's description to ``<stream>_spec``; commands are then read from after this moment."""
        self.client.xadd(SUPERGRAPH, {"data": json.dumps(description, default=str)}, maxlen=100,
                         approximate=True)
        for name, spec in (description.get("streams") or {}).items():
            self.client.set(f"{name}{SPEC_SUFFIX}", json.dumps(spec))
        if listen_from_now:
            self.listen_from_now()

    def listen_from_now(self) -> None:
        """Read only commands sent from now on."""
        last = self.client.xrevrange(SUPERVISOR_IN, count=1)
        self.command_cursor = last[0][0] if last else b"0-0"

    def poll_commands(self) -> list[dict[str, str]]:
        reply = self.client.xread({SUPERVISOR_IN: self.command_cursor}, count=16)
        out = []
        for _key, entries in reply or []:
            for entry_id, fields in entries:
                self.command_cursor = entry_id
                entry = {k.decode(errors="replace"): v.decode(errors="replace") for k, v in fields.items()}
                if "command" in entry and "commands" not in entry:
                    entry["commands"] = entry.pop("command")
                if entry.get("commands"):
                    out.append(entry)
        return out

    def post_status(self, stream: str, fields: dict[str, str]) -> None:
        self.client.xadd(stream, {k: str(v) for k, v in fields.items()}, maxlen=1000, approximate=True)

    def save_snapshot(self) -> str:
        """Ask the server for an RDB snapshot (BGSAVE); returns where it writes it."""
        directory = self.client.config_get("dir").get("dir", "")
        name = self.client.config_get("dbfilename").get("dbfilename", "dump.rdb")
        try:
            self.client.bgsave()
        except Exception as exc:  # a save already in progress is fine
            if "in progress" not in str(exc):
                raise TransportError(f"Redis refused BGSAVE: {exc}") from None
        return f"{directory}/{name}"

    def stream_names(self) -> list[str]:
        """The cortexlink streams created on this server."""
        return sorted(k.decode() for k in self.client.hkeys(_META))

    def close(self) -> None:
        for item in self._open:
            item.release()
        self._open.clear()
        try:
            self.client.close()
        except Exception:
            pass

    def destroy(self) -> None:
        """Remove the streams, unless ``keep_streams`` (left for an export, as BRAND leaves them)."""
        try:
            names = [k.decode() for k in self.client.hkeys(_META)]
            if names and not self.keep_streams:
                self.client.delete(*names, *(f"{n}{SPEC_SUFFIX}" for n in names))
                self.client.delete(_META)
        except Exception:
            pass
        self.close()


def read_stream(client: Any, spec: StreamSpec, max_bytes: int = 1 << 31) -> tuple[np.ndarray, int]:
    """Every chunk a Redis stream still holds, concatenated: ``(data (channels, samples), first
    start_sample)``, for an export after a run (``keep_streams``)."""
    dtype = np.dtype(spec.dtype)
    clock = Clock(0, 0)
    parts, first, total, last = [], 0, 0, b"-"
    while True:
        entries = client.xrange(spec.name, min=last, count=1024)
        if last != b"-" and entries and entries[0][0] == last:
            entries = entries[1:]
        if not entries:
            break
        for entry_id, fields in entries:
            last = entry_id
            head, samples, ended = _parts(fields)
            if ended:
                continue
            _seq, _wrote, chunk = _entry_to_chunk(head, samples, spec, dtype, clock)
            if not parts:
                first = chunk.start_sample
            total += chunk.data.nbytes
            if total > max_bytes:
                raise TransportError(f"stream {spec.name!r} holds more than {max_bytes} bytes; export it "
                                     "in parts")
            parts.append(chunk.data)
    data = np.concatenate(parts, axis=1) if parts else np.empty((spec.n_channels, 0), dtype)
    return data, first
