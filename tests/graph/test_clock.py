"""Times stamped on another machine's monotonic clock are moved onto this one through the server's."""

from __future__ import annotations

import time

import numpy as np

from cortexlink.core.chunk import Chunk
from cortexlink.core.streamspec import StreamSpec
from cortexlink.graph.clock import Clock, local_clock_id, measure_clock


def test_the_offset_to_a_server_clock_is_found_within_half_the_shortest_round_trip():
    ahead = 5_000_000_000 + 123_000

    def server_time():
        now = time.monotonic_ns() + ahead
        return now // 1_000_000_000, (now % 1_000_000_000) // 1_000

    clock = measure_clock(server_time, samples=8)
    assert clock.ident == local_clock_id()
    assert abs(clock.offset_ns - ahead) <= clock.error_ns + 1_000  # + the server's microsecond rounding


def test_a_shift_applies_only_between_different_clocks():
    here = Clock(ident=1, offset_ns=1_000)
    assert here.shift_from(1, 9_999) == 0
    assert here.shift_from(2, 9_000) == 8_000


def test_the_redis_servers_clock_on_this_host_is_this_hosts_wall_clock(redis_url):
    from cortexlink.graph.redis_transport import RedisTransport

    t = RedisTransport(redis_url)
    try:
        wall_minus_mono = time.time_ns() - time.monotonic_ns()
        assert abs(t.clock.offset_ns - wall_minus_mono) < 50_000_000
    finally:
        t.close()


def test_a_chunk_from_another_machine_arrives_on_the_readers_clock(redis_url):
    from cortexlink.graph.redis_transport import RedisTransport

    spec = StreamSpec("far", 2, 1000.0, "int16", 4)
    here, there = RedisTransport(redis_url), RedisTransport(redis_url)
    try:
        here.create(spec, slots=16)
        reader = here.reader(spec)
        # the writer's machine: another clock, whose zero lies 7 ms later against the server's
        there._clock = Clock(ident=here.clock.ident ^ 1, offset_ns=here.clock.offset_ns - 7_000_000)
        writer = there.writer(spec)
        writer.write(Chunk(np.zeros((2, 4), np.int16), 0, 1000.0, 50_000_000))
        got = reader.read(1.0)
        assert got.origin_ns == 50_000_000 - 7_000_000
        there._clock = Clock(ident=here.clock.ident, offset_ns=0)  # the same machine: never moved
        there.writer(spec).write(Chunk(np.zeros((2, 4), np.int16), 4, 1000.0, 60_000_000))
        assert reader.read(1.0).origin_ns == 60_000_000
    finally:
        there.close()
        here.destroy()
