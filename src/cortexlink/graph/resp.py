"""A lean Redis connection for the hot path of the redis transport: one socket, hiredis parsing.

redis-py's ``execute_command`` costs tens of microseconds per call in Python (connection pool,
command packing, response callbacks that build a dict per stream entry); a node that reads 1000
chunks a second pays that twice per chunk. Here a writer or reader owns one socket: commands are
sent with ``sendmsg`` straight from the caller's buffers (no copy of the samples) and replies are
parsed by hiredis' C reader into plain lists of bytes.
"""

from __future__ import annotations

import socket
from typing import Any
from urllib.parse import unquote, urlparse

from cortexlink.core.errors import TransportError
from cortexlink.core.optional import require

__all__ = ["RespConnection", "encode_command", "MAX_BLOCK_MS"]

_RECV_BYTES = 1 << 20
REPLY_TIMEOUT_S = 30.0
MAX_BLOCK_MS = 10_000  # longest XREAD BLOCK asked for in one call (below REPLY_TIMEOUT_S)


def encode_command(*args: bytes | str | int | float) -> bytes:
    """The RESP encoding of a command whose arguments are all small (the samples go separately)."""
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        if not isinstance(arg, bytes):
            arg = str(arg).encode()
        parts.append(b"$%d\r\n%b\r\n" % (len(arg), arg))
    return b"".join(parts)


class RespConnection:
    """A blocking connection to ``redis://[:password@]host[:port][/db]`` or ``unix:///path.sock``."""

    def __init__(self, url: str, connect_timeout: float = 5.0) -> None:
        hiredis = require("hiredis", "redis", "the redis transport")
        self._reader = hiredis.Reader()
        self._buf = bytearray(_RECV_BYTES)
        self._view = memoryview(self._buf)
        parts = urlparse(url)
        # messages name the server, never its password
        self.url = url.replace(f":{parts.password}@", ":***@", 1) if parts.password else url
        try:
            if parts.scheme == "unix":
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                sock.settimeout(connect_timeout)
                sock.connect(parts.path)
            elif parts.scheme in ("redis", ""):
                sock = socket.create_connection((parts.hostname or "localhost", parts.port or 6379),
                                                timeout=connect_timeout)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            else:
                raise TransportError(f"unsupported Redis URL {self.url!r}; "
                                     "use redis://host:port or unix:///path")
        except OSError as exc:
            raise TransportError(f"cannot reach Redis at {self.url}: {exc}; "
                                 "start redis-server or give another URL") from None
        # A local server's socket blocks without a timeout (XREAD BLOCK waits in the server; a dead
        # server closes the socket). Across machines a silent network must not hang a node forever:
        # replies are awaited at most REPLY_TIMEOUT_S, and callers keep their BLOCK times below it.
        sock.settimeout(None if parts.scheme == "unix" else REPLY_TIMEOUT_S)
        self.sock = sock
        try:
            if parts.password:
                user = unquote(parts.username) if parts.username else None
                auth = ("AUTH", user, unquote(parts.password)) if user else ("AUTH", unquote(parts.password))
                self.call(encode_command(*auth))
            db = parts.path.strip("/") if parts.scheme != "unix" else ""
            if db:
                self.call(encode_command("SELECT", db))
        except TransportError:
            self.close()
            raise

    def send(self, *buffers: Any) -> None:
        """Send ``buffers`` (RESP pieces: bytes or C-contiguous buffers), in one syscall when they fit."""
        try:
            sent = self.sock.sendmsg(buffers)
            total = sum(memoryview(b).nbytes for b in buffers)
            if sent < total:  # a full socket buffer: send the rest the slow way
                self.sock.sendall(b"".join(bytes(b) for b in buffers)[sent:])
        except OSError as exc:
            raise TransportError(f"lost the connection to Redis at {self.url}: {exc}") from None

    def reply(self) -> Any:
        """The next reply (lists of bytes; None for nil); a Redis error raises TransportError."""
        reader = self._reader
        out = reader.gets()
        while out is False:
            try:
                n = self.sock.recv_into(self._buf)
            except OSError as exc:
                raise TransportError(f"lost the connection to Redis at {self.url}: {exc}") from None
            if not n:
                raise TransportError(f"Redis at {self.url} closed the connection; "
                                     "is the server still running?")
            reader.feed(self._view, 0, n)
            out = reader.gets()
        if isinstance(out, Exception):
            raise TransportError(f"Redis at {self.url} refused a command: {out}")
        return out

    def call(self, *buffers: Any) -> Any:
        """One round trip: send, then wait for the reply."""
        self.send(*buffers)
        return self.reply()

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass
