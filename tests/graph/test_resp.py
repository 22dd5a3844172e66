"""The redis transport's own connection (hiredis parsing) against a real redis-server."""

from __future__ import annotations

import numpy as np
import pytest

from cortexlink.core import StreamSpec, TransportError
from cortexlink.graph.redis_transport import HEADER
from cortexlink.graph.resp import RespConnection, encode_command

pytest.importorskip("hiredis")


def test_encode_command_is_resp():
    assert encode_command("SET", b"k", 12) == b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\n12\r\n"


def test_round_trips_and_replies_larger_than_one_receive(redis_url):
    conn = RespConnection(redis_url)
    try:
        assert conn.call(encode_command("PING")) == b"PONG"
        big = np.arange(3 << 20, dtype=np.uint8)  # 3 MiB: the reply spans several 1 MiB receives
        assert conn.call(b"*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n", b"$%d\r\n" % big.nbytes, big, b"\r\n") == b"OK"
        assert conn.call(encode_command("GET", "big")) == big.tobytes()
        assert conn.call(encode_command("GET", "no-such-key")) is None
    finally:
        conn.close()


def test_a_refused_command_raises_transport_error(redis_url):
    conn = RespConnection(redis_url)
    try:
        with pytest.raises(TransportError, match="refused"):
            conn.call(encode_command("NOSUCHCOMMAND"))
        assert conn.call(encode_command("PING")) == b"PONG"  # the connection is still usable
    finally:
        conn.close()


@pytest.mark.parametrize("url", ["http://localhost:1", "unix:///nonexistent/redis.sock"])
def test_bad_or_unreachable_urls_raise_transport_error(url):
    with pytest.raises(TransportError, match="Redis"):
        RespConnection(url)


def test_reader_accepts_entries_written_by_other_tools(redis_url):
    """A BRAND-style writer may order fields differently or add its own; the reader still parses."""
    import redis

    from cortexlink.graph.redis_transport import RedisTransport

    spec = StreamSpec("foreign", 2, 1000.0, "int16", 4)
    t = RedisTransport(redis_url)
    try:
        t.create(spec, slots=16)
        reader = t.reader(spec)
        data = np.array([[1, 2, 3], [4, 5, 6]], np.int16)
        head = HEADER.pack(0, 3, 30, 1000.0, 77, 88, t.clock.ident, 0)
        redis.Redis.from_url(redis_url).xadd("foreign", {"d": data.tobytes(), "h": head, "extra": "x"})
        got = reader.read(1.0)
        np.testing.assert_array_equal(got.data, data)
        assert (got.start_sample, got.origin_ns, reader.last_write_ns) == (30, 77, 88)
    finally:
        t.destroy()


def test_tcp_url_with_password_and_database(redis_server_exe):
    """The multi-machine form of the URL: redis://:password@host:port/db."""
    import socket
    import subprocess
    import time

    exe = redis_server_exe
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    args = [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--requirepass", "s3cret"]
    server = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                conn = RespConnection(f"redis://:s3cret@127.0.0.1:{port}/3")
                break
            except TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)
        try:
            assert conn.call(encode_command("SET", "k", "v")) == b"OK"
            assert conn.call(encode_command("CLIENT", "INFO")).split(b" db=")[1].startswith(b"3 ")
        finally:
            conn.close()
        with pytest.raises(TransportError, match="refused") as refused:
            RespConnection(f"redis://:wrong@127.0.0.1:{port}/3")
        assert "wrong" not in str(refused.value)  # the password stays out of messages
    finally:
        server.terminate()
        server.wait(5)
