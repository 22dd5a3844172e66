"""``cortexlink run`` (the main job: run a graph of nodes), ``cortexlink agent`` (runs the nodes a
graph places on this machine) and ``cortexlink graph validate``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from cortexlink.core.errors import InvalidParameterError


def register(subparsers: Any) -> None:
    run = subparsers.add_parser(
        "run", help="run a graph of nodes in real time (the default closed-loop graph with no GRAPH)",
        description="Start the transport and one process per node, supervise them, and print the "
                    "per-node latency table at the end. Ctrl-C stops cleanly.")
    run.add_argument("graph", nargs="?", help="graph YAML file (default: the built-in closed-loop graph)")
    run.add_argument("--transport", choices=("shm", "redis"), default="shm",
                     help="shm: shared-memory rings, no service (default); redis: Redis Streams")
    run.add_argument("--redis-url", default=None,
                     help="redis://host:port of a running server (default: start a private redis-server)")
    run.add_argument("--duration", type=float, default=None,
                     help="seconds to run (default: the graph's metadata duration_s, else until Ctrl-C)")
    run.add_argument("--buffer", type=float, default=2.0, metavar="SECONDS",
                     help="seconds of data each stream holds for a slow reader before it overruns "
                          "(default 2; at most 64 MiB per stream)")
    run.add_argument("--machine", default=None, metavar="NAME",
                     help="this machine's name in the graph's 'machine:' fields (default: the host name); "
                          "nodes on other machines are run by their 'cortexlink agent' (needs --redis-url)")
    _add_pm_qos(run)
    run.set_defaults(func=_run)

    agent = subparsers.add_parser(
        "agent", help="run the nodes that graphs place on this machine (for graphs across machines)",
        description="Wait for graphs started with 'cortexlink run --transport redis --redis-url URL' on "
                    "another machine and run the nodes they place on this one ('machine: NAME'); serve "
                    "one run after another until Ctrl-C.")
    agent.add_argument("--redis-url", required=True,
                       help="redis://host:port of the server the supervisor uses")
    agent.add_argument("--machine", default=None, metavar="NAME",
                       help="the name graphs use for this machine (default: the host name)")
    _add_pm_qos(agent)
    agent.set_defaults(func=_agent)

    graph = subparsers.add_parser("graph", help="work with graph files")
    sub = graph.add_subparsers(dest="graph_command", metavar="ACTION")
    validate = sub.add_parser("validate", help="check a graph file without running it",
                              description="Check node kinds, ports, parameters, streams and cycles; "
                                          "every problem names its line.")
    validate.add_argument("file", help="graph YAML file")
    validate.set_defaults(func=_validate)
    graph.set_defaults(func=lambda args: (graph.print_help(), 2)[1])


def _add_pm_qos(parser: Any) -> None:
    parser.add_argument("--no-pm-qos", dest="pm_qos", action="store_false",
                        help="leave CPU idle states alone (default: hold the PM QoS CPU wake-up latency at 0 "
                             "while running, which cuts wake-ups between nodes; needs write access to "
                             "/dev/cpu_dma_latency, e.g. root)")


def _registry() -> dict[str, str]:
    from cortexlink.nodes import BUILTIN_NODES

    return dict(BUILTIN_NODES)


def _default_graph() -> Path:
    from cortexlink.nodes import DEFAULT_GRAPH

    return Path(DEFAULT_GRAPH)


def _validate(args: argparse.Namespace) -> int:
    from rich.console import Console

    from cortexlink.graph.plan import load_plan
    from cortexlink.graph.report import plan_table

    plan = load_plan(args.file, _registry())
    console = Console() if sys.stdout.isatty() else Console(width=160)
    console.print(plan_table(plan))
    console.print(f"ok: {args.file} is a valid graph")
    return 0


def _run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from cortexlink.graph.plan import load_plan
    from cortexlink.graph.remote import check_placement
    from cortexlink.graph.report import result_table, status_table, summary_lines
    from cortexlink.graph.supervisor import Supervisor

    if args.duration is not None and not args.duration > 0:
        raise InvalidParameterError(f"--duration must be a positive number of seconds, got {args.duration}")
    if not 0 < args.buffer <= 600:
        raise InvalidParameterError(f"--buffer must be between 0 and 600 seconds, got {args.buffer}")
    path = Path(args.graph) if args.graph else _default_graph()
    plan = load_plan(path, _registry())
    check_placement(plan, args.transport, args.machine,
                    private_server=args.transport == "redis" and not args.redis_url)
    duration = args.duration
    if duration is None and isinstance(plan.metadata.get("duration_s"), (int, float)):
        duration = float(plan.metadata["duration_s"])

    console = Console() if sys.stdout.isatty() else Console(width=160)
    err = Console(stderr=True)
    transport, server = _open_transport(args)
    live = None
    qos = _hold_cpu_latency(args, err)
    try:
        if sys.stdout.isatty():
            from rich.live import Live

            live = Live(console=console, refresh_per_second=4, transient=True)
            live.start()

        def on_event(nick: str, state: str, message: str) -> None:
            if state in ("NODE_READY", "NODE_STARTED", "NODE_SHUTDOWN"):
                return
            line = f"[{nick}] {state}: {message}" if message else f"[{nick}] {state}"
            (live.console if live else err).print(line, markup=False, highlight=False)

        def on_tick(nodes: list, elapsed: float) -> None:
            if live is not None:
                live.update(status_table(nodes, elapsed))

        where = f" for {duration:g} s" if duration else " until Ctrl-C"
        err.print(f"running {path} over {transport.kind}{where}{_placement(plan, args.machine)}",
                  markup=False, highlight=False)
        supervisor = Supervisor(plan, transport, buffer_s=args.buffer, on_event=on_event, on_tick=on_tick,
                                machine=args.machine)
        result = supervisor.run(duration)
    finally:
        qos.close()
        if live is not None:
            live.stop()
        transport.destroy()
        if server is not None:
            server.stop()
    console.print(result_table(result))
    for line in summary_lines(result):
        console.print(line, markup=False, highlight=False)
    console.print(f"stopped: {result.reason}", markup=False, highlight=False)
    return 1 if result.failed else 0


def _placement(plan: Any, machine: str | None) -> str:
    from cortexlink.graph.remote import remote_machines

    away = remote_machines(plan, machine)
    return "".join(f"; {', '.join(nicks)} on {m} (by its agent)" for m, nicks in away.items())


def _agent(args: argparse.Namespace) -> int:
    import socket

    from rich.console import Console

    from cortexlink.graph.agent import Agent

    _check_url(args.redis_url)
    err = Console(stderr=True)
    machine = args.machine or socket.gethostname()
    agent = Agent(args.redis_url, machine, log=lambda line: err.print(line, markup=False, highlight=False))
    qos = _hold_cpu_latency(args, err)  # once connected: a bad URL stays one line
    try:
        agent.serve()
    finally:
        qos.close()
    return 0


def _hold_cpu_latency(args: argparse.Namespace, err: Any) -> Any:
    """The PM QoS request that keeps CPUs quick to wake while nodes run (unless --no-pm-qos)."""
    from cortexlink.graph.pm_qos import CpuLatencyRequest

    qos = CpuLatencyRequest(0)
    if args.pm_qos:
        err.print(qos.hold().describe(), markup=False, highlight=False)
    return qos


def _check_url(url: str) -> None:
    if not url.startswith(("redis://", "unix://", "rediss://")):
        raise InvalidParameterError(f"--redis-url must look like redis://host:port, got {url!r}")


def _open_transport(args: argparse.Namespace) -> tuple[Any, Any]:
    if args.transport == "shm":
        if args.redis_url:
            raise InvalidParameterError("--redis-url goes with --transport redis")
        from cortexlink.graph.shm import ShmTransport

        return ShmTransport(), None
    from cortexlink.graph.redis_transport import RedisTransport

    if args.redis_url:
        _check_url(args.redis_url)
        return RedisTransport(args.redis_url), None
    from cortexlink.graph.redis_server import RedisServer

    server = RedisServer()
    try:
        return RedisTransport(server.url), server
    except Exception:
        server.stop()
        raise
