"""Decoder latency and training time, ours beside the usual reference implementations, one core.

Online step latency (p50 / p99 over many single-bin calls):

- steady-state Kalman and full Kalman on contdata95 (95 channels), ours vs the Kalman filter of
  KordingLab's Neural_Decoding package (``pip install neural-decoding``; Wu et al. form, which
  inverts an n_channels x n_channels matrix every bin), per bin of its offline loop;
- GRU with 256 hidden units and 192 inputs: ours (``GRUDecoder.step``: preprocessing, float64)
  vs a bare ``torch.nn.GRU`` float32 call with the hidden state carried by hand.

Training time of every decoder on all of contdata95, and of the reference Kalman filter.

Run: ``python benchmarks/decoders.py`` (``--quick`` for fewer repetitions and tiny network training).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
CONTDATA = ROOT / ".." / "shared" / "data" / "motor" / "umich_contdata95" / "contdata95.mat"

from cortexlink.decode import load_motor, make_decoder  # noqa: E402


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
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    repeats = 2000 if args.quick else 20000
    data = load_motor(CONTDATA)
    X, Y = data.X, data.Y
    KF = reference_kalman()
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
        p50, p99 = reference_kalman_latency(KF, X, Y, 2000 if args.quick else 5000)
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

    print_latency(rows)

    # -- training time on all of contdata95 -------------------------------------------------
    train_rows = []
    names = ["wiener", "kalman", "kalman-ss", "gru", "lstm"]
    for name in names:
        params = {}
        if name in ("gru", "lstm"):
            params = {"threads": 1, **({"epochs": 2, "hidden": 32} if args.quick else {})}
        t0 = time.perf_counter()
        dec = make_decoder(name, **params).fit(X, Y)
        seconds = time.perf_counter() - t0
        note = f"{len(dec.history)} epochs" if hasattr(dec, "history") else ""
        train_rows.append((name, "cortexlink", seconds, note))
    if KF is not None:
        t0 = time.perf_counter()
        KF(C=1).fit(X.T, Y.T)
        seconds = time.perf_counter() - t0
        train_rows.append(("kalman", "Neural_Decoding", seconds, "no lags, no ridge selection"))
    print_training(train_rows, data.n_bins)
    return 0


def print_latency(rows) -> None:
    ours = {r[0]: r for r in rows if r[1] == "cortexlink"}
    print("\nOnline step latency, one core (microseconds per bin)")
    print(f"{'decoder':<42} {'implementation':<16} {'p50':>9} {'p99':>9} {'p50 ratio':>10}  note")
    for name, impl, p50, p99, note in rows:
        ratio = f"{p50 / ours[name][2]:.1f}x" if impl != "cortexlink" and name in ours else ""
        print(f"{name:<42} {impl:<16} {p50:9.1f} {p99:9.1f} {ratio:>10}  {note}")
    print("(p50 ratio: the reference's time over ours for the same decoder)")


def print_training(rows, n_bins: int) -> None:
    print(f"\nTraining time on contdata95 ({n_bins} bins x 95 channels), one core")
    print(f"{'decoder':<12} {'implementation':<16} {'seconds':>9}  note")
    for name, impl, seconds, note in rows:
        print(f"{name:<12} {impl:<16} {seconds:9.2f}  {note}")


if __name__ == "__main__":
    sys.exit(main())
