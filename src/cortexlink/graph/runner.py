"""The loop inside a node's process: attach streams, ``setup()``, process chunks, shut down cleanly.

States are published as BRAND does (NODE_STARTED, NODE_READY, NODE_SHUTDOWN, NODE_FATAL_ERROR,
NODE_WARNING, NODE_INFO) to the supervisor through this node's own pipe, and mirrored by the
transport (Redis: ``<nickname>_state``). A heartbeat every ``HEARTBEAT_S`` carries counters and
latency histograms. SIGINT/SIGTERM ask for a clean stop. After ``setup()`` the garbage collector
is frozen and disabled; it runs only when the node is idle.
"""

from __future__ import annotations

import gc
import os
import signal
import sys
import time
import traceback
from typing import Any

from cortexlink.core.chunk import Chunk
from cortexlink.graph.node import NodeContext
from cortexlink.graph.plan import NodePlan
from cortexlink.graph.states import Msg, NodeState, message_state
from cortexlink.graph.stats import LatencyHistogram
from cortexlink.graph.transport import StreamReader, connect

__all__ = ["run_node"]

HEARTBEAT_NS = 100_000_000
IDLE_WAIT_S = 0.1        # longest sleep on an input before looking at heartbeats and stop requests
YOUNG_GC_EVERY_NS = 1_000_000_000
OVERRUN_WARNING_NS = 5_000_000_000


class _Control:
    """Messages to the supervisor (pipe) and the transport's state mirror."""

    def __init__(self, conn: Any, transport: Any, nickname: str) -> None:
        self.conn, self.transport, self.nickname = conn, transport, nickname

    def send(self, kind: Msg, payload: Any) -> None:
        try:
            self.conn.send((kind, payload))
        except (BrokenPipeError, OSError):  # the supervisor is gone; carry on until stopped
            pass
        if kind in (Msg.INFO, Msg.WARNING):
            self.state(message_state(kind), str(payload), pipe=False)

    def state(self, state: NodeState, message: str = "", pipe: bool = True) -> None:
        if pipe:
            try:
                self.conn.send((Msg.STATE, (state, message)))
            except (BrokenPipeError, OSError):
                pass
        if self.transport is not None:
            self.transport.publish_state(self.nickname, state, message)


class _Loop:
    """Counters and latency histograms of one node, sent with every heartbeat."""

    def __init__(self, control: _Control, readers: dict[str, StreamReader],
                 main_port: str | None = None) -> None:
        self.control = control
        self.readers = readers
        self.main_port = main_port          # the node's first declared output port
        self.transit = LatencyHistogram()   # upstream write -> this node's read
        self.proc = LatencyHistogram()      # time inside process()
        self.e2e = LatencyHistogram()       # origin_ns -> this node's output written
        self.chunks_out = 0
        self.samples_out = 0     # samples written on main_port
        self.calls = 0
        self.next_beat = 0
        self.last_gc = time.monotonic_ns()
        self.warned_overruns: dict[str, int] = {}
        self.next_overrun_warning = 0

    def beat(self, now: int, force: bool = False) -> None:
        if now < self.next_beat and not force:
            return
        self.next_beat = now + HEARTBEAT_NS
        overruns = {p: r.overruns for p, r in self.readers.items()}
        self.control.send(Msg.HEARTBEAT, {
            "pid": os.getpid(), "calls": self.calls, "out": self.chunks_out, "samples": self.samples_out,
            "cpu": time.process_time(), "wall": now / 1e9,
            "in": {p: r.chunks for p, r in self.readers.items()}, "overruns": overruns,
            "transit": self.transit.sparse(), "proc": self.proc.sparse(), "e2e": self.e2e.sparse(),
        })
        if now >= self.next_overrun_warning:  # counted in every heartbeat, warned at most every 5 s
            for port, n in overruns.items():
                if n > self.warned_overruns.get(port, 0):
                    self.control.send(Msg.WARNING, f"input {port!r} lost {n} chunks so far (reader overrun)")
                    self.warned_overruns[port] = n
                    self.next_overrun_warning = now + OVERRUN_WARNING_NS

    def idle(self, now: int, long: bool) -> None:
        """Collect garbage while nothing waits: everything after a quiet spell, the young often."""
        if long:
            gc.collect()
            self.last_gc = now
        elif now - self.last_gc > YOUNG_GC_EVERY_NS:
            gc.collect(0)
            self.last_gc = now


