"""Seizure propagation on the simulator, and streaming detection cost (section 4 of seizure.py).

Scenes of K sites (5 and 11 sites of 96 channels at 30 kHz; --quick: 5 sites of 16 channels) whose
seizure starts at site 0 at 3 s and spreads to sites 1.. with 1 s per hop; the last site never
seizes. Detection times are where each episode is plainly visible (half-way through: the
simulator's episodes grow from zero amplitude), so this table measures propagation alone. Bytes
are compared with two all-pairs exact baselines: every window of the sender's last 2 s of the same
site trace (int8, as the protocol sends them) and the raw signal those windows come from (every
channel, int16). Also: the default detector's ``step`` on 1 ms chunks of 96 channels at 30 kHz,
p50/p99. The live detect-to-stimulate latency is measured by the graph (``cortexlink run seizure``).
"""

from __future__ import annotations

import time

import numpy as np
from tables import print_table

from cortexlink.core.chunk import Chunk
from cortexlink.seizure.multisite import run_multisite
from cortexlink.seizure.score import default_detector
from cortexlink.sim.scene import simulate_scene


def propagation(quick: bool) -> None:
    configs = [(5, 16)] if quick else [(5, 96), (11, 96)]
    rows = []
    for n_sites, n_ch in configs:
        delays = [1.0 * k for k in range(n_sites - 1)] + [1000.0]
        t0 = time.perf_counter()
        scene = simulate_scene(n_sites=n_sites, channels_per_site=n_ch, seconds=6.0 + n_sites,
                               sample_rate=30000.0, seizure=True, seizure_onset_s=3.0,
                               seizure_duration_s=8.0, spread_delays_s=delays, seed=11, task=None)
        sim_s = time.perf_counter() - t0
        on, off = scene.truth.seizure_onsets_s, scene.truth.seizure_offsets_s
        detect = {s: on[s] + 0.5 * (off[s] - on[s]) for s in on}
        t0 = time.perf_counter()
        res = run_multisite(scene.recordings, detect_times=detect, onset_times=on, chunk_s=0.01)
        s = res.summary(on)
        confirm = np.array(res.stats.confirm_ns) / 1e6 if res.stats.confirm_ns else np.array([np.nan])
        n_det = max(s["detections"], 1)
        rows.append({"sites": n_sites, "channels": n_ch, "pairs_true": s["pairs_true"],
                     "pairs_found": s["pairs_found"], "precision": s["pair_precision"],
                     "recall": s["pair_recall"], "lag_err_s_median": s["lag_error_s_median"],
                     "bytes/detection": s["bytes_sent"] // n_det,
                     "allpairs_trace_bytes/det": s["baseline_bytes"] // n_det,
                     "trace_ratio": round(s["baseline_bytes"] / max(s["bytes_sent"], 1), 2),
                     "allpairs_raw_bytes/det": s["baseline_raw_bytes"] // n_det,
                     "raw_ratio": round(s["baseline_raw_bytes"] / max(s["bytes_sent"], 1)),
                     "dtw/detection": round(s["exact_comparisons"] / n_det, 1),
                     "allpairs_dtw/det": s["baseline_comparisons"] // n_det,
                     "confirm_ms_p50": float(np.percentile(confirm, 50)),
                     "confirm_ms_p99": float(np.percentile(confirm, 99)),
                     "sim_s": round(sim_s, 1), "run_s": round(time.perf_counter() - t0, 1)})
    print_table("Propagation on the simulator (30 kHz; detection at the visible half of each episode)", rows)
    _stream_cost(quick)


def _stream_cost(quick: bool) -> None:
    det = default_detector()
    rate, n_ch = 30000.0, 96
    seconds = 1.5 if quick else 3.0
    rng = np.random.default_rng(0)
    data = rng.normal(0, 20, size=(n_ch, int(rate * seconds))).astype(np.float32)
    det.reset()
    times = []
    for start in range(0, data.shape[1], 30):
        chunk = Chunk(data[:, start:start + 30], start, rate)
        t0 = time.perf_counter_ns()
        det.step(chunk)
        times.append(time.perf_counter_ns() - t0)
    t = np.array(times[int(rate // 30):]) / 1e3  # after the first window filled
    print_table("Streaming detection cost per chunk (window 1 s, step 0.5 s)", [{
        "detector": "default (gbt)", "channels": n_ch, "chunk": "1 ms at 30 kHz", "chunks": t.size,
        "p50_us": float(np.percentile(t, 50)), "p99_us": float(np.percentile(t, 99)),
        "max_us": float(t.max())}])
