"""Decoders that keep working: decoding quality when channels are lost after calibration.

Channel loss (contdata95, 95 channels, 50 ms bins): each decoder is fitted on the first 80% of
the bins and decodes the last 20% with 0, 10, 25 and 50% of its channels lost (random sets, the
same for every decoder, averaged over draws). "masked": the decoder is told which channels are
dead (Kalman and Wiener re-solve their weights for the rest; the GRU holds them at the training
mean); "zero-filled": the dead channels send zeros and the decoder is not told. R^2 is the mean
over the four outputs (position and velocity, x and y); the ratio is masked over zero-filled.

Long session (``cortexlink.decode.long_session``: 96 tuned channels in 20 ms bins whose baselines
wander, whose spikes shrink on 30% of channels, whose units turn over, and 10 of which die or turn
noisy mid-session; centre-out cursor task; Kalman decoder calibrated on the first 60 s): targets
per minute in the first 5 minutes and the last 10, and R^2, for a fixed decoder, ReFIT-style
refits every 60 s and SmoothBatch blends (keep 0.5) every 60 s, on two seeds. Goal: the adaptive
decoders keep >= 90% of their first 5 minutes' targets/min while the fixed one falls below 50%.

Run: ``python benchmarks/adaptation.py`` (``--quick``: two draws, no GRU, 10-minute sessions, one seed).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent / "src"))
sys.path.insert(0, str(ROOT))
CONTDATA = ROOT / ".." / ".." / "shared" / "data" / "motor" / "umich_contdata95" / "contdata95.mat"

from tables import print_table  # noqa: E402

from cortexlink.decode.long_session import compare_adaptations  # noqa: E402
from cortexlink.decode.robustness import channel_loss  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="two draws, linear decoders only")
    ap.add_argument("--draws", type=int, default=None, help="random channel sets per fraction (default 5)")
    args = ap.parse_args(argv)
    decoders = ["wiener", "kalman", "kalman-ss"] + ([] if args.quick else ["gru"])
    draws = args.draws or (2 if args.quick else 5)
    rows = channel_loss(CONTDATA, decoders, draws=draws, show_progress=True)
    table = [{**r.row(), "masked / zero-filled": r.r2_masked / r.r2_zero_filled} for r in rows]
    print_table(f"Channel loss at test time, contdata95 ({draws} draws per fraction)", table)
    duration = 600.0 if args.quick else 1800.0
    rows = []
    for seed in (0,) if args.quick else (0, 1):
        for r in compare_adaptations(duration_s=duration, seed=seed, show_progress=True):
            first = r.blocks[0]
            last10 = r.mean_targets_per_minute(since_s=duration - 600.0)
            tail = [b for b in r.blocks if b.start_s >= duration - 600.0 - 1e-9]
            rows.append({"seed": seed, "decoder": r.adaptation, "updates": r.updates,
                         "first 5 min targets/min": first.targets_per_minute,
                         "last 10 min targets/min": last10,
                         "kept": last10 / first.targets_per_minute, "first R2": first.r2,
                         "last 10 min R2": sum(b.r2 for b in tail) / len(tail)})
    print_table(f"Long session, {duration:g} s, Kalman (kept = last 10 min / first 5 min)", rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
