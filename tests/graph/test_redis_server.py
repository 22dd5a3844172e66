"""The private redis-server: starts on its socket, runs above normal priority where allowed; where it
is missing, the redis transport's tests are skipped with the install command, or fail in CI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cortexlink.core.errors import TransportError
from cortexlink.graph.redis_server import RedisServer

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.usefixtures("redis_server_exe")
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


@pytest.mark.usefixtures("redis_server_exe")
def test_a_server_at_the_callers_priority_when_asked():
    with RedisServer(nice=0) as server:
        ours = os.getpriority(os.PRIO_PROCESS, 0)
        assert server.nice == ours == os.getpriority(os.PRIO_PROCESS, server.proc.pid)


def _pytest_without_redis_server(ci: bool) -> subprocess.CompletedProcess:
    """This file's first test, in a child whose PATH holds no redis-server."""
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env.update(PATH=os.devnull, PYTHONPATH=str(ROOT / "src"), **({"CI": "true"} if ci else {}))
    first = test_the_server_runs_at_the_priority_it_reports_and_is_gone_after_stop.__name__
    test = f"{Path(__file__).relative_to(ROOT)}::{first}"
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-rsf", "-p", "no:cacheprovider", test],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_without_redis_server_its_tests_skip_naming_the_install_and_fail_in_ci(monkeypatch):
    monkeypatch.setenv("PATH", os.devnull)
    with pytest.raises(TransportError, match="apt install redis-server"):
        RedisServer()
    local, ci = _pytest_without_redis_server(False), _pytest_without_redis_server(True)
    assert local.returncode == 0 and "1 skipped" in local.stdout, local.stdout
    assert ci.returncode == 1 and "1 error" in ci.stdout, ci.stdout  # a failing fixture: an error
    for run in (local, ci):
        assert "redis-server is not installed (apt install redis-server)" in run.stdout


def test_the_server_is_accepting_connections_when_it_returns(tmp_path, monkeypatch):
    """The socket file appears at bind(), before the server listens: a client connecting in between
    is refused (seen on a loaded machine). A stand-in server that binds, waits, then listens shows
    that RedisServer returns only once a connection is accepted."""
    import socket

    fake = tmp_path / "slow-redis-server"
    fake.write_text(f"""#!{sys.executable}
import socket, sys, time
path = sys.argv[sys.argv.index("--unixsocket") + 1]
s = socket.socket(socket.AF_UNIX)
s.bind(path)
time.sleep(1.0)
s.listen(4)
time.sleep(30)
""")
    fake.chmod(0o755)
    monkeypatch.setattr("cortexlink.graph.redis_server.redis_server_path", lambda: str(fake))
    server = RedisServer(nice=0)
    try:
        with socket.socket(socket.AF_UNIX) as client:
            client.connect(str(server.socket))  # refused if the server only had bound its socket
    finally:
        server.stop()
