"""Decoder latency and training time, ours beside the usual reference implementations.

Online step latency (p50 / p99 over many single-bin calls, one thread):

- steady-state Kalman and full Kalman on contdata95 (95 channels), ours vs the Kalman filter of
  KordingLab's Neural_Decoding package (``pip install neural-decoding``; Wu et al. form, which
  inverts an n_channels x n_channels matrix every bin), per bin of its offline loop;
- GRU with 256 hidden units and 192 inputs: ours (``GRUDecoder.step``: preprocessing, float64)
  vs a bare ``torch.nn.GRU`` float32 call with the hidden state carried by hand;
- NDT (64 wide, 2 layers, 30-bin context) and the LFADS-style decoder (64-unit encoder and
  generator, 30-bin context) at 96 and 256 channels (BRAND: NDT < 2 ms, LFADS < 6 ms).

Training time of every decoder on all of contdata95, and of the reference Kalman filter, in two
configurations side by side: the BLAS / torch default (one thread per core: ``threads=None``) and
one thread (``threads=1``, the linear decoders' default; see ``cortexlink.decode.threads``). The
ratio is default over one thread: above 1, limiting threads pays on this machine at this load.
The load average is printed with the table: on a busy machine the default's time swings widely.

Velocity R^2 (5-fold contiguous cross-validation, ``cortexlink.decode.evaluate_decoders``, each
decoder with its defaults) of Wiener, Kalman, GRU, LSTM, NDT and the LFADS-style decoder on
contdata95 and on both blocks (train and test part) of the KordingLab DAD demos (chewie, mihi):
the mean R^2 over outputs, one column per data set.

Run: ``python benchmarks/decoders.py`` (``--quick`` for fewer repetitions, tiny network training and
the DAD train blocks only; ``--only latency|training|r2`` one table; ``--training-only`` = ``--only
training``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
MOTOR = ROOT / ".." / "shared" / "data" / "motor"
CONTDATA = MOTOR / "umich_contdata95" / "contdata95.mat"
DAD = [MOTOR / "kordinglab_DAD" / f"{name}_demo.mat" for name in ("chewie", "mihi")]
CV_DECODERS = ("wiener", "kalman", "gru", "lstm", "ndt", "lfads")

from cortexlink.decode import load_motor, make_decoder  # noqa: E402
from cortexlink.decode.threads import blas_threads, torch_threads  # noqa: E402

TRAIN_CONFIGS = (None, 1)  # threads: the libraries' default (one per core), then one


def percentiles(seconds: list[float]) -> tuple[float, float]:
    us = np.asarray(seconds) * 1e6
    return float(np.percentile(us, 50)), float(np.percentile(us, 99))


def time_steps(step, columns: np.ndarray, repeats: int) -> tuple[float, float]:
    """p50 / p99 in microseconds of ``step(column)`` over ``repeats`` calls (after a warm-up)."""
    n = columns.shape[1]
    for t in range(min(200, n)):
        step(columns[:, t])
    out = []
    clock = time.perf_counter
    for i in range(repeats):
        x = columns[:, i % n]
        t0 = clock()
        step(x)
        out.append(clock() - t0)
    return percentiles(out)


def reference_kalman():
    try:
        import contextlib
        import io

        with contextlib.redirect_stdout(io.StringIO()):
            from Neural_Decoding.decoders import KalmanFilterDecoder
        return KalmanFilterDecoder
    except ImportError:
        return None


def reference_kalman_latency(KF, X: np.ndarray, Y: np.ndarray, n_bins: int) -> tuple[float, float]:
    """Per-bin time of the reference filter's offline loop, timed in blocks of 50 bins."""
    kf = KF(C=1)
    kf.fit(X.T, Y.T)
    per_bin = []
    for start in range(0, n_bins, 50):
        t0 = time.perf_counter()
        kf.predict(X[:, start:start + 50].T, Y[:, start:start + 50].T)
        per_bin.append((time.perf_counter() - t0) / 50)
    return percentiles(per_bin)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions, tiny network training")
    parser.add_argument("--training-only", action="store_true", help="only the training-time table")
    parser.add_argument("--only", choices=("latency", "training", "r2"), default=None, help="one table only")
    args = parser.parse_args(argv)
    only = "training" if args.training_only else args.only
    data = load_motor(CONTDATA)
    KF = reference_kalman()
    if only in (None, "latency"):
        with torch_threads(1), blas_threads(1):
            print_latency(latency_rows(data.X, data.Y, KF, 2000 if args.quick else 20000, args.quick))
    if only in (None, "training"):
        print_training(training_rows(data.X, data.Y, KF, args.quick), data.n_bins)
    if only in (None, "r2"):
        print_r2(r2_rows(args.quick))
    return 0


