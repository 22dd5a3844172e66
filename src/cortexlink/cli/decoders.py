"""``cortexlink decoder-train``, ``decoder-eval``, ``decoder-apply`` and ``long-session``: fit
decoders on motor data, compare them, run a saved one, and watch them drift in a long session."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

DATA_HELP = "motor data file: contdata95.mat, a KordingLab DAD demo, or Dataset1_reaching.mat"


def register(subparsers: argparse._SubParsersAction) -> None:
    train = subparsers.add_parser(
        "decoder-train",
        help="fit a decoder on motor data and save it",
        description="Fit one decoder on all of a motor data set (features X, kinematics Y) and save it "
        "in a safe file format (.npz for linear models, .safetensors for networks).",
    )
    train.add_argument("--data", type=Path, required=True, metavar="FILE", help=DATA_HELP)
    train.add_argument(
        "--decoder",
        required=True,
        metavar="NAME",
        help="wiener, kalman, kalman-ss, gru, lstm (velocity); lda, svm (target labels)",
    )
    train.add_argument("--out", type=Path, required=True, metavar="MODEL", help="file to write")
    _add_common(train)
    train.set_defaults(func=run_train)

    ev = subparsers.add_parser(
        "decoder-eval",
        help="cross-validate decoders on motor data and print a table",
        description="Contiguous-block k-fold cross-validation of each decoder: R^2, correlation and RMSE "
        "per output (classifiers: accuracy on the target labels).",
    )
    ev.add_argument("--data", type=Path, required=True, metavar="FILE", help=DATA_HELP)
    ev.add_argument(
        "--decoders",
        nargs="+",
        default=None,
        metavar="NAME",
        help="decoders to compare (default: wiener kalman kalman-ss gru lstm, or lda svm on a trial set; "
        "networks need torch)",
    )
    ev.add_argument("--folds", type=int, default=5, help="number of contiguous folds (default 5)")
    ev.add_argument(
        "--plot",
        type=Path,
        metavar="DIR",
        help="write PNGs of true vs decoded velocity and a bar chart of R^2 to DIR",
    )
    ev.add_argument("--json", type=Path, metavar="FILE", help="also write the table as JSON")
    _add_common(ev)
    ev.set_defaults(func=run_eval)

    ap = subparsers.add_parser(
        "decoder-apply",
        help="run a saved decoder on a data set or a features recording",
        description="Decode all of FILE with a saved decoder (from rest, as it would run online), print a "
        "summary (R^2 per output when FILE holds the true kinematics) and optionally write the output.",
    )
    ap.add_argument("--model", type=Path, required=True, metavar="MODEL", help="decoder file (decoder-train)")
    ap.add_argument(
        "--data",
        type=Path,
        required=True,
        metavar="FILE",
        help=f"{DATA_HELP}, or a recording whose channels are the features, one sample per bin",
    )
    ap.add_argument("--out", type=Path, metavar="OUT", help="write the decoded output (.npz or .csv)")
    _add_part(ap, "decode")
    ap.set_defaults(func=run_apply)

    ls = subparsers.add_parser(
        "long-session",
        help="a simulated long closed-loop session with drift and faults: fixed vs adaptive decoders",
        description="Simulate a long centre-out session at the level of binned spike counts (baselines "
        "wander, spikes shrink, units turn over, electrodes die or turn noisy), calibrate a decoder "
        "on an open-loop block, then run the closed loop with each adaptation mode on the same subject "
        "and print targets per minute and R^2 per block.",
    )
    ls.add_argument("--duration", type=float, default=1800.0, metavar="S",
                    help="session length (default 1800)")
    ls.add_argument("--adaptation", nargs="+", default=["fixed", "refit", "smoothbatch"],
                    metavar="MODE", help="fixed, refit, smoothbatch (default: all three)")
    ls.add_argument("--decoder", default="kalman", help="kalman, kalman-ss or wiener (default kalman)")
    ls.add_argument("--block", type=float, default=300.0, metavar="S", help="block length (default 300)")
    ls.add_argument("--batch", type=float, default=60.0, metavar="S", help="adaptation batch (default 60)")
    ls.add_argument("--seed", type=int, default=0)
    ls.add_argument("--speed", default="max",
                    help="max: as fast as the machine allows (default); a number: simulated seconds per "
                         "second (1: real time); the figures are the same at any speed")
    ls.add_argument("--plot", type=Path, metavar="DIR", help="write long_session.png to DIR")
    ls.set_defaults(func=run_long_session)


def _add_part(p: argparse.ArgumentParser, purpose: str) -> None:
    p.add_argument(
        "--part",
        choices=["train", "test"],
        default="train",
        help=f"DAD files hold two blocks (tr, te); which one to {purpose} (default train)",
    )


def _add_common(p: argparse.ArgumentParser) -> None:
    _add_part(p, "use")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="[DECODER.]KEY=VALUE",
        help="override a decoder parameter, e.g. --set epochs=10 --set wiener.n_lags=5 "
        "(without a DECODER prefix it applies to every decoder that has KEY)",
    )


def parse_settings(items: list[str]) -> dict[str, Any]:
    """``--set`` items ``[DECODER.]KEY=VALUE`` as a dict; VALUE is read as JSON, else kept as text."""
    from cortexlink.core.errors import InvalidParameterError

    out: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise InvalidParameterError(f"--set expects KEY=VALUE or DECODER.KEY=VALUE, got {item!r}")
        try:
            out[key] = json.loads(raw)
        except json.JSONDecodeError:
            out[key] = raw
    return out


def run_train(args: argparse.Namespace) -> int:
    import time

    from rich.console import Console

    from cortexlink.decode.evaluate import train_decoder

    t0 = time.perf_counter()
    dec = train_decoder(args.data, args.decoder, parse_settings(args.set), out=args.out, part=args.part,
                        show_progress=True)
    seconds = time.perf_counter() - t0
    Console().print(
        f"trained {args.decoder} on {dec.n_features_} features in {seconds:.2f} s -> {args.out}"
    )
    return 0


def run_eval(args: argparse.Namespace) -> int:
    from rich.console import Console

    from cortexlink.core.paths import writable_folder, writable_target
    from cortexlink.decode.evaluate import evaluate_decoders

    console = Console()
    if not console.is_terminal:
        console = Console(width=120)
    json_out = writable_target(args.json) if args.json else None
    plot_dir = writable_folder(args.plot) if args.plot else None
    ev = evaluate_decoders(args.data, args.decoders, folds=args.folds, settings=parse_settings(args.set),
                           part=args.part, show_progress=True)
    for note in ev.notes:
        console.print(f"[yellow]{note}")
    _print_table(console, ev)
    if json_out is not None:
        ev.write_json(json_out)
    if plot_dir is not None:
        from cortexlink.decode.plots import plot_evaluation

        written = plot_evaluation(ev, plot_dir)
        console.print(f"plots: {', '.join(str(p) for p in written)}")
    return 0


def run_apply(args: argparse.Namespace) -> int:
    from rich.console import Console

    from cortexlink.decode.apply import apply_decoder

    res = apply_decoder(args.model, args.data, out=args.out, part=args.part)
    outputs = " / ".join(res.output_names)
    line = f"decoded {res.n_bins} bins of {Path(res.source).name} with {res.kind} -> {outputs}"
    if res.r2 is not None:
        line += "; R^2 " + " / ".join(f"{n} {v:.3f}" for n, v in zip(res.output_names, res.r2, strict=True))
    if res.accuracy is not None:
        line += f"; accuracy {res.accuracy:.3f}"
    if args.out is not None:
        line += f"; written to {args.out}"
    Console(width=200).print(line, highlight=False)
    return 0


def _print_table(console, ev) -> None:
    from rich.table import Table

    def per_output(values: list[float], fmt: str) -> str:
        return " / ".join(format(v, fmt) for v in values)

    name = Path(ev.source).name
    if ev.regression:
        size = f"{ev.n_features} channels x {ev.n_bins} bins"
        table = Table(title=f"{name}: {ev.folds}-fold contiguous CV, {size}")
        table.add_column("decoder")
        table.add_column("R^2 mean", justify="right")
        table.add_column(f"R^2 {' / '.join(ev.output_names)}", justify="right")
        table.add_column("corr", justify="right")
        table.add_column("RMSE", justify="right")
        table.add_column("fit s", justify="right")
        for r in (s.row() for s in ev.regression):
            table.add_row(
                r["decoder"],
                f"{r['r2_mean']:.3f}",
                per_output(r["r2"], ".3f"),
                per_output(r["corr"], ".3f"),
                per_output(r["rmse"], ".3g"),
                f"{r['fit_s']:.1f}",
            )
        console.print(table)
    if ev.classification:
        table = Table(title=f"{name}: target labels, {ev.folds}-fold contiguous CV")
        for c in ("decoder", "accuracy", "chance", "fit s"):
            table.add_column(c, justify="right" if c != "decoder" else "left")
        for s in ev.classification:
            table.add_row(s.decoder, f"{s.accuracy:.3f}", f"{s.chance:.3f}", f"{s.fit_seconds:.2f}")
        console.print(table)


def run_long_session(args: argparse.Namespace) -> int:
    return long_session_command(args.duration, tuple(args.adaptation), args.seed, speed=args.speed,
                                plot=args.plot, decoder=args.decoder, block_s=args.block, batch_s=args.batch)


def long_session_command(duration: float, adaptations: tuple[str, ...], seed: int, speed: str = "max",
                         plot: Path | None = None, **session: Any) -> int:
    """What ``cortexlink long-session`` and ``cortexlink run long-session`` do: run the session in
    each mode (one library call) and print targets/min and R^2 per block."""
    from rich.console import Console
    from rich.table import Table

    from cortexlink.decode.long_session import compare_adaptations, plot_long_session

    results = compare_adaptations(adaptations, speed=speed, duration_s=duration, seed=seed,
                                  show_progress=True, **session)
    decoder = results[0].decoder
    table = Table(title=f"long session: {duration:g} s, {decoder}, seed {seed}, speed {speed}")
    table.add_column("block")
    for r in results:
        table.add_column(f"{r.adaptation} targets/min", justify="right")
        table.add_column(f"{r.adaptation} R^2", justify="right")
    for i, block in enumerate(results[0].blocks):
        cells = [f"{block.start_s / 60:.3g}-{block.end_s / 60:.3g} min"]
        for r in results:
            cells += [f"{r.blocks[i].targets_per_minute:.1f}", f"{r.blocks[i].r2:.3f}"]
        table.add_row(*cells)
    console = Console(width=200)
    console.print(table)
    for r in results:
        kept, since = r.kept(600.0), r.tail_start(600.0)
        share = "" if kept != kept else f"the last 10 min keep {kept:.0%} of the first block's targets/min, "
        console.print(f"{r.adaptation}: {share}R^2 {r.mean_r2(since):.3f} over the last 10 min "
                      f"({r.updates} adaptations)", highlight=False)
    if plot:
        console.print(f"plot: {plot_long_session(results, plot)}", highlight=False)
    return 0
