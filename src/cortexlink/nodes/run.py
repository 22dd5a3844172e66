"""``run``: a graph of nodes in real time, in one call, with the built-in node kinds.

``run()`` runs the default closed-loop graph; ``run("my_graph.yaml", transport="redis",
duration=30)`` a graph file. It returns a ``RunReport`` (see ``cortexlink.graph.session``).
The default graph calibrates its decoder on an open-loop block before closed-loop control; a
short run gets a calibration block scaled to it (see ``default_graph.fit_calibration``), and
the report's notes say so.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from cortexlink.graph.graphfile import parse_graph
from cortexlink.graph.plan import GraphPlan, load_plan, plan_graph
from cortexlink.graph.session import RunReport, TickFn, check_duration, run_plan
from cortexlink.nodes import BUILTIN_NODES, DEFAULT_GRAPH
from cortexlink.nodes.default_graph import default_graph_text, fit_calibration

__all__ = ["builtin_graph", "run", "plan_for_run"]


def builtin_graph(name: str | Path | None) -> Path | None:
    """The graph file shipped as ``nodes/graphs/<name>.yaml`` when ``name`` is a bare name that is
    not a file here (``cortexlink run record-sites``), else None."""
    bare = isinstance(name, str) and name.replace("-", "").replace("_", "").isalnum()
    if not bare or Path(name).exists():
        return None
    path = DEFAULT_GRAPH.parent / f"{name}.yaml"
    return path if path.is_file() else None


def run(graph: str | Path | GraphPlan | None = None, *, transport: str = "shm", duration: float | None = None,
        redis_url: str | None = None, buffer_s: float = 2.0, machine: str | None = None,
        pm_qos: bool = True, log: Callable[[str], None] | None = None,
        on_event: Callable[[str, str, str], None] | None = None, on_tick: TickFn | None = None,
        **supervisor_options: Any) -> RunReport:
    """Run ``graph`` (a graph file, a planned graph, or None for the default closed-loop graph).

    ``transport``: ``"shm"`` (shared memory, no service) or ``"redis"`` (at ``redis_url``, or on a
    private redis-server started and stopped here). ``duration`` in seconds (default: the graph's
    ``metadata.duration_s``, else until Ctrl-C). ``pm_qos`` holds CPUs quick to wake while it runs
    (where allowed). ``log``, ``on_event`` and ``on_tick`` are as in ``run_plan``.
    """
    check_duration(duration)
    plan, notes = plan_for_run(graph, duration)
    if transport == "redis":  # BRAND's saveNwb / stopGraphAndSaveNWB write the streams as NWB files
        from cortexlink.nodes.brand_service import export_streams_nwb

        supervisor_options.setdefault("exporter", export_streams_nwb)
    return run_plan(plan, transport=transport, redis_url=redis_url, duration=duration, buffer_s=buffer_s,
                    machine=machine, pm_qos=pm_qos, log=log, on_event=on_event, on_tick=on_tick,
                    notes=notes, **supervisor_options)


def plan_for_run(graph: str | Path | GraphPlan | None,
                 duration: float | None = None) -> tuple[GraphPlan, list[str]]:
    """The plan ``run`` would run, and the notes it would say first."""
    if isinstance(graph, GraphPlan):
        return graph, []
    builtin = builtin_graph(graph)
    if builtin is not None:   # a graph shipped in nodes/graphs: its relative paths are the caller's
        parsed = parse_graph(builtin.read_text(), source=str(builtin), base_dir=Path.cwd())
        return plan_graph(parsed, BUILTIN_NODES), []
    if graph is not None:
        return load_plan(graph, BUILTIN_NODES), []
    calibration_s, notes = fit_calibration(duration)
    text = default_graph_text(calibration_s=calibration_s)
    parsed = parse_graph(text, source=str(DEFAULT_GRAPH), base_dir=DEFAULT_GRAPH.parent)
    return plan_graph(parsed, BUILTIN_NODES), notes
