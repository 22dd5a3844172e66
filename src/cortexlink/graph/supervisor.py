"""The supervisor: starts the transport and one process per node, watches them, stops them cleanly.

Processes come from a ``forkserver``: the server imports the runtime once and forks each node from
that clean process, so nodes start (and restart) fast like ``fork`` yet inherit nothing from the
supervisor (no threads, locks or open connections) like ``spawn``. Each node talks to the
supervisor over its own pipe, so a node that dies mid-message can't corrupt another's channel.
A dead node is noticed at once through its process sentinel; a node whose heartbeats stop for
longer than its ``heartbeat_timeout`` is killed. Either way its ``restart`` policy applies:
``restart`` starts it again (at most ``max_restarts`` times a minute), ``stop`` stops the graph.
Nodes placed on another machine (``machine:``) are started there by that machine's agent through
Redis (``remote.RemoteNodes``) and watched through the same messages.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import sys
import time
from collections.abc import Callable
from typing import Any

from cortexlink.core.streamspec import StreamSpec
from cortexlink.graph.brand import brand_supergraph
from cortexlink.graph.children import wait_children
from cortexlink.graph.commands import CommandDesk, Exporter
from cortexlink.graph.plan import GraphPlan
from cortexlink.graph.remote import RemoteNodes, check_placement, remote_machines
from cortexlink.graph.runner import run_node
from cortexlink.graph.states import REPORTED_STATES, Msg, NodeState, message_state
from cortexlink.graph.stats import LatencyHistogram
from cortexlink.graph.status import NodeStatus, RunResult
from cortexlink.graph.transport import Transport

__all__ = ["Supervisor", "NodeStatus", "RunResult", "run_graph"]

STOP_GRACE_S = 5.0
RING_BYTES_MAX = 64 << 20
THREAD_ENV = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS")
RESTART_WINDOW_S = 60.0
# A node process that exits 1 before its first word failed while Python started it; by far the
# commonest cause is a script whose graph-running code each node process runs again on import.
_STARTUP_HINT = (" before it said a word, so while Python was starting it: if a script runs this graph, "
                 "put that code under `if __name__ == \"__main__\":`, because every node process imports "
                 "the script again")


class _Proc:
    def __init__(self, process: Any, conn: Any) -> None:
        self.process, self.conn = process, conn
        self.shutdown_sent = False


class Supervisor:
    """Runs a ``GraphPlan`` over a ``Transport`` until ``duration`` passes, it is stopped or it ends."""

    def __init__(self, plan: GraphPlan, transport: Transport, *, buffer_s: float = 2.0,
                 on_event: Callable[[str, str, str], None] | None = None,
                 on_tick: Callable[[list[NodeStatus], float], None] | None = None,
                 max_restarts: int = 5, setup_timeout: float = 120.0, machine: str | None = None,
                 agent_wait: float | None = None, exporter: Exporter | None = None,
                 data_dir: str = ".", keep_streams: bool = False, supergraph: dict | None = None) -> None:
        self.plan = plan
        self.transport = transport
        self.buffer_s = buffer_s
        self.on_event = on_event
        self.on_tick = on_tick
        self.max_restarts = max_restarts
        self.setup_timeout = setup_timeout
        self.status = {n.nickname: NodeStatus(n) for n in plan.nodes}
        self.procs: dict[str, _Proc] = {}
        self.events: list[tuple[float, str, str, str]] = []
        self.restart_times: dict[str, list[float]] = {n.nickname: [] for n in plan.nodes}
        self._stop_reason = ""
        self._failed = False
        self._interrupted = False
        self._t0 = time.monotonic()
        self._ctx = process_context(_dotted_modules(plan))
        # BRAND's supervisor protocol (commands, graph_status, supervisor_status): see commands.py
        self.desk = CommandDesk(transport, exporter, data_dir)
        self.desk.supergraph = supergraph or brand_supergraph(plan, transport.address.get("url", ""))
        transport.keep_streams = keep_streams
        self.remote: RemoteNodes | None = None
        if remote_machines(plan, machine):
            check_placement(plan, transport.kind, machine)
            self.remote = RemoteNodes(plan, transport.address["url"], machine,
                                      **({} if agent_wait is None else {"agent_wait": agent_wait}))

    # -- public ----------------------------------------------------------------------------------
    def run(self, duration: float | None = None) -> RunResult:
        """Start everything, supervise, stop; always returns a result (and cleans up processes)."""
        old_int = signal.getsignal(signal.SIGINT)
        in_main = _in_main_thread()
        if in_main:
            signal.signal(signal.SIGINT, lambda *_: self.interrupt())
        started = time.monotonic()
        try:
            # the forkserver's imports take seconds on a busy machine; paid now, before any remote
            # node waits on us, so no start blocks the loop that keeps the run alive for the agents
            start_process_server(self._ctx)
            if self.remote is not None:
                self.remote.require_agents()
            for spec in self.plan.streams.values():
                self.transport.create(spec, ring_slots(spec, self.buffer_s))
            self.transport.publish_graph(self.desk.supergraph)
            self.desk.graph_status("initialized")
            self._start_all()
            self.desk.graph_status("running")
            started = time.monotonic()
            deadline = None if duration is None else started + duration
            self._supervise(deadline)
        finally:
            self._stop_all()
            self.desk.graph_status("stopped")
            if self.desk.save_after_stop:
                self.desk.save_nwb("stopGraphAndSaveNWB")
            if in_main:
                signal.signal(signal.SIGINT, old_int)
        return RunResult(list(self.status.values()), self._stop_reason or "finished", self._failed,
                         time.monotonic() - started, self.plan.sinks(), self.events, self._interrupted)

    def request_stop(self, reason: str, failed: bool = False) -> None:
        if not self._stop_reason:
            self._stop_reason = reason
        self._failed = self._failed or failed

    def interrupt(self) -> None:
        """Stop as Ctrl-C does: cleanly, and the result says it was interrupted."""
        self._interrupted = True
        self.request_stop("interrupted (Ctrl-C)")

    # -- starting ----------------------------------------------------------------------------------
    def _start(self, nick: str) -> None:
        st = self.status[nick]
        if self.remote is not None and nick in self.remote:
            handle = self.remote.start(nick, st.plan, dict(self.plan.metadata))
            if handle is None:
                why = self.remote.dead[self.remote.machine_of[nick]]
                self.request_stop(f"node {nick!r} can't be started: {why}", failed=True)
                return
            self.procs[nick] = _Proc(handle, None)
            st.pid, st.state, st.exit_code, st.clean_exit = None, NodeState.STARTING, None, False
            st.last_beat = time.monotonic()
            return
        parent, child = self._ctx.Pipe(duplex=False)
        proc = self._ctx.Process(target=run_node, name=f"cortexlink:{nick}",
                                 args=(st.plan, self.transport.address, child, dict(self.plan.metadata)),
                                 daemon=False)
        proc.start()
        child.close()
        self.procs[nick] = _Proc(proc, parent)
        st.pid, st.state, st.exit_code, st.clean_exit = proc.pid, NodeState.STARTING, None, False
        st.last_beat = time.monotonic()

    def _start_all(self) -> None:
        """Readers first: every non-source node is READY (attached) before any source writes; the
        run's clock starts once every source is READY too (set up and producing), so a source's
        slow setup does not eat the run's duration."""
        consumers = [n.nickname for n in self.plan.nodes if not n.is_source]
        sources = [n.nickname for n in self.plan.nodes if n.is_source]
        for nick in consumers:
            self._start(nick)
        self._wait_ready(consumers)
        if not self._stop_reason:
            for nick in sources:
                self._start(nick)
            self._wait_ready(sources)

    def _wait_ready(self, nicks: list[str]) -> None:
        deadline = time.monotonic() + self.setup_timeout
        while not self._stop_reason and any(
                self.status[n].state not in (NodeState.NODE_READY, NodeState.DONE) for n in nicks):
            if time.monotonic() > deadline:
                slow = [n for n in nicks if self.status[n].state != NodeState.NODE_READY]
                self.request_stop(f"nodes not ready after {self.setup_timeout:.0f} s: {', '.join(slow)}",
                                  failed=True)
                return
            self._poll(0.05)

    # -- watching ----------------------------------------------------------------------------------
    def _supervise(self, deadline: float | None) -> None:
        next_tick = 0.0
        while not self._stop_reason:
            self._poll(0.05)
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                self.request_stop("duration reached")
            try:
                commands = self.transport.poll_commands()
            except Exception as exc:  # e.g. the Redis server went away: stop cleanly, say why
                self.request_stop(f"the {self.transport.kind} transport failed: {type(exc).__name__}: {exc}",
                                  failed=True)
                commands = []
            for entry in commands:
                self.desk.handle_running(entry, self.request_stop)
            if all(st.state == NodeState.DONE for st in self.status.values()):
                self.request_stop("all nodes finished")
            self._check_heartbeats(now)
            if self.on_tick is not None and now >= next_tick:
                next_tick = now + 0.25
                self.on_tick(list(self.status.values()), now - self._t0)

    def _poll(self, timeout: float) -> None:
        wait_children({p.conn: n for n, p in self.procs.items() if p.conn is not None},
                      {p.process.sentinel: n for n, p in self.procs.items()
                       if p.process is not None and p.process.sentinel is not None},
                      timeout, self._drain, self._exited)
        if self.remote is not None:
            for nick, kind, payload in self.remote.poll():
                if kind == Msg.EXIT:
                    self._exited(nick)
                elif kind == Msg.LOST:
                    self._lost(nick, payload)
                else:
                    self._message(nick, kind, payload)

    def _drain(self, nick: str) -> None:
        proc = self.procs[nick]
        try:
            while proc.conn is not None and proc.conn.poll():
                kind, payload = proc.conn.recv()
                self._message(nick, kind, payload)
        except (EOFError, OSError):
            proc.conn.close()
            proc.conn = None

    def _message(self, nick: str, kind: str, payload: Any) -> None:
        st = self.status[nick]
        st.last_beat = time.monotonic()
        if kind == Msg.HEARTBEAT:
            st.calls, st.chunks_out, st.samples_out = payload["calls"], payload["out"], payload["samples"]
            st.chunks_in, st.overruns = payload["in"], payload["overruns"]
            st.hist = {k: LatencyHistogram.from_sparse(payload[k]) for k in ("transit", "proc", "e2e")}
            st.cpu_last = (payload["cpu"], payload["wall"])
            if st.cpu_first is None:
                st.cpu_first = st.cpu_last
        elif kind == Msg.STATE:
            state, message = payload
            if state in REPORTED_STATES:
                st.state = NodeState(state)
            if state == NodeState.NODE_SHUTDOWN:
                st.clean_exit = True
            if message:
                st.last_message = message
            self._event(nick, state, message)
        elif kind == Msg.PID:
            st.pid = payload
        elif kind == Msg.REPORT:
            st.reports.update(payload)
        elif kind in (Msg.INFO, Msg.WARNING):
            st.last_message = str(payload)
            self._event(nick, message_state(kind), str(payload))

    def _event(self, nick: str, state: NodeState, message: str) -> None:
        self.events.append((time.monotonic() - self._t0, nick, state, message))
        if self.on_event is not None:
            self.on_event(nick, state, message)

    def _exited(self, nick: str) -> None:
        proc = self.procs[nick]
        if proc.process is None:
            return
        proc.process.join(0.5)
        self._drain(nick)
        code = proc.process.exitcode
        proc.process = None
        if proc.conn is not None:
            proc.conn.close()
            proc.conn = None
        st = self.status[nick]
        st.exit_code = code
        if code == 0 and st.clean_exit:
            st.state = NodeState.DONE
            return
        why = f"exit code {code}" if code is None or code >= 0 else f"killed by signal {-code}"
        if st.state == NodeState.STARTING and code == 1:
            why += _STARTUP_HINT
        self._failure(nick, f"died ({why})")

    def _lost(self, nick: str, why: str) -> None:
        """A remote node whose agent is gone (or could not start it)."""
        proc = self.procs.get(nick)
        if proc is None or proc.process is None:
            return
        proc.process = None
        self.status[nick].exit_code = None
        self._failure(nick, f"was lost ({why})")

    def _failure(self, nick: str, why: str) -> None:
        st = self.status[nick]
        st.state = NodeState.DEAD
        self._event(nick, NodeState.NODE_DIED, why)
        if self._stop_reason:
            return
        if st.plan.restart == "restart":
            now = time.monotonic()
            recent = [t for t in self.restart_times[nick] if now - t < RESTART_WINDOW_S]
            if len(recent) >= self.max_restarts:
                self.request_stop(f"node {nick!r} {why} and was restarted {len(recent)} times in a minute; "
                                  "graph stopped", failed=True)
                return
            self.restart_times[nick] = recent + [now]
            st.fold()
            st.restarts += 1
            self._event(nick, NodeState.NODE_RESTART, f"restart #{st.restarts}")
            self._start(nick)
        else:
            self.request_stop(f"node {nick!r} {why}; its policy is 'stop', so the graph was stopped",
                              failed=True)

    def _check_heartbeats(self, now: float) -> None:
        for nick, st in self.status.items():
            proc = self.procs.get(nick)
            if proc is None or proc.process is None or st.state != NodeState.NODE_READY:
                continue
            if now - st.last_beat > st.heartbeat_limit:
                proc.process.kill()  # hung: the sentinel reports it and the policy applies
                quiet = now - st.last_beat
                self._event(nick, NodeState.NODE_WARNING, f"no heartbeat for {quiet:.1f} s; killed")

    # -- stopping ----------------------------------------------------------------------------------
    def _stop_all(self) -> None:
        """Stop sources first so the rest drain what they wrote and end on their own; SIGTERM what
        is left; SIGKILL what is still there after the grace time."""
        sources = [n.nickname for n in self.plan.nodes if n.is_source]
        others = [n.nickname for n in self.plan.nodes if not n.is_source]
        self._terminate(sources, 1.0)
        self._wait_exit(others, 0.5)
        self._terminate(others, STOP_GRACE_S)
        for nick, p in self.procs.items():
            if p.process is not None:
                p.process.kill()
                p.process.join(2)
                self.status[nick].state = NodeState.KILLED
                self._event(nick, NodeState.NODE_WARNING, f"did not stop within {STOP_GRACE_S:.0f} s; killed")
                p.process = None
            if p.conn is not None:
                p.conn.close()
                p.conn = None
        if self.remote is not None:
            self.remote.close()

    def _terminate(self, nicks: list[str], grace: float) -> None:
        for nick in nicks:
            p = self.procs.get(nick)
            if p is not None and p.process is not None and not p.shutdown_sent:
                p.shutdown_sent = True
                p.process.terminate()
        self._wait_exit(nicks, grace)

    def _wait_exit(self, nicks: list[str], timeout: float) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end and any(
                self.procs[n].process is not None for n in nicks if n in self.procs):
            self._poll(0.05)


