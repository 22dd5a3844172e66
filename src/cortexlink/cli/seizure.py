"""``cortexlink seizure-train``, ``seizure-eval`` and ``seizure-detect``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("seizure-train", help="train a seizure detector on labelled recordings",
                              description="Fit a seizure detector on a Bonn, Kaggle, CHB-MIT or Ombao folder "
                                          "(or CHB-MIT EDF files) and save it as a safe model file.")
    p.add_argument("--data", nargs="+", type=Path, required=True, metavar="DIR|FILE")
    p.add_argument("--out", type=Path, required=True, metavar="MODEL", help="model file to write (.npz)")
    p.add_argument("--model", choices=("gbt", "svm"), default="gbt", help="boosted trees or linear SVM")
    p.add_argument("--window", type=float, default=1.0, metavar="S", help="window length (default 1 s)")
    p.add_argument("--step", type=float, default=0.5, metavar="S", help="window step (default 0.5 s)")
    p.set_defaults(func=run_train)

    p = subparsers.add_parser("seizure-eval", help="score a seizure detector on labelled recordings",
                              description="Per-recording table: seizures detected, latency from onset, false "
                                          "alarms; totals at the end.")
    p.add_argument("--data", nargs="+", type=Path, required=True, metavar="DIR|FILE")
    p.add_argument("--model", type=Path, metavar="MODEL", help="model file (default: the built-in detector)")
    p.add_argument("--plot", type=Path, metavar="DIR", help="write each recording's probability trace here")
    p.set_defaults(func=run_eval)

    p = subparsers.add_parser("seizure-detect", help="seizure onsets in one recording",
                              description="Print the onsets found in FILE as a table or JSON lines.")
    p.add_argument("file", type=Path, metavar="FILE")
    p.add_argument("--model", type=Path, metavar="MODEL", help="model file (default: the built-in detector)")
    p.add_argument("--json", action="store_true", help="one JSON object per event")
    p.set_defaults(func=run_detect)


def run_train(args: argparse.Namespace) -> int:
    from cortexlink.seizure.api import train_detector

    det = train_detector(args.data, args.out, model=args.model, window_s=args.window, step_s=args.step)
    print(f"trained a {det.model_name} seizure detector ({len(det.feature_names)} features per channel, "
          f"{det.sample_rate:g} Hz) -> {args.out}")
    return 0


def run_eval(args: argparse.Namespace) -> int:
    from cortexlink.seizure.api import evaluate_detector

    ev = evaluate_detector(args.data, args.model, plot_dir=args.plot)
    rows = [r.row() for r in ev.results]
    cols = list(rows[0])
    print("  ".join(f"{c:>14}" for c in cols))
    for r in rows:
        print("  ".join(f"{str(r[c]):>14}" for c in cols))
    s = ev.summary()
    print(f"sensitivity {s['sensitivity']:.3f} of {s['seizures']} seizures, median latency "
          f"{s['median_latency_s']:.2f} s, {s['false_alarms_per_hour']:.2f} false alarms/h over "
          f"{s['seizure_free_hours']:.2f} h seizure-free")
    if args.plot:
        print(f"plots: {args.plot}")
    return 0


def run_detect(args: argparse.Namespace) -> int:
    from cortexlink.seizure.api import detect_file

    events = detect_file(args.file, args.model)
    if args.json:
        for ev in events:
            print(json.dumps(ev.to_dict()))
        return 0
    print(f"{'onset (s)':>10} {'detected (s)':>12} {'score':>7}  channels")
    for ev in events:
        print(f"{ev.onset_time:>10.2f} {ev.detect_time:>12.2f} {ev.score:>7.3f}  {ev.channels}")
    print(f"{len(events)} seizure onset(s) in {args.file}")
    return 0