def r2_rows(quick: bool) -> tuple[list[str], dict[str, dict[str, float]]]:
    """Mean velocity R^2 of each of ``CV_DECODERS`` (5-fold contiguous CV) per data set."""
    from cortexlink.decode import evaluate_decoders

    sets = [(f"{p.stem.removesuffix('_demo')} {part}", p, part) for p in DAD
            for part in (("train",) if quick else ("train", "test"))]
    if not quick:
        sets.insert(0, ("contdata95", CONTDATA, "train"))
    settings = {"epochs": 3} if quick else None
    table: dict[str, dict[str, float]] = {name: {} for name in CV_DECODERS}
    for label, path, part in sets:
        ev = evaluate_decoders(path, list(CV_DECODERS), folds=5, settings=settings, part=part,
                               show_progress=True)
        for score in ev.regression:
            table[score.decoder][label] = float(score.r2.mean())
    return [label for label, _, _ in sets], table


def print_r2(result: tuple[list[str], dict[str, dict[str, float]]]) -> None:
    labels, table = result
    print("\nVelocity R^2, 5-fold contiguous CV (mean over outputs; DAD: train and test blocks apart)")
    print(f"{'decoder':<10}" + "".join(f"{label:>14}" for label in labels))
    for name, row in table.items():
        print(f"{name:<10}" + "".join(f"{row[label]:14.3f}" for label in labels))


