"""Decoders that keep working: decoding quality when channels are lost after calibration.

Channel loss (contdata95, 95 channels, 50 ms bins): each decoder is fitted on the first 80% of
the bins and decodes the last 20% with 0, 10, 25 and 50% of its channels lost (random sets, the
same for every decoder, averaged over draws). "masked": the decoder is told which channels are
dead (Kalman and Wiener re-solve their weights for the rest; the GRU, NDT and LFADS-style networks
hold them at the training mean and refit their read-out on the latents of the calibration data
without them); "zero-filled": the dead channels send zeros and the decoder is not told. R^2 is the mean
over the four outputs (position and velocity, x and y); the ratio is masked over zero-filled.

Long session (``cortexlink.decode.long_session``, what ``cortexlink run long-session`` runs: 96
tuned channels in 20 ms bins whose baselines wander, whose spikes shrink on 30% of channels, whose
units turn over (once per channel per session on average: ``DriftConfig.for_session``), and 10
of which die or turn noisy mid-session; centre-out cursor task; Kalman decoder calibrated on the
first 60 s): targets per minute in the first 5 minutes and the last 10, and R^2 of decoded vs
intended velocity, for a fixed decoder, ReFIT-style refits every 60 s and SmoothBatch blends
(keep 0.5) every 60 s, on seeds 0-4; then the GRU, fixed and fine-tuned every 60 s, on seed 0 in a
10-minute session (there "last 10 min" is the last block).
Goal: the adaptive decoders keep >= 90% of their first 5 minutes' targets/min while the fixed one
falls below 50%.

Run: ``python benchmarks/adaptation.py`` (``--quick``: two draws, no networks, 10-minute sessions
on two seeds; ``--only loss|session`` one table).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent / "src"))
sys.path.insert(0, str(ROOT))
CONTDATA = ROOT / ".." / ".." / "shared" / "data" / "motor" / "umich_contdata95" / "contdata95.mat"

from tables import print_table  # noqa: E402

from cortexlink.decode.long_session import compare_adaptations  # noqa: E402
from cortexlink.decode.robustness import channel_loss  # noqa: E402
from cortexlink.graph import Node  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true",
                    help="two draws, linear decoders only, 10-minute sessions on two seeds, no GRU session")
    ap.add_argument("--draws", type=int, default=None, help="random channel sets per fraction (default 5)")
    ap.add_argument("--seeds", type=int, default=None, help="long-session seeds (default 5; --quick 2)")
    ap.add_argument("--only", choices=("loss", "session", "swap"), default=None, help="one table only")
    args = ap.parse_args(argv)
    if args.only in (None, "loss"):
        channel_loss_table(args.quick, args.draws or (2 if args.quick else 5))
    if args.only in (None, "session"):
        session_table(args.quick, args.seeds or (2 if args.quick else 5))
    if args.only in (None, "swap"):
        swap_gap(30.0 if args.quick else 60.0)
    return 0


def channel_loss_table(quick: bool, draws: int) -> None:
    decoders = ["wiener", "kalman", "kalman-ss"] + ([] if quick else ["gru", "ndt", "lfads"])
    rows = channel_loss(CONTDATA, decoders, draws=draws, show_progress=True)
    table = [{**r.row(), "masked / zero-filled": r.r2_masked / r.r2_zero_filled} for r in rows]
    print_table(f"Channel loss at test time, contdata95 ({draws} draws per fraction)", table)


def session_rows(results, seed: int) -> list[dict]:
    return [{"seed": seed, "decoder": r.decoder, "adaptation": r.adaptation, "updates": r.updates,
             "first 5 min targets/min": r.blocks[0].targets_per_minute,
             "last 10 min targets/min": r.mean_targets_per_minute(r.tail_start(600.0)),
             "kept": r.kept(600.0), "first R2": r.blocks[0].r2,
             "last 10 min R2": r.mean_r2(r.tail_start(600.0))} for r in results]


GRU_SESSION_S = 600.0  # the GRU's session: fine-tuning every minute makes 30 minutes slow


def session_table(quick: bool, seeds: int) -> None:
    duration = 600.0 if quick else 1800.0
    rows = []
    for seed in range(seeds):
        rows += session_rows(compare_adaptations(duration_s=duration, seed=seed, show_progress=True),
                             seed)
    if not quick:  # the GRU, fine-tuned on each batch (cortexlink.decode.network_head), 10 minutes
        gru = compare_adaptations(("fixed", "smoothbatch"), duration_s=GRU_SESSION_S, decoder="gru",
                                  params={"epochs": 10, "threads": 1}, seed=0, show_progress=True)
        rows += session_rows(gru, 0)
    print_table(f"Long session, {duration:g} s (kept = last 10 min / first 5 min targets/min; "
                "goal: >= 0.9 adaptive, < 0.5 fixed)", rows)
    for mode in ("fixed", "refit", "smoothbatch"):
        kept = [r["kept"] for r in rows if r["adaptation"] == mode and r["decoder"] == "kalman"]
        print(f"kalman {mode}: kept min {min(kept):.2f}, max {max(kept):.2f} over {len(kept)} seeds")


class SwapProbe(Node):
    """Receipt time and latency (now - origin_ns) of every live decoded bin, written to ``path``."""

    kind = "swap_probe"
    outputs = ()

    @dataclass
    class Settings:
        path: str = ""

    def setup(self) -> None:
        self.rows = np.zeros((2, 1_000_000), np.int64)
        self.n = 0

    def process(self, inputs):
        chunk = inputs["in"]
        now = time.monotonic_ns()
        if chunk.data[2, -1] > 0.5 and self.n < self.rows.shape[1]:
            self.rows[:, self.n] = now, now - chunk.origin_ns
            self.n += 1
        return None

    def shutdown(self) -> None:
        np.save(self.settings.path, self.rows[:, : self.n])


def swap_gap(seconds: float) -> None:
    """The default graph (one 96-channel array, Kalman calibrated on 10 s) with a ``monitor`` on the
    raw signal; 8 electrodes die at 16 s and the monitor flags them. Run twice: with the monitor
    feeding the decoder's ``mask`` input (the decoder swaps in a re-solved copy) and without (the
    same fault, no swap). Every live decoded bin's latency and arrival time are recorded downstream;
    the bins from 0.2 s before the monitor's first flag to 1 s after it are compared with the run's
    usual p99, so the swap's own cost shows as the difference between the two runs."""
    rows = []
    for with_swap in (True, False):
        t, lat, flagged, swapped = _live_bins(seconds, with_swap)
        if flagged is None or t.size < 100:
            print(f"  no flag seen ({t.size} live bins): nothing to compare")
            return
        near = (t >= flagged - 200_000_000) & (t <= flagged + 1_000_000_000)
        far = ~near
        p99 = np.percentile(lat[far], 99)
        gaps = np.diff(t)
        rows.append({"decoder": "swaps (mask input)" if with_swap else "no swap (control)",
                     "swapped": "yes" if swapped is not None else "no",
                     "swap after flag ms": round((swapped - flagged) / 1e6) if swapped is not None else "-",
                     "bins": int(t.size), "usual p50 us": round(np.median(lat[far]) / 1e3),
                     "usual p99 us": round(p99 / 1e3), "near bins": int(near.sum()),
                     "near above p99": int(np.sum(lat[near] > p99)),
                     "near max us": round(lat[near].max() / 1e3),
                     "near gap max us": round(gaps[near[1:]].max() / 1e3),
                     "late bins at ms from flag": " ".join(
                         f"{(x - flagged) / 1e6:+.0f}" for x in t[near][lat[near] > p99]) or "-"})
    print_table(f"Hot swap in a live graph ({seconds:g} s, 96 channels, 10 ms bins, Kalman; 8 electrodes die "
                f"at 16 s; load average {', '.join(f'{v:.1f}' for v in os.getloadavg())}; goal: the swap "
                "adds no bin above the usual p99)", rows)


