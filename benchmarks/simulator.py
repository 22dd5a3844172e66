"""Simulator speed: seconds of 30 kHz data made per second of time, at 96, 256 and 1024 channels.

cortexlink's ``MotorSimulator`` (units, hash, thermal + pink noise, LFP, ADC to int16) is timed
next to SpikeInterface's ground-truth generator (``generate_ground_truth_recording``: white noise
plus injected templates, 1.2 units per channel), in the same run, on one thread each, reading
the data in the same 100 ms blocks. Real-time factor (RTF) = simulated seconds / seconds taken;
> 1 is faster than real time. Both wall time and the process's CPU time are shown: on a shared
machine the CPU time is what one free core would take. The peer is slow at high channel counts,
so it simulates ``--peer-seconds`` (default 2 s) and is compared by RTF.
Run: ``python benchmarks/simulator.py [--seconds S] [--channels 96 256 1024]``.
"""

from __future__ import annotations

import argparse
import os
import time

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

SAMPLE_RATE = 30000.0
BLOCK_S = 0.1


def _timed(work) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return time.perf_counter() - wall, time.process_time() - cpu


def _read_all(read, total: int) -> None:
    block = int(BLOCK_S * SAMPLE_RATE)
    for a in range(0, total, block):
        read(a, min(total, a + block))


def time_cortexlink(n_channels: int, seconds: float, seed: int = 0) -> tuple[float, float]:
    """(wall, cpu) seconds to make ``seconds`` of an ``n_channels`` recording (setup included)."""
    from cortexlink.sim import MotorSimulator, PopulationConfig

    MotorSimulator(PopulationConfig(n_channels=4), seed=seed).read(3000)   # load the compiled kernels

    def work() -> None:
        sim = MotorSimulator(PopulationConfig(n_channels=n_channels, sample_rate=SAMPLE_RATE), seed=seed)
        _read_all(lambda a, b: sim.read(b - a), int(seconds * SAMPLE_RATE))

    return _timed(work)


def time_spikeinterface(n_channels: int, seconds: float, seed: int = 0) -> tuple[float, float] | None:
    """(wall, cpu) seconds for SpikeInterface to generate and read as much (None if not installed)."""
    try:
        from spikeinterface.core import generate_ground_truth_recording
    except ImportError:
        return None

    def work() -> None:
        units = max(1, int(1.2 * n_channels))
        rec, _ = generate_ground_truth_recording(durations=[seconds], sampling_frequency=SAMPLE_RATE,
                                                 num_channels=n_channels, num_units=units, seed=seed)
        _read_all(lambda a, b: rec.get_traces(start_frame=a, end_frame=b), rec.get_num_samples())

    return _timed(work)


def rows(channels: tuple[int, ...] = (96, 256, 1024), seconds: float = 10.0,
         peer_seconds: float = 2.0) -> list[dict]:
    """One row per channel count: times and real-time factors of cortexlink and the peer."""
    out = []
    for n in channels:
        wall, cpu = time_cortexlink(n, seconds)
        peer = time_spikeinterface(n, peer_seconds)
        row = {"channels": n, "seconds": seconds, "peer_seconds": peer_seconds,
               "cortexlink_wall_s": wall, "cortexlink_cpu_s": cpu,
               "cortexlink_rtf_wall": seconds / wall, "cortexlink_rtf_cpu": seconds / cpu,
               "spikeinterface_wall_s": None, "spikeinterface_cpu_s": None,
               "spikeinterface_rtf_cpu": None, "speedup_cpu": None}
        if peer is not None:
            row.update(spikeinterface_wall_s=peer[0], spikeinterface_cpu_s=peer[1],
                       spikeinterface_rtf_cpu=peer_seconds / peer[1],
                       speedup_cpu=(seconds / cpu) / (peer_seconds / peer[1]))
        out.append(row)
    return out


def _fmt(value: float | None, spec: str) -> str:
    return "n/a" if value is None else format(value, spec)


def print_table(table: list[dict]) -> None:
    first = table[0]
    print(f"cortexlink: {first['seconds']:g} s simulated, spikeinterface: {first['peer_seconds']:g} s; "
          f"{SAMPLE_RATE:g} Hz, one thread; RTF = simulated s / s taken")
    print(f"{'channels':>8} | {'cortexlink wall s':>17} {'RTF':>6} {'cpu s':>7} {'RTF':>6} | "
          f"{'spikeinterface cpu s':>20} {'RTF':>6} | {'speed-up (cpu RTF)':>18}")
    for r in table:
        print(f"{r['channels']:>8} | {r['cortexlink_wall_s']:>17.2f} {r['cortexlink_rtf_wall']:>6.2f} "
              f"{r['cortexlink_cpu_s']:>7.2f} {r['cortexlink_rtf_cpu']:>6.2f} | "
              f"{_fmt(r['spikeinterface_cpu_s'], '20.2f'):>20} "
              f"{_fmt(r['spikeinterface_rtf_cpu'], '6.3f'):>6} | "
              f"{_fmt(r['speedup_cpu'], '17.1f'):>17}x")
    if first["spikeinterface_cpu_s"] is None:
        print("(spikeinterface is not installed: pip install spikeinterface to time the peer)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--channels", type=int, nargs="+", default=[96, 256, 1024])
    parser.add_argument("--peer-seconds", type=float, default=2.0)
    args = parser.parse_args(argv)
    print_table(rows(tuple(args.channels), args.seconds, args.peer_seconds))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
