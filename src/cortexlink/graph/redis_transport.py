"""The ``redis`` transport: Redis Streams with BRAND's conventions.

Each stream is a Redis stream of the same name; an entry holds one chunk in two fields: ``h``, a
48-byte little-endian header (seq, samples, start sample, rate, origin_ns, write time) and ``d``,
the samples (C order). Two fields, not one per number, because redis-py parses every field in
Python. Streams are trimmed to about ``slots`` entries so memory stays bounded. Readers XREAD with
BLOCK (no spinning) from their own last id; a gap in ``seq`` is a chunk trimmed before this reader
got to it and is counted in ``overruns``.
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
from cortexlink.core.streamspec import StreamSpec
from cortexlink.graph.transport import StreamReader, StreamWriter, Transport, check_chunk

__all__ = ["RedisTransport", "redis_client"]

STATE_SUFFIX = "_state"
SUPERGRAPH = "supergraph_stream"
SUPERVISOR_IN = "supervisor_ipstream"
_META = "cortexlink_specs"  # hash: stream name -> slots
HEADER = struct.Struct("<qqqdqq")  # seq, n_samples, start_sample, sample_rate, origin_ns, write_ns


def redis_client(url: str):
    """A redis-py client for ``redis://host:port[/db]`` or ``unix:///path/to.sock``."""
    try:
        import redis
    except ImportError:
        raise TransportError("the redis transport needs redis-py: pip install 'cortexlink[redis]'") from None
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


def _entry_to_chunk(fields: dict[bytes, bytes], spec: StreamSpec) -> tuple[int, int, Chunk]:
    head = fields.get(b"h")
    if head is None or len(head) != HEADER.size or b"d" not in fields:
        raise TransportError(f"stream {spec.name!r} holds an entry that is not a cortexlink chunk")
    seq, n, start, rate, origin, wrote = HEADER.unpack(head)
    data = np.frombuffer(fields[b"d"], dtype=spec.dtype)
    if data.size != spec.n_channels * n:
        raise TransportError(f"stream {spec.name!r}: entry holds {data.size} values, expected "
                             f"{spec.n_channels} x {n}")
    return seq, wrote, Chunk(data.reshape(spec.n_channels, n), start, rate, origin)


class RedisWriter(StreamWriter):
    def __init__(self, client: Any, spec: StreamSpec, slots: int) -> None:
        self.client, self.spec, self.slots = client, spec, slots
        self.key = spec.name.encode()
        last = client.xrevrange(self.key, count=1)
        seq = _seq_of(last[0][1]) if last else None
        self.seq = 0 if seq is None else seq + 1

    def write(self, chunk: Chunk) -> None:
        check_chunk(self.spec, chunk)
        data = chunk.data if chunk.data.flags.c_contiguous else np.ascontiguousarray(chunk.data)
        self.client.execute_command(
            "XADD", self.key, "MAXLEN", "~", self.slots, "*",
            "h", HEADER.pack(self.seq, data.shape[1], chunk.start_sample, chunk.sample_rate,
                             chunk.origin_ns or time.monotonic_ns(), time.monotonic_ns()),
            "d", data.tobytes(),
        )
        self.seq += 1
        self.chunks += 1

    def end(self) -> None:
        self.client.execute_command("XADD", self.key, "MAXLEN", "~", self.slots, "*", "end", 1)


class RedisReader(StreamReader):
    def __init__(self, client: Any, spec: StreamSpec, from_start: bool) -> None:
        self.client, self.spec = client, spec
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
        self.pending: deque = deque()
        self._ended = False
        self._last: Chunk | None = None

    def _accept(self, entry_id: bytes, fields: dict[bytes, bytes]) -> Chunk | None:
        self.last_id = entry_id
        if b"end" in fields:
            self._ended = True
            return None
        self._ended = False
        seq, wrote, chunk = _entry_to_chunk(fields, self.spec)
        if self.expect is not None and seq > self.expect:
            self.overruns += seq - self.expect
        self.expect = seq + 1
        self.last_write_ns = wrote
        self.chunks += 1
        self._last = chunk
        return chunk

    def read(self, timeout: float) -> Chunk | None:
        deadline = time.monotonic() + timeout
        while True:
            while self.pending:
                chunk = self._accept(*self.pending.popleft())
                if chunk is not None:
                    return chunk
            if self._ended:
                return None
            block = int((deadline - time.monotonic()) * 1000)
            if block < 1:
                return None
            reply = self.client.execute_command("XREAD", "COUNT", 256, "BLOCK", block, "STREAMS",
                                                self.key, self.last_id)
            if not reply:
                return None
            entries = reply[0][1] if isinstance(reply, list) else next(iter(reply.values()))[0]
            self.pending.extend(entries)

    def latest(self) -> Chunk | None:
        last = self.client.xrevrange(self.key, count=2)
        for entry_id, fields in last:
            if b"end" in fields:
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


class RedisTransport(Transport):
    """Streams in a Redis server, shared by every machine that can reach it."""

    kind = "redis"

    def __init__(self, url: str) -> None:
        self.url = url
        self.client = redis_client(url)
        self._cmd_id = b"$"

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
        return RedisWriter(self.client, spec, self._slots(spec.name))

    def reader(self, spec: StreamSpec, from_start: bool = False) -> RedisReader:
        self._slots(spec.name)
        return RedisReader(self.client, spec, from_start)

    def publish_state(self, nickname: str, state: str, message: str = "") -> None:
        try:
            self.client.xadd(f"{nickname}{STATE_SUFFIX}", {"status": state, "message": message[:2000]},
                             maxlen=1000, approximate=True)
        except Exception:  # the mirror must never take a node down
            pass

    def publish_graph(self, description: dict[str, Any]) -> None:
        self.client.xadd(SUPERGRAPH, {"data": json.dumps(description, default=str)}, maxlen=100,
                         approximate=True)
        last = self.client.xrevrange(SUPERVISOR_IN, count=1)
        self._cmd_id = last[0][0] if last else b"0-0"

    def poll_commands(self) -> list[str]:
        reply = self.client.xread({SUPERVISOR_IN: self._cmd_id}, count=16)
        out = []
        for _key, entries in reply or []:
            for entry_id, fields in entries:
                self._cmd_id = entry_id
                cmd = fields.get(b"commands") or fields.get(b"command")
                if cmd:
                    out.append(cmd.decode(errors="replace"))
        return out

    def close(self) -> None:
        try:
            self.client.close()
        except Exception:
            pass

    def destroy(self) -> None:
        try:
            names = [k.decode() for k in self.client.hkeys(_META)]
            if names:
                self.client.delete(*names)
            self.client.delete(_META)
        except Exception:
            pass
        self.close()
