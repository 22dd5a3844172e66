"""Place the nodes of a processing graph on machines and cores with the scheduling ILP's solver.

Plain data in, no runtime: each node's CPU time per chunk (``cost_us``), its chunk period, the
edges that drive it; machines with core counts; the cost of a hop between processes on one
machine and between machines. The ILP puts every node on one core, keeps each core's utilisation
at most ``max_util``, charges a node the CPU time of the nodes sharing its core (it may have to
wait for them) and a hop for every edge, and minimises the latest sink's arrival time: the
critical path's latency. ``cortexlink.nodes.placement`` reads graphs and writes placed ones.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from cortexlink.core.errors import InvalidParameterError
from cortexlink.fabric.ilp import Milp

__all__ = ["Machine", "PlacementNode", "Placement", "place"]


@dataclass(frozen=True)
class Machine:
    name: str
    cores: int


@dataclass(frozen=True)
class PlacementNode:
    name: str
    cost_us: float  # CPU time per chunk
    period_us: float  # time between chunks
    parents: tuple[str, ...] = ()


@dataclass
class Placement:
    where: dict[str, tuple[str, int]]  # node -> (machine, core)
    latency_us: float  # planned critical-path latency
    arrival_us: dict[str, float]
    status: str
    seconds: float


def place(
    nodes: list[PlacementNode],
    machines: list[Machine],
    *,
    local_hop_us: float = 30.0,
    remote_hop_us: float = 300.0,
    max_util: float = 0.8,
    time_limit: float = 60.0,
) -> Placement:
    """The placement minimising the critical path (see module doc); nodes in dependency order."""
    if not machines or any(m.cores < 1 for m in machines):
        raise InvalidParameterError("machines need at least one machine with at least one core")
    names = [n.name for n in nodes]
    known = set(names)
    for n in nodes:
        if n.cost_us < 0 or n.period_us <= 0:
            raise InvalidParameterError(f"node {n.name}: cost_us must be >= 0 and period_us > 0")
        for p in n.parents:
            if p not in known:
                raise InvalidParameterError(f"node {n.name} reads from {p!r}, which is not in the graph")
    cores = [(m.name, c) for m in machines for c in range(m.cores)]
    m = Milp()
    a = {(n.name, k): m.col(f"a_{n.name}_{k}", 0, 1, 0.0, True) for n in nodes for k in range(len(cores))}
    big = sum(n.cost_us for n in nodes) + remote_hop_us * (len(nodes) + 1)
    arrive = {n.name: m.col(f"t_{n.name}", 0, big) for n in nodes}
    worst = m.col("latency", 0, big, -1.0)  # maximise -latency
    for n in nodes:
        m.row({a[(n.name, k)]: 1.0 for k in range(len(cores))}, 1.0, 1.0, "channels", f"one_core_{n.name}")
    for k in range(len(cores)):
        m.row(
            {a[(n.name, k)]: n.cost_us / n.period_us for n in nodes},
            -math.inf,
            max_util,
            "capacity",
            f"util_{k}",
        )
    # symmetry: on one machine the cores are interchangeable, so fill them in order
    for k in range(1, len(cores)):
        if cores[k][0] == cores[k - 1][0]:
            m.row(
                {
                    **{a[(n.name, k)]: 1.0 for n in nodes},
                    **{a[(n.name, k - 1)]: -float(len(nodes)) for n in nodes},
                },
                -math.inf,
                0.0,
                "symmetry",
                f"fill_{k}",
            )
    machine_of = {
        (n.name, mach.name): {a[(n.name, k)]: 1.0 for k, c in enumerate(cores) if c[0] == mach.name}
        for n in nodes
        for mach in machines
    }
    for n in nodes:
        # waiting for the others on my core: share[n, o] >= a[n,k] + a[o,k] - 1
        wait: dict[int, float] = {}
        for o in nodes:
            if o.name == n.name or o.cost_us == 0:
                continue
            share = m.col(f"share_{n.name}_{o.name}", 0, 1)
            for k in range(len(cores)):
                m.row(
                    {share: 1.0, a[(n.name, k)]: -1.0, a[(o.name, k)]: -1.0},
                    -1.0,
                    math.inf,
                    "latency",
                    f"share_{n.name}_{o.name}_{k}",
                )
            wait[share] = o.cost_us
        base = {arrive[n.name]: 1.0, **{c: -v for c, v in wait.items()}}
        if not n.parents:
            m.row(base, n.cost_us, math.inf, "latency", f"arrive_{n.name}")
        for p in n.parents:
            cross = m.col(f"cross_{p}_{n.name}", 0, 1)
            for mach in machines:
                coefs = {cross: 1.0}
                for c, v in machine_of[(n.name, mach.name)].items():
                    coefs[c] = coefs.get(c, 0.0) - v
                for c, v in machine_of[(p, mach.name)].items():
                    coefs[c] = coefs.get(c, 0.0) + v
                m.row(coefs, 0.0, math.inf, "latency", f"cross_{p}_{n.name}_{mach.name}")
            m.row(
                {**base, arrive[p]: -1.0, cross: -(remote_hop_us - local_hop_us)},
                n.cost_us + local_hop_us,
                math.inf,
                "latency",
                f"edge_{p}_{n.name}",
            )
    children = {p for n in nodes for p in n.parents}
    for n in nodes:
        if n.name not in children:
            m.row({worst: 1.0, arrive[n.name]: -1.0}, 0.0, math.inf, "latency", f"sink_{n.name}")
    h = m.to_highs(time_limit)
    import time

    t0 = time.perf_counter()
    h.run()
    seconds = time.perf_counter() - t0
    status = h.modelStatusToString(h.getModelStatus()).lower()
    if "infeasible" in status:
        raise InvalidParameterError(
            f"the nodes do not fit: their CPU time per chunk needs more than "
            f"{max_util:.0%} of the {len(cores)} cores given; add cores or machines"
        )
    x = h.getSolution().col_value
    where = {}
    for n in nodes:
        k = max(range(len(cores)), key=lambda k: x[a[(n.name, k)]])
        where[n.name] = cores[k]
    return Placement(
        where,
        float(x[worst]),
        {n: float(x[arrive[n]]) for n in names},
        "optimal" if "optimal" in status else status,
        seconds,
    )
