"""Decoders that keep working: decoding quality when channels are lost after calibration.

Channel loss (contdata95, 95 channels, 50 ms bins): each decoder is fitted on the first 80% of
the bins and decodes the last 20% with 0, 10, 25 and 50% of its channels lost (random sets, the
same for every decoder, averaged over draws). "masked": the decoder is told which channels are
dead (Kalman and Wiener re-solve their weights for the rest; the GRU holds them at the training
mean); "zero-filled": the dead channels send zeros and the decoder is not told. R^2 is the mean
over the four outputs (position and velocity, x and y); the ratio is masked over zero-filled.

Run: ``python benchmarks/adaptation.py`` (``--quick``: two draws, no GRU).
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
