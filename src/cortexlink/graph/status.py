"""What the supervisor knows of each node and of a finished run (counters, latencies, CPU, reports)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cortexlink.graph.plan import NodePlan
from cortexlink.graph.states import NodeState
from cortexlink.graph.stats import LatencyHistogram

__all__ = ["NodeStatus", "RunResult"]


FIRST_CALL_GRACE_S = 120.0


@dataclass
class NodeStatus:
    """What the supervisor knows of one node, across restarts."""

    plan: NodePlan
    state: NodeState = NodeState.PENDING
    pid: int | None = None
    restarts: int = 0
    exit_code: int | None = None
    last_beat: float = 0.0
    calls: int = 0
    chunks_out: int = 0
    samples_out: int = 0       # samples written on the first output port
    chunks_in: dict[str, int] = field(default_factory=dict)
    overruns: dict[str, int] = field(default_factory=dict)
    hist: dict[str, LatencyHistogram] = field(default_factory=dict)
    reports: dict[str, Any] = field(default_factory=dict)
    last_message: str = ""
    clean_exit: bool = False
    cpu_first: tuple[float, float] | None = None   # (process CPU s, wall s) at the first heartbeat
    cpu_last: tuple[float, float] | None = None
    # totals of earlier incarnations (a restarted node counts from zero again)
    _base: dict[str, Any] = field(default_factory=dict)

    @property
    def nickname(self) -> str:
        return self.plan.nickname

    @property
    def heartbeat_limit(self) -> float:
        """Seconds of silence before the node counts as hung. Until its first work call has returned
        the bound is at least ``FIRST_CALL_GRACE_S``: that call may compile numba code (tens of
        seconds on a busy machine when many nodes start at once), and killing it would only start
        the same compilation again."""
        if self.calls:
            return self.plan.heartbeat_timeout
        return max(self.plan.heartbeat_timeout, FIRST_CALL_GRACE_S)

    def histogram(self, name: str) -> LatencyHistogram:
        h = self.hist.get(name, LatencyHistogram())
        base = self._base.get(name)
        return h.merge(base) if base is not None else h

    @property
    def cpu_percent(self) -> float:
        """CPU use of the node's process (its current incarnation) while it ran its loop."""
        if self.cpu_first is None or self.cpu_last is None or self.cpu_last[1] <= self.cpu_first[1]:
            return float("nan")
        return 100.0 * (self.cpu_last[0] - self.cpu_first[0]) / (self.cpu_last[1] - self.cpu_first[1])

    def total_overruns(self) -> int:
        return sum(self.overruns.values()) + int(self._base.get("overruns", 0))

    def total_out(self) -> int:
        return self.chunks_out + int(self._base.get("out", 0))

    def total_samples_out(self) -> int:
        return self.samples_out + int(self._base.get("samples", 0))

    def produced_s(self) -> float:
        """Seconds of signal written on the first output port (what a source produced)."""
        spec = next(iter(self.plan.outputs.values()), None)
        return self.total_samples_out() / spec.sample_rate if spec is not None and spec.sample_rate else 0.0

    def total_in(self) -> int:
        return sum(v for k, v in self.chunks_in.items() if not k.startswith("feedback:")) + \
            int(self._base.get("in", 0))

    def fold(self) -> None:
        """Keep this incarnation's counts before a restart."""
        for name in ("transit", "proc", "e2e"):
            self._base[name] = self.histogram(name)
        self._base["overruns"] = self.total_overruns()
        self._base["out"] = self.total_out()
        self._base["samples"] = self.total_samples_out()
        self._base["in"] = self.total_in()
        self.hist, self.overruns, self.chunks_in, self.chunks_out, self.samples_out = {}, {}, {}, 0, 0
        self.calls = 0
        self.cpu_first = self.cpu_last = None


@dataclass
class RunResult:
    """How a run went: per-node status, why it stopped, how long it ran."""

    nodes: list[NodeStatus]
    reason: str
    failed: bool
    duration_s: float
    sinks: list[str]
    events: list[tuple[float, str, str, str]]
    interrupted: bool = False    # stopped by Ctrl-C (SIGINT) or ``Supervisor.interrupt()``
