"""The scheduling ILP: a solver-neutral model built from a ``System``, and its HiGHS solve.

Variables: electrodes per flow (integer), PE enabled per implant (binary: leakage is paid when on,
capacity f_max when on), electrodes digitised per implant, radio slots (binary used, integer
packets). Constraints, each row named by its family so an infeasible plan can say which binds:
``channels`` (an implant's electrodes per task), ``capacity`` (a PE's electrodes at f_max),
``power`` (per implant, all PEs, ADC, radios, NVM, DAC at once), ``radio`` (the TDMA frame fits one
window; one user at a time) and ``latency`` (each flow's PE latency plus its slot's end, earliest
deadline first). The full formulation has variables per implant; the reduced one (Hull VI-H) solves
one implant of N identical ones and replicates it. ``Milp.write_mps`` gives the same model to
other solvers (GLPK, CBC) for the benchmark.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cortexlink.core.errors import InvalidParameterError
from cortexlink.fabric.model import PACKET_OVERHEAD_BITS, PACKET_PAYLOAD_BITS, System, fixed_power_mw

__all__ = ["Milp", "Solution", "build_milp", "solve_highs", "reduction_blocker", "FAMILIES"]

FAMILIES = ("channels", "capacity", "power", "radio", "latency", "minimum")


@dataclass
class Milp:
    """A maximisation MILP: columns with bounds, costs, integrality; rows ``lo <= a.x <= hi``."""

    names: list[str] = field(default_factory=list)
    lb: list[float] = field(default_factory=list)
    ub: list[float] = field(default_factory=list)
    cost: list[float] = field(default_factory=list)
    integer: list[bool] = field(default_factory=list)
    rows: list[tuple[dict[int, float], float, float, str, str]] = field(default_factory=list)
    fixed_by: dict[int, str] = field(default_factory=dict)  # column fixed to 0 -> family that fixed it
    flow_col: dict[int, int] = field(default_factory=dict)  # flow index -> its electrodes column
    replicas: int = 1  # reduced: every modelled flow stands for N

    def col(self, name: str, lb: float, ub: float, cost: float = 0.0, integer: bool = False) -> int:
        self.names.append(name)
        self.lb.append(lb)
        self.ub.append(ub)
        self.cost.append(cost)
        self.integer.append(integer)
        return len(self.names) - 1

    def row(self, coefs: dict[int, float], lo: float, hi: float, family: str, name: str) -> None:
        coefs = {k: v for k, v in coefs.items() if v != 0.0}
        if coefs:
            self.rows.append((coefs, lo, hi, family, name))

    def without(self, families: set[str]) -> Milp:
        """The same model with the rows (and zero-fixings) of ``families`` dropped."""
        out = Milp(
            list(self.names),
            list(self.lb),
            list(self.ub),
            list(self.cost),
            list(self.integer),
            [r for r in self.rows if r[3] not in families],
            {k: v for k, v in self.fixed_by.items() if v not in families},
            dict(self.flow_col),
            self.replicas,
            dict(self._orig_ub),
        )
        for colidx, fam in self.fixed_by.items():
            if fam in families:
                out.ub[colidx] = self._orig_ub.get(colidx, out.ub[colidx])
        return out

    _orig_ub: dict[int, float] = field(default_factory=dict)

    def to_highs(self, time_limit: float | None = None, threads: int | None = None):  # noqa: ANN201
        from cortexlink.core.optional import require

        highspy = require("highspy", "fabric", "the fabric planner's ILP")
        h = _quiet_highs(highspy)
        h.setOptionValue("output_flag", False)
        if time_limit is not None:
            h.setOptionValue("time_limit", float(time_limit))
        if threads is not None:
            h.setOptionValue("threads", int(threads))
        lp = highspy.HighsLp()
        n = len(self.names)
        lp.num_col_ = n
        lp.num_row_ = len(self.rows)
        lp.col_cost_ = np.asarray(self.cost, dtype=float)
        lp.col_lower_ = np.asarray(self.lb, dtype=float)
        lp.col_upper_ = np.asarray(self.ub, dtype=float)
        lp.row_lower_ = np.asarray([r[1] for r in self.rows], dtype=float)
        lp.row_upper_ = np.asarray([r[2] for r in self.rows], dtype=float)
        lp.sense_ = highspy.ObjSense.kMaximize
        starts, index, value = [], [], []
        by_col: dict[int, list[tuple[int, float]]] = defaultdict(list)
        for r, (coefs, *_rest) in enumerate(self.rows):
            for c, v in coefs.items():
                by_col[c].append((r, v))
        for c in range(n):
            starts.append(len(index))
            for r, v in by_col.get(c, []):
                index.append(r)
                value.append(v)
        starts.append(len(index))
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = np.asarray(starts, dtype=np.int32)
        lp.a_matrix_.index_ = np.asarray(index, dtype=np.int32)
        lp.a_matrix_.value_ = np.asarray(value, dtype=float)
        lp.a_matrix_.num_col_ = n
        lp.a_matrix_.num_row_ = len(self.rows)
        lp.integrality_ = [
            highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous for i in self.integer
        ]
        lp.col_names_ = list(self.names)
        lp.row_names_ = [r[4] for r in self.rows]
        h.passModel(lp)
        return h

    def write_mps(self, path: str | Path) -> Path:
        """The model as a free-format MPS file (what GLPK's glpsol and CBC read), written as the
        equivalent minimisation of the negated objective (MPS readers differ on OBJSENSE)."""
        flipped = Milp(self.names, self.lb, self.ub, [-c for c in self.cost], self.integer, self.rows)
        h = flipped.to_highs()
        from cortexlink.core.optional import require

        highspy = require("highspy", "fabric", "the fabric planner's ILP")
        h.changeObjectiveSense(highspy.ObjSense.kMinimize)
        h.writeModel(str(path))
        return Path(path)


def _quiet_highs(highspy):  # noqa: ANN001, ANN202
    """A ``Highs`` instance without the banner its constructor writes to stdout."""
    import os
    import sys

    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            return highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)


@dataclass
class Solution:
    status: str  # "optimal", "infeasible", "time limit", ...
    objective: float
    channels: dict[int, int]  # flow index -> electrodes
    seconds: float
    gap: float = 0.0


def build_milp(system: System, reduced: bool = False, symmetry: bool = True) -> Milp:
    """The ILP of ``system``: full (variables per implant) or ``reduced`` (one implant, replicated).
    ``symmetry`` adds rows that order identical implants (see ``_break_symmetry``)."""
    if reduced:
        why = reduction_blocker(system)
        if why:
            raise InvalidParameterError(
                f"the reduced ILP needs identical implants with symmetric flows: {why}; "
                f"plan without --reduced"
            )
    cat, E = system.catalog, system.electrodes
    n = system.n_implants
    N = float(n)
    modelled = [0] if reduced else list(range(n))
    flows = [f for f in system.flows if f.source in modelled]
    m = Milp(replicas=n if reduced else 1)
    lat = float(system.latency_ms)  # type: ignore[arg-type]
    mbps = cat.channel_mbps
    x, u, pk = {}, {}, {}
    for f in flows:
        name = f"x_{system.app.tasks[f.task].name}_{f.variant.name}_{f.source}"
        cost = system.weight(f) * mbps * (N if reduced else 1.0)
        x[f.index] = m.col(name, 0, E, cost, True)
        m.flow_col[f.index] = x[f.index]
        if system.weight(f) == 0:
            m.ub[x[f.index]] = 0  # a task nobody values only takes power and radio time from the others
        elif f.pre_ms + f.post_ms > lat + 1e-9 or (f.radio and f.deadline_ms(lat) <= 0):
            m._orig_ub[x[f.index]] = E
            m.ub[x[f.index]] = 0
            m.fixed_by[x[f.index]] = "latency"
        needs_used = f.radio is not None or any(s.per == "source" for s in f.variant.steps)
        if needs_used:
            u[f.index] = m.col(f"used_{f.index}", 0, 1, 0.0, True)
            m.row({x[f.index]: 1.0, u[f.index]: -E}, -math.inf, 0.0, "channels", f"use_{f.index}")
        if f.radio is not None:
            pk[f.index] = m.col(f"packets_{f.index}", 0, math.inf, 0.0, True)

    # electrodes per task and implant; electrodes digitised
    adc = {i: m.col(f"adc_{i}", 0, E) for i in modelled}
    for i in modelled:
        for t, task in enumerate(system.app.tasks):
            coefs = {x[f.index]: 1.0 for f in flows if f.source == i and f.task == t}
            m.row(coefs, -math.inf, E, "channels", f"electrodes_{task.name}_{i}")
            m.row({**coefs, adc[i]: -1.0}, -math.inf, 0.0, "channels", f"adc_{task.name}_{i}")

    # PE loads (electrodes at f_max) per implant
    loads: dict[tuple[str, int], dict[int, float]] = defaultdict(lambda: defaultdict(float))
    for f in flows:
        for step in f.variant.steps:
            places = system.places(f, step.at)
            if reduced and step.at == "receiver":
                places = [(0, N - 1)]  # the N-1 identical peers' flows all land here
            for imp, mult in places:
                if imp not in modelled:
                    continue
                col = u[f.index] if step.per == "source" else x[f.index]
                for p in step.pes:
                    loads[(p, imp)][col] += mult * step.work
    enabled = {}
    for (p, imp), coefs in loads.items():
        enabled[(p, imp)] = m.col(f"on_{p}_{imp}", 0, 1, 0.0, True)
        m.row(
            {**coefs, enabled[(p, imp)]: -float(cat.pe(p).capacity)},
            -math.inf,
            0.0,
            "capacity",
            f"capacity_{p}_{imp}",
        )

    # radios
    intra = [f for f in flows if f.radio == "intra"]
    radio_on = m.col("radio_intra_on", 0, 1, 0.0, True) if intra else None
    external_on = {}
    window = system.app.window_ms
    durations: dict[int, dict[int, float]] = {}
    for f in flows:
        if f.radio is None:
            continue
        send = f.send
        assert send is not None
        rate = (
            cat["radio_intra" if f.radio == "intra" else "radio_external"]["rate_mbps"] * 1e3
        )  # bits per ms
        guard = cat["radio_intra"]["slot_guard_us"] / 1e3 if f.radio == "intra" else 0.0
        per_ch = send.bits_per_channel * system.app.tasks[f.task].fraction / send.compression
        m.row(
            {pk[f.index]: -PACKET_PAYLOAD_BITS, x[f.index]: per_ch, u[f.index]: send.bits_fixed},
            -math.inf,
            0.0,
            "radio",
            f"packets_{f.index}",
        )
        m.row({pk[f.index]: -1.0, u[f.index]: 1.0}, -math.inf, 0.0, "radio", f"packet_min_{f.index}")
        durations[f.index] = {
            x[f.index]: per_ch / rate,
            u[f.index]: send.bits_fixed / rate + guard,
            pk[f.index]: PACKET_OVERHEAD_BITS / rate,
        }
        if f.radio == "intra":
            m.row({u[f.index]: 1.0, radio_on: -1.0}, -math.inf, 0.0, "power", f"radio_on_{f.index}")
        else:
            k = f.source
            if k not in external_on:
                external_on[k] = m.col(f"radio_external_on_{k}", 0, 1, 0.0, True)
            m.row({u[f.index]: 1.0, external_on[k]: -1.0}, -math.inf, 0.0, "power", f"external_on_{f.index}")
    scale = N if reduced else 1.0
    lanes: dict[str, list] = {"intra": intra}
    for k in external_on:
        lanes[f"external_{k}"] = [f for f in flows if f.radio == "external" and f.source == k]
    for lane, members in lanes.items():
        if not members:
            continue
        s = scale if lane == "intra" else 1.0
        m.row(_sum(durations[f.index] for f in members) | {}, -math.inf, window, "radio", f"frame_{lane}")
        if s != 1.0:
            m.rows[-1] = ({c: v * s for c, v in m.rows[-1][0].items()}, *m.rows[-1][1:])
        for deadline in sorted({f.deadline_ms(lat) for f in members if f.deadline_ms(lat) > 0}):
            if deadline >= window:
                continue  # the frame row already holds it
            early = [f for f in members if f.deadline_ms(lat) <= deadline + 1e-12]
            coefs = {c: v * s for c, v in _sum(durations[f.index] for f in early).items()}
            m.row(coefs, -math.inf, deadline, "latency", f"deadline_{lane}_{deadline:.4f}ms")

    # power per implant (mW)
    for i in modelled:
        coefs: dict[int, float] = defaultdict(float)
        for (p, imp), load in loads.items():
            if imp != i:
                continue
            pe = cat.pe(p)
            coefs[enabled[(p, imp)]] += pe.leakage_uw / 1e3
            for col, v in load.items():
                coefs[col] += pe.dynamic_uw_per_electrode / 1e3 * v
        coefs[adc[i]] += cat.adc_mw_per_electrode
        if radio_on is not None:
            coefs[radio_on] += cat["radio_intra"]["power_mw"]
        if i in external_on:
            coefs[external_on[i]] += cat["radio_external"]["power_mw"]
        m.row(
            dict(coefs),
            -math.inf,
            float(system.power_cap_mw) - fixed_power_mw(system),  # type: ignore[arg-type]
            "power",
            f"power_{i}",
        )
    if symmetry and not reduced:
        _break_symmetry(m, system, flows, x)
    return m


def _break_symmetry(m: Milp, system: System, flows: list, x: dict[int, int]) -> None:
    """Identical implants can be renumbered in any solution: order them by the weighted electrodes they carry
    (implant 0 stays apart when it leads or is the central processor). Cuts only copies of
    solutions, never a better one; it spares branch-and-bound the N! relabellings."""
    first = 1 if system.central or reduction_blocker(system) else 0
    peers = list(range(first, system.n_implants))
    for a, b in zip(peers, peers[1:], strict=False):
        coefs: dict[int, float] = defaultdict(float)
        for f in flows:
            if f.source == a:
                coefs[x[f.index]] += system.weight(f)
            elif f.source == b:
                coefs[x[f.index]] -= system.weight(f)
        m.row(dict(coefs), 0.0, math.inf, "symmetry", f"order_{a}_{b}")


def add_minimums(m: Milp, system: System, minimum: dict[str, int]) -> None:
    """Require at least ``minimum[task]`` electrodes in total for each named task."""
    for name, need in minimum.items():
        t = [k for k, task in enumerate(system.app.tasks) if task.name == name]
        if not t:
            system.app.task(name)  # raises, naming the tasks
        coefs = {
            m.flow_col[f.index]: float(m.replicas)
            for f in system.flows
            if f.task == t[0] and f.index in m.flow_col
        }
        m.rows.append((coefs, float(need), math.inf, "minimum", f"minimum_{name}"))


def _sum(parts) -> dict[int, float]:  # noqa: ANN001
    out: dict[int, float] = defaultdict(float)
    for part in parts:
        for c, v in part.items():
            out[c] += v
    return dict(out)


def reduction_blocker(system: System) -> str:
    """Why the reduced ILP cannot stand for ``system`` ("" when it can)."""
    if system.central:
        return f"{system.arch} has one processor"
    for f in system.flows:
        if f.send is not None and f.send.pattern in ("all-to-one", "one-to-all"):
            return f"{system.app.name} has a leader ({f.send.pattern} in {f.variant.name})"
    return ""


def solve_highs(m: Milp, time_limit: float | None = None, threads: int | None = None) -> Solution:
    """Solve with HiGHS; channels read back per flow (rounded integers)."""
    import time

    h = m.to_highs(time_limit, threads)
    t0 = time.perf_counter()
    h.run()
    seconds = time.perf_counter() - t0
    status = h.modelStatusToString(h.getModelStatus()).lower()
    info = h.getInfo()
    if "optimal" in status:
        status = "optimal"
    elif "infeasible" in status:
        return Solution("infeasible", math.nan, {}, seconds)
    elif "time limit" in status:
        status = "time limit"
    values = np.asarray(h.getSolution().col_value) if len(m.names) else np.zeros(0)
    if values.size == 0:
        return Solution(status, math.nan, {}, seconds)
    channels = {f: int(round(values[c])) for f, c in m.flow_col.items() if round(values[c]) > 0}
    return Solution(
        status, float(info.objective_function_value), channels, seconds, float(getattr(info, "mip_gap", 0.0))
    )
