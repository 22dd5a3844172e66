"""``cortexlink run`` (the main job: run a graph of nodes), ``cortexlink agent`` (runs the nodes a
graph places on this machine), ``cortexlink nodes`` (the node kinds) and ``cortexlink graph validate``."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(subparsers: Any) -> None:
    run = subparsers.add_parser(
        "run", help="run a graph of nodes in real time (the default closed-loop graph with no GRAPH)",
        description="Start the transport and one process per node, supervise them, and print the "
                    "per-node latency table at the end. Ctrl-C stops cleanly.")
    run.add_argument("graph", nargs="?",
                     help="graph YAML file, a built-in graph's name, or long-session (the simulated long "
                          "closed-loop session, fixed vs adaptive decoders); default: the closed-loop graph")
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
    run.add_argument("--keep-streams", action="store_true",
                     help="leave the data streams in Redis after the run (for BRAND tools, saveRdb, an NWB "
                          "export) instead of deleting them")
    run.add_argument("--speed", default=None,
                     help="for the long-session scenario: max (as fast as the machine allows, the default) "
                          "or simulated seconds per second (1: real time); graphs run in real time")
    run.add_argument("--seed", type=int, default=0,
                     help="for the long-session scenario: its seed (default 0)")
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

    nodes = subparsers.add_parser(
        "nodes", help="list the built-in node kinds with their settings and streams",
        description="Every node kind a graph file can name: its input, feedback and output streams and "
                    "its settings (name, type, default, help), read from the node classes.")
    nodes.add_argument("kinds", nargs="*", metavar="KIND", help="only these kinds (default: all)")
    nodes.add_argument("--markdown", action="store_true",
                       help="print the reference page docs/nodes.md is made of")
    nodes.set_defaults(func=_nodes)

    graph = subparsers.add_parser("graph", help="work with graph files")
    sub = graph.add_subparsers(dest="graph_command", metavar="ACTION")
    validate = sub.add_parser("validate", help="check a graph file without running it",
                              description="Check node kinds, ports, parameters, streams and cycles; "
                                          "every problem names its line.")
    validate.add_argument("file", help="graph YAML file, or a shipped graph's name (default, seizure, ...)")
    validate.set_defaults(func=_validate)
    place = sub.add_parser("place", help="place a graph's nodes on machines and cores (ILP)",
                           description="Take each node's CPU time per chunk (a short measuring run, or "
                                       "--costs), solve where each node runs to minimise the critical "
                                       "path's latency, and write the graph with machine and cpu_affinity.")
    place.add_argument("file", help="graph YAML file, or a shipped graph's name (default, seizure, ...)")
    place.add_argument("--machines", required=True, metavar="FILE",
                       help="YAML/JSON: machines: [{name: a, cores: 8}, ...], optional local_hop_us and "
                            "remote_hop_us")
    place.add_argument("--costs", default=None, metavar="FILE",
                       help="YAML/JSON {nickname: microseconds per chunk} instead of measuring")
    place.add_argument("--measure", type=float, default=5.0, metavar="SECONDS",
                       help="length of the measuring run (default 5)")
    place.add_argument("-o", "--output", default=None,
                       help="placed graph file (default: GRAPH with .placed.yaml; for a shipped graph, "
                            "in the current folder)")
    place.set_defaults(func=_place)
    graph.set_defaults(func=lambda args: (graph.print_help(), 2)[1])


def _add_pm_qos(parser: Any) -> None:
    parser.add_argument("--no-pm-qos", dest="pm_qos", action="store_false",
                        help="leave CPU idle states alone (default: hold the PM QoS CPU wake-up latency at 0 "
                             "while running, which cuts wake-ups between nodes; needs write access to "
                             "/dev/cpu_dma_latency, e.g. root)")


def _validate(args: argparse.Namespace) -> int:
    from rich.console import Console

    from cortexlink.graph.plan import load_plan
    from cortexlink.graph.report import plan_table
    from cortexlink.nodes import BUILTIN_NODES
    from cortexlink.nodes.run import builtin_graph

    plan = load_plan(builtin_graph(args.file) or args.file, BUILTIN_NODES)
    console = Console() if sys.stdout.isatty() else Console(width=160)
    console.print(plan_table(plan))
    console.print(f"ok: {args.file} is a valid graph")
    return 0


def _place(args: argparse.Namespace) -> int:
    from cortexlink.nodes.placement import place_graph, placed_graph_path

    out = args.output or str(placed_graph_path(args.file))
    placed = place_graph(args.file, args.machines, costs=args.costs, measure_s=args.measure, out=out)
    for line in placed.lines():
        print(line)
    print(f"wrote {out}")
    return 0


def _nodes(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from cortexlink.nodes.catalog import node_catalog, nodes_markdown

    if args.markdown:
        if args.kinds:
            from cortexlink.core.errors import InvalidParameterError

            raise InvalidParameterError("--markdown renders the whole page; give no KIND with it")
        sys.stdout.write(nodes_markdown())
        return 0
    console = Console() if sys.stdout.isatty() else Console(width=160)
    for node in node_catalog(args.kinds):
        console.print(f"[bold]{node.kind}[/bold]{' (source)' if node.source else ''}: {node.summary}",
                      highlight=False)
        console.print(f"  {node.streams()}", markup=False, highlight=False)
        if node.settings:
            table = Table(show_edge=False, pad_edge=False, box=None, padding=(0, 2))
            for col in ("setting", "type", "default", "help"):
                table.add_column(col)
            for s in node.settings:
                table.add_row(*(Text(cell) for cell in (s.name, s.type, s.default, s.help)))
            console.print(table)
        console.print()
    return 0


SCENARIOS = ("long-session",)  # what ``run NAME`` runs instead of a graph (see ``_scenario``)


def _scenario(args: argparse.Namespace) -> int:
    """``run long-session``: the simulated long session, fixed vs adaptive decoders (cli.decoders)."""
    from cortexlink.cli.decoders import long_session_command
    from cortexlink.decode.adaptation import ADAPTATIONS

    duration = 1800.0 if args.duration is None else args.duration
    return long_session_command(duration, ADAPTATIONS, args.seed, speed=args.speed or "max")


def _run(args: argparse.Namespace) -> int:
    from pathlib import Path

    if args.graph in SCENARIOS and not Path(args.graph).exists():
        return _scenario(args)
    if args.speed not in (None, "1", "1.0"):
        from cortexlink.core.errors import InvalidParameterError

        raise InvalidParameterError(f"--speed is for the scenarios ({', '.join(SCENARIOS)}); "
                                    "a graph runs in real time")
    from rich.console import Console

    from cortexlink.graph.report import status_table
    from cortexlink.graph.states import QUIET_STATES
    from cortexlink.nodes.run import run

    console = Console() if sys.stdout.isatty() else Console(width=160)
    err = Console(stderr=True)
    live = None
    if sys.stdout.isatty():
        from rich.live import Live

        live = Live(console=console, refresh_per_second=4, transient=True)

    def say(line: str) -> None:
        (live.console if live is not None and live.is_started else err).print(line, markup=False,
                                                                              highlight=False)

    def on_event(nick: str, state: str, message: str) -> None:
        if state not in QUIET_STATES:
            say(f"[{nick}] {state}: {message}" if message else f"[{nick}] {state}")

    def on_tick(nodes: list, elapsed: float) -> None:
        if live is not None:
            if not live.is_started:
                live.start()
            live.update(status_table(nodes, elapsed))

    try:
        report = run(args.graph, transport=args.transport, redis_url=args.redis_url, duration=args.duration,
                     buffer_s=args.buffer, machine=args.machine, pm_qos=args.pm_qos, log=say,
                     on_event=on_event, on_tick=on_tick,
                     **({"keep_streams": True} if args.keep_streams else {}))
    finally:
        if live is not None:
            live.stop()
    console.print(report.table())
    for line in report.lines():
        console.print(line, markup=False, highlight=False)
    if report.interrupted:
        err.print("cortexlink: interrupted", markup=False, highlight=False)
    return report.exit_code


def _agent(args: argparse.Namespace) -> int:
    from rich.console import Console

    from cortexlink.graph.agent import serve_agent

    err = Console(stderr=True)
    serve_agent(args.redis_url, args.machine, pm_qos=args.pm_qos,
                log=lambda line: err.print(line, markup=False, highlight=False))
    return 0
