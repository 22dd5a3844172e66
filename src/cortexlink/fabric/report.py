"""Plain-text renderings of a plan and of a sweep (what the CLI prints)."""

from __future__ import annotations

from typing import Any

from cortexlink.fabric.plan import Plan

__all__ = ["plan_lines", "sweep_lines"]


def plan_lines(p: Plan) -> list[str]:
    s = p.system
    lines = [
        f"{s.app.name} on {s.n_implants} implant(s), {s.arch}, cap {s.power_cap_mw:g} mW, "
        f"latency {s.latency_ms:g} ms, weights {':'.join(f'{w:g}' for w in s.weights or ())}"
        f"{', reduced ILP' if p.reduced else ''}",
        f"ILP: {p.n_columns} variables, {p.n_rows} rows, {p.solution.status} in {p.solution.seconds:.3f} s",
        "",
        f"{'task':<12}{'electrodes':>11}{'Mbps':>10}",
    ]
    channels = p.channels_per_task()
    for task in s.app.tasks:
        lines.append(f"{task.name:<12}{channels[task.name]:>11}{p.throughput_mbps[task.name]:>10.1f}")
    lines += [
        f"{'total':<12}{sum(channels.values()):>11}{p.total_mbps:>10.1f}   weighted {p.weighted_mbps:.1f}",
        "",
        "implant  power_mW  PEs (electrodes / clock divider)",
    ]
    for imp in p.implants():
        pes = " ".join(f"{n}:{v['electrodes']:g}/{v['divider']}" for n, v in imp["pes"].items())
        lines.append(f"{imp['implant']:>7}  {imp['power_mw']:>8.3f}  {pes}")
    if p.evaluation.slots:
        lines += ["", "TDMA slot  task        implant  start_ms   end_ms    bits  packets  radio"]
        for k, sl in enumerate(p.evaluation.slots):
            lines.append(
                f"{k:>9}  {sl.task:<10}{sl.source:>9}{sl.start_ms:>10.4f}{sl.end_ms:>9.4f}"
                f"{sl.bits:>8.0f}{sl.packets:>9}  {sl.radio}"
            )
    return lines


def sweep_lines(rows: list[dict[str, Any]]) -> list[str]:
    if not rows:
        return []
    tasks = [k for k in rows[0] if k.endswith("_mbps") and k != "weighted_mbps"]
    head = f"{'arch':<15}{'weights':<10}{'implants':>8}" + "".join(f"{t[:-5]:>10}" for t in tasks)
    out = [head + f"{'weighted':>10}{'solve_s':>9}"]
    for r in rows:
        out.append(
            f"{r['arch']:<15}{r['weights']:<10}{r['implants']:>8}"
            + "".join(f"{r[t]:>10.1f}" for t in tasks)
            + f"{r['weighted_mbps']:>10.1f}{r['solve_s']:>9.3f}"
        )
    return out
