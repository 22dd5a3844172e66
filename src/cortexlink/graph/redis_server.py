"""Start a private ``redis-server`` on a unix socket with persistence off (no save stalls).

Used by the supervisor when the redis transport is asked for without a URL, and by tests. The
binary is the ``redis-server`` on PATH (Debian: ``apt install redis-server``), else the one a
``redis-server`` Python package ships, where one is installed. Every
chunk passes through the server's one thread, which answers each blocked reader in turn; a reader
it wakes on the same core would preempt it before it had answered the others, so where allowed
(root or CAP_SYS_NICE) it runs at a higher priority (nice -10: 1024 ch x 4 readers, p99 741-1192 ->
470-486 us on 2 cores).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from cortexlink.core.errors import TransportError

__all__ = ["RedisServer", "redis_server_available", "redis_server_path", "INSTALL_HINT"]

INSTALL_HINT = "apt install redis-server"


def redis_server_path() -> str | None:
    """The ``redis-server`` binary to run: on PATH, else a ``redis_server`` package's; None if neither."""
    exe = shutil.which("redis-server")
    if exe is not None:
        return exe
    try:
        from redis_server import REDIS_SERVER_PATH  # type: ignore[import-not-found]
    except ImportError:
        return None
    return REDIS_SERVER_PATH if os.access(REDIS_SERVER_PATH, os.X_OK) else None


def redis_server_available() -> bool:
    return redis_server_path() is not None


class RedisServer:
    """A ``redis-server`` child process listening only on ``<tmpdir>/redis.sock``."""

    def __init__(self, startup_timeout: float = 10.0, nice: int = -10) -> None:
        exe = redis_server_path()
        if exe is None:
            raise TransportError(f"redis-server is not installed ({INSTALL_HINT}), or give "
                                 "--redis-url redis://host:port, or use --transport shm")
        self.dir = Path(tempfile.mkdtemp(prefix="cortexlink-redis-"))
        self.socket = self.dir / "redis.sock"
        args = [exe, "--port", "0", "--unixsocket", str(self.socket), "--unixsocketperm", "700",
                "--save", "", "--appendonly", "no", "--dir", str(self.dir), "--daemonize", "no",
                "--loglevel", "warning", "--logfile", str(self.dir / "redis.log")]
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        if nice:
            with contextlib.suppress(OSError):  # not allowed here: the priority it inherited
                os.setpriority(os.PRIO_PROCESS, self.proc.pid, nice)
        self.nice = os.getpriority(os.PRIO_PROCESS, self.proc.pid)  # what it runs at
        deadline = time.monotonic() + startup_timeout
        while not self._accepting():  # the socket file appears at bind(), before the server listens
            if self.proc.poll() is not None or time.monotonic() > deadline:
                log = (self.dir / "redis.log").read_text(errors="replace")[-300:] if \
                    (self.dir / "redis.log").exists() else ""
                self.stop()
                raise TransportError(f"redis-server did not start: {log.strip() or 'no log'}")
            time.sleep(0.01)

    def _accepting(self) -> bool:
        with socket.socket(socket.AF_UNIX) as probe:
            try:
                probe.connect(str(self.socket))
            except OSError:
                return False
        return True

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> RedisServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
