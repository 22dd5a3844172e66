"""``cortexlink decoder-train`` and ``cortexlink decoder-eval``: fit decoders on motor data, compare them."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

DEFAULT_EVAL = ["wiener", "kalman", "kalman-ss", "gru", "lstm"]
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
        help=f"decoders to compare (default: {' '.join(DEFAULT_EVAL)}; networks need torch)",
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


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--part",
        choices=["train", "test"],
        default="train",
        help="DAD files hold two blocks (tr, te); which one to use (default train)",
    )
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="[DECODER.]KEY=VALUE",
        help="override a decoder parameter, e.g. --set epochs=10 --set wiener.n_lags=5 "
        "(without a DECODER prefix it applies to every decoder that has KEY)",
    )


def _overrides(items: list[str], name: str, accepted: set[str]) -> dict[str, Any]:
    from cortexlink.core.errors import InvalidParameterError

    out: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise InvalidParameterError(f"--set expects KEY=VALUE or DECODER.KEY=VALUE, got {item!r}")
        target, dot, key = key.rpartition(".")
        if dot and target != name:
            continue
        if key not in accepted:
            if dot:
                raise InvalidParameterError(
                    f"decoder {name!r} has no parameter {key!r}; it has {', '.join(sorted(accepted))}"
                )
            continue
        try:
            out[key] = json.loads(raw)
        except json.JSONDecodeError:
            out[key] = raw
    return out


def _build(name: str, overrides: list[str], show_progress: bool = False):
    import inspect

    from cortexlink.decode import decoder_class, make_decoder

    accepted = set(inspect.signature(decoder_class(name).__init__).parameters) - {"self"}
    params = _overrides(overrides, name, accepted)
    if "show_progress" in accepted:
        params.setdefault("show_progress", show_progress)
    return make_decoder(name, **params)


def _load(args: argparse.Namespace):
    from cortexlink.decode import load_motor

    return load_motor(args.data, part=args.part)


def _targets(name: str, data):
    from cortexlink.core.errors import InvalidParameterError
    from cortexlink.decode import CLASSIFIERS

    if name in CLASSIFIERS:
        if data.labels is None:
            raise InvalidParameterError(f"{data.source} has no target labels; {name} needs them")
        return data.labels
    return data.Y


def run_train(args: argparse.Namespace) -> int:
    import time

    from rich.console import Console

    data = _load(args)
    dec = _build(args.decoder, args.set, show_progress=True)
    t0 = time.perf_counter()
    dec.fit(data.X, _targets(args.decoder, data))
    seconds = time.perf_counter() - t0
    path = dec.save(args.out)
    Console().print(
        f"trained {args.decoder} on {data.X.shape[0]} channels x {data.n_bins} bins in "
        f"{seconds:.2f} s -> {path}"
    )
    return 0


def run_eval(args: argparse.Namespace) -> int:
    from rich.console import Console

    from cortexlink.core.errors import InvalidParameterError
    from cortexlink.decode import CLASSIFIERS, DECODERS

    console = Console()
    if not console.is_terminal:
        console = Console(width=120)
    if args.folds < 2:
        raise InvalidParameterError(f"--folds must be at least 2 folds, got {args.folds}")
    names = args.decoders
    if names is None:
        data = _load(args)
        # one sample per trial (no time course): only the discrete-intent decoders make sense
        names = list(CLASSIFIERS) if data.metadata.get("trials") else list(DEFAULT_EVAL)
        if not _have_torch() and "gru" in names:
            names = [n for n in names if n not in ("gru", "lstm")]
            console.print(
                "[yellow]torch is not installed: skipping gru and lstm (pip install cortexlink[torch])"
            )
    unknown = [n for n in names if n not in DECODERS]
    if unknown:
        raise InvalidParameterError(
            f"unknown decoder(s) {', '.join(unknown)}; choose from {', '.join(DECODERS)}"
        )
    for name in names:  # bad --set values fail here, before any fitting
        _build(name, args.set)
    if args.decoders is not None:
        data = _load(args)
    rows = []
    for name in names:
        targets = _targets(name, data)
        if name in CLASSIFIERS:
            rows.append(_eval_classifier(name, args, data, targets))
        else:
            rows.append(_eval_regressor(name, args, data, targets))
    _print_table(console, data, rows, args.folds)
    if args.json:
        args.json.write_text(json.dumps([{k: v for k, v in r.items() if k != "cv"} for r in rows], indent=2))
    if args.plot:
        written = _plot(args.plot, data, [r for r in rows if "cv" in r])
        console.print(f"plots: {', '.join(str(p) for p in written)}")
    return 0


def _have_torch() -> bool:
    import importlib.util

    return importlib.util.find_spec("torch") is not None


def _eval_regressor(name: str, args: argparse.Namespace, data, targets) -> dict[str, Any]:
    from cortexlink.decode import cross_validate

    cv = cross_validate(
        lambda: _build(name, args.set),
        data.X,
        targets,
        k=args.folds,
        show_progress=True,
        description=f"{name:>9}",
    )
    return {
        "decoder": name,
        "r2": cv.r2.tolist(),
        "r2_mean": float(cv.r2.mean()),
        "corr": cv.correlation.tolist(),
        "rmse": cv.rmse.tolist(),
        "fit_s": cv.fit_seconds,
        "cv": cv,
    }


def _eval_classifier(name: str, args: argparse.Namespace, data, labels) -> dict[str, Any]:
    import time

    import numpy as np

    from cortexlink.core.progress import progress
    from cortexlink.decode import contiguous_folds

    correct, fit_s = 0, 0.0
    folds = contiguous_folds(data.n_bins, args.folds)
    for train, test in progress(folds, total=len(folds), description=f"{name:>9}"):
        dec = _build(name, args.set)
        t0 = time.perf_counter()
        dec.fit(data.X[:, train], labels[train])
        fit_s += time.perf_counter() - t0
        correct += int(np.sum(dec.predict(data.X[:, test])[0] == labels[test]))
    return {
        "decoder": name,
        "accuracy": correct / data.n_bins,
        "chance": 1.0 / np.unique(labels).size,
        "fit_s": fit_s,
    }


def _print_table(console, data, rows: list[dict[str, Any]], folds: int) -> None:
    from rich.table import Table

    def per_output(values: list[float], fmt: str) -> str:
        return " / ".join(format(v, fmt) for v in values)

    reg = [r for r in rows if "r2" in r]
    outputs = " / ".join(data.output_names)
    if reg:
        table = Table(
            title=f"{Path(data.source).name}: {folds}-fold contiguous CV, "
            f"{data.X.shape[0]} channels x {data.n_bins} bins"
        )
        table.add_column("decoder")
        table.add_column("R^2 mean", justify="right")
        table.add_column(f"R^2 {outputs}", justify="right")
        table.add_column("corr", justify="right")
        table.add_column("RMSE", justify="right")
        table.add_column("fit s", justify="right")
        for r in reg:
            table.add_row(
                r["decoder"],
                f"{r['r2_mean']:.3f}",
                per_output(r["r2"], ".3f"),
                per_output(r["corr"], ".3f"),
                per_output(r["rmse"], ".3g"),
                f"{r['fit_s']:.1f}",
            )
        console.print(table)
    cls = [r for r in rows if "accuracy" in r]
    if cls:
        table = Table(title=f"{Path(data.source).name}: target labels, {folds}-fold contiguous CV")
        for c in ("decoder", "accuracy", "chance", "fit s"):
            table.add_column(c, justify="right" if c != "decoder" else "left")
        for r in cls:
            table.add_row(r["decoder"], f"{r['accuracy']:.3f}", f"{r['chance']:.3f}", f"{r['fit_s']:.2f}")
        console.print(table)


def _plot(out_dir: Path, data, rows: list[dict[str, Any]]) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    span = slice(0, min(data.n_bins, 600))
    t = np.arange(data.n_bins)[span] * (data.bin_width or 1.0)
    xlabel = "time (s)" if data.bin_width else "bin"
    for r in rows:
        cv = r["cv"]
        fig, axes = plt.subplots(
            len(data.output_names), 1, figsize=(10, 2.4 * len(data.output_names)), sharex=True, squeeze=False
        )
        for i, (ax, o) in enumerate(zip(axes[:, 0], data.output_names, strict=True)):
            ax.plot(t, cv.Y_true[i, span], color="black", lw=1.2, label="true")
            ax.plot(t, cv.Y_pred[i, span], color="tab:red", lw=1.0, label=f"{r['decoder']} (CV)")
            ax.set_ylabel(o)
            ax.set_title(f"R^2 {cv.r2[i]:.3f}", fontsize=9, loc="right")
        axes[0, 0].legend(loc="upper left", fontsize=8)
        axes[-1, 0].set_xlabel(xlabel)
        fig.tight_layout()
        path = out_dir / f"decoded_{r['decoder']}.png"
        fig.savefig(path, dpi=100)
        plt.close(fig)
        written.append(path)
    if rows:
        fig, ax = plt.subplots(figsize=(1.2 + 1.1 * len(rows), 3.2))
        names = [r["decoder"] for r in rows]
        ax.bar(names, [r["r2_mean"] for r in rows], color="tab:blue")
        for i, r in enumerate(rows):
            ax.text(i, r["r2_mean"], f"{r['r2_mean']:.3f}", ha="center", va="bottom", fontsize=8)
        ax.set_ylabel("R^2 (mean over outputs)")
        ax.set_ylim(min(0.0, *(r["r2_mean"] for r in rows)), 1.0)
        ax.set_title(Path(data.source).name, fontsize=9)
        fig.tight_layout()
        path = out_dir / "r2.png"
        fig.savefig(path, dpi=100)
        plt.close(fig)
        written.append(path)
    return written
