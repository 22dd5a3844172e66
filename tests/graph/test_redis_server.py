"""The private redis-server: starts on its socket, runs above normal priority where allowed."""

from __future__ import annotations

import os

import pytest

from cortexlink.graph.redis_server import RedisServer, redis_server_available

pytestmark = pytest.mark.skipif(not redis_server_available(), reason="redis-server is not installed")


def test_the_server_runs_at_the_priority_it_reports_and_is_gone_after_stop():
    server = RedisServer()
    try:
        assert server.socket.exists()
        assert os.getpriority(os.PRIO_PROCESS, server.proc.pid) == server.nice
        if os.geteuid() == 0:
            assert server.nice == -10
    finally:
        server.stop()
    assert server.proc.poll() is not None and not server.dir.exists()


def test_a_server_at_the_callers_priority_when_asked():
    with RedisServer(nice=0) as server:
        ours = os.getpriority(os.PRIO_PROCESS, 0)
        assert server.nice == ours == os.getpriority(os.PRIO_PROCESS, server.proc.pid)
