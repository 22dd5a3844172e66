"""Run a planned graph start to finish in one call: transport, private redis-server, PM QoS,
supervisor, clean-up, and a ``RunReport`` holding everything a person would be shown.

``run_plan(plan, transport="shm", duration=10)`` is what ``cortexlink run`` does after reading the
graph file; a notebook gets the same report as data (``report.nodes``, ``report.metrics``,
``report.summary``) and prints it with ``report.table()`` and ``report.lines()``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cortexlink.core.errors import InvalidParameterError
from cortexlink.graph.plan import GraphPlan
from cortexlink.graph.status import NodeStatus, RunResult

__all__ = ["RunReport", "run_plan", "open_transport", "check_duration", "check_redis_url", "TRANSPORTS",
           "EXIT_INTERRUPTED"]

TRANSPORTS = ("shm", "redis")
EXIT_INTERRUPTED = 130   # what a shell reports for a program stopped by SIGINT (128 + 2)
MAX_BUFFER_S = 600.0

TickFn = Callable[[list[NodeStatus], float], "str | None"]


@dataclass
class RunReport:
    """How a run went, as data: per-node status and metrics, summary lines, why it stopped."""

    graph: str                      # where the graph came from
    transport: str                  # "shm" or "redis"
    result: RunResult               # the supervisor's record (events, sinks, every counter)
    notes: list[str] = field(default_factory=list)   # what was said before the run (setup, PM QoS, ...)

    @property
    def summary(self) -> list[str]:
        """Latency at each sink, drops, what the sources produced, the metrics nodes reported."""
        from cortexlink.graph.report import summary_lines

        return summary_lines(self.result)

    @property
    def nodes(self) -> list[NodeStatus]:
        return self.result.nodes

    @property
    def reason(self) -> str:
        return self.result.reason

    @property
    def failed(self) -> bool:
        return self.result.failed

    @property
    def interrupted(self) -> bool:
        return self.result.interrupted

    @property
    def duration_s(self) -> float:
        return self.result.duration_s

    @property
    def metrics(self) -> dict[str, dict[str, Any]]:
        """``{nickname: {metric: value}}`` of what nodes reported (``context.report``)."""
        return {st.nickname: dict(st.reports) for st in self.result.nodes if st.reports}

    @property
    def exit_code(self) -> int:
        """0 finished, 1 a node failed, 130 interrupted (as a shell counts SIGINT)."""
        if self.result.interrupted:
            return EXIT_INTERRUPTED
        return 1 if self.result.failed else 0

    def table(self) -> Any:
        """The per-node latency table (a rich ``Table``)."""
        from cortexlink.graph.report import result_table

        return result_table(self.result)

    def lines(self) -> list[str]:
        """The summary lines and the reason the run stopped."""
        return [*self.summary, f"stopped: {self.reason}"]


def check_duration(duration: float | None) -> None:
    """A run's duration is None (until stopped) or a positive, finite number of seconds."""
    if duration is not None and not (isinstance(duration, (int, float)) and math.isfinite(duration)
                                     and duration > 0):
        raise InvalidParameterError(f"duration (--duration) must be a positive number of seconds, "
                                    f"got {duration}")


def check_redis_url(url: str) -> None:
    if not url.startswith(("redis://", "unix://", "rediss://")):
        raise InvalidParameterError(f"redis_url must look like redis://host:port, got {url!r}")


def _check_transport(kind: str, redis_url: str | None) -> None:
    if kind not in TRANSPORTS:
        raise InvalidParameterError(f"transport must be one of {', '.join(TRANSPORTS)}, got {kind!r}")
    if redis_url:
        if kind != "redis":
            raise InvalidParameterError("a redis URL (--redis-url) goes with the redis transport "
                                        "(--transport redis)")
        check_redis_url(redis_url)


def open_transport(kind: str, redis_url: str | None = None) -> tuple[Any, Any]:
    """``(transport, private server or None)``: shm rings, or Redis at ``redis_url``, or Redis on a
    private ``redis-server`` started here (stop it after ``transport.destroy()``)."""
    _check_transport(kind, redis_url)
    if kind == "shm":
        from cortexlink.graph.shm import ShmTransport

        return ShmTransport(), None
    from cortexlink.graph.redis_transport import RedisTransport

    if redis_url:
        return RedisTransport(redis_url), None
    from cortexlink.graph.redis_server import RedisServer

    server = RedisServer()
    try:
        return RedisTransport(server.url), server
    except BaseException:
        server.stop()
        raise


def run_plan(plan: GraphPlan, *, transport: str = "shm", redis_url: str | None = None,
             duration: float | None = None, buffer_s: float = 2.0, machine: str | None = None,
             pm_qos: bool = True, log: Callable[[str], None] | None = None,
             on_event: Callable[[str, str, str], None] | None = None, on_tick: TickFn | None = None,
             notes: list[str] | None = None, **supervisor_options: Any) -> RunReport:
    """Run ``plan`` until ``duration`` seconds pass (default: the graph's ``metadata.duration_s``,
    else until Ctrl-C or ``stopgraph``), the nodes finish, or one fails.

    ``log`` receives each line said before the run (also kept in ``report.notes``); ``on_event``
    each node event ``(nickname, state, message)``; ``on_tick`` the node table every 0.25 s, and
    whatever non-empty string it returns stops the run with that reason.
    """
    from cortexlink.graph.pm_qos import CpuLatencyRequest
    from cortexlink.graph.remote import check_placement, remote_machines
    from cortexlink.graph.supervisor import Supervisor

    check_duration(duration)
    if not 0 < buffer_s <= MAX_BUFFER_S:
        raise InvalidParameterError(f"buffer must be between 0 and {MAX_BUFFER_S:g} seconds, got {buffer_s}")
    _check_transport(transport, redis_url)
    check_placement(plan, transport, machine, private_server=transport == "redis" and not redis_url)
    if duration is None and isinstance(plan.metadata.get("duration_s"), (int, float)):
        duration = float(plan.metadata["duration_s"])

    said = list(notes or [])
    for line in said:
        _say(log, line)

    def note(line: str) -> None:
        said.append(line)
        _say(log, line)

    chosen, server = open_transport(transport, redis_url)
    qos = CpuLatencyRequest(0)
    supervisor: Supervisor | None = None
    try:
        if pm_qos:
            note(qos.hold().describe())
        where = f" for {duration:g} s" if duration else " until Ctrl-C"
        away = remote_machines(plan, machine)
        placed = "".join(f"; {', '.join(nicks)} on {m} (by its agent)" for m, nicks in away.items())
        note(f"running {plan.source} over {chosen.kind}{where}{placed}")

        def tick(nodes: list[NodeStatus], elapsed: float) -> None:
            stop = on_tick(nodes, elapsed) if on_tick is not None else None
            if stop and supervisor is not None:
                supervisor.request_stop(str(stop))

        supervisor = Supervisor(plan, chosen, buffer_s=buffer_s, on_event=on_event, on_tick=tick,
                                machine=machine, **supervisor_options)
        result = supervisor.run(duration)
    finally:
        qos.close()
        chosen.destroy()
        if server is not None:
            server.stop()
    return RunReport(plan.source, chosen.kind, result, said)


def _say(log: Callable[[str], None] | None, line: str) -> None:
    if log is not None:
        log(line)
