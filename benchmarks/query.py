"""Store and query benchmark: Hull's evaluation at 11 sites x 96 channels x 30 kHz, side by side with
the same selections written by hand over NWB (h5py) and over a plain zarr array with numpy.

Signal: the shared Neuralink recordings tiled over 96 channels (each channel a different file or
offset), taken as 30 kHz. One site's store is written with ``StoreWriter`` (10 ms appends, a
commit every 100 ms; write MS/s and compression ratio, also for the peers' writers), then cloned
to 11 sites; the peers' NWB file and zarr array hold the same samples. While the queries run, a
separate process records a twelfth, live store in real time (96 channels at 30 kHz), so the
machine is also recording, as in Hull's setup.

- Q1: channels detected as seizing (``seizure_detect``) in the last window: the detector's own
  cost per site-second is reported (``--quick``), and with ``--q1`` the whole query once, cold.
- Q2: windows matching a template by DTW, at 1 / 10 / 50 % of windows (thresholds at those quantiles
  of the exact distances): hash test then exact (``similar``), and exact on every window.
- Q3: all data of the last 100 ms and 1 s (MB/s).

"cold": caches dropped before every query (the store's decoded chunks and the query's cached
function values); "warm": the same query again, as a dashboard polling a live store would.
Dask: Q2 (hash, 10 %) over the 11 stores on a LocalCluster of 2 worker processes vs in-process.

    python benchmarks/query.py [--quick] [--seconds S] [--q1] [--no-dask]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / ".." / "shared" / "data" / "neuralink"
RATE = 30000.0
N_SITES, N_CH = 11, 96


def tiled(seconds: float) -> np.ndarray:
    from cortexlink.io import open_recording

    files = sorted(DATA.glob("*.wav"))[:N_CH]
    n = int(seconds * RATE)
    out = np.empty((N_CH, n), np.int16)
    for c in range(N_CH):
        x = open_recording(files[c % len(files)]).data[0]
        x = np.tile(x, -(-(n + c * 997) // x.size))
        out[c] = x[c * 997 % max(1, x.size - n) :][:n] if x.size > n else x[:n]
    return out


def timed(fn, min_s: float = 1.0, max_reps: int = 200, prime: bool = False) -> tuple[float, object]:
    """Seconds per call (median of repeated calls within ``min_s``) and the last result; ``prime``
    calls it once first, untimed (a warm measurement)."""
    if prime:
        fn()
    times, out, start = [], None, time.perf_counter()
    while len(times) < max_reps and (time.perf_counter() - start < min_s or len(times) < 2):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), out


def write_store(path: Path, x: np.ndarray, fsync: bool) -> tuple[float, int]:
    from cortexlink.store import StoreWriter

    w = StoreWriter(path, x.shape[0], RATE, site="site0", fsync=fsync, start_unix_ns=0)
    t0 = time.perf_counter()
    step = int(RATE / 100)
    for i, a in enumerate(range(0, x.shape[1], step)):
        w.append(x[:, a : a + step])
        if i % 10 == 9:
            w.flush()
    w.close()
    return time.perf_counter() - t0, w.manifest["bytes"]["signal"]


def clone(src: Path, root: Path) -> None:
    for k in range(N_SITES):
        dst = root / f"site{k}"
        shutil.copytree(src, dst)
        attrs = json.loads((dst / ".zattrs").read_text())
        attrs["cortexlink_store"]["site"] = f"site{k}"
        attrs["cortexlink_store"]["uid"] = f"clone{k}-{attrs['cortexlink_store']['uid']}"   # caches apart
        (dst / ".zattrs").write_text(json.dumps(attrs))


def live_writer(path: str, x: np.ndarray, stop) -> None:
    """Record a live store in real time (10 ms appends, 100 ms commits) until ``stop`` is set."""
    from cortexlink.store import StoreWriter

    w = StoreWriter(path, x.shape[0], RATE, site="live")
    step, t0, i = int(RATE / 100), time.monotonic(), 0
    while not stop.is_set():
        a = (i * step) % (x.shape[1] - step)
        w.append(x[:, a : a + step])
        i += 1
        if i % 10 == 0:
            w.flush()
        time.sleep(max(0.0, t0 + i * 0.01 - time.monotonic()))


def peers(tmp: Path, x: np.ndarray) -> dict:
    import h5py
    import zarr

    from cortexlink.core.recording import Recording
    from cortexlink.io import save_recording

    t0 = time.perf_counter()
    save_recording(Recording(x, RATE), tmp / "site.nwb")
    nwb_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    z = zarr.open_array(str(tmp / "plain.zarr"), mode="w", shape=x.shape, chunks=(1, int(RATE)), dtype="i2")
    z[:, :] = x
    zarr_s = time.perf_counter() - t0
    zbytes = sum(p.stat().st_size for p in (tmp / "plain.zarr").iterdir() if not p.name.startswith("."))
    h5 = h5py.File(tmp / "site.nwb", "r")
    dset = h5["acquisition"][next(iter(h5["acquisition"]))]["data"]
    return {
        "nwb": dset,
        "zarr": z,
        "nwb_s": nwb_s,
        "zarr_s": zarr_s,
        "nwb_bytes": (tmp / "site.nwb").stat().st_size,
        "zarr_bytes": zbytes,
    }


def hand_q3(kind, arr, n, length):
    if kind == "nwb":
        return [arr[n - length : n, :].T for _ in range(N_SITES)]
    return [arr[:, n - length : n] for _ in range(N_SITES)]


def hand_q2(kind, arr, n, template, thr, window, span, exact):
    """Q2 by hand: read the span, cut the grid's windows, (hash test,) exact DTW, keep matches."""
    from cortexlink.query.functions import similar_family
    from cortexlink.similarity import distances

    fam = similar_family("dtw", window)
    tcode = fam.hash(template[None, :])[0]
    out = []
    for block in hand_q3(kind, arr, n, span + window):
        ends = np.arange(window + span % window, block.shape[1] + 1, window)
        w = np.stack([block[:, e - window : e] for e in ends], axis=1).reshape(-1, window).astype(np.float64)
        keep = np.ones(w.shape[0], bool) if exact else (fam.hash(w) == tcode).any(axis=1)
        d = np.full(w.shape[0], np.inf)
        d[keep] = distances(template, w[keep], "dtw")
        out.append(np.flatnonzero(d <= thr))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="2 s per site, fewer repetitions")
    ap.add_argument("--seconds", type=float, help="seconds of signal per site (default 5, quick 2)")
    ap.add_argument("--q1", action="store_true", help="also run Q1 (the seizure detector) cold, once")
    ap.add_argument("--no-dask", action="store_true", help="skip the Dask comparison")
    args = ap.parse_args()
    seconds = args.seconds or (2.0 if args.quick else 5.0)
    min_s = 0.5 if args.quick else 2.0

    from cortexlink.query import query
    from cortexlink.query.execute import clear_cache
    from cortexlink.similarity import distances
    from cortexlink.store import SiteStore, find_stores
    from cortexlink.store.writer import warm_up

    warm_up("int16", "fast", 600)
    x = tiled(seconds)
    n = x.shape[1]
    tmp = Path(tempfile.mkdtemp(prefix="cortexlink-query-bench-"))
    print(
        f"signal: {N_CH} channels x {seconds:g} s of ../shared/data/neuralink tiled, as {RATE:g} Hz int16; "
        f"{N_SITES} sites (clones of one); machine shared and loaded: figures are noisy"
    )
    w_s, w_bytes = write_store(tmp / "one", x, fsync=False)
    wf_s, _ = write_store(tmp / "one_fsync", x, fsync=True)
    p = peers(tmp, x)
    raw = x.nbytes
    print("\nstore write (one site, 10 ms appends, commit every 100 ms)")
    print(f"{'writer':<28} {'MS/s':>8} {'ratio':>7}")
    print(f"{'cortexlink store':<28} {x.size / w_s / 1e6:>8.2f} {raw / w_bytes:>7.2f}")
    print(f"{'cortexlink store, fsync':<28} {x.size / wf_s / 1e6:>8.2f} {raw / w_bytes:>7.2f}")
    print(f"{'NWB (pynwb, whole file)':<28} {x.size / p['nwb_s'] / 1e6:>8.2f} {raw / p['nwb_bytes']:>7.2f}")
    print(
        f"{'zarr (default compressor)':<28} {x.size / p['zarr_s'] / 1e6:>8.2f} {raw / p['zarr_bytes']:>7.2f}"
    )

    clone(tmp / "one", tmp / "stores")
    stop = mp.Event()
    live = mp.Process(target=live_writer, args=(str(tmp / "live"), x, stop), daemon=True)
    live.start()
    stores_dir = tmp / "stores"

    def fresh():
        clear_cache()
        return find_stores([stores_dir])

    opened = fresh()

    def ours(text, cold, params=None):
        def run():
            stores = fresh() if cold else opened
            return query(text, stores, params=params)

        return run

    rows = []

    def add(name, ours_cold, ours_warm, nwb, zarr_, mb=None):
        rows.append((name, ours_cold, ours_warm, nwb, zarr_, mb))

    # read latency: one channel x 100 ms
    st = SiteStore(stores_dir / "site3")
    a = n - int(0.1 * RATE)
    cold1, _ = timed(lambda: SiteStore(stores_dir / "site3").read(a - 15000, n - 15000, [7]), min_s)
    warm1, _ = timed(lambda: st.read(a - 15000, n - 15000, [7]), min_s, prime=True)
    nwb1, _ = timed(lambda: p["nwb"][a - 15000 : n - 15000, 7], min_s)
    zarr1, _ = timed(lambda: p["zarr"][7, a - 15000 : n - 15000], min_s)
    # Q3
    for ms in (100, 1000):
        length = int(ms * RATE / 1000)
        text = f"from site* select data[:][-{ms}:0]"
        c, _ = timed(ours(text, True), min_s, 20)
        wm, res = timed(ours(text, False), min_s, prime=True)
        nb, _ = timed(lambda length=length: hand_q3("nwb", p["nwb"], n, length), min_s, 20)
        zr, _ = timed(lambda length=length: hand_q3("zarr", p["zarr"], n, length), min_s, 20)
        add(f"Q3 all data, last {ms} ms", c, wm, nb, zr, res.nbytes() / 1e6)
    # Q2: a template cut from the data; thresholds at 1/10/50 % of the exact distances
    window = int(0.02 * RATE)
    template = x[5, n - 7 * window : n - 6 * window].astype(np.float64)
    for ms in (100, 1000):
        ends = np.arange(n - int(ms * RATE / 1000) + window, n + 1, window)
        wins = np.stack([x[:, e - window : e] for e in ends], axis=1).reshape(-1, window).astype(np.float64)
        d = np.sort(distances(template, wins if ms == 100 else wins[::7], "dtw"))
        for frac in (0.01, 0.10, 0.50) if ms == 100 else (0.10,):
            thr = float(d[max(0, int(frac * d.size) - 1)])
            for exact in (False, True):
                if exact and ms == 1000 and args.quick:
                    continue
                text = (
                    f"from site* select data[matched][t-20:t] where similar(data[:][t-20:t], tmpl, dtw, "
                    f"{thr!r}{', exact' if exact else ''}) and t >= -{ms} step 20"
                )
                prm = {"tmpl": template}
                c, _ = timed(ours(text, True, prm), min_s, 5)
                wm, res = timed(ours(text, False, prm), min_s, prime=True)
                nb, _ = timed(
                    lambda t=thr, e=exact, ms=ms: hand_q2(
                        "nwb", p["nwb"], n, template, t, window, int(ms * RATE / 1000), e
                    ),
                    min_s,
                    5,
                )
                zr, _ = timed(
                    lambda t=thr, e=exact, ms=ms: hand_q2(
                        "zarr", p["zarr"], n, template, t, window, int(ms * RATE / 1000), e
                    ),
                    min_s,
                    5,
                )
                kind = "exact DTW" if exact else "hash+DTW"
                add(f"Q2 {kind}, {frac:.0%} match, last {ms} ms", c, wm, nb, zr, res.nbytes() / 1e6)
    # Q1: the detector's cost
    from cortexlink.seizure import score_channels

    score_channels(x[:4, : int(RATE)], RATE)
    det_s, _ = timed(lambda: score_channels(x[:, -int(RATE) :], RATE), 0.1, 2)
    if args.q1:
        text = ("from site* select data[matched][t-100:t] where seizure_detect(data[:][t-1000:t]) "
                "and t >= -100 step 100")
        c, _ = timed(ours(text, True), 0.1, 1)
        wm, res = timed(ours(text, False), min_s, prime=True)
        add("Q1 seizure_detect, last 100 ms", c, wm, float("nan"), float("nan"), res.nbytes() / 1e6)

    print("\nqueries over 11 sites x 96 channels (queries/s; ratio = ours warm / peer)")
    print(
        f"{'query':<38} {'cold q/s':>9} {'warm q/s':>9} {'NWB q/s':>9} {'zarr q/s':>9} {'x NWB':>7} "
        f"{'x zarr':>7}"
        f" {'MB':>7} {'warm MB/s':>10}"
    )
    for name, c, wm, nb, zr, mb in rows:
        print(
            f"{name:<38} {1 / c:>9.2f} {1 / wm:>9.1f} {1 / nb:>9.2f} {1 / zr:>9.2f} {nb / wm:>7.1f} "
            f"{zr / wm:>7.1f}"
            f" {mb:>7.2f} {mb / wm:>10.0f}"
        )
    print(
        f"\none channel x 100 ms read latency: store cold {cold1 * 1e3:.2f} ms, warm {warm1 * 1e3:.3f} ms; "
        f"NWB/h5py {nwb1 * 1e3:.3f} ms; zarr {zarr1 * 1e3:.2f} ms"
    )
    print(
        f"Q1 detector cost: score_channels on 96 channels x 1 s: {det_s:.2f} s per site "
        f"({N_SITES * det_s:.1f} s per cold Q1 over 11 sites)"
    )

    if not args.no_dask:
        from distributed import Client, LocalCluster

        thr = float(np.sort(distances(template, wins, "dtw"))[int(0.1 * wins.shape[0])])
        text = (f"from site* select data[matched][t-20:t] where similar(data[:][t-20:t], tmpl, dtw, {thr!r}) "
                "and t >= -100 step 20")
        local_s, local = timed(ours(text, True, {"tmpl": template}), min_s, 5)
        with (
            LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cl,
            Client(cl) as client,
        ):
            query(text, stores_dir, params={"tmpl": template}, dask=client)
            dask_s, remote = timed(
                lambda: query(text, stores_dir, params={"tmpl": template}, dask=client), min_s, 5
            )
        same = [(r.site, r.t_ms, r.channels.tolist()) for r in local.rows] == [
            (r.site, r.t_ms, r.channels.tolist()) for r in remote.rows
        ]
        print(
            f"Dask LocalCluster(2 workers) vs in-process, Q2 hash 10% over 11 stores: {1 / dask_s:.2f} vs "
            f"{1 / local_s:.2f} queries/s (in-process cold); results equal: {same}"
        )
    stop.set()
    live.join(5)
    print(f"live store recorded meanwhile: {SiteStore(tmp / 'live').n_samples / RATE:.1f} s of 96 channels")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
