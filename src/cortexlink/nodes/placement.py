"""``place_graph``: put a graph's nodes on machines and cores (``cortexlink graph place``).

Reads the graph, takes each node's CPU time per chunk from a costs file or measures it with a
short run (the median ``proc`` time of the run's latency table), solves ``fabric.placement`` and
writes the graph file again with ``machine`` and ``cpu_affinity`` set on every node. With one
machine in the file only ``cpu_affinity`` is written (the graph stays runnable here).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cortexlink.core.errors import InvalidParameterError
from cortexlink.core.paths import writing
from cortexlink.fabric.catalog import read_data_file
from cortexlink.fabric.placement import Machine, Placement, PlacementNode, place
from cortexlink.graph.plan import GraphPlan, load_plan
from cortexlink.nodes import BUILTIN_NODES

__all__ = ["PlacedGraph", "place_graph", "placed_graph_path", "read_machines", "measure_costs"]


@dataclass
class PlacedGraph:
    placement: Placement
    costs_us: dict[str, float]
    text: str  # the placed graph file
    path: Path | None  # where it was written

    def lines(self) -> list[str]:
        out = [f"{'node':<16}{'cpu_us/chunk':>13}  machine:core  arrival_us"]
        for nick, (machine, core) in self.placement.where.items():
            out.append(
                f"{nick:<16}{self.costs_us[nick]:>13.1f}  {machine}:{core:<6} "
                f"{self.placement.arrival_us[nick]:>10.1f}"
            )
        out.append(
            f"planned critical-path latency {self.placement.latency_us:.1f} us "
            f"({self.placement.status}, solved in {self.placement.seconds:.3f} s)"
        )
        return out


def read_machines(path: str | Path) -> tuple[list[Machine], dict[str, float]]:
    """Machines (``machines: [{name, cores}]``) and hop costs (``local_hop_us``, ``remote_hop_us``)."""
    raw = read_data_file(path)
    items = raw.get("machines") if isinstance(raw, dict) else None
    if not isinstance(items, list) or not items:
        raise InvalidParameterError(f"{path}: missing field machines (a list of {{name, cores}})")
    machines = []
    for k, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise InvalidParameterError(f"{path}: machines[{k}] needs a field name")
        cores = item.get("cores")
        if not isinstance(cores, int) or isinstance(cores, bool) or cores < 1:
            raise InvalidParameterError(
                f"{path}: machines[{k}].cores must be a whole number >= 1, got {cores!r}"
            )
        machines.append(Machine(item["name"], cores))
    hops = {
        k: float(raw[k]) for k in ("local_hop_us", "remote_hop_us") if isinstance(raw.get(k), (int, float))
    }
    return machines, hops


def measure_costs(plan: GraphPlan, seconds: float) -> dict[str, float]:
    """Each node's median CPU time per chunk (us) over a ``seconds`` run of ``plan`` here; a
    source (no processing calls) gets its process's CPU share times its chunk period."""
    from cortexlink.graph.session import run_plan

    report = run_plan(plan, duration=seconds, pm_qos=False)
    costs = {}
    for st in report.nodes:
        p50 = st.histogram("proc").percentile(50)
        if math.isnan(p50):
            share = st.cpu_percent / 100.0
            costs[st.nickname] = 0.0 if math.isnan(share) else share * _period_us(st.plan)
        else:
            costs[st.nickname] = p50 / 1e3
    return costs


def _period_us(node: Any) -> float:
    specs = list(node.outputs.values()) or list(node.inputs.values())
    periods = [1e6 * s.chunk_samples / s.sample_rate for s in specs if s.sample_rate > 0 and s.chunk_samples]
    return min(periods) if periods else 1e6


def placed_graph_path(graph: str | Path) -> Path:
    """Where ``graph place`` writes by default: beside the graph file, or in the current folder for
    a shipped graph (never into the installed package)."""
    from cortexlink.nodes import DEFAULT_GRAPH
    from cortexlink.nodes.run import builtin_graph

    path = builtin_graph(graph) or Path(graph)
    name = path.with_suffix(".placed.yaml").name
    shipped = path.resolve().parent == DEFAULT_GRAPH.parent
    return Path.cwd() / name if shipped else path.with_suffix(".placed.yaml")


def place_graph(
    graph: str | Path,
    machines: str | Path,
    *,
    costs: str | Path | dict[str, float] | None = None,
    measure_s: float = 5.0,
    out: str | Path | None = None,
    max_util: float = 0.8,
) -> PlacedGraph:
    """Place ``graph``'s nodes on the ``machines`` file's cores; write the placed graph to ``out``.

    ``graph`` is a graph file or the name of a shipped graph (``default``, ``seizure``, ...).
    """
    import yaml

    from cortexlink.nodes.run import builtin_graph

    graph = builtin_graph(graph) or Path(graph)
    plan = load_plan(graph, BUILTIN_NODES)
    mach, hops = read_machines(machines)
    if costs is None:
        cost = measure_costs(plan, measure_s)
    elif isinstance(costs, dict):
        cost = dict(costs)
    else:
        raw = read_data_file(costs)
        if not isinstance(raw, dict):
            raise InvalidParameterError(f"{costs}: costs are a mapping of node nickname to microseconds")
        cost = {str(k): float(v) for k, v in raw.items()}
    producer = {s.name: n.nickname for n in plan.nodes for s in n.outputs.values()}
    nodes = []
    for n in plan.nodes:
        if n.nickname not in cost:
            raise InvalidParameterError(f"no CPU time for node {n.nickname!r}; give it in the costs file")
        parents = tuple(dict.fromkeys(producer[s.name] for s in n.inputs.values() if s.name in producer))
        nodes.append(PlacementNode(n.nickname, cost[n.nickname], _period_us(n), parents))
    placement = place(nodes, mach, max_util=max_util, **hops)
    doc = yaml.safe_load(Path(graph).read_text(encoding="utf-8"))
    for entry in doc.get("nodes", []):
        nick = entry.get("nickname", entry.get("name"))
        machine, core = placement.where[nick]
        if len(mach) > 1:
            entry["machine"] = machine
        entry["cpu_affinity"] = [core]
    text = yaml.safe_dump(doc, sort_keys=False)
    path = None
    if out is not None:
        path = Path(out)
        with writing(path):
            path.write_text(text, encoding="utf-8")
    return PlacedGraph(placement, {n.name: n.cost_us for n in nodes}, text, path)