def run_graph(plan: GraphPlan, transport: Transport, duration: float | None = None,
              **kwargs: Any) -> RunResult:
    """Run ``plan`` over ``transport`` (see ``Supervisor``)."""
    return Supervisor(plan, transport, **kwargs).run(duration)


def ring_slots(spec: StreamSpec, seconds: float) -> int:
    """Slots holding ``seconds`` of a stream (at least 64), within ``RING_BYTES_MAX`` per stream."""
    per_second = spec.sample_rate / spec.chunk_samples
    wanted = max(64, int(seconds * per_second + 0.999))
    return max(16, min(wanted, RING_BYTES_MAX // max(1, spec.chunk_bytes)))


def process_context(preload: list[str]) -> Any:
    """The forkserver (spawn where there is none); it imports the runtime and the built-in node
    modules once, so every node and every restart starts from an already-imported process."""
    for var in THREAD_ENV:  # one intra-op thread per node unless the node asks for more
        os.environ.setdefault(var, "1")
    if sys.platform.startswith("linux"):
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["cortexlink.graph.runner", *preload])
        return ctx
    return mp.get_context("spawn")


def start_process_server(ctx: Any) -> None:
    """Start the forkserver of ``ctx`` and wait for its preloaded imports, rather than paying them at
    the first process start (seconds on a busy machine, while remote nodes wait for the run to say
    it is alive); nothing for a spawn context. The server forks only once its imports are done, so
    one empty process started and joined here waits for them."""
    if hasattr(ctx, "set_forkserver_preload") and ctx.get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()
        probe = ctx.Process(target=_nothing, name="cortexlink:forkserver-ready", daemon=True)
        probe.start()
        probe.join()


def _nothing() -> None:
    """The forkserver readiness probe's body."""


def _dotted_modules(plan: GraphPlan) -> list[str]:
    refs = (n.class_ref.rpartition(":")[0] for n in plan.nodes)
    return sorted({m for m in refs if m and not m.endswith(".py")})


def _in_main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()

