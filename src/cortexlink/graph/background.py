"""A graph running in a background thread of this process, for programs that keep control while
it runs (``cortexlink serve``, notebooks, tests).

``BackgroundRun(plan).start()`` opens the transport, runs the supervisor in a thread and returns
at once; ``status()`` is the live node table, ``tap(stream)`` reads a running stream from this
process (never holding its writer back), ``signal(nickname, sig)`` reaches one node's process, and
``stop(reason)`` ends the run cleanly and waits for it. ``report`` is the ``RunReport`` once it
ended. Taps are closed under the same lock that removes the streams, so reading a stream of a run
that just ended gives ``None`` instead of touching unmapped memory.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Any

from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import GraphError, InvalidParameterError
from cortexlink.graph.plan import GraphPlan
from cortexlink.graph.session import RunReport, check_duration, open_transport
from cortexlink.graph.status import NodeStatus, RunResult

__all__ = ["BackgroundRun", "Tap"]


class Tap:
    """This process's cursor into one stream of a ``BackgroundRun``; ``None`` once the run ended."""

    def __init__(self, run: BackgroundRun, reader: Any) -> None:
        self._run, self._reader = run, reader
        self.spec = reader.spec

    def read(self, timeout: float = 0.0) -> Chunk | None:
        """The next chunk (waiting at most ``timeout`` s), or None."""
        with self._run._lock:
            if self._reader is None or self._run._closed:
                return None
            return self._reader.read(timeout)

    def drain(self, limit: int = 10_000) -> list[Chunk]:
        """Every chunk written since the last read (at most ``limit``; older ones count as overruns)."""
        out: list[Chunk] = []
        with self._run._lock:
            if self._reader is None or self._run._closed:
                return out
            while len(out) < limit:
                chunk = self._reader.read(0.0)
                if chunk is None:
                    break
                out.append(chunk)
        return out

    @property
    def overruns(self) -> int:
        return 0 if self._reader is None else int(self._reader.overruns)

    def close(self) -> None:
        with self._run._lock:
            if self._reader is not None and not self._run._closed:
                self._reader.release()
            self._reader = None


class BackgroundRun:
    """Runs ``plan`` in a thread; see the module docstring."""

    def __init__(
        self,
        plan: GraphPlan,
        *,
        transport: str = "shm",
        duration: float | None = None,
        buffer_s: float = 2.0,
        on_event: Callable[[str, str, str], None] | None = None,
        **supervisor_options: Any,
    ) -> None:
        check_duration(duration)
        self.plan = plan
        self.duration = duration
        self.transport_kind = transport
        self.buffer_s = buffer_s
        self.on_event = on_event
        self.options = supervisor_options
        self.supervisor: Any = None
        self.report: RunReport | None = None
        self.error: str = ""
        self.started_at = 0.0
        self._transport: Any = None
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._lock = threading.RLock()
        self._closed = False
        self._ready = threading.Event()

    # -- life --------------------------------------------------------------------------------------
    def start(self) -> BackgroundRun:
        from cortexlink.graph.supervisor import Supervisor

        if self._thread is not None:
            raise InvalidParameterError("this run was started already")
        self._transport, self._server = open_transport(self.transport_kind)
        self.supervisor = Supervisor(
            self.plan, self._transport, buffer_s=self.buffer_s, on_event=self.on_event, **self.options
        )
        self.started_at = time.time()
        self._thread = threading.Thread(target=self._run, name=f"graph:{self.plan.source}", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        result: RunResult | None = None
        try:
            result = self.supervisor.run(self.duration)
        except Exception as exc:  # reported through ``error``; the thread must not die silently
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            with self._lock:
                self._closed = True
                self._transport.destroy()
                if self._server is not None:
                    self._server.stop()
            if result is not None:
                self.report = RunReport(self.plan.source, self._transport.kind, result)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wait_ready(self, timeout: float) -> bool:
        """Wait until every node is READY (True) or the run ended or ``timeout`` passed (False)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end and self.running:
            states = [st.state for st in self.status()]
            if states and all(s in ("NODE_READY", "DONE") for s in states):
                return True
            time.sleep(0.05)
        return False

    def stop(self, reason: str = "stopped", timeout: float = 15.0) -> RunReport | None:
        """Ask the supervisor to stop and wait (at most ``timeout`` s) for the run to end."""
        if self.supervisor is not None:
            self.supervisor.request_stop(reason)
        if self._thread is not None:
            self._thread.join(timeout)
        return self.report

    # -- looking in --------------------------------------------------------------------------------
    def status(self) -> list[NodeStatus]:
        """The live per-node status (the final one once the run ended)."""
        if self.supervisor is None:
            return []
        return list(self.supervisor.status.values())

    @property
    def events(self) -> list[tuple[float, str, str, str]]:
        """``(seconds since start, nickname, state, message)`` of every node event so far."""
        return [] if self.supervisor is None else list(self.supervisor.events)

    @property
    def reason(self) -> str:
        if self.report is not None:
            return self.report.reason
        return self.error or ("running" if self.running else "not started")

    def tap(self, stream: str) -> Tap:
        """A reader of ``stream`` from its next chunk on."""
        spec = self.plan.streams.get(stream)
        if spec is None:
            raise GraphError(
                f"graph {self.plan.source!r} has no stream {stream!r}; its streams: "
                f"{', '.join(sorted(self.plan.streams))}"
            )
        with self._lock:
            if self._closed or self._transport is None:
                raise GraphError(f"graph {self.plan.source!r} is not running")
            return Tap(self, self._transport.reader(spec))

    def signal(self, nickname: str, signum: int) -> bool:
        """Send ``signum`` to a local node's process; False when it has none (not running, remote)."""
        st = self.supervisor.status.get(nickname) if self.supervisor is not None else None
        if st is None or st.pid is None or not self.running:
            return False
        try:
            os.kill(st.pid, signum)
        except ProcessLookupError:
            return False
        return True
