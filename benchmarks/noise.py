"""What measuring the noise costs a live stream: the per-chunk time during the calibration second
and the time of the chunk that completes it, per estimator of ``cortexlink.dsp.NoiseEstimate``.

A threshold node sets its thresholds on the first second of its stream (1 ms chunks at 30 kHz).
The peer is the plain way to get the noise sigma: keep the segment, then ``numpy.median(|x|)``.
The time of the completing chunk is a stall of the real-time loop. The estimates are compared
before the timings are printed.

    python benchmarks/noise.py [--channels 192] [--seconds 1.0]
"""

from __future__ import annotations

import os

for _var in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from cortexlink.dsp.noise import NoiseEstimate  # noqa: E402

RATE = 30000.0
CHUNK = 30


class _KeepAndMedian:
    """The peer: store the segment, take ``median(|x|) / 0.6745`` at the end."""

    def __init__(self, n_channels: int, n_samples: int) -> None:
        self.segment = np.empty((n_channels, n_samples), np.float32)
        self.fill = 0

    def add(self, data: np.ndarray) -> np.ndarray | None:
        part = data[:, :self.segment.shape[1] - self.fill]
        self.segment[:, self.fill:self.fill + part.shape[1]] = part
        self.fill += part.shape[1]
        if self.fill < self.segment.shape[1]:
            return None
        return np.median(np.abs(self.segment), axis=1) / 0.6745


def _time(make, x: np.ndarray) -> tuple[float, float, np.ndarray]:
    """(median seconds per chunk before the last, seconds of the completing chunk, estimate)."""
    make(2 * CHUNK).add(x[:, :2 * CHUNK])  # load the compiled kernels first
    est = make(x.shape[1])
    per = []
    for a in range(0, x.shape[1] - CHUNK, CHUNK):
        t = time.perf_counter()
        est.add(x[:, a:a + CHUNK])
        per.append(time.perf_counter() - t)
    t = time.perf_counter()
    out = est.add(x[:, x.shape[1] - CHUNK:])
    return float(np.median(per)), time.perf_counter() - t, out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, default=192)
    parser.add_argument("--seconds", type=float, default=1.0)
    args = parser.parse_args(argv)
    n = int(round(args.seconds * RATE)) // CHUNK * CHUNK
    rng = np.random.default_rng(0)
    x = rng.normal(0, 20, (args.channels, n)).astype(np.float32)
    x[:, ::300] -= 150.0  # spikes, which raise a plain RMS
    peer = _time(lambda size: _KeepAndMedian(args.channels, size), x)
    rows = [("numpy median (peer)", *peer)]
    for name in ("mad", "rms", "robust"):
        ours = _time(lambda size, nm=name: NoiseEstimate(args.channels, size, RATE, nm), x)
        rows.append((f"NoiseEstimate {name}", *ours))
    print(f"noise of {args.channels} ch x {args.seconds:g} s, 1 ms chunks at 30 kHz (true sigma 20)")
    print(f"{'estimator':<24}{'per chunk (us)':>16}{'completing chunk (ms)':>24}{'vs peer':>10}"
          f"{'median estimate':>18}")
    for name, per, last, est in rows:
        print(f"{name:<24}{per * 1e6:16.1f}{last * 1e3:24.2f}{last / peer[1]:10.2f}"
              f"{float(np.median(est)):18.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