def _live_bins(seconds: float, with_swap: bool) -> tuple[np.ndarray, np.ndarray, int | None, int | None]:
    """Arrival times and latencies of the live decoded bins, the monotonic time of the monitor's
    first flag and of the decoder's swap (None when not seen)."""
    import tempfile

    import yaml

    from cortexlink.nodes.default_graph import default_graph_text
    from cortexlink.nodes.run import run

    doc = yaml.safe_load(default_graph_text(n_arrays=1, calibration_s=10.0, duration_s=seconds))
    dead = [3, 11, 19, 27, 40, 52, 66, 81]
    seen: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "probe.npy"
        for node in doc["nodes"]:
            if node["nickname"] == "monkey":
                node["parameters"]["faults"] = [{"kind": "dead", "channel": c, "start_s": 16.0} for c in dead]
            if node["nickname"] == "decoder" and with_swap:
                node["feedback"]["mask"] = "status"
        doc["nodes"].append({"name": "monitor", "nickname": "health", "inputs": {"in": "raw"},
                             "outputs": {"status": "status"}})
        doc["nodes"].append({"name": "SwapProbe", "module": str(Path(__file__).resolve()),
                             "nickname": "probe", "inputs": {"in": "decoded"},
                             "parameters": {"path": str(out)}})
        path = Path(tmp) / "graph.yaml"
        path.write_text(yaml.safe_dump(doc, sort_keys=False))

        def on_event(nick: str, state: str, message: str) -> None:
            now = time.monotonic_ns()
            if nick == "health" and "flag" not in seen and "dead" in message:
                seen["flag"] = now
            if nick == "decoder" and "decoder swapped" in message and "swap" not in seen:
                seen["swap"] = now
                print(f"  [{nick}] {message}", flush=True)

        run(path, transport="shm", duration=seconds, pm_qos=False, on_event=on_event)
        rows = np.load(out) if out.exists() else np.zeros((2, 0), np.int64)
    return rows[0], rows[1], seen.get("flag"), seen.get("swap")


if __name__ == "__main__":
    sys.exit(main())
