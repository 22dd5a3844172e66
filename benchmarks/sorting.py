"""Spike sorting: cortexlink's offline and online sorters beside MountainSort5, SpykingCircus2 and
Tridesclous2 (through SpikeInterface), on the same ground-truth recordings, in one run.

Data: SpikeInterface's ``generate_ground_truth_recording`` (30 kHz, noise level 7.5, 15 Hz per unit):
a tetrode with 10 units and a 32-channel linear probe with 20 units, and a drifting 32-channel
recording (``generate_drifting_recording``, zigzag drift); ``dense`` (ours only) is the linear
probe at 100 Hz per unit, for the matching loop's throughput. Per sorter: mean accuracy over true units
(matching within 0.4 ms, Hungarian pairing), the same over units with SNR >= 5, precision, recall,
well-detected units (accuracy >= 0.8), false-positive units, wall time and x real time. Online:
templates from a calibration segment (the first third, at most 60 s), then the whole recording in
1 ms chunks; per-chunk latency (p50/p99) and throughput (spikes per second of one core's time).
Then clustering alone on the Martinez 2009 snippets (ours vs k-means with the true k vs HDBSCAN on
the same PCA features), and the locust tetrode recordings (units, SNR, ISI violations).

Run: ``python benchmarks/sorting.py [--quick] [--seconds S] [--only tetrode linear drifting dense
martinez locust] [--no-peers]``. The peers use both cores (n_jobs=2), as ours does.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "spikesort"
PEERS = ("mountainsort5", "spykingcircus2", "tridesclous2")
SETS = {"tetrode": dict(layout="tetrode", n_units=10), "linear": dict(layout="linear", n_units=20),
        "drifting": dict(layout="drifting", n_units=10),
        # the linear probe at 100 Hz per unit (2,000 spikes/s, overlaps everywhere): the matching
        # loop's throughput where spikes, not the scan, dominate; ours only
        "dense": dict(layout="linear", n_units=20, firing_rate=100.0, peers=False)}
CHUNK_MS = 1.0


def _peer_params(name: str) -> dict:
    # two workers as threads: process pools would start (and compile) everything again per worker
    if name == "mountainsort5":
        return {"n_jobs": 2, "pool_engine": "thread"}
    return {"job_kwargs": {"n_jobs": 2, "pool_engine": "thread", "progress_bar": False}}


def run_peer(name: str, recording, probe) -> tuple[object | None, float, str]:
    """(Sorting or None, wall seconds, error) of peer ``name`` on ``recording``."""
    import spikeinterface.sorters as ss

    from cortexlink.sort import sorting_from_spikeinterface, to_spikeinterface_recording

    with tempfile.TemporaryDirectory() as folder, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # the peers need a recording they can reopen: a binary folder, written before the clock starts
        si_rec = to_spikeinterface_recording(recording, probe).save(
            folder=Path(folder) / "recording", format="binary", verbose=False, progress_bar=False)
        started = time.perf_counter()
        try:
            with contextlib.redirect_stdout(io.StringIO()):  # the peers' own progress chatter
                out = ss.run_sorter(name, si_rec, folder=Path(folder) / name, remove_existing_folder=True,
                                    verbose=False, raise_error=True, **_peer_params(name))
            sorting = sorting_from_spikeinterface(out)
        except Exception as exc:  # a peer failing is reported in the table, not fatal
            return None, time.perf_counter() - started, f"{type(exc).__name__}: {str(exc)[:80]}"
    return sorting, time.perf_counter() - started, ""


def run_online(model, recording) -> tuple[object, dict]:
    """Stream ``recording`` in 1 ms chunks; the sorting and latency/throughput figures."""
    from cortexlink.sort import OnlineSorter, Sorting

    sorter = OnlineSorter(model, adapt=True)
    data = recording.microvolts()
    n = max(1, int(round(CHUNK_MS * recording.sample_rate / 1000)))
    sorter.process(data[:, :n])  # kernels compiled
    sorter = OnlineSorter(model, adapt=True)
    latencies = np.empty((data.shape[1] + n - 1) // n)
    cpu_each = np.empty_like(latencies)  # the chunk's CPU time: what a machine of our own would take
    parts = []
    cpu = time.process_time()
    for k, start in enumerate(range(0, data.shape[1], n)):
        t0, c0 = time.perf_counter_ns(), time.thread_time_ns()
        parts.append(sorter.process(data[:, start:start + n]))
        latencies[k] = time.perf_counter_ns() - t0
        cpu_each[k] = time.thread_time_ns() - c0
    parts.append(sorter.finish())
    cpu = time.process_time() - cpu
    samples = np.concatenate([p.samples for p in parts])
    units = np.concatenate([p.units for p in parts])
    sorting = Sorting(recording.sample_rate, samples, units, unit_ids=model.unit_ids,
                      n_samples=recording.n_samples)
    return sorting, {"p50_us": np.percentile(latencies, 50) / 1e3,
                     "p99_us": np.percentile(latencies, 99) / 1e3,
                     "cpu_p99_us": np.percentile(cpu_each, 99) / 1e3,
                     "cpu_s": cpu, "spikes_per_cpu_s": samples.size / max(cpu, 1e-9)}


def matching_rate(model, recording) -> tuple[float, float]:
    """Spikes matched per second of the peeling loop on one core: over the whole loop, and per
    second of the loop's time beyond a pass that scans the same traces matching nothing (the cost
    that grows with the spike rate: the capacity in spikes per second)."""
    from dataclasses import replace

    from cortexlink.sort.matching import Matcher
    from cortexlink.sort.preprocess import preprocess

    x, _ = preprocess(recording.microvolts(), recording.sample_rate, model.probe, model.params,
                      model.whitener)
    matcher = Matcher(model.templates, model.geometry, model.params)
    matcher.match_all(x[:, : 4 * matcher.history + 30000].copy(), n_jobs=1)
    scan_only = Matcher(model.templates, model.geometry, replace(model.params, min_score=1e30))
    cpu = time.process_time()
    scan_only.match_all(x.copy(), n_jobs=1)
    scan = time.process_time() - cpu
    cpu = time.process_time()
    s, _, _ = matcher.match_all(x, n_jobs=1)
    total = time.process_time() - cpu
    return s.size / max(total, 1e-9), s.size / max(total - scan, 1e-9)


def score(sorting, truth, snr) -> dict:
    from cortexlink.sort import compare_to_ground_truth

    c = compare_to_ground_truth(sorting, truth)
    out = c.summary()
    good = snr >= 5
    out["accuracy_snr5"] = float(c.accuracy[good].mean()) if good.any() else float("nan")
    return out


def bench_set(name: str, seconds: float, peers: bool, seed: int = 0) -> list[dict]:
    from cortexlink.sort import fit_sorter, ground_truth_recording, unit_snr

    spec = SETS[name]
    peers = peers and spec.get("peers", True)
    recording, truth, probe = ground_truth_recording(spec["layout"], n_units=spec["n_units"],
                                                     duration_s=seconds, seed=seed,
                                                     firing_rate=spec.get("firing_rate", 15.0))
    snr = unit_snr(recording, truth)
    print(f"\n## {name}: {recording.n_channels} ch, {truth.n_units} units "
          f"({int(np.sum(snr >= 5))} with SNR >= 5), "
          f"{seconds:g} s", flush=True)
    fit_sorter(recording.time_slice(0, 2.0), probe)  # compile our kernels outside the timing
    rows = []
    started = time.perf_counter()
    model, sorting = fit_sorter(recording, probe)
    wall = time.perf_counter() - started
    rows.append({"sorter": "cortexlink offline", "wall": wall, **score(sorting, truth, snr)})
    calibration = recording.time_slice(0, min(60.0, seconds / 3))
    cal_model, _ = fit_sorter(calibration, probe)
    online, figures = run_online(cal_model, recording)
    rows.append({"sorter": "cortexlink online", "wall": figures["cpu_s"], **score(online, truth, snr),
                 "note": f"time: CPU s of one core; 1 ms chunks p50 {figures['p50_us']:.0f} us, "
                         f"p99 {figures['p99_us']:.0f} us (CPU p99 {figures['cpu_p99_us']:.0f} us); "
                         f"{figures['spikes_per_cpu_s']:.0f} spikes/s"})
    whole, capacity = matching_rate(cal_model, recording)
    rows[-1]["note"] += f"; matching loop {whole:.0f} spikes/s, {capacity:.0f} per s beyond scanning"
    if peers:
        for peer in PEERS:
            found, wall, error = run_peer(peer, recording, probe)
            row = {"sorter": peer, "wall": wall, "note": error}
            if found is not None:
                row.update(score(found, truth, snr))
            rows.append(row)
            print(f"  {peer}: {wall:.1f} s {error}", flush=True)
    _print_table(rows, seconds)
    return rows


def _print_table(rows: list[dict], seconds: float) -> None:
    peer_rtf = [seconds / r["wall"] for r in rows if r["sorter"] in PEERS and "accuracy" in r]
    best_peer = max([r["accuracy"] for r in rows if r["sorter"] in PEERS and "accuracy" in r], default=np.nan)
    print(f"{'sorter':<20} {'acc':>6} {'acc SNR>=5':>10} {'prec':>6} {'recall':>6} {'well':>5} "
          f"{'FP units':>8} "
          f"{'found':>6} {'wall s':>7} {'x RT':>6} {'RT / fastest peer':>17}  notes")
    for r in rows:
        rtf = seconds / r["wall"] if r["wall"] > 0 else np.inf
        ratio = f"{rtf / max(peer_rtf):.1f}x" if peer_rtf else "-"
        if "accuracy" not in r:
            print(f"{r['sorter']:<20} {'failed':>6} {'':>10} {'':>6} {'':>6} {'':>5} {'':>8} {'':>6} "
                  f"{r['wall']:>7.1f} {'':>6} {'':>17}  {r.get('note', '')}")
            continue
        print(f"{r['sorter']:<20} {r['accuracy']:>6.3f} {r['accuracy_snr5']:>10.3f} {r['precision']:>6.3f} "
              f"{r['recall']:>6.3f} {r['well_detected']:>5d} {r['false_positive_units']:>8d} "
              f"{r['n_found']:>6d} "
              f"{r['wall']:>7.1f} {rtf:>6.1f} {ratio:>17}  {r.get('note', '')}")
    ours = next(r for r in rows if r["sorter"] == "cortexlink offline")
    if np.isfinite(best_peer):
        print(f"offline accuracy - best peer's: {ours['accuracy'] - best_peer:+.3f}")


def bench_martinez() -> None:
    from scipy.io import loadmat
    from scipy.optimize import linear_sum_assignment
    from sklearn.cluster import HDBSCAN, KMeans

    from cortexlink.sort.cluster import split_recursive
    from cortexlink.sort.features import pca
    from cortexlink.sort.params import SortParams

    folder = DATA / "martinez2009_snippets"
    labels = loadmat(folder / "GTlabels2.mat")["GTlabels"].ravel().astype(int)
    params = SortParams()
    print("\n## Martinez 2009 simulation 2 snippets (3 units): clustering accuracy (Hungarian-matched "
          "fraction of snippets), same 8 PCA features")
    print(f"{'snippets':<22} {'ours':>14} {'k-means k=3':>12} {'HDBSCAN':>14}")

    def accuracy(found: np.ndarray) -> float:
        table = np.zeros((labels.max() + 1, found.max() + 2))
        np.add.at(table, (labels, found + 1), 1)  # column 0: HDBSCAN's noise (-1)
        table[:, 0] = 0
        rows, cols = linear_sum_assignment(-table)
        return table[rows, cols].sum() / labels.size

    for name in ("GTthrAmpAligned2", "GTthrDeriAligned2", "GTthrUnaligned2"):
        mat = loadmat(folder / f"{name}.mat")
        snippets = next(v for k, v in mat.items() if not k.startswith("__"))
        features = pca(snippets, params.n_features)
        ours = split_recursive(features, params.min_cluster_size, params.split_valley)
        km = KMeans(3, n_init=10, random_state=0).fit_predict(features)
        hd = HDBSCAN(min_cluster_size=params.min_cluster_size).fit_predict(features)
        print(f"{name:<22} {accuracy(ours):>6.3f} ({ours.max() + 1:>2} cl) {accuracy(km):>12.3f} "
              f"{accuracy(hd):>6.3f} ({hd.max() + 1:>2} cl)")


def bench_locust(peers: bool) -> None:
    import json

    from cortexlink.core.recording import Recording
    from cortexlink.sort import fit_sorter, isi_violations, unit_snr

    folder = DATA / "tridesclous_locust"
    info = json.loads((folder / "info.json").read_text())
    print("\n## locust tetrode (real, no ground truth): units found, median SNR, "
          "mean ISI violations (< 1.5 ms)")
    print(f"{'file':<22} {'sorter':<20} {'units':>5} {'SNR med':>8} {'ISI viol':>9} {'wall s':>7}")
    for path in sorted(folder.glob("*.raw")):
        raw = np.fromfile(path, dtype=np.int16).reshape(-1, 4).T
        recording = Recording(np.ascontiguousarray(raw), float(info.get("sample_rate", 15000.0)))
        positions = np.array([[0, 0], [0, 25], [25, 0], [25, 25]], float)  # a tetrode's four wires
        results = []
        started = time.perf_counter()
        _, sorting = fit_sorter(recording, positions)
        results.append(("cortexlink offline", sorting, time.perf_counter() - started))
        if peers:
            from cortexlink.sort.probe import Probe

            for peer in PEERS:
                found, wall, error = run_peer(peer, recording, Probe(positions))
                results.append((peer if found is not None else f"{peer} (failed)", found, wall))
        for name, found, wall in results:
            if found is None or found.n_units == 0:
                print(f"{path.name:<22} {name:<20} {0:>5} {'':>8} {'':>9} {wall:>7.1f}")
                continue
            snr = unit_snr(recording, found)
            print(f"{path.name:<22} {name:<20} {found.n_units:>5} {np.median(snr):>8.1f} "
                  f"{isi_violations(found).mean():>9.2%} {wall:>7.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="20 s recordings")
    parser.add_argument("--seed", type=int, default=0, help="seed of the generated recordings")
    parser.add_argument("--seconds", type=float, help="recording length (default 300, --quick 20)")
    parser.add_argument("--only", nargs="+", choices=[*SETS, "martinez", "locust"],
                        default=[*SETS, "martinez", "locust"])
    parser.add_argument("--no-peers", action="store_true", help="our sorters only")
    args = parser.parse_args()
    seconds = args.seconds or (20.0 if args.quick else 300.0)
    peers = "none" if args.no_peers else ", ".join(PEERS)
    print(f"spike sorting benchmark: {seconds:g} s recordings; peers: {peers}")
    for name in args.only:
        if name in SETS:
            bench_set(name, seconds, not args.no_peers, args.seed)
        elif name == "martinez":
            bench_martinez()
        else:
            bench_locust(not args.no_peers)


if __name__ == "__main__":
    main()
