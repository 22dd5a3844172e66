"""Nodes on other machines, seen from the supervisor: placement, the agent protocol, remote handles.

A graph spans machines over one Redis server that every machine reaches. The supervisor runs the
nodes placed on its own machine; on every other machine a ``cortexlink agent`` starts and stops
the nodes placed there. They talk through Redis streams (JSON in one field ``m``):

- ``<machine>_agent_ipstream``: supervisor -> agent: ``start`` (a node's plan), ``stop``
  (SIGTERM), ``kill`` (SIGKILL), ``end`` (stop everything of this run, then answer ``ended``).
- ``<machine>_agent_opstream``: agent -> supervisor: what each node sends through its pipe
  (states, heartbeats with counters and latency histograms, reports), its pid, its exit code,
  and the agent's own heartbeat every ``AGENT_BEAT_S``.
- ``cortexlink_agent:<machine>``: a key the agent refreshes (expires after ``AGENT_KEY_MS``), so
  a supervisor can tell at once that no agent serves a machine.
- ``cortexlink_run:<run>``: a key the supervisor refreshes while it runs; an agent stops a run's
  nodes when it expires (the supervisor died).

Each start carries a generation number, so messages of a node's earlier incarnation are dropped.
"""

from __future__ import annotations

import dataclasses
import json
import socket
import time
import uuid
from typing import Any

from cortexlink.core.errors import NodeError
from cortexlink.core.streamspec import StreamSpec
from cortexlink.graph.plan import GraphPlan, NodePlan
from cortexlink.graph.states import AgentMsg, AgentOp, Msg

__all__ = ["RemoteNodes", "RemoteProcess", "check_placement", "local_names", "plan_to_json",
           "plan_from_json", "agent_key", "command_stream", "reply_stream", "run_key", "encode", "decode"]

AGENT_BEAT_S = 0.2          # agent heartbeat period
AGENT_KEY_MS = 1500         # the agent's presence key lives this long without a refresh
AGENT_TIMEOUT_S = 1.0       # an agent silent this long is taken for dead
AGENT_WAIT_S = 2.0          # how long a run waits for a missing agent before it fails
RUN_KEY_MS = 3000           # an agent stops a run's nodes this long after its supervisor went quiet
END_WAIT_S = 8.0            # how long the supervisor waits for agents to confirm a run ended


def agent_key(machine: str) -> str:
    return f"cortexlink_agent:{machine}"


def command_stream(machine: str) -> str:
    return f"{machine}_agent_ipstream"


def reply_stream(machine: str) -> str:
    return f"{machine}_agent_opstream"


def run_key(run: str) -> str:
    return f"cortexlink_run:{run}"


def _plain(value: Any) -> Any:
    item = getattr(value, "item", None)  # numpy scalars
    return item() if callable(item) else str(value)


def encode(message: dict[str, Any]) -> dict[str, str]:
    return {"m": json.dumps(message, default=_plain)}


def decode(fields: dict[bytes, bytes]) -> dict[str, Any] | None:
    try:
        message = json.loads(fields[b"m"])
    except (KeyError, ValueError):
        return None
    return message if isinstance(message, dict) else None


def plan_to_json(plan: NodePlan) -> dict[str, Any]:
    return dataclasses.asdict(plan)


def plan_from_json(data: dict[str, Any]) -> NodePlan:
    fields = dict(data)
    for key in ("inputs", "feedback", "outputs"):
        fields[key] = {port: StreamSpec(**spec) for port, spec in fields[key].items()}
    if fields.get("cpu_affinity") is not None:
        fields["cpu_affinity"] = tuple(fields["cpu_affinity"])
    return NodePlan(**fields)


def local_names(machine: str | None = None) -> set[str]:
    """Names under which nodes run on this machine: ``machine`` (or the host name) and its aliases."""
    host = socket.gethostname()
    return {machine or host, host, "localhost", "127.0.0.1"}


