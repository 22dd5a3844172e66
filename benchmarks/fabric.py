"""The multi-implant planner against Hull's numbers and against other ILP solvers.

Sections (``--only`` picks some):

- ``solve``: the full (not reduced) ILP of the seizure application (weights 1:1:1), 1 to 16
  implants, solved by HiGHS (ours, in-process), GLPK (``glpsol``) and CBC (the binary bundled with
  ``pulp``) from the same MPS file, each capped at ``--cap`` seconds; the reduced ILP beside them.
  Hull: GLPK about 2 h at 11 implants, nothing within 24 h beyond 12; reduced < 10 ms.
- ``fig7a``: maximum aggregate throughput per task and architecture (each task alone) at 11 implants.
- ``fig7b``: the communication-dependent tasks vs implant count.
- ``fig8a``: priority-weighted throughput of the seizure application vs implant count.
- ``ber``: bit-error rates 1e-6..1e-2: erroneous hash and signal packets, DTW decisions flipped.
- ``movement``: the live movement-intent graph, per-site partial decoders vs features to one node.
- ``placement``: planned vs measured end-to-end latency of placed graphs.

``python benchmarks/fabric.py --quick`` is a small run (fewer implants, lower caps). Times are
wall-clock on whatever the machine is doing; compare rows of one run.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cortexlink.fabric.apps import load_app
from cortexlink.fabric.catalog import load_catalog
from cortexlink.fabric.ilp import build_milp, solve_highs
from cortexlink.fabric.model import System
from cortexlink.fabric.plan import plan

SECTIONS = ("solve", "fig7a", "fig7b", "fig8a", "queries", "ber", "movement", "placement")


def _glpk(mps: Path, cap: float) -> tuple[float, str, float]:
    exe = shutil.which("glpsol")
    if exe is None:
        return float("nan"), "no glpsol (apt-get install glpk-utils)", float("nan")
    out = mps.with_suffix(".glpk.txt")
    t0 = time.perf_counter()
    run = subprocess.run(
        [exe, "--freemps", str(mps), "--tmlim", str(int(cap)), "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=cap + 60,
    )
    seconds = time.perf_counter() - t0
    status = (
        "optimal"
        if "INTEGER OPTIMAL" in run.stdout
        else ("time limit" if "TIME LIMIT" in run.stdout else run.stdout.strip().splitlines()[-1][:30])
    )
    m = re.search(r"Objective:\s+\S+\s+=\s+(\S+)", out.read_text()) if out.exists() else None
    return seconds, status, -float(m.group(1)) if m else float("nan")


def _cbc(mps: Path, cap: float) -> tuple[float, str, float]:
    try:
        import pulp

        exe = pulp.apis.PULP_CBC_CMD().path
    except ImportError:
        return float("nan"), "no pulp (pip install pulp)", float("nan")
    t0 = time.perf_counter()
    run = subprocess.run(
        [exe, str(mps), "-sec", str(int(cap)), "-solve", "-quit"],
        capture_output=True,
        text=True,
        timeout=cap + 60,
    )
    seconds = time.perf_counter() - t0
    res = re.search(r"Result - (.*)", run.stdout)
    obj = re.search(r"Objective value:\s+(\S+)", run.stdout)
    status = res.group(1).strip() if res else "?"
    status = "optimal" if status.startswith("Optimal") else status[:30]
    return seconds, status, -float(obj.group(1)) if obj else float("nan")


def solve_table(implants: list[int], cap: float, solvers: tuple[str, ...] = ("highs", "glpk", "cbc")) -> None:
    cat = load_catalog()
    app = load_app("seizure", cat)
    print(f"\n== ILP solve time, seizure 1:1:1, full formulation, cap {cap:g} s per solve ==")
    print(
        f"{'implants':>8} {'vars':>6} {'rows':>6} | {'HiGHS s':>9} {'GLPK s':>9} {'CBC s':>9} | "
        f"{'GLPK/HiGHS':>10} {'CBC/HiGHS':>10} | {'reduced s':>9} | objective HiGHS / GLPK / CBC (status)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for n in implants:
            system = System(cat, app, n)
            m = build_milp(system)
            t0 = time.perf_counter()
            sol = solve_highs(m, time_limit=cap)
            hs = time.perf_counter() - t0
            mps = m.write_mps(Path(tmp) / f"seizure{n}.mps")
            skipped = (float("nan"), "not run", float("nan"))
            gs, gstat, gobj = _glpk(mps, cap) if "glpk" in solvers else skipped
            cs, cstat, cobj = _cbc(mps, cap) if "cbc" in solvers else skipped
            t0 = time.perf_counter()
            red = solve_highs(build_milp(system, reduced=True)) if n > 1 else sol
            rs = time.perf_counter() - t0
            print(
                f"{n:>8} {len(m.names):>6} {len(m.rows):>6} | {hs:>9.3f} {gs:>9.3f} {cs:>9.3f} | "
                f"{gs / hs:>10.1f} {cs / hs:>10.1f} | {rs:>9.4f} | {sol.objective:.2f} ({sol.status}) / "
                f"{gobj:.2f} ({gstat}) / {cobj:.2f} ({cstat}); reduced {red.objective:.2f}",
                flush=True,
            )
    print("Hull (GLPK, Xeon E5-2620 v3): ~2 h at 11 implants, > 24 h beyond 12; reduced < 10 ms")


FIG7A_TASKS = (
    ("seizure detection", "seizure", "1:0:0", "detect"),
    ("movement intent", "movement", None, "movement"),
    ("signal similarity", "seizure", "0:1:0", "hash"),
    ("spike sorting", "sorting", None, "sorting"),
)


def fig7a_table(n: int) -> None:
    print(f"\n== Fig. 7a: maximum aggregate throughput (Mbps), each task alone, {n} implants ==")
    archs = ("hull", "hull-nohash", "central", "central-nohash")
    print(f"{'task':<20}" + "".join(f"{a:>15}" for a in archs) + f"{'hull/central-nohash':>21}")
    paper = {
        "seizure detection": "~10x",
        "movement intent": "~10x",
        "signal similarity": "~1000x",
        "spike sorting": "~1000x",
    }
    for label, app, weights, task in FIG7A_TASKS:
        vals = []
        for arch in archs:
            reduced = not arch.startswith("central") and app != "movement"
            vals.append(plan(app, n, weights=weights, arch=arch, reduced=reduced).throughput_mbps[task])
        ratio = vals[0] / vals[3] if vals[3] else float("inf")
        print(
            f"{label:<20}" + "".join(f"{v:>15.1f}" for v in vals) + f"{ratio:>12.1f}x (paper {paper[label]})"
        )


def fig7b_table(implants: list[int]) -> None:
    print("\n== Fig. 7b: communication-dependent tasks vs implants (Mbps, each task alone) ==")
    print(f"{'implants':>8}{'hash cmp':>10}{'DTW cmp':>10}{'movement':>10}")
    for n in implants:
        h = plan("seizure", n, weights="0:1:0", reduced=n > 1).throughput_mbps["hash"]
        d = plan("seizure", n, weights="0:0:1", reduced=n > 1).throughput_mbps["dtw"]
        mv = plan("movement", n).throughput_mbps["movement"]
        print(f"{n:>8}{h:>10.1f}{d:>10.1f}{mv:>10.1f}")
    print(
        "Hull: hash comparison rises to ~470 Mbps at 10 implants then falls; DTW comparison carries ~16 of "
        "96 electrodes and falls with implants; movement grows linearly"
    )


def fig8a_table(implants: list[int], weights: tuple[str, ...]) -> None:
    print("\n== Fig. 8a: weighted throughput of seizure propagation vs implants (Mbps; reduced ILP) ==")
    print(f"{'implants':>8}" + "".join(f"{w:>12}" for w in weights))
    best: dict[str, tuple[float, int]] = {}
    for n in implants:
        row = []
        for w in weights:
            v = plan("seizure", n, weights=w, reduced=n > 1).weighted_mbps
            row.append(v)
            if v > best.get(w, (-1.0, 0))[0]:
                best[w] = (v, n)
        print(f"{n:>8}" + "".join(f"{v:>12.1f}" for v in row))
    print(
        "best implant count: "
        + ", ".join(f"{w}: {best[w][1]}" for w in weights)
        + " (Hull: 11 for equal weights)"
    )


def query_table(implants: int) -> None:
    from cortexlink.fabric.queries import query_rates

    cat = load_catalog()
    app = load_app("query", cat)
    paper = {
        (100, "q1"): "10",
        (100, "q2"): "10",
        (100, "q3"): "0.8 (1.21 s)",
        (1000, "q1"): "1",
        (1000, "q2"): "1",
        (1000, "q3"): "-",
    }
    print(f"\n== Fig. 9: interactive queries, {implants} implants (10% of windows kept by Q1/Q2) ==")
    print(f"{'history':>8} {'query':>6} {'answer MB':>10} {'latency s':>10} {'QPS':>7}  paper QPS")
    for history in (100, 1000):
        for q in query_rates(app, cat, implants, history):
            print(
                f"{history:>6}ms {q.task:>6} {q.answer_bytes / 1e6:>10.2f} {q.latency_s:>10.3f} "
                f"{q.qps:>7.2f}  {paper[(history, q.task)]}"
            )


def ber_table(packets: int) -> None:
    from cortexlink.fabric.errors_sim import ber_experiment

    print(f"\n== Fig. 12: bit errors ({packets} hash and {packets} signal packets per BER) ==")
    print(
        f"{'BER':>8}{'hash pkts w/ error':>20}{'signal pkts w/ error':>22}{'DTW decisions flipped':>23}"
        f"{'CRC missed':>11}"
    )
    for r in ber_experiment(packets=packets):
        print(
            f"{r.ber:>8.0e}{r.hash_errors:>20.4f}{r.signal_errors:>22.4f}{r.dtw_flips:>23.4f}{r.crc_missed:>11}"
        )
    print(
        "hash packets with a bad CRC are dropped; signal packets are kept (Hull's policy). "
        "Hull: radio BER < 1e-4; DTW outcome unaffected"
    )


def placement_table(seconds: float) -> None:
    import yaml

    from cortexlink.fabric.placement import Machine
    from cortexlink.graph.plan import load_plan
    from cortexlink.nodes import BUILTIN_NODES, DEFAULT_GRAPH
    from cortexlink.nodes.placement import measure_costs, place_graph
    from cortexlink.nodes.run import run

    print(f"\n== Placement: default BCI graph, CPU time per chunk from a {seconds:g} s run here ==")
    plan0 = load_plan(DEFAULT_GRAPH, BUILTIN_NODES)
    costs = measure_costs(plan0, seconds)
    print("measured us/chunk: " + ", ".join(f"{k} {v:.0f}" for k, v in costs.items()))
    print(f"{'machines x cores':<18}{'planned us':>11}{'solve s':>9}  nodes per machine")
    with tempfile.TemporaryDirectory() as tmp:
        here = None
        for n_mach, cores in ((1, 2), (1, 4), (2, 2), (2, 8), (4, 2), (4, 16)):
            mfile = Path(tmp) / f"m{n_mach}x{cores}.yaml"
            mfile.write_text(
                yaml.safe_dump({"machines": [vars(Machine(f"m{k}", cores)) for k in range(n_mach)]})
            )
            out = Path(tmp) / f"placed{n_mach}x{cores}.yaml"
            placed = place_graph(DEFAULT_GRAPH, mfile, costs=costs, out=out)
            spread: dict[str, int] = {}
            for machine, _core in placed.placement.where.values():
                spread[machine] = spread.get(machine, 0) + 1
            print(
                f"{n_mach} x {cores:<14}{placed.placement.latency_us:>11.1f}"
                f"{placed.placement.seconds:>9.3f}  {spread}"
            )
            if (n_mach, cores) == (1, 2):
                here = (out, placed.placement.latency_us)
        assert here is not None
        report = run(str(here[0]), duration=seconds, pm_qos=False)
        sinks = load_plan(here[0], BUILTIN_NODES).sinks()
        for st in report.nodes:
            if st.nickname in sinks:
                h = st.histogram("e2e")
                print(
                    f"measured on this machine (1 x 2 cores, placed): {st.nickname} e2e p50 "
                    f"{h.percentile(50) / 1e3:.0f} us, p99 {h.percentile(99) / 1e3:.0f} us; planned "
                    f"{here[1]:.0f} us (CPU time and hops only: the planned figure leaves out the wait for a "
                    f"bin to fill and the source's pacing)"
                )
    print("graphs across machines need agents on those machines: planned figures only for more than one")


def movement_table(sites: list[int], seconds: float) -> None:
    from cortexlink.nodes.movement_graph import features_to_one_graph, movement_sites_graph
    from cortexlink.nodes.run import run

    print(f"\n== Movement intent live, 96 channels per site, {seconds:g} s runs (3 s calibration) ==")
    print(
        f"{'sites':>5}  {'graph':<22}{'bytes/decision':>15}{'task e2e p50 ms':>16}{'p99 ms':>9}"
        f"{'leader p50/p99 ms':>19}{'signal s / wall s':>19}{'vel. corr':>10}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for k in sites:
            for label, make in (
                ("partial + leader", movement_sites_graph),
                ("features to one node", features_to_one_graph),
            ):
                path = Path(tmp) / f"{label[:4]}{k}.yaml"
                path.write_text(make(k, calibration_s=3.0, duration_s=seconds))
                report = run(str(path), pm_qos=False)
                nodes = {st.nickname: st for st in report.nodes}
                e2e = nodes["task"].histogram("e2e")
                m = report.metrics
                if "leader" in m:
                    bytes_ = m["leader"]["bytes_per_decision"]
                    lead = (
                        f"{m['leader'].get('decision_latency_p50_ms', float('nan')):.1f}/"
                        f"{m['leader'].get('decision_latency_p99_ms', float('nan')):.1f}"
                    )
                else:
                    bytes_, lead = k * 2 * 96 * 4, "-"
                produced = next((line for line in report.summary if line.startswith("signal produced")), "")
                got = re.findall(r"([0-9.]+) s", produced)
                ratio = f"{got[0]} / {got[1]}" if len(got) >= 2 else "?"
                corr = m.get("task", {}).get("velocity_corr")
                print(
                    f"{k:>5}  {label:<22}{bytes_:>15}{e2e.percentile(50) / 1e6:>16.1f}"
                    f"{e2e.percentile(99) / 1e6:>9.1f}{lead:>19}{ratio:>19}"
                    f"{corr if corr is not None else float('nan'):>10.3f}",
                    flush=True,
                )
    print("bytes/decision: 3 float32 rows (vx, vy, live) per site vs 2 x 96 float32 features per site")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="fewer implants, lower caps, fewer packets")
    parser.add_argument("--only", nargs="*", choices=SECTIONS, default=None)
    parser.add_argument(
        "--cap", type=float, default=None, help="seconds per ILP solve (default 600; quick 20)"
    )
    parser.add_argument(
        "--solvers",
        nargs="*",
        choices=("highs", "glpk", "cbc"),
        default=None,
        help="solvers of the solve table (default all three; HiGHS always runs)",
    )
    parser.add_argument(
        "--sites",
        type=int,
        nargs="*",
        default=None,
        help="site counts of the live movement runs (default 3, 5, 7, 11; quick 3)",
    )
    parser.add_argument("--max-implants", type=int, default=None, help="largest implant count (default 16)")
    args = parser.parse_args(argv)
    todo = args.only or SECTIONS
    top = args.max_implants or (8 if args.quick else 16)
    cap = args.cap or (20.0 if args.quick else 600.0)
    implants = list(range(1, top + 1))
    if "solve" in todo:
        solve_table(implants, cap, tuple(args.solvers or ("highs", "glpk", "cbc")))
    if "fig7a" in todo:
        fig7a_table(11)
    if "fig7b" in todo:
        fig7b_table(implants if not args.quick else [2, 4, 6, 8, 10, 12])
    if "fig8a" in todo:
        fig8a_table(implants if not args.quick else [2, 4, 6, 8, 10, 11, 12, 14], ("1:1:1", "4:2:1", "1:2:4"))
    if "queries" in todo:
        query_table(11)
    if "ber" in todo:
        ber_table(200 if args.quick else 2000)
    if "placement" in todo:
        placement_table(8.0 if args.quick else 20.0)
    if "movement" in todo:
        movement_table(args.sites or ([3] if args.quick else [3, 5, 7, 11]), 30.0 if args.quick else 60.0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
