"""Per-chunk latency of the spike front end: band-pass + CAR + threshold crossings + spike band power.

One 1 ms chunk (30 samples at 30 kHz) of 1024 simulated channels at a time, on one core (numba
and BLAS threads set to 1; ``--pin CPU`` also pins the process to that CPU). The peer is what one
would write with ``scipy.signal.sosfilt`` (``zi`` carried) and numpy for the same chain. Both
chains see the same chunks and their outputs are compared before the timings are printed.

    python benchmarks/dsp.py [--channels 1024] [--chunks 3000] [--pin CPU]
"""

from __future__ import annotations

import os

for _var in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import gc  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402

import numpy as np  # noqa: E402
import scipy.signal as ss  # noqa: E402

from cortexlink.core.chunk import Chunk  # noqa: E402
from cortexlink.dsp import (  # noqa: E402
    ButterworthFilter,
    CommonAverageReference,
    SpikeBandPower,
    ThresholdCrossings,
)

FS = 30000.0
BAND = (250.0, 5000.0)
STAGES = ("band-pass", "CAR", "threshold crossings", "spike band power")


class PeerChain:
    """The same four steps in plain scipy/numpy: sosfilt with zi, mean CAR, crossings with a
    lockout carried across chunks, 1 ms mean-square bins with the partial bin carried."""

    def __init__(self, n_channels: int, thresholds: np.ndarray, order: int = 2, lockout: int = 30,
                 bin_samples: int = 30) -> None:
        self.sos = ss.butter(order, BAND, btype="bandpass", fs=FS, output="sos")
        self.zi = np.zeros((self.sos.shape[0], n_channels, 2))
        self.thr = thresholds.astype(np.float32)
        self.prev = np.zeros(n_channels, np.float32)
        self.next_allowed = np.zeros(n_channels, np.int64)  # first sample a new crossing may fall on
        self.lockout = lockout
        self.bin_samples = bin_samples
        self.partial = np.zeros((n_channels, 0), np.float32)

    def bandpass(self, x: np.ndarray, start: int) -> np.ndarray:
        y, self.zi = ss.sosfilt(self.sos, x, axis=-1, zi=self.zi)
        return y.astype(np.float32)

    def car(self, x: np.ndarray, start: int) -> np.ndarray:
        return x - x.mean(axis=0, keepdims=True)

    def crossings(self, x: np.ndarray, start: int) -> np.ndarray:
        prev = np.concatenate([self.prev[:, None], x[:, :-1]], axis=1)
        cand = (x < self.thr[:, None]) & (prev >= self.thr[:, None])
        self.prev = x[:, -1].copy()
        out = np.zeros(x.shape, np.uint8)
        for c in np.flatnonzero(cand.any(axis=1)):  # few channels cross in any 1 ms
            for t in np.flatnonzero(cand[c]):
                if start + t >= self.next_allowed[c]:
                    out[c, t] = 1
                    self.next_allowed[c] = start + t + self.lockout
        return out

    def spike_band_power(self, x: np.ndarray, start: int) -> np.ndarray:
        sq = np.concatenate([self.partial, x * x], axis=1)
        n = sq.shape[1] // self.bin_samples * self.bin_samples
        self.partial = sq[:, n:]
        return sq[:, :n].reshape(sq.shape[0], -1, self.bin_samples).mean(axis=-1)


def _ours(n_channels: int, thresholds_rms: np.ndarray) -> list[Callable[[Chunk], Chunk]]:
    bp = ButterworthFilter(FS, *BAND, order=2)
    car = CommonAverageReference(FS)
    tc = ThresholdCrossings(FS, rms=thresholds_rms)
    sbp = SpikeBandPower(FS, band=None, bin_ms=1.0)  # input is already 250-5000 Hz after bp + CAR
    return [bp.process, car.process, tc.process, sbp.process]


def _simulated_chunks(n_channels: int, seconds: float, seed: int) -> np.ndarray:
    from cortexlink.sim import simulate

    return simulate(n_channels, seconds, FS, seed=seed).recording.data


def _pin(cpu: int | None) -> None:
    if cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {cpu})