def remote_machines(plan: GraphPlan, machine: str | None = None) -> dict[str, list[str]]:
    """Machine name -> nicknames of the nodes placed there, for every machine but this one."""
    here = local_names(machine)
    away: dict[str, list[str]] = {}
    for n in plan.nodes:
        if n.machine and n.machine not in here:
            away.setdefault(n.machine, []).append(n.nickname)
    return away


def check_placement(plan: GraphPlan, transport_kind: str, machine: str | None = None,
                    private_server: bool = False) -> None:
    """Refuse a graph with nodes on other machines where they can't be reached."""
    away = remote_machines(plan, machine)
    if not away:
        return
    where = "; ".join(f"{', '.join(nicks)} on {m!r}" for m, nicks in away.items())
    if transport_kind != "redis" or private_server:
        why = "the shm transport works on one machine" if transport_kind != "redis" else \
            "a private redis-server on a unix socket can't be reached from other machines"
        raise NodeError(f"nodes are placed on other machines ({where}), but {why}; run with "
                        "--transport redis --redis-url redis://HOST:PORT (a server every machine reaches) "
                        "and start 'cortexlink agent --redis-url redis://HOST:PORT --machine NAME' on each")


class RemoteProcess:
    """Stands in for a node process on another machine: signals go to its agent as commands."""

    sentinel = None

    def __init__(self, remote: RemoteNodes, nick: str) -> None:
        self.remote, self.nick = remote, nick
        self.pid: int | None = None
        self.exitcode: int | None = None

    def terminate(self) -> None:
        self.remote.command(self.nick, AgentOp.STOP)

    def kill(self) -> None:
        self.remote.command(self.nick, AgentOp.KILL)

    def join(self, timeout: float | None = None) -> None:
        return None  # the exit code came with the agent's message