def run_node(plan: NodePlan, address: dict[str, Any], conn: Any, metadata: dict[str, Any]) -> None:
    """Entry point of a node process (started by the supervisor); exits 0 on a clean stop, 1 on error."""
    stop = {"flag": False}

    def _on_signal(signum: int, frame: Any) -> None:
        stop["flag"] = True

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    control = _Control(conn, None, plan.nickname)
    control.state(NodeState.NODE_STARTED, f"pid {os.getpid()}")
    node = None
    code = 0
    try:
        _apply_scheduling(plan, control)
        transport = connect(address)
        control.transport = transport
        transport.publish_state(plan.nickname, NodeState.NODE_STARTED, f"pid {os.getpid()}")
        from cortexlink.graph.loading import load_class

        cls = load_class(plan.class_ref)
        settings = cls.make_settings(plan.parameters)
        readers = {p: transport.reader(s) for p, s in plan.inputs.items()}
        feedback = {p: transport.reader(s) for p, s in plan.feedback.items()}
        writers = {p: transport.writer(s) for p, s in plan.outputs.items()}
        context = NodeContext(
            plan.nickname, plan.inputs, plan.outputs, feedback_specs=plan.feedback, send=control.send,
            # a feedback input the graph leaves unconnected reads as empty
            latest=lambda port: feedback[port].latest() if port in feedback else None,
            drain=lambda port: _drain(feedback[port]) if port in feedback else [],
            stop_requested=lambda: stop["flag"],
            graph_metadata=metadata, transport_address=address,
        )
        node = cls(settings, context)
        node.setup()
        loop = _Loop(control, {**readers, **{f"feedback:{p}": r for p, r in feedback.items()}},
                     next(iter(plan.outputs), None))
        control.state(NodeState.NODE_READY)
        gc.collect()
        gc.freeze()
        gc.disable()
        if plan.is_source:
            _run_source(node, writers, loop, stop)
        else:
            _run_processor(node, readers, writers, loop, stop)
        loop.beat(time.monotonic_ns(), force=True)
        for w in writers.values():
            w.end()
    except Exception as exc:
        code = 1
        tb = traceback.extract_tb(exc.__traceback__)
        where = f" (at {os.path.basename(tb[-1].filename)}:{tb[-1].lineno})" if tb else ""
        control.state(NodeState.NODE_FATAL_ERROR, f"{type(exc).__name__}: {exc}{where}")
    finally:
        gc.enable()
        if node is not None:
            try:
                node.shutdown()
            except Exception as exc:
                code = 1
                control.state(NodeState.NODE_FATAL_ERROR, f"shutdown failed: {type(exc).__name__}: {exc}")
        if code == 0:
            control.state(NodeState.NODE_SHUTDOWN)
        if control.transport is not None:
            control.transport.close()
        try:
            conn.close()
        except OSError:
            pass
    sys.exit(code)


def _run_source(node: Any, writers: dict, loop: _Loop, stop: dict) -> None:
    for outputs in node.generate():
        now = time.monotonic_ns()
        if outputs:
            _write(outputs, writers, loop, now)
        loop.calls += 1
        loop.beat(now)
        if stop["flag"]:
            break


def _run_processor(node: Any, readers: dict[str, StreamReader], writers: dict, loop: _Loop,
                   stop: dict) -> None:
    ports = list(readers)
    pending: dict[str, Chunk] = {}
    quiet_ns = int(float(getattr(node, "input_timeout_s", 0.0) or 0.0) * 1e9)  # a watchdog node's bound
    last_in = time.monotonic_ns()
    while not stop["flag"]:
        for port in ports:
            if port in pending:
                continue
            reader = readers[port]
            while not stop["flag"]:
                wait = IDLE_WAIT_S if not quiet_ns else \
                    min(IDLE_WAIT_S, max(0.0, (last_in + quiet_ns - time.monotonic_ns()) / 1e9))
                chunk = reader.read(wait)
                now = time.monotonic_ns()
                if chunk is not None:
                    loop.transit.add(now - reader.last_write_ns)
                    pending[port] = chunk
                    last_in = now
                    break
                if reader.at_end:
                    return  # an upstream source finished: this node is done too
                if quiet_ns and now - last_in >= quiet_ns:
                    last_in = now
                    quiet = node.on_input_timeout()
                    if quiet:
                        _write(quiet, writers, loop, now)
                loop.beat(now)
                loop.idle(now, long=True)
            if stop["flag"]:
                return
        t0 = time.monotonic_ns()
        outputs = node.process(pending)
        t1 = time.monotonic_ns()
        loop.proc.add(t1 - t0)
        loop.calls += 1
        if outputs:
            _write(outputs, writers, loop, t1)
        elif not writers:  # a sink: its end-to-end latency is from acquisition to the end of process()
            loop.e2e.add(t1 - pending[ports[0]].origin_ns)
        pending = {}
        loop.beat(t1)
        loop.idle(t1, long=False)


def _drain(reader: StreamReader) -> list[Chunk]:
    """Every chunk a feedback reader has not returned yet, without waiting."""
    out = []
    while (chunk := reader.read(0.0)) is not None:
        out.append(chunk)
    return out


def _write(outputs: dict[str, Chunk], writers: dict, loop: _Loop, now: int) -> None:
    first = True
    for port, chunk in outputs.items():
        writer = writers.get(port)
        if writer is None:
            raise KeyError(f"process() returned port {port!r}, which is not an output of this node "
                           f"(outputs: {', '.join(writers)})")
        if not chunk.origin_ns:
            chunk.origin_ns = now
        writer.write(chunk)
        if first:
            loop.e2e.add(time.monotonic_ns() - chunk.origin_ns)
            first = False
        if port == loop.main_port:  # what NodeStatus.produced_s divides by that port's rate
            loop.samples_out += chunk.n_samples
    loop.chunks_out += 1


def _apply_scheduling(plan: NodePlan, control: _Control) -> None:
    """CPU affinity, real-time priority and the node's thread budget.

    Nodes run in parallel as processes; a library that also spreads one node's work over every
    core (torch's intra-op pool, OpenMP) makes the nodes fight for cores, and its spinning
    barriers turn a 50 us GRU step into tens of ms on a busy machine. So each node gets
    ``threads`` (default 1) intra-op threads.
    """
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(plan.threads)
    if plan.cpu_affinity:
        try:
            os.sched_setaffinity(0, plan.cpu_affinity)
        except (OSError, AttributeError) as exc:
            control.send(Msg.WARNING, f"cpu_affinity {list(plan.cpu_affinity)} not applied: {exc}")
    if plan.run_priority:
        try:
            os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(plan.run_priority))
        except (OSError, AttributeError) as exc:
            control.send(Msg.WARNING, f"run_priority {plan.run_priority} (SCHED_FIFO) not applied: {exc}; "
                                    "it needs CAP_SYS_NICE")