def bench_rows(n_channels: int = 1024, n_chunks: int = 3000, chunk_samples: int = 30,
               warmup: int = 300, seed: int = 0, pin_cpu: int | None = None) -> list[dict]:
    """Time both chains chunk by chunk; one row per stage and one for the chain, in microseconds."""
    _pin(pin_cpu)
    data = _simulated_chunks(n_channels, 0.5, seed)  # 500 chunks, cycled
    n_avail = data.shape[1] // chunk_samples
    chunks = [np.ascontiguousarray(data[:, i * chunk_samples:(i + 1) * chunk_samples])
              for i in range(n_avail)]

    # thresholds from the filtered, re-referenced calibration segment, shared by both chains
    calib = CommonAverageReference(FS).apply(ButterworthFilter(FS, *BAND, order=2).apply(data))
    rms = ThresholdCrossings(FS).calibrate(calib)
    ours = _ours(n_channels, rms)
    peer = PeerChain(n_channels, -4.5 * rms)
    peer_steps = [peer.bandpass, peer.car, peer.crossings, peer.spike_band_power]

    times = {"ours": np.zeros((n_chunks, 5)), "peer": np.zeros((n_chunks, 5))}
    mismatches = {"crossings": 0, "sbp_max_rel_err": 0.0}
    gc.disable()
    try:
        for i in range(-warmup, n_chunks):
            x = chunks[(i + warmup) % n_avail]
            start = (i + warmup) * chunk_samples
            chunk = Chunk(x, start, FS, time.monotonic_ns())
            # ours
            t0 = time.perf_counter_ns()
            a = ours[0](chunk)
            t1 = time.perf_counter_ns()
            b = ours[1](a)
            t2 = time.perf_counter_ns()
            c = ours[2](b)
            t3 = time.perf_counter_ns()
            d = ours[3](b)
            t4 = time.perf_counter_ns()
            # peer
            u0 = time.perf_counter_ns()
            pa = peer_steps[0](x, start)
            u1 = time.perf_counter_ns()
            pb = peer_steps[1](pa, start)
            u2 = time.perf_counter_ns()
            pc = peer_steps[2](pb, start)
            u3 = time.perf_counter_ns()
            pd = peer_steps[3](pb, start)
            u4 = time.perf_counter_ns()
            if i >= 0:
                times["ours"][i] = (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t4 - t0)
                times["peer"][i] = (u1 - u0, u2 - u1, u3 - u2, u4 - u3, u4 - u0)
            mismatches["crossings"] += int(np.count_nonzero(c.data != pc))
            if pd.size:
                err = np.abs(d.data - pd).max() / max(float(np.abs(pd).max()), 1e-12)
                mismatches["sbp_max_rel_err"] = max(mismatches["sbp_max_rel_err"], float(err))
    finally:
        gc.enable()

    rows = []
    for j, name in enumerate((*STAGES, "chain (all four)")):
        o = times["ours"][:, j] / 1e3
        p = times["peer"][:, j] / 1e3
        rows.append({
            "stage": name,
            "ours_p50_us": float(np.percentile(o, 50)), "ours_p99_us": float(np.percentile(o, 99)),
            "peer_p50_us": float(np.percentile(p, 50)), "peer_p99_us": float(np.percentile(p, 99)),
            "speedup_p50": float(np.percentile(p, 50) / np.percentile(o, 50)),
            "speedup_p99": float(np.percentile(p, 99) / np.percentile(o, 99)),
            "n_channels": n_channels, "chunk_samples": chunk_samples, "n_chunks": n_chunks,
            "crossing_mismatches": mismatches["crossings"],
            "sbp_max_rel_err": mismatches["sbp_max_rel_err"],
        })
    return rows


def print_table(rows: list[dict]) -> None:
    r0 = rows[0]
    print(f"DSP chain, {r0['n_channels']} ch x {r0['chunk_samples']} samples (1 ms at 30 kHz), "
          f"{r0['n_chunks']} chunks, one core; times in microseconds per chunk")
    print(f"{'stage':<22}{'ours p50':>10}{'ours p99':>10}{'peer p50':>10}{'peer p99':>10}"
          f"{'peer/ours p50':>15}{'peer/ours p99':>15}")
    for r in rows:
        print(f"{r['stage']:<22}{r['ours_p50_us']:>10.1f}{r['ours_p99_us']:>10.1f}{r['peer_p50_us']:>10.1f}"
              f"{r['peer_p99_us']:>10.1f}{r['speedup_p50']:>15.2f}{r['speedup_p99']:>15.2f}")
    chain = rows[-1]
    verdict = "meets" if chain["ours_p99_us"] < 300 else "misses"
    print(f"chain p99 {chain['ours_p99_us']:.1f} us: {verdict} the 300 us target")
    print(f"outputs agree: {r0['crossing_mismatches']} crossing mismatches, "
          f"spike band power max relative difference {r0['sbp_max_rel_err']:.2e}")
    print("peer: scipy.signal.sosfilt with zi + numpy; spike band power squares and bins the "
          "band-passed, re-referenced signal in both chains")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, default=1024)
    parser.add_argument("--chunks", type=int, default=3000)
    parser.add_argument("--pin", type=int, default=None, metavar="CPU", help="pin to this CPU")
    args = parser.parse_args(argv)
    print_table(bench_rows(n_channels=args.channels, n_chunks=args.chunks, pin_cpu=args.pin))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
