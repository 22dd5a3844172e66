"""The agent: runs, on one machine, the nodes a supervisor elsewhere places on it.

``cortexlink agent --redis-url redis://HOST:PORT --machine NAME`` reads commands from
``NAME_agent_ipstream`` (see ``remote`` for the protocol), starts each node with the same node
runner as the supervisor (one process per node from a forkserver, its own pipe), and forwards
everything the node sends through that pipe (states, heartbeats, reports), its pid and its exit
code to ``NAME_agent_opstream``. The nodes publish ``<nickname>_state`` themselves. Restart
policies stay with the supervisor, which asks for a new start. A thread refreshes the agent's
presence key and heartbeat, so a node that is slow to start doesn't make the agent look dead.
The agent outlives a run and serves the next; Ctrl-C (or ``stop()``) stops its nodes cleanly.
A node started here stops by itself if the agent dies (its pipe to the agent breaks).
"""

from __future__ import annotations

import os
import select
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

from cortexlink.graph.children import wait_children
from cortexlink.graph.remote import (
    AGENT_BEAT_S,
    AGENT_KEY_MS,
    agent_key,
    command_stream,
    decode,
    encode,
    plan_from_json,
    reply_stream,
    run_key,
)
from cortexlink.graph.states import AgentMsg, AgentOp, Msg

__all__ = ["Agent", "run_agent_node", "serve_agent"]

STOP_GRACE_S = 5.0
BUSY_WAIT_S = 0.05     # with nodes: wait on their pipes this long, then look for commands
IDLE_BLOCK_MS = 250    # without nodes: wait on the command stream this long
RUN_CHECK_S = 0.5


def run_agent_node(plan: Any, address: dict[str, Any], conn: Any, metadata: dict[str, Any]) -> None:
    """``run_node`` plus a watch on the pipe: when the agent's end closes, stop cleanly (SIGTERM)."""
    from cortexlink.graph.runner import run_node

    def watch() -> None:
        poller = select.poll()
        poller.register(conn.fileno(), select.POLLERR | select.POLLHUP)
        while True:
            if poller.poll():
                os.kill(os.getpid(), signal.SIGTERM)
                return

    threading.Thread(target=watch, name="agent-watch", daemon=True).start()
    run_node(plan, address, conn, metadata)


def serve_agent(redis_url: str, machine: str | None = None, *, pm_qos: bool = True,
                log: Callable[[str], None] | None = None) -> None:
    """What ``cortexlink agent`` does: serve machine ``machine`` (default: this host's name) for every
    run on the Redis at ``redis_url`` until Ctrl-C or SIGTERM. ``pm_qos`` holds CPUs quick to wake
    while it serves (where allowed); ``log`` receives each line the agent says."""
    import socket

    from cortexlink.graph.pm_qos import CpuLatencyRequest
    from cortexlink.graph.session import check_redis_url

    check_redis_url(redis_url)
    agent = Agent(redis_url, machine or socket.gethostname(), log=log)
    qos = CpuLatencyRequest(0)  # once connected: a bad URL stays one line
    if pm_qos:
        agent.log(qos.hold().describe())
    try:
        agent.serve()
    finally:
        qos.close()


class _Child:
    def __init__(self, run: str, nick: str, gen: int, process: Any, conn: Any) -> None:
        self.run, self.nick, self.gen, self.process, self.conn = run, nick, gen, process, conn
        self.kill_at: float | None = None


