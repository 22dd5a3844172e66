"""Fixtures for the runtime tests: a transport of each kind (redis against a real redis-server)."""

from __future__ import annotations

import pytest

from cortexlink.graph.redis_server import RedisServer


@pytest.fixture(scope="session")
def redis_url(redis_server_exe):
    """URL of a private redis-server for the whole session (see ``redis_server_exe``)."""
    server = RedisServer()
    yield server.url
    server.stop()


@pytest.fixture(params=["shm", "redis"])
def transport(request):
    """A fresh transport of each kind, destroyed after the test."""
    if request.param == "shm":
        from cortexlink.graph.shm import ShmTransport

        t = ShmTransport()
    else:
        from cortexlink.graph.redis_transport import RedisTransport

        t = RedisTransport(request.getfixturevalue("redis_url"))
        t.client.flushall()
    yield t
    t.destroy()