class RemoteNodes:
    """The supervisor's side of the agents: starts remote nodes and turns replies into node events."""

    def __init__(self, plan: GraphPlan, url: str, machine: str | None = None,
                 agent_timeout: float = AGENT_TIMEOUT_S, agent_wait: float = AGENT_WAIT_S) -> None:
        from cortexlink.graph.redis_transport import redis_client

        self.url = url
        self.client = redis_client(url)
        import redis

        self._redis_down = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
        self.machines = remote_machines(plan, machine)
        self.machine_of = {n: m for m, nicks in self.machines.items() for n in nicks}
        self.run = uuid.uuid4().hex[:12]
        self.agent_timeout, self.agent_wait = agent_timeout, agent_wait
        self.procs: dict[str, RemoteProcess] = {}
        self.gen: dict[str, int] = {}
        self.last_seen: dict[str, float] = {}
        self.dead: dict[str, str] = {}
        self.ended: set[str] = set()
        self._next_refresh = 0.0
        self._ids: dict[str, bytes] = {}
        for m in self.machines:
            last = self.client.xrevrange(reply_stream(m), count=1)
            self._ids[reply_stream(m)] = last[0][0] if last else b"0-0"

    def __contains__(self, nick: str) -> bool:
        return nick in self.machine_of

    def require_agents(self) -> None:
        """Wait up to ``agent_wait`` s for an agent on every machine; NodeError naming the missing."""
        self._refresh(force=True)
        deadline = time.monotonic() + self.agent_wait
        while True:
            missing = [m for m in self.machines if not self.client.exists(agent_key(m))]
            if not missing or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        if missing:
            self.client.delete(run_key(self.run))
            self.dead.update({m: f"no agent serves machine {m!r}" for m in missing})
            m = missing[0]
            raise NodeError(
                f"no agent serves machine {m!r} (nodes {', '.join(self.machines[m])} are placed there); "
                f"on that machine run: cortexlink agent --redis-url {self.url} --machine {m}"
                + (f" (also missing: {', '.join(missing[1:])})" if missing[1:] else ""))
        now = time.monotonic()
        self.last_seen = {m: now for m in self.machines}

    def start(self, nick: str, plan: NodePlan, metadata: dict[str, Any]) -> RemoteProcess | None:
        """Ask the node's agent to start it; None when that agent is gone."""
        m = self.machine_of[nick]
        if m in self.dead:
            return None
        self.gen[nick] = self.gen.get(nick, 0) + 1
        self._send(m, {"op": AgentOp.START, "run": self.run, "gen": self.gen[nick],
                       "node": plan_to_json(plan), "metadata": metadata})
        self.procs[nick] = RemoteProcess(self, nick)
        return self.procs[nick]

    def command(self, nick: str, op: AgentOp) -> None:
        m = self.machine_of[nick]
        if m not in self.dead:
            self._send(m, {"op": op, "run": self.run, "nick": nick, "gen": self.gen.get(nick, 0)})

    def poll(self) -> list[tuple[str, str, Any]]:
        """Node events since the last call: ``(nick, kind, payload)``; kind ``exit`` (exit code set on
        the node's RemoteProcess) or ``lost`` (payload: why) besides the node's own messages."""
        events: list[tuple[str, str, Any]] = []
        try:
            self._refresh()
            reply = self.client.xread(self._ids, count=1000)
        except self._redis_down as exc:
            for m in self.machines:
                if m not in self.dead:
                    self._agent_gone(m, f"Redis at {self.url} can't be reached ({exc})", events)
            return events
        now = time.monotonic()
        for key, entries in reply or []:
            key = key.decode() if isinstance(key, bytes) else key
            for entry_id, fields in entries:
                self._ids[key] = entry_id
                msg = decode(fields)
                if msg is not None:
                    self._reply(msg, now, events)
        for m, seen in self.last_seen.items():
            if m not in self.dead and now - seen > self.agent_timeout:
                self._agent_gone(m, f"its agent on machine {m!r} stopped answering for "
                                    f"{now - seen:.1f} s", events)
        return events

    def _reply(self, msg: dict[str, Any], now: float, events: list) -> None:
        m = msg.get("machine")
        if m not in self.machines:
            return
        self.last_seen[m] = now
        kind = msg.get("kind")
        if kind == AgentMsg.STOPPED:
            self._agent_gone(m, f"its agent on machine {m!r} was stopped", events)
            return
        if msg.get("run") != self.run:
            return
        if kind == AgentMsg.ENDED:
            self.ended.add(m)
            return
        nick = msg.get("nick")
        proc = self.procs.get(nick)
        if proc is None or msg.get("gen") != self.gen.get(nick):
            return
        payload = msg.get("payload")
        if kind == Msg.PID:
            proc.pid = payload
        elif kind == Msg.EXIT:
            proc.exitcode = payload
        elif kind == Msg.LOST:
            del self.procs[nick]
        events.append((nick, kind, payload))

    def _agent_gone(self, m: str, why: str, events: list) -> None:
        self.dead[m] = why
        for nick in [n for n in self.procs if self.machine_of[n] == m]:
            del self.procs[nick]
            events.append((nick, Msg.LOST, why))

    def close(self) -> None:
        """End the run on every agent still there (it stops what is left) and wait for them to confirm."""
        live = [m for m in self.machines if m not in self.dead]
        try:
            for m in live:
                self._send(m, {"op": AgentOp.END, "run": self.run})
            deadline = time.monotonic() + END_WAIT_S
            while time.monotonic() < deadline and any(m not in self.ended | set(self.dead) for m in live):
                self.poll()
                time.sleep(0.02)
            self.client.delete(run_key(self.run))
        except self._redis_down:
            pass  # the agents stop this run's nodes when its key expires
        self.client.close()

    def _send(self, m: str, message: dict[str, Any]) -> None:
        try:
            self.client.xadd(command_stream(m), encode(message), maxlen=10000, approximate=True)
        except self._redis_down:
            pass  # the next poll finds Redis gone and reports every remote node lost

    def _refresh(self, force: bool = False) -> None:
        now = time.monotonic()
        if force or now >= self._next_refresh:
            self._next_refresh = now + 0.5
            self.client.set(run_key(self.run), 1, px=RUN_KEY_MS)