def latency_rows(X: np.ndarray, Y: np.ndarray, KF, repeats: int, quick: bool) -> list[tuple]:
    """Step latency of our Kalman filters and GRU beside the references (one thread)."""
    import torch

    rows: list[tuple[str, str, float, float, str]] = []

    # -- Kalman latency ---------------------------------------------------------------------
    for lags in (1, 5):
        for steady in (True, False):
            dec = make_decoder("kalman", steady_state=steady, n_lags=lags).fit(X[:, :20000], Y[:, :20000])
            dec.reset()
            p50, p99 = time_steps(dec.step, X[:, 20000:], repeats)
            kind = "steady-state" if steady else "full"
            name = f"kalman {kind} (95 ch, {lags} lag{'s' if lags > 1 else ''})"
            rows.append((name, "cortexlink", p50, p99, ""))
    if KF is not None:
        p50, p99 = reference_kalman_latency(KF, X, Y, 2000 if quick else 5000)
        rows.append(("kalman full (95 ch, 1 lag)", "Neural_Decoding", p50, p99, ""))

    # -- GRU latency: 256 hidden, 192 inputs --------------------------------------------------
    rng = np.random.default_rng(0)
    Xg = rng.poisson(2.0, size=(192, 1200)).astype(np.float64)
    Yg = rng.standard_normal((2, 1200))
    gru = make_decoder("gru", hidden=256, epochs=1, threads=1, window=50, burn_in=5).fit(Xg, Yg)
    gru.reset()
    p50, p99 = time_steps(gru.step, Xg, repeats // 4)
    rows.append(("gru 256 hidden, 192 inputs", "cortexlink", p50, p99, "float64 + preprocessing"))
    net = torch.nn.GRU(192, 256, batch_first=True)
    lin = torch.nn.Linear(256, 2)
    state = {"h": None}

    @torch.no_grad()
    def bare_step(x: np.ndarray) -> np.ndarray:
        out, state["h"] = net(torch.from_numpy(x.astype(np.float32))[None, None], state["h"])
        return lin(out[0, 0]).numpy()

    p50, p99 = time_steps(bare_step, Xg, repeats // 4)
    rows.append(("gru 256 hidden, 192 inputs", "torch nn.GRU", p50, p99, "float32, no preprocessing"))

    # -- NDT latency: 30-bin context, 96 and 256 channels (BRAND reports < 2 ms at 256) ------------
    for n_ch in (96, 256):
        Xn = rng.poisson(2.0, size=(n_ch, 1200)).astype(np.float64)
        ndt = make_decoder("ndt", context=30, epochs=1, window=60, threads=1).fit(Xn, Yg)
        ndt.reset()
        p50, p99 = time_steps(ndt.step, Xn, repeats // 4)
        rows.append((f"ndt 64 wide, 2 layers, 30-bin context, {n_ch} ch", "cortexlink", p50, p99,
                     "numpy step, goal p99 < 1000 us"))
        lfads = make_decoder("lfads", context=30, epochs=1, threads=1).fit(Xn, Yg)
        lfads.reset()
        p50, p99 = time_steps(lfads.step, Xn, repeats // 4)
        rows.append((f"lfads-style 64 gen, 30-bin context, {n_ch} ch", "cortexlink", p50, p99,
                     "numpy step, goal p99 < 3000 us"))
    return rows


def training_rows(X: np.ndarray, Y: np.ndarray, KF, quick: bool) -> list[tuple]:
    """Seconds to fit each decoder on all of X, Y under each of ``TRAIN_CONFIGS``, best of a few.

    The configurations alternate within each repeat, so a change of machine load hits both."""
    repeats = 1 if quick else 3
    rows = []
    names = ["wiener", "kalman", "kalman-ss", "gru", "lstm"]
    for name in names + (["reference"] if KF is not None else []):
        best = {c: np.inf for c in TRAIN_CONFIGS}
        note = ""
        for _ in range(1 if name in ("gru", "lstm") else repeats):
            for threads in TRAIN_CONFIGS:
                if name == "reference":
                    t0 = time.perf_counter()
                    with blas_threads(threads):
                        KF(C=1).fit(X.T, Y.T)
                    seconds = time.perf_counter() - t0
                    note = "no lags, no ridge selection"
                else:
                    params = {"threads": threads}
                    if quick and name in ("gru", "lstm"):
                        params.update(epochs=2, hidden=32)
                    t0 = time.perf_counter()
                    dec = make_decoder(name, **params).fit(X, Y)
                    seconds = time.perf_counter() - t0
                    note = f"{len(dec.history)} epochs" if hasattr(dec, "history") else ""
                best[threads] = min(best[threads], seconds)
        impl = "Neural_Decoding" if name == "reference" else "cortexlink"
        rows.append(("kalman" if name == "reference" else name, impl, best[None], best[1], note))
    return rows


def print_latency(rows) -> None:
    ours = {r[0]: r for r in rows if r[1] == "cortexlink"}
    print("\nOnline step latency, one core (microseconds per bin)")
    print(f"{'decoder':<42} {'implementation':<16} {'p50':>9} {'p99':>9} {'p50 ratio':>10}  note")
    for name, impl, p50, p99, note in rows:
        ratio = f"{p50 / ours[name][2]:.1f}x" if impl != "cortexlink" and name in ours else ""
        print(f"{name:<42} {impl:<16} {p50:9.1f} {p99:9.1f} {ratio:>10}  {note}")
    print("(p50 ratio: the reference's time over ours for the same decoder)")


def print_training(rows, n_bins: int) -> None:
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"\nTraining time on contdata95 ({n_bins} bins x 95 channels), {os.cpu_count()} CPUs, "
          f"load average {load}")
    print(f"{'decoder':<12} {'implementation':<16} {'default s':>10} {'1 thread s':>11} {'ratio':>7}  note")
    for name, impl, default_s, one_s, note in rows:
        print(f"{name:<12} {impl:<16} {default_s:10.2f} {one_s:11.2f} {default_s / one_s:6.1f}x  {note}")
    print("(default: BLAS and torch with one thread per core; ratio: default time over one-thread time)")


if __name__ == "__main__":
    sys.exit(main())
