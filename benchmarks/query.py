"""Store and query benchmark: Hull's evaluation at 11 sites x 96 channels x 30 kHz, side by side with
the same selections written by hand over NWB (h5py) and over a plain zarr array with numpy.

Signal: the shared Neuralink recordings tiled over 96 channels (each channel a different file or
offset), taken as 30 kHz. One site's store is written with ``StoreWriter`` (10 ms appends, a
commit every 100 ms; write MS/s and compression ratio, also for the peers' writers; once more with
the seizure detector's scores computed at record time), then cloned to 11 sites; the peers' NWB
file and zarr array hold the same samples.

- Q1: channels detected as seizing (``seizure_detect`` over the 1 s before each t, every 100 ms),
  read from the stores' score streams; the peers run the detector by hand (``--q1-peers``). The
  detector scores all of this data alike, so Q1 runs at both ends: all pairs match, none do.
- Q2: windows matching a template by DTW, at 1 / 10 / 50 % of windows (thresholds at those quantiles
  of the exact distances): hash test then exact (``similar``), and exact on every window.
- Q3: all data of the last 100 ms and 1 s (MB/s; cold Q3 is bounded by the codec's decode speed,
  printed too).

"cold": caches dropped before every query (the store's decoded chunks and the query's cached
function values); "warm": the same query again. "match %" is the share of (site, t, channel)
pairs that held. Then the live part: one process records 11 new stores (signal, hash streams and
the seizure scores a detector upstream produced, replayed from the first pass) as fast as it can
up to real time, while the same queries run again and again over them; queries/s there are per
wall second and per CPU second of the querying process, and the writer's pace is printed.
Dask: Q2 (hash, 10 %) over the 11 stores on a LocalCluster of 2 worker processes vs in-process.

    python benchmarks/query.py [--quick] [--seconds S] [--live-seconds S] [--q1-peers] [--no-dask]
                               [--live-only]
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
    times, cpus, out, start = [], [], None, time.perf_counter()
    while len(times) < max_reps and (time.perf_counter() - start < min_s or len(times) < min(2, max_reps)):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        times.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    CPU_S[id(out)] = float(np.median(cpus))
    return float(np.median(times)), out


CPU_S: dict[int, float] = {}  # CPU seconds (this process, all threads) per call of the last timed()


def write_store(path: Path, x: np.ndarray, fsync: bool, scores: dict | None = None) -> tuple[float, int]:
    from cortexlink.store import StoreWriter

    w = StoreWriter(path, x.shape[0], RATE, site="site0", fsync=fsync, start_unix_ns=0, scores=scores)
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


def live_writer(root: str, x: np.ndarray, scores: np.ndarray, stop, committed) -> None:
    """Record 11 stores from now on (100 ms appends, each committed), as fast as the machine allows
    up to real time, until ``stop`` is set; ``committed`` counts the samples every store holds.
    The signal wraps around ``x``; the seizure scores are given (``scores``: the detector's score of
    each 1 s window of ``x`` in a loop, one per 100 ms), as a detector node upstream would have
    produced them."""
    from cortexlink.store import StoreWriter

    step, n = int(RATE / 10), x.shape[1]
    start = time.time_ns()
    writers = [
        StoreWriter(Path(root) / f"site{k}", x.shape[0], RATE, site=f"site{k}", fsync=False,
                    start_unix_ns=start, scores={"seizure": (1000.0, 100.0)})
        for k in range(N_SITES)
    ]
    t0, i = time.monotonic(), 0
    nan = np.full((x.shape[0], 1), np.nan)
    while not stop.is_set():
        a = (i * step) % n
        given = {"seizure": scores[:, a // step : a // step + 1] if i >= 9 else nan}  # 1 s windows
        for w in writers:
            w.append(x[:, a : a + step], scores=given)
            w.flush()
        i += 1
        committed.value = i * step
        time.sleep(max(0.0, t0 + i * 0.1 - time.monotonic()))
    for w in writers:
        w.close()


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


def hand_q1(kind, arr, n, thr, points):
    """Q1 by hand: per t, the detector on the second before it, and the last 100 ms of the channels
    at or above ``thr``."""
    from cortexlink.seizure import score_channels

    out = []
    for _ in range(N_SITES):
        for e in points:
            block = np.asarray(arr[e - int(RATE) : e, :]).T if kind == "nwb" else arr[:, e - int(RATE) : e]
            hit = np.flatnonzero(score_channels(block, RATE) >= thr)
            out.append(block[hit, -int(RATE / 10) :])
    return out


def cyclic_scores(x: np.ndarray, stored: np.ndarray) -> np.ndarray:
    """The detector's score of every 1 s window ending at each 100 ms of ``x`` played in a loop:
    the stored stream, plus the windows that wrap around the end."""
    from cortexlink.seizure import score_channels

    out, n, w = stored.copy(), x.shape[1], int(RATE)
    for j in range(out.shape[1]):
        e = (j + 1) * int(RATE / 10)
        if e < w:
            out[:, j] = score_channels(np.concatenate([x[:, n - (w - e) :], x[:, :e]], axis=1), RATE)
    return out


def codec_decode_speed(store_dir: Path) -> tuple[float, float]:
    """MB/s (int16 out) of decoding one sealed chunk of every channel, wall and CPU."""
    from cortexlink.store import SiteStore

    st = SiteStore(store_dir)
    blobs = [(store_dir / "signal" / f"{c}.0").read_bytes() for c in range(st.n_channels)]
    st._codec.decode(blobs[0])
    t0, c0 = time.perf_counter(), time.process_time()
    for b in blobs:
        st._codec.decode(b)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    mb = st.n_channels * st.chunk * 2 / 1e6
    return mb / wall, mb / cpu


def match_share(res) -> float:
    """The share of (site, t, channel) pairs where ``where`` held."""
    pairs = sum(sp.n_points * len(sp.channels) for sp in res.plan.sites) if res.query.where else 0
    return sum(len(r.channels) for r in res.rows) / pairs if pairs else 1.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="2 s per site, fewer repetitions")
    ap.add_argument("--seconds", type=float, help="seconds of signal per site (default 5, quick 2)")
    ap.add_argument("--live-seconds", type=float, help="seconds each live query runs (default 5, quick 2)")
    ap.add_argument("--q1-peers", action="store_true", help="also run Q1 by hand over NWB and zarr (slow)")
    ap.add_argument("--no-dask", action="store_true", help="skip the Dask comparison")
    ap.add_argument("--live-only", action="store_true", help="only the write table and the live part")
    args = ap.parse_args()
    seconds = args.seconds or (2.0 if args.quick else 5.0)
    min_s = 0.5 if args.quick else 2.0
    live_s = args.live_seconds or (2.0 if args.quick else 5.0)

    from cortexlink.query import query
    from cortexlink.query.execute import clear_cache
    from cortexlink.similarity import distances
    from cortexlink.store import SiteStore, find_stores
    from cortexlink.store.encoding import warm_up

    warm_up("int16", "fast", 600)
    x = tiled(seconds)
    n = x.shape[1]
    tmp = Path(tempfile.mkdtemp(prefix="cortexlink-query-bench-"))
    print(
        f"signal: {N_CH} channels x {seconds:g} s of ../shared/data/neuralink tiled, as {RATE:g} Hz int16; "
        f"{N_SITES} sites (clones of one); figures depend on the machine's load"
    )
    w_s, w_bytes = write_store(tmp / "plain", x, fsync=False)
    wf_s, _ = write_store(tmp / "one_fsync", x, fsync=True)
    ws_s, _ = write_store(tmp / "one", x, fsync=False, scores={"seizure": (1000.0, 100.0)})
    p = peers(tmp, x)
    raw = x.nbytes
    print("\nstore write (one site, 10 ms appends, commit every 100 ms)")
    print(f"{'writer':<40} {'MS/s':>8} {'ratio':>7}")
    for name, sec, nbytes in (
        ("cortexlink store", w_s, w_bytes),
        ("cortexlink store, fsync", wf_s, w_bytes),
        ("cortexlink store + seizure scores /100 ms", ws_s, w_bytes),
        ("NWB (pynwb, whole file)", p["nwb_s"], p["nwb_bytes"]),
        ("zarr (default compressor)", p["zarr_s"], p["zarr_bytes"]),
    ):
        print(f"{name:<40} {x.size / sec / 1e6:>8.2f} {raw / nbytes:>7.2f}")
    dec_wall, dec_cpu = codec_decode_speed(tmp / "one")
    print(f"codec decode (1 s chunk, each of 96 channels): {dec_wall:.0f} MB/s wall, {dec_cpu:.0f} MB/s CPU")

    clone(tmp / "one", tmp / "stores")
    stores_dir = tmp / "stores"

    def fresh():
        clear_cache()
        return find_stores([stores_dir])

    opened = fresh()

    def ours(text, cold, params=None, where=None):
        def run():
            stores = fresh() if cold else (where or opened)
            return query(text, stores, params=params)

        return run

    rows = []
    window = int(0.02 * RATE)
    template = x[5, n - 7 * window : n - 6 * window].astype(np.float64)
    prm = {"tmpl": template}
    fractions = (0.01, 0.10, 0.50)

    def q1_text(thr, ms):
        return (f"from site* select data[matched][t-100:t] where seizure_detect(data[:][t-1000:t], {thr!r}) "
                f"and t >= -{ms} step 100")

    def q2_text(thr, ms, exact):
        return (f"from site* select data[matched][t-20:t] where similar(data[:][t-20:t], tmpl, dtw, "
                f"{thr!r}{', exact' if exact else ''}) and t >= -{ms} step 20")

    # read latency: one channel x 100 ms
    st = SiteStore(stores_dir / "site3")
    hop = int(RATE / 10)
    a = n - int(0.1 * RATE)
    cold1, _ = timed(lambda: SiteStore(stores_dir / "site3").read(a - 15000, n - 15000, [7]), min_s)
    warm1, _ = timed(lambda: st.read(a - 15000, n - 15000, [7]), min_s, prime=True)
    nwb1, _ = timed(lambda: p["nwb"][a - 15000 : n - 15000, 7], min_s)
    zarr1, _ = timed(lambda: p["zarr"][7, a - 15000 : n - 15000], min_s)

    # Q1 from the stored score streams. The default detector scores every window of this data at
    # about 0.9999, so the share of matches cannot be set by a threshold here: Q1 runs at the
    # detector's own threshold (0.5, everything matches) and at 1.0 (nothing does), the two ends.
    q1_live = {}
    for ms in (100, 1000):
        for thr in (0.5, 1.0):
            text = q1_text(thr, ms)
            q1_live.setdefault(ms, text)
            if args.live_only:
                continue
            c, _ = timed(ours(text, True), min_s, 3)
            wm, res = timed(ours(text, False), min_s, prime=True)
            wcpu = CPU_S[id(res)]
            nb = zr = float("nan")
            if args.q1_peers and ms == 100:
                points = [n - hop, n]
                nb, _ = timed(lambda t=thr, pts=points: hand_q1("nwb", p["nwb"], n, t, pts), 0.0, 1)
                zr, _ = timed(lambda t=thr, pts=points: hand_q1("zarr", p["zarr"], n, t, pts), 0.0, 1)
            rows.append((f"Q1 stored scores >= {thr:g}, last {ms} ms", c, wm, wcpu, nb, zr,
                         res.nbytes() / 1e6, match_share(res)))
    # Q2: a template cut from the data; thresholds at 1/10/50 % of the exact distances
    q2_live = {}
    for ms in (100, 1000):
        ends = np.arange(n - int(ms * RATE / 1000) + window, n + 1, window)
        wins = np.stack([x[:, e - window : e] for e in ends], axis=1).reshape(-1, window).astype(np.float64)
        d = np.sort(distances(template, wins if ms == 100 else wins[::7], "dtw"))
        for frac in fractions if ms == 100 else (0.10,):
            thr = float(d[max(0, int(frac * d.size) - 1)])
            for exact in (False, True):
                if exact and ms == 1000 and args.quick:
                    continue
                text = q2_text(thr, ms, exact)
                if frac == 0.10:
                    q2_live[(ms, exact)] = text
                if args.live_only:
                    continue
                c, _ = timed(ours(text, True, prm), min_s, 1 if args.quick else 3)
                wm, res = timed(ours(text, False, prm), min_s, prime=True)
                wcpu = CPU_S[id(res)]
                reps = 1 if args.quick else 3
                nb, _ = timed(lambda t=thr, e=exact, ms=ms: hand_q2(
                    "nwb", p["nwb"], n, template, t, window, int(ms * RATE / 1000), e), 0.0, reps)
                zr, _ = timed(lambda t=thr, e=exact, ms=ms: hand_q2(
                    "zarr", p["zarr"], n, template, t, window, int(ms * RATE / 1000), e), 0.0, reps)
                kind = "exact DTW" if exact else "hash+DTW"
                rows.append((f"Q2 {kind}, {frac:.0%}, last {ms} ms", c, wm, wcpu, nb, zr,
                             res.nbytes() / 1e6, match_share(res)))
    # Q3
    for ms in () if args.live_only else (100, 1000):
        length = int(ms * RATE / 1000)
        text = f"from site* select data[:][-{ms}:0]"
        c, _ = timed(ours(text, True), min_s, 3)
        wm, res = timed(ours(text, False), min_s, prime=True)
        wcpu = CPU_S[id(res)]
        nb, _ = timed(lambda length=length: hand_q3("nwb", p["nwb"], n, length), min_s, 20)
        zr, _ = timed(lambda length=length: hand_q3("zarr", p["zarr"], n, length), min_s, 20)
        rows.append((f"Q3 all data, last {ms} ms", c, wm, wcpu, nb, zr, res.nbytes() / 1e6, 1.0))

    print("\nqueries over 11 closed stores x 96 channels (queries/s; x peer = ours warm / peer; MB/s = warm)")
    print(
        f"{'query':<36} {'match %':>8} {'cold q/s':>9} {'warm q/s':>9} {'CPU q/s':>8} {'NWB q/s':>9} "
        f"{'zarr q/s':>9} {'x NWB':>7} {'x zarr':>7} {'MB':>7} {'MB/s':>7}"
    )
    for name, c, wm, wcpu, nb, zr, mb, share in rows:
        print(
            f"{name:<36} {100 * share:>8.1f} {1 / c:>9.2f} {1 / wm:>9.1f} {1 / max(wcpu, 1e-9):>8.1f} "
            f"{1 / nb:>9.2f} {1 / zr:>9.2f} {nb / wm:>7.1f} {zr / wm:>7.1f} {mb:>7.2f} {mb / wm:>7.0f}"
        )
    print("(CPU q/s: warm queries per CPU second of this process, all its threads; the fairer figure "
          "on a loaded machine)")
    print(
        f"\none channel x 100 ms read latency: store cold {cold1 * 1e3:.2f} ms, warm {warm1 * 1e3:.3f} ms; "
        f"NWB/h5py {nwb1 * 1e3:.3f} ms; zarr {zarr1 * 1e3:.2f} ms"
    )

    # live: the same queries while one process records 11 stores
    import multiprocessing as mpc

    full_scores = cyclic_scores(x, SiteStore(tmp / "one").read_scores("seizure", 0, n // hop))
    stop, committed = mp.Event(), mpc.Value("q", 0)
    live = mp.Process(
        target=live_writer, args=(str(tmp / "live"), x, full_scores, stop, committed), daemon=True
    )
    live.start()
    t_wait = time.monotonic()
    while committed.value < int(2.2 * RATE) and time.monotonic() - t_wait < 900:  # the 1 s queries' span
        time.sleep(0.05)
    live_queries = [
        ("Q1 stored scores >= 0.5, last 100 ms", q1_live[100], None),
        ("Q1 stored scores >= 0.5, last 1000 ms", q1_live[1000], None),
        ("Q2 hash+DTW, 10%, last 100 ms", q2_live[(100, False)], prm),
        ("Q2 exact DTW, 10%, last 100 ms", q2_live[(100, True)], prm),
        ("Q2 hash+DTW, 10%, last 1000 ms", q2_live[(1000, False)], prm),
        ("Q3 all data, last 100 ms", "from site* select data[:][-100:0]", None),
        ("Q3 all data, last 1000 ms", "from site* select data[:][-1000:0]", None),
    ]
    print(f"\nlive: the same queries, each repeated for {live_s:g} s over 11 stores being recorded meanwhile")
    print(f"{'query':<36} {'q/s wall':>9} {'q/s CPU':>8} {'MB/query':>9} {'rows':>6} {'new s/query':>12}")
    c_start, t_start = committed.value, time.monotonic()
    for name, text, params in live_queries:
        clear_cache()
        live_stores = find_stores([tmp / "live"])
        query(text, live_stores, params=params)
        count, mbs, n_rows, c_first = 0, 0.0, 0, committed.value
        t0, cpu0 = time.perf_counter(), time.process_time()
        while time.perf_counter() - t0 < live_s:
            res = query(text, live_stores, params=params)
            count += 1
            mbs += res.nbytes() / 1e6
            n_rows += len(res)
        wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
        grown = (committed.value - c_first) / RATE
        print(f"{name:<36} {count / wall:>9.1f} {count / cpu:>8.1f} {mbs / count:>9.2f} "
              f"{n_rows / count:>6.1f} {grown / count:>12.4f}")
    pace = (committed.value - c_start) / RATE / (time.monotonic() - t_start)
    stop.set()
    live.join(30)
    print(f"the writer recorded 11 x 96 channels at {pace:.2f} x real time meanwhile "
          f"({committed.value / RATE:.1f} s per store in all)")

    if not args.no_dask:
        from distributed import Client, LocalCluster

        text = q2_live[(100, False)]
        local_s, local = timed(ours(text, True, prm), min_s, 5)
        with (
            LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cl,
            Client(cl) as client,
        ):
            query(text, stores_dir, params=prm, dask=client)
            dask_s, remote = timed(lambda: query(text, stores_dir, params=prm, dask=client), min_s, 5)
        same = [(r.site, r.t_ms, r.channels.tolist()) for r in local.rows] == [
            (r.site, r.t_ms, r.channels.tolist()) for r in remote.rows
        ]
        print(
            f"Dask LocalCluster(2 workers) vs in-process, Q2 hash 10% over 11 stores: {1 / dask_s:.2f} vs "
            f"{1 / local_s:.2f} queries/s (in-process cold); results equal: {same}"
        )
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
