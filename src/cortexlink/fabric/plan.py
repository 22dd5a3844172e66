"""``plan``: map an application onto implants in one call, and ``sweep`` it over implant counts.

``plan("seizure", implants=11)`` builds the ILP (``fabric.ilp``), solves it with HiGHS, checks the
schedule it returns against every constraint (``fabric.model.evaluate``) and returns a ``Plan``:
channels and throughput per task, each implant's PEs, clock dividers and power, the TDMA slots.
When a required minimum cannot be met the error says which constraint family binds.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cortexlink.core.errors import InvalidParameterError
from cortexlink.fabric.apps import App, load_app
from cortexlink.fabric.catalog import Catalog, load_catalog
from cortexlink.fabric.ilp import (
    FAMILIES,
    Milp,
    Solution,
    add_minimums,
    build_milp,
    reduction_blocker,
    solve_highs,
)
from cortexlink.fabric.model import Evaluation, System, evaluate

__all__ = ["Plan", "plan", "sweep", "parse_weights", "InfeasiblePlanError", "replicate"]


class InfeasiblePlanError(InvalidParameterError):
    """No schedule meets the requirements; ``binding`` names the constraint families at fault."""

    def __init__(self, message: str, binding: list[str]) -> None:
        super().__init__(message)
        self.binding = binding


@dataclass
class Plan:
    """A solved schedule: the system, the solver's answer and what the hardware would do."""

    system: System
    solution: Solution
    evaluation: Evaluation
    n_columns: int
    n_rows: int
    reduced: bool

    @property
    def throughput_mbps(self) -> dict[str, float]:
        return self.evaluation.throughput_mbps

    @property
    def total_mbps(self) -> float:
        return sum(self.evaluation.throughput_mbps.values())

    @property
    def weighted_mbps(self) -> float:
        return self.evaluation.objective

    def implants(self) -> list[dict[str, Any]]:
        """Per implant: power (mW) and each enabled PE's electrodes and clock divider."""
        cat = self.system.catalog
        out = []
        for i in range(self.system.n_implants):
            pes = {
                p: {
                    "electrodes": round(load, 3),
                    "divider": cat.pe(p).divider(load),
                    "clock_mhz": round(cat.pe(p).max_freq_mhz / max(cat.pe(p).divider(load), 1), 4),
                }
                for (p, imp), load in sorted(self.evaluation.pe_load.items())
                if imp == i and load > 0
            }
            out.append({"implant": i, "power_mw": round(self.evaluation.power_mw[i], 4), "pes": pes})
        return out

    def channels_per_task(self) -> dict[str, int]:
        out = {t.name: 0 for t in self.system.app.tasks}
        for f in self.system.flows:
            out[self.system.app.tasks[f.task].name] += self.evaluation.channels.get(f.index, 0)
        return out

    def to_dict(self) -> dict[str, Any]:
        s = self.system
        return {
            "app": s.app.name,
            "arch": s.arch,
            "implants": s.n_implants,
            "power_cap_mw": s.power_cap_mw,
            "latency_ms": s.latency_ms,
            "weights": list(s.weights or ()),
            "reduced": self.reduced,
            "status": self.solution.status,
            "solve_s": self.solution.seconds,
            "channels": self.channels_per_task(),
            "throughput_mbps": self.throughput_mbps,
            "weighted_mbps": self.weighted_mbps,
            "per_implant": self.implants(),
            "tdma": [vars(slot) for slot in self.evaluation.slots],
        }


def parse_weights(text: str | None, app: App) -> tuple[float, ...] | None:
    """``"1:1:1"`` -> one weight per task of ``app`` (None keeps the file's weights)."""
    if text is None:
        return None
    try:
        values = tuple(float(v) for v in str(text).split(":"))
    except ValueError:
        raise InvalidParameterError(f"weights look like 1:1:1 (one number per task), got {text!r}") from None
    if len(values) != len(app.tasks) or any(v < 0 for v in values):
        raise InvalidParameterError(
            f"weights need {len(app.tasks)} numbers >= 0 "
            f"({':'.join(t.name for t in app.tasks)}), got {text!r}"
        )
    return values


