"""Tables a person reads: live node status while a graph runs and the latency table at the end."""

from __future__ import annotations

import math

from rich.table import Table

from cortexlink.graph.plan import GraphPlan
from cortexlink.graph.stats import LatencyHistogram
from cortexlink.graph.status import NodeStatus, RunResult

__all__ = ["status_table", "result_table", "summary_lines", "plan_table", "fmt_ns"]


def fmt_ns(ns: float) -> str:
    """A latency in the unit that reads best (us below 10 ms, else ms)."""
    if ns is None or (isinstance(ns, float) and math.isnan(ns)):
        return "-"
    if ns < 10_000_000:
        return f"{ns / 1e3:.0f} us"
    return f"{ns / 1e6:.1f} ms"


def status_table(nodes: list[NodeStatus], elapsed: float) -> Table:
    table = Table(title=f"cortexlink graph - {elapsed:.1f} s", title_justify="left")
    cols = ("node", "state", "pid", "restarts", "chunks in", "out", "overruns", "e2e p99", "last message")
    for col in cols:
        table.add_column(col, justify="left" if col in ("node", "state", "last message") else "right")
    for st in nodes:
        table.add_row(_label(st), st.state, str(st.pid or "-"), str(st.restarts), str(st.total_in()),
                      str(st.total_out()), str(st.total_overruns()),
                      fmt_ns(st.histogram("e2e").percentile(99)),
                      st.last_message[:50])
    return table


def result_table(result: RunResult) -> Table:
    table = Table(title=f"per-node latency in us ({result.duration_s:.1f} s run)", title_justify="left")
    cols = ("node", "kind", "state", "restarts", "chunks in", "out", "dropped", "transit p50/p99",
            "process p50/p99/max", "e2e p50/p99/max", "CPU%")
    for col in cols:
        table.add_column(col, justify="left" if col in ("node", "kind", "state") else "right")
    for st in result.nodes:
        table.add_row(
            _label(st), st.plan.kind, st.state, str(st.restarts), str(st.total_in()), str(st.total_out()),
            str(st.total_overruns()), _us(st.histogram("transit"), False), _us(st.histogram("proc")),
            _us(st.histogram("e2e")), "-" if math.isnan(st.cpu_percent) else f"{st.cpu_percent:.1f}",
        )
    return table


def _label(st: NodeStatus) -> str:
    """The nickname, with the machine a node was placed on (``mid @ rig-b``)."""
    return f"{st.nickname} @ {st.plan.machine}" if st.plan.machine else st.nickname


def _us(h: LatencyHistogram, with_max: bool = True) -> str:
    if not h.count:
        return "-"
    parts = [h.percentile(50), h.percentile(99)] + ([h.max_ns] if with_max else [])
    return " / ".join(f"{p / 1e3:.0f}" for p in parts)


def summary_lines(result: RunResult) -> list[str]:
    """End-to-end latency at each sink and the metrics nodes reported through ``context.report``."""
    lines = []
    by_nick = {st.nickname: st for st in result.nodes}
    for nick in result.sinks:
        h = by_nick[nick].histogram("e2e")
        if h.count:
            lines.append(f"end-to-end latency at {nick}: p50 {fmt_ns(h.percentile(50))}, "
                         f"p99 {fmt_ns(h.percentile(99))}, max {fmt_ns(h.max_ns)} ({h.count} chunks)")
    dropped = sum(st.total_overruns() for st in result.nodes)
    lines.append(f"chunks dropped (reader overruns): {dropped}")
    produced = [(st.nickname, st.produced_s()) for st in result.nodes
                if st.plan.is_source and st.plan.outputs]
    if produced:
        what = ", ".join(f"{nick} {s:.2f} s" for nick, s in produced)
        lines.append(f"signal produced by the sources: {what}, in {result.duration_s:.2f} s of wall clock")
    for st in result.nodes:
        for key, value in st.reports.items():
            shown = f"{value:.4g}" if isinstance(value, float) else str(value)
            lines.append(f"{st.nickname}: {key} = {shown}")
    return lines


def plan_table(plan: GraphPlan) -> Table:
    table = Table(title=f"{plan.source}: {len(plan.nodes)} nodes, {len(plan.streams)} streams",
                  title_justify="left")
    for col in ("stream", "writer", "readers", "channels", "rate (Hz)", "dtype", "max chunk"):
        table.add_column(col)
    writers = {s.name: n.nickname for n in plan.nodes for s in n.outputs.values()}
    for name, spec in plan.streams.items():
        table.add_row(name, writers.get(name, "?"), ", ".join(plan.readers.get(name, [])) or "-",
                      str(spec.n_channels), f"{spec.sample_rate:g}", spec.dtype, str(spec.chunk_samples))
    return table
