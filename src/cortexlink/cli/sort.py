"""``cortexlink sort`` and ``cortexlink sort-eval``: spike sorting of a recording file, and its score
against ground truth."""

from __future__ import annotations

import argparse
from pathlib import Path

from cortexlink.cli.nwb_options import add_session_options, report_archive_gaps, session_options


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "sort", help="sort the spikes of a recording into units",
        description="Band-pass and whiten RECORDING, detect spikes, cluster them into units without being "
                    "told how many, and match the units' templates over the whole recording. Writes the "
                    "sorting (.npz or .nwb units table) and prints units, spikes and SNR.")
    p.add_argument("recording", type=Path, metavar="RECORDING",
                   help="recording file (any format cortexlink reads)")
    p.add_argument("--out", type=Path, required=True, metavar="SORTING",
                   help="sorting to write (.npz or .nwb)")
    p.add_argument("--probe", type=Path, metavar="FILE",
                   help="channel positions: probeinterface JSON or text 'x y' per channel (default: a column "
                        "at 25 um)")
    p.add_argument("--model", type=Path, metavar="FILE",
                   help="also write the model an online sorter starts from")
    p.add_argument("--threshold", type=float, metavar="SD",
                   help="detection threshold in noise SDs (default 5)")
    p.add_argument("--rate", type=float, metavar="HZ", help="sample rate of raw or text files")
    p.add_argument("--channels", type=int, metavar="N", help="channel count of raw files")
    p.add_argument("--dtype", metavar="TYPE", help="sample type of raw files (e.g. int16)")
    p.add_argument("--plot", type=Path, metavar="PNG", help="save templates and amplitudes over time")
    add_session_options(p)
    p.set_defaults(func=run_sort)

    e = subparsers.add_parser(
        "sort-eval", help="score a sorting against ground truth",
        description="Match the spikes of SORTING with those of TRUTH within --delta-ms, pair units by the "
                    "Hungarian algorithm and print accuracy, precision and recall per true unit.")
    e.add_argument("sorting", type=Path, metavar="SORTING", help="sorting to score (.npz or .nwb)")
    e.add_argument("truth", type=Path, metavar="TRUTH", help="ground-truth sorting (.npz or .nwb)")
    e.add_argument("--delta-ms", type=float, default=0.4, metavar="MS", help="match window (default 0.4 ms)")
    e.add_argument("--recording", type=Path, metavar="FILE", help="the recording, for each true unit's SNR")
    e.add_argument("--plot", type=Path, metavar="PNG", help="save templates, amplitudes and accuracy vs SNR")
    e.set_defaults(func=run_sort_eval)


def run_sort(args: argparse.Namespace) -> int:
    from cortexlink.sort import SortParams, sort_file

    params = SortParams() if args.threshold is None else SortParams(detect_threshold=args.threshold)
    session = session_options(args)
    result = sort_file(args.recording, args.out, probe=args.probe, params=params, model_out=args.model,
                       progress=True, plot=args.plot, session=session, sample_rate=args.rate,
                       n_channels=args.channels, dtype=args.dtype)
    s = result.sorting
    print(f"{s.n_units} units, {s.n_spikes} spikes in {result.duration:.1f} s; "
          f"sorted in {result.seconds:.1f} s "
          f"({result.realtime_factor:.1f}x real time); median SNR "
          f"{(float(sorted(result.snr)[len(result.snr) // 2]) if len(result.snr) else 0.0):.1f}")
    print(f"{'unit':>5} {'channel':>7} {'spikes':>7} {'rate Hz':>8} {'SNR':>6} {'ISI<1.5ms':>9}")
    for k, unit in enumerate(s.unit_ids):
        n = int(s.spike_counts()[k])
        print(f"{unit:>5} {s.unit_channels[k]:>7} {n:>7} {n / max(result.duration, 1e-9):>8.2f} "
              f"{result.snr[k]:>6.1f} {result.isi_violations[k]:>9.2%}")
    print(f"sorting: {args.out}" + (f"; model: {args.model}" if args.model else "")
          + (f"; plot: {args.plot}" if args.plot else ""))
    if args.out.suffix.lower() == ".nwb":
        report_archive_gaps(args.out, s.metadata["source"], session)
    return 0


def run_sort_eval(args: argparse.Namespace) -> int:
    from cortexlink.sort import evaluate_file

    comparison, snr = evaluate_file(args.sorting, args.truth, args.delta_ms, recording=args.recording,
                                    plot=args.plot)
    c = comparison
    print(f"{'true unit':>9} {'found':>6} {'accuracy':>9} {'precision':>9} {'recall':>7}"
          + ("   SNR" if snr is not None else ""))
    for k, unit in enumerate(c.truth_ids):
        extra = f" {snr[k]:>5.1f}" if snr is not None else ""
        print(f"{unit:>9} {c.partner[k]:>6} {c.accuracy[k]:>9.3f} {c.precision[k]:>9.3f} "
              f"{c.recall[k]:>7.3f}{extra}")
    m = c.summary()
    print(f"mean accuracy {m['accuracy']:.3f}, precision {m['precision']:.3f}, recall {m['recall']:.3f}; "
          f"{m['well_detected']} of {m['n_true']} true units well detected (accuracy >= 0.8); "
          f"{m['false_positive_units']} false-positive units of {m['n_found']} found"
          + (f"; plot: {args.plot}" if args.plot else ""))
    return 0