def plan(
    app: str | Path | App = "seizure",
    implants: int = 1,
    *,
    weights: str | tuple[float, ...] | None = None,
    power_mw: float | None = None,
    latency_ms: float | None = None,
    arch: str = "hull",
    reduced: bool = False,
    catalog: str | Path | Catalog | None = None,
    minimum: dict[str, int] | None = None,
    time_limit: float | None = None,
) -> Plan:
    """Plan ``app`` on ``implants`` implants and return the checked schedule (see module doc).

    ``weights`` per task ("1:1:1"), ``power_mw`` per implant (default the catalogue's 15 mW),
    ``latency_ms`` (default the app's 10 ms), ``arch`` hull|hull-nohash|central|central-nohash,
    ``reduced`` the one-implant-replicated ILP, ``minimum`` electrodes required per task.
    """
    cat = catalog if isinstance(catalog, Catalog) else load_catalog(catalog)
    application = app if isinstance(app, App) else load_app(app, cat)
    if isinstance(weights, str):
        weights = parse_weights(weights, application)
    system = System(cat, application, implants, arch, power_mw, latency_ms, weights)
    m = build_milp(system, reduced)
    if minimum:
        add_minimums(m, system, minimum)
    solution = solve_highs(m, time_limit)
    if solution.status == "infeasible":
        binding = explain_infeasible(m)
        raise InfeasiblePlanError(
            f"no schedule of {application.name} on {implants} implant(s) ({arch}) meets "
            f"{_describe(minimum)}: the {' and '.join(binding) or 'combined'} constraint"
            f"{'s bind' if len(binding) != 1 else ' binds'} ({_hint(binding)})",
            binding,
        )
    channels = replicate(system, solution.channels) if reduced else solution.channels
    evaluation = evaluate(system, channels)
    if evaluation.violations:
        raise RuntimeError(f"the ILP returned a schedule that breaks {evaluation.violations[0]}")
    return Plan(system, solution, evaluation, len(m.names), len(m.rows), reduced)


def replicate(system: System, channels: dict[int, int]) -> dict[int, int]:
    """A reduced solution (implant 0's flows) copied onto every implant."""
    key = {(f.task, f.variant.name, f.source): f.index for f in system.flows}
    out = {}
    for f in system.flows:
        x = channels.get(key.get((f.task, f.variant.name, 0), -1), 0)
        if x:
            out[f.index] = x
    return out


def explain_infeasible(m: Milp) -> list[str]:
    """The constraint families whose removal alone makes ``m`` feasible (else pairs of them)."""
    families = [
        f for f in FAMILIES if f != "minimum" and any(r[3] == f for r in m.rows) or f in m.fixed_by.values()
    ]
    single = [f for f in families if solve_highs(m.without({f}), time_limit=30).status != "infeasible"]
    if single:
        return single
    pairs = [
        f"{a}+{b}"
        for k, a in enumerate(families)
        for b in families[k + 1 :]
        if solve_highs(m.without({a, b}), time_limit=30).status != "infeasible"
    ]
    return pairs


_HINTS = {
    "power": "raise --power-mw or ask for fewer electrodes",
    "latency": "raise --latency-ms: the PEs' latency plus the radio slots exceed it",
    "radio": "fewer implants or electrodes: the TDMA frame is full",
    "capacity": "a PE cannot handle more electrodes even at its maximum clock",
    "channels": "each implant has only so many electrodes",
}


def _hint(binding: list[str]) -> str:
    return "; ".join(_HINTS.get(b, b) for b in binding) or "no single constraint is at fault"


def _describe(minimum: dict[str, int] | None) -> str:
    return ", ".join(f"{v} electrodes of {k}" for k, v in (minimum or {}).items()) or "the requirements"


def sweep(
    app: str | Path | App = "seizure",
    implants: range | list[int] = range(1, 17),
    *,
    archs: tuple[str, ...] = ("hull",),
    weights: list[str | tuple[float, ...] | None] | None = None,
    reduced: bool = False,
    catalog: str | Path | Catalog | None = None,
    power_mw: float | None = None,
    latency_ms: float | None = None,
    plot: str | Path | None = None,
) -> list[dict[str, Any]]:
    """Throughput vs implant count per architecture and weight choice (Hull Fig. 7b/8a rows)."""
    cat = catalog if isinstance(catalog, Catalog) else load_catalog(catalog)
    application = app if isinstance(app, App) else load_app(app, cat)
    rows = []
    for arch in archs:
        for w in weights or [None]:
            for n in implants:
                # the reduced ILP where it applies (identical implants, no leader), else the full one
                one = System(cat, application, n, arch) if reduced else None
                p = plan(
                    application,
                    n,
                    weights=w,
                    arch=arch,
                    reduced=reduced and one is not None and not reduction_blocker(one),
                    catalog=cat,
                    power_mw=power_mw,
                    latency_ms=latency_ms,
                )
                label = ":".join(f"{v:g}" for v in p.system.weights or ())
                rows.append(
                    {
                        "arch": arch,
                        "weights": label,
                        "implants": n,
                        "weighted_mbps": p.weighted_mbps,
                        **{f"{k}_mbps": v for k, v in p.throughput_mbps.items()},
                        "solve_s": p.solution.seconds,
                    }
                )
    if plot is not None:
        from cortexlink.fabric.plots import plot_sweep

        plot_sweep(rows, application, plot)
    return rows