class Agent:
    """Serves the nodes of machine ``machine`` for every run published on the Redis at ``url``."""

    def __init__(self, url: str, machine: str, *, log: Callable[[str], None] | None = None,
                 preload: list[str] | None = None) -> None:
        from cortexlink.graph.redis_transport import redis_client
        from cortexlink.graph.supervisor import process_context

        self.url, self.machine = url, machine
        self.client = redis_client(url)
        self.log = log or (lambda line: None)
        self.children: list[_Child] = []
        self.ending: dict[str, float] = {}      # run -> when leftovers get SIGKILL
        self.stopping = threading.Event()
        self._ctx = process_context(["cortexlink.graph.agent", *(preload or [])])
        self._outbox: list[dict[str, Any]] = []
        last = self.client.xrevrange(command_stream(machine), count=1)
        self._cmd_id = last[0][0] if last else b"0-0"  # commands sent before we started are stale
        self._beat_client = redis_client(url)
        import redis

        self._redis_down = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)

    # -- main loop ---------------------------------------------------------------------------------
    def serve(self) -> None:
        """Run until ``stop()`` (or SIGINT/SIGTERM when called from the main thread)."""
        in_main = threading.current_thread() is threading.main_thread()
        old = {}
        if in_main:
            for sig in (signal.SIGINT, signal.SIGTERM):
                old[sig] = signal.signal(sig, lambda *_: self.stop())
        self._beat()
        beater = threading.Thread(target=self._beat_loop, name="agent-beat", daemon=True)
        beater.start()  # beating already: the forkserver's imports take seconds on a busy machine
        from cortexlink.graph.supervisor import start_process_server

        start_process_server(self._ctx)  # the forkserver and its imports now, not at the first node
        self.log(f"agent for machine {self.machine!r} on {self.url}: waiting for graphs (Ctrl-C stops)")
        next_check = 0.0
        try:
            while not self.stopping.is_set():
                busy = bool(self.children)
                if busy:
                    self._watch(BUSY_WAIT_S)
                try:
                    self._commands(0 if busy else IDLE_BLOCK_MS)
                    now = time.monotonic()
                    if now >= next_check:
                        next_check = now + RUN_CHECK_S
                        self._check_runs(now)
                    self._flush()
                except self._redis_down as exc:  # nodes keep running; their supervisor decides
                    self.log(f"lost Redis at {self.url} ({exc}); retrying")
                    self.stopping.wait(1.0)
        finally:
            self._stop_everything()
            self.stopping.set()
            beater.join(2)
            try:
                self.client.delete(agent_key(self.machine))
                self._reply({"kind": AgentMsg.STOPPED})
                self._flush()
            except Exception:
                pass
            for sig, handler in old.items():
                signal.signal(sig, handler)
            self.log(f"agent for machine {self.machine!r} stopped")

    def stop(self) -> None:
        self.stopping.set()

    # -- commands ----------------------------------------------------------------------------------
    def _commands(self, block_ms: int) -> None:
        """Commands since the last call, waiting up to ``block_ms`` for one (0: don't wait)."""
        reply = self.client.xread({command_stream(self.machine): self._cmd_id}, count=64,
                                  block=block_ms or None)
        for _key, entries in reply or []:
            for entry_id, fields in entries:
                self._cmd_id = entry_id
                msg = decode(fields)
                if msg is not None:
                    self._command(msg)

    def _command(self, msg: dict[str, Any]) -> None:
        op, run = msg.get("op"), str(msg.get("run"))
        if op == AgentOp.START:
            self._start(run, int(msg.get("gen", 0)), msg)
        elif op in (AgentOp.STOP, AgentOp.KILL):
            for c in self.children:
                if c.run == run and c.nick == msg.get("nick") and c.gen == msg.get("gen"):
                    self._signal(c, signal.SIGTERM if op == AgentOp.STOP else signal.SIGKILL)
        elif op == AgentOp.END:
            self.ending[run] = time.monotonic() + STOP_GRACE_S
            for c in self.children:
                if c.run == run:
                    self._signal(c, signal.SIGTERM)

    def _start(self, run: str, gen: int, msg: dict[str, Any]) -> None:
        nick = str(msg.get("node", {}).get("nickname", "?"))
        try:
            plan = plan_from_json(msg["node"])
            parent, child = self._ctx.Pipe(duplex=False)
            proc = self._ctx.Process(target=run_agent_node, name=f"cortexlink:{nick}",
                                     args=(plan, {"kind": "redis", "url": self.url}, child,
                                           dict(msg.get("metadata") or {})), daemon=False)
            proc.start()
            child.close()
        except Exception as exc:
            why = f"agent on {self.machine!r} could not start it: {type(exc).__name__}: {exc}"
            self._reply({"run": run, "nick": nick, "gen": gen, "kind": Msg.LOST, "payload": why})
            return
        self.children.append(_Child(run, nick, gen, proc, parent))
        self._reply({"run": run, "nick": nick, "gen": gen, "kind": Msg.PID, "payload": proc.pid})
        self.log(f"[{run}] started {nick} (pid {proc.pid})")

    # -- children ----------------------------------------------------------------------------------
    def _watch(self, timeout: float) -> None:
        wait_children({c.conn: c for c in self.children if c.conn is not None},
                      {c.process.sentinel: c for c in self.children}, timeout, self._drain, self._exited)

    def _drain(self, c: _Child) -> None:
        try:
            while c.conn is not None and c.conn.poll():
                kind, payload = c.conn.recv()
                self._reply({"run": c.run, "nick": c.nick, "gen": c.gen, "kind": kind, "payload": payload})
        except (EOFError, OSError):
            c.conn.close()
            c.conn = None

    def _exited(self, c: _Child) -> None:
        c.process.join(0.5)
        self._drain(c)
        if c.conn is not None:
            c.conn.close()
            c.conn = None
        code = c.process.exitcode
        self.children.remove(c)
        self._reply({"run": c.run, "nick": c.nick, "gen": c.gen, "kind": Msg.EXIT, "payload": code})
        self.log(f"[{c.run}] {c.nick} exited ({code})")

    def _check_runs(self, now: float) -> None:
        """Stop the nodes of runs whose supervisor is gone; kill what outstays an ``end``."""
        runs = {c.run for c in self.children}
        for run in runs - set(self.ending):
            if not self.client.exists(run_key(run)):
                self.log(f"[{run}] supervisor gone: stopping its nodes")
                self._command({"op": AgentOp.END, "run": run})
        for run, kill_at in list(self.ending.items()):
            left = [c for c in self.children if c.run == run]
            if not left:
                del self.ending[run]
                self._reply({"run": run, "kind": AgentMsg.ENDED})
            elif now >= kill_at:
                for c in left:
                    self._signal(c, signal.SIGKILL)

    def _signal(self, c: _Child, sig: int) -> None:
        try:
            if c.process.pid is not None:
                os.kill(c.process.pid, sig)
        except ProcessLookupError:
            pass

    def _stop_everything(self) -> None:
        for c in self.children:
            self._signal(c, signal.SIGTERM)
        end = time.monotonic() + STOP_GRACE_S
        while self.children and time.monotonic() < end:
            self._watch(0.05)
            self._try_flush()
        for c in list(self.children):
            self._signal(c, signal.SIGKILL)
            c.process.join(2)
            self._exited(c)
        for run in list(self.ending):
            self._reply({"run": run, "kind": AgentMsg.ENDED})
        self.ending.clear()
        self._try_flush()

    # -- replies and heartbeat ------------------------------------------------------------------------
    def _reply(self, message: dict[str, Any]) -> None:
        self._outbox.append({"machine": self.machine, **message})

    def _flush(self) -> None:
        if not self._outbox:
            return
        pipe = self.client.pipeline(transaction=False)
        for message in self._outbox:
            pipe.xadd(reply_stream(self.machine), encode(message), maxlen=10000, approximate=True)
        pipe.execute()
        self._outbox = []

    def _try_flush(self) -> None:
        try:
            self._flush()
        except self._redis_down as exc:
            self.log(f"lost Redis at {self.url} ({exc}); the supervisor will notice by itself")
            self._outbox = []

    def _beat(self) -> None:
        pipe = self._beat_client.pipeline(transaction=False)
        pipe.set(agent_key(self.machine), str(os.getpid()), px=AGENT_KEY_MS)
        pipe.xadd(reply_stream(self.machine), encode({"machine": self.machine, "kind": AgentMsg.BEAT}),
                  maxlen=10000, approximate=True)
        pipe.execute()

    def _beat_loop(self) -> None:
        failing = False
        while not self.stopping.wait(AGENT_BEAT_S):
            try:
                self._beat()
                failing = False
            except Exception as exc:  # keep trying: a short Redis hiccup must not end the agent
                if not failing:
                    self.log(f"heartbeat failed: {exc}; retrying")
                failing = True
