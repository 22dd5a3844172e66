"""``cortexlink eeg-eval`` (trial classifiers within and across sessions), ``cortexlink eeg-train``
(fit one and save it for the ``eeg_classifier`` node) and ``cortexlink devices`` (what BrainFlow and
LSL can see)."""

from __future__ import annotations

import argparse
from pathlib import Path

PIPELINE_CHOICES = "csp-lda, fbcsp, ts-lr, fbts, eegnet, ensemble"  # decode.trials.PIPELINES (a test checks)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "eeg-eval",
        help="score EEG trial classifiers within a session and across sessions",
        description="Cut trials at the recordings' event annotations, then score each pipeline: stratified "
        "k-fold within the session (all files pooled), and across sessions (train on one file, "
        "test on each other) with and without calibration trials. Metrics: accuracy, roc_auc, "
        "kappa, ITR; confusion matrices with --plot.",
    )
    p.add_argument(
        "--pipelines",
        default="csp-lda,ts-lr,fbts",
        help=f"comma-separated pipelines among {PIPELINE_CHOICES} (default csp-lda,ts-lr,fbts)",
    )
    _epoch_arguments(p)
    p.add_argument("--folds", type=int, default=5, help="within-session folds (default 5)")
    p.add_argument(
        "--calibration-trials",
        type=int,
        default=10,
        help="trials of the test session given to calibration (default 10; 0: none)",
    )
    p.add_argument(
        "--repeats", type=int, default=5, help="random draws of the calibration trials (default 5)"
    )
    p.add_argument("--no-cross", action="store_true", help="within-session only")
    p.add_argument(
        "--causal", action="store_true", help="filter causally, as the eeg_classifier node does online"
    )
    p.add_argument("--plot", type=Path, metavar="DIR", help="write roc_auc.png and confusion.png here")
    p.set_defaults(func=run_eeg_eval)

    t = subparsers.add_parser(
        "eeg-train",
        help="fit one EEG trial classifier and save it for the eeg_classifier node",
        description="Cut trials at the recordings' event annotations (each file a session), band-pass "
        "them causally (the filter the eeg_classifier node runs online), fit the pipeline and save it "
        "(npz or safetensors).",
    )
    t.add_argument("--out", type=Path, required=True, help="classifier file to write (.npz or .safetensors)")
    t.add_argument("--pipeline", default="ts-lr", help=f"one of {PIPELINE_CHOICES} (default ts-lr)")
    _epoch_arguments(t)
    t.add_argument(
        "--zero-phase", action="store_true", help="zero-phase filter (offline use only; the node refuses it)"
    )
    t.set_defaults(func=run_eeg_train)

    d = subparsers.add_parser(
        "devices",
        help="list LSL streams and BrainFlow boards cortexlink can read",
        description="LSL streams visible on the network, and the BrainFlow board kinds "
        "(use one as brainflow_source's board).",
    )
    d.add_argument("--wait", type=float, default=1.0, help="seconds to look for LSL streams (default 1)")
    d.add_argument("--no-boards", action="store_true", help="LSL streams only")
    d.set_defaults(func=run_devices)


def _epoch_arguments(p: argparse.ArgumentParser) -> None:
    """The recordings and how trials are cut from them (shared by eeg-eval and eeg-train)."""
    p.add_argument(
        "--data",
        nargs="+",
        type=Path,
        required=True,
        metavar="FILE",
        help="recordings with event annotations (EDF+), one session each",
    )
    p.add_argument(
        "--events", default="T1,T2", help="annotations to classify, comma-separated (default T1,T2)"
    )
    p.add_argument("--tmin", type=float, default=0.0, help="trial start after the event, s (default 0)")
    p.add_argument("--tmax", type=float, default=3.0, help="trial end after the event, s (default 3)")
    p.add_argument(
        "--band",
        type=float,
        nargs=2,
        default=(8.0, 35.0),
        metavar=("LOW", "HIGH"),
        help="band-pass in Hz (default 8 35, MOABB's)",
    )
    p.add_argument("--channels", help="comma-separated channel names to keep (default: all)")
    p.add_argument("--reject-uv", type=float, help="drop trials whose peak-to-peak exceeds this (microvolts)")


def _epoch_options(args: argparse.Namespace) -> dict:
    return {
        "events": _names(args.events),
        "tmin": args.tmin,
        "tmax": args.tmax,
        "band": tuple(args.band),
        "channels": _names(args.channels),
        "reject_uv": args.reject_uv,
    }


def _names(text: str | None) -> list[str] | None:
    return None if not text else [t.strip() for t in text.split(",") if t.strip()]


def run_eeg_eval(args: argparse.Namespace) -> int:
    from cortexlink.decode.trials import evaluate_eeg

    result = evaluate_eeg(
        args.data,
        _names(args.pipelines) or [],
        **_epoch_options(args),
        causal=args.causal,
        folds=args.folds,
        calibration_trials=args.calibration_trials,
        repeats=args.repeats,
        cross=not args.no_cross,
        show_progress=True,
        plot=args.plot,
    )
    print(
        f"{len(args.data)} recording(s), classes {', '.join(result.class_names)}, "
        f"trials of {result.trial_s:.2f} s"
    )
    print("\n".join(result.table()))
    for path in result.plots:
        print(f"plot: {path}")
    return 0


def run_eeg_train(args: argparse.Namespace) -> int:
    from cortexlink.decode.trials import train_eeg

    done = train_eeg(args.data, args.out, args.pipeline, **_epoch_options(args), causal=not args.zero_phase)
    print(
        f"{args.pipeline} fitted on {done.n_trials} trials of {done.trial_s:.2f} s "
        f"({', '.join(done.class_names)}) from {len(args.data)} recording(s); saved {done.path}"
    )
    return 0


def run_devices(args: argparse.Namespace) -> int:
    from cortexlink.io.devices import list_devices

    devices = list_devices(args.wait, boards=not args.no_boards)
    streams = [d for d in devices if d.kind == "lsl"]
    print(f"LSL streams ({len(streams)}):" if streams else "LSL streams: none seen")
    for d in streams:
        print(f"  {d.name}: {d.detail}")
    boards = [d for d in devices if d.kind == "brainflow"]
    if boards:
        print(f"BrainFlow boards ({len(boards)}; 'synthetic' needs no hardware):")
        for d in boards:
            print(f"  {d.name}: {d.detail}")
    return 0
