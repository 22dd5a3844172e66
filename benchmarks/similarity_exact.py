"""Exact top-k DTW search and hash compression against the peers (rows for benchmarks/similarity.py).

``exact_search_table`` times one top-k DTW query over a history of windows for:

- brute-force DTW in numpy (the dynamic programme vectorised across windows), on a subset of the
  history and extrapolated to all of it (labelled so);
- dtaidistance's C kernel with its pruning (``distance_matrix_fast`` over the query-vs-history
  block, ``use_pruning=True``), single-threaded like the others;
- tslearn's ``cdist_dtw`` with a Sakoe-Chiba radius (band - 1), on a subset and extrapolated when
  the history is large;
- ``cortexlink.similarity.exact_top_k`` (LB_Kim / LB_Keogh cascade, abandoning DTW).

Each row has the seconds per query, and the recall of the true top-k (brute force by our batch
DTW, which the tests check against dtaidistance). ``compression_table`` gives ratio and MB/s of
``compress_hashes`` against LZ4, zstd -19 and LZMA (default preset and -9e) on code streams.
Times are wall-clock on whatever the machine is doing; compare rows of one run, not runs.
"""

from __future__ import annotations

import lzma
import time
from collections.abc import Callable

import numpy as np

from cortexlink.similarity.exact_search import exact_top_k
from cortexlink.similarity.hash_compression import compress_hashes, decompress_hashes
from cortexlink.similarity.measures import distances


def numpy_dtw(query: np.ndarray, windows: np.ndarray, band: int | None) -> np.ndarray:
    """Banded DTW of ``query`` against every row of ``windows``, vectorised across rows in numpy."""
    n, length = windows.shape
    lq = query.size
    w = max(length, lq) if band is None else band
    prev = np.full((n, lq + 1), np.inf)
    prev[:, 0] = 0.0
    for i in range(length):
        lo = max(0, i - max(0, length - lq) - w + 1)
        hi = min(lq, i + max(0, lq - length) + w)
        cost = (windows[:, i:i + 1] - query[None, lo:hi]) ** 2
        curr = np.full((n, lq + 1), np.inf)
        best = np.minimum(prev[:, lo:hi], prev[:, lo + 1:hi + 1])
        for j in range(lo, hi):  # the left neighbour makes a row sequential
            curr[:, j + 1] = cost[:, j - lo] + np.minimum(best[:, j - lo], curr[:, j])
        prev = curr
    return np.sqrt(prev[:, lq])


def _top_k(d: np.ndarray, k: int) -> np.ndarray:
    return np.argsort(d, kind="stable")[:k]


def tie_aware_recall(found: np.ndarray, all_distances: np.ndarray, k: int) -> float:
    """Share of ``k`` true nearest windows a method found, counting any window at a distance no
    larger than the true k-th as found: tiled histories repeat excerpts, so identical windows tie
    and which copy a method returns is arbitrary."""
    kth = np.partition(all_distances, k - 1)[k - 1]
    found = np.asarray(found, dtype=np.int64)[:k]
    return float(np.count_nonzero(all_distances[found] <= kth * (1 + 1e-9)) / k)


def _timed(fn: Callable, *args) -> tuple[float, object]:
    """CPU seconds ``fn(*args)`` takes in this process, and what it returned: every method runs on
    one thread, so on a shared, loaded machine this is what one core of our own would take."""
    t0 = time.process_time()
    out = fn(*args)
    return time.process_time() - t0, out


def exact_search_table(history: np.ndarray, queries: np.ndarray, k: int = 10, band: int | None = None,
                       subset: int = 2000, label: str = "") -> list[dict]:
    """One row per method: seconds per top-``k`` DTW query over ``history`` ``(n, L)``, and recall.

    Brute-force numpy and (for histories over ``10 * subset`` windows) tslearn run on the first
    ``subset`` windows and are scaled to the whole history; their ``extrapolated`` says so.
    """
    from dtaidistance import dtw as dtai
    from tslearn.metrics import cdist_dtw

    history = np.ascontiguousarray(history, dtype=np.float64)
    n = history.shape[0]
    sub = history[:min(subset, n)]
    scale = n / sub.shape[0]
    truths = [distances(q, history, "dtw", band=band) for q in queries]
    radius = (history.shape[1] if band is None else band) - 1

    series = np.vstack([queries[:1], history])  # built once, so the copy is not in the peer's time

    def dtai_top(q: np.ndarray) -> np.ndarray:
        series[0] = q
        d = dtai.distance_matrix_fast(series, block=((0, 1), (1, n + 1)), compact=True, parallel=False,
                                      use_pruning=True, window=band)
        return _top_k(np.asarray(d), k)

    def tslearn_top(q: np.ndarray, rows: np.ndarray) -> np.ndarray:
        d = cdist_dtw(q[None, :], rows, global_constraint="sakoe_chiba", sakoe_chiba_radius=radius)
        return _top_k(d[0], k)

    tslearn_rows = sub if n > 10 * subset else history
    methods = [
        ("brute-force DTW (numpy)", lambda q: _top_k(numpy_dtw(q, sub, band), k), scale, True),
        ("dtaidistance (C, pruned)", dtai_top, 1.0, False),
        ("tslearn cdist_dtw", lambda q: tslearn_top(q, tslearn_rows), n / tslearn_rows.shape[0],
         tslearn_rows.shape[0] < n),
        ("cortexlink exact_top_k", lambda q: exact_top_k(q, history, k, band=band)[0], 1.0, False),
    ]
    exact_top_k(queries[0], history[:50], k, band=band)  # compile outside the timing
    tslearn_top(queries[0], history[:5])
    rows = []
    for name, fn, factor, extrapolated in methods:
        seconds, recalls = 0.0, []
        for q, truth in zip(queries, truths, strict=True):
            t, got = _timed(fn, q)
            seconds += t
            if not extrapolated:
                recalls.append(tie_aware_recall(got, truth, k))
        per_query = seconds / len(queries) * factor
        rows.append({"data": label, "method": name, "windows": n, "band": band, "k": k,
                     "s_per_query": per_query, "extrapolated": extrapolated,
                     f"recall@{k}": float(np.mean(recalls)) if recalls else None})
    return rows


def _codecs() -> dict[str, tuple[Callable[[bytes], bytes], Callable[[bytes], bytes]]]:
    import lz4.frame
    import zstandard

    zc, zd = zstandard.ZstdCompressor(level=19), zstandard.ZstdDecompressor()
    return {
        "LZ4": (lz4.frame.compress, lz4.frame.decompress),
        "zstd -19": (zc.compress, zd.decompress),
        "LZMA": (lzma.compress, lzma.decompress),
        "LZMA -9e": (lambda b: lzma.compress(b, preset=9 | lzma.PRESET_EXTREME), lzma.decompress),
    }


def compression_table(code_streams: dict[str, np.ndarray]) -> list[dict]:
    """Ratio and encode/decode MB/s of ``compress_hashes`` and the peers on each named code stream.

    Peers get the codes' raw bytes in their natural (C) order; every decode is checked exact.
    """
    rows = []
    compress_hashes(np.zeros((8, 2), dtype=np.uint64))  # compile outside the timing
    for name, codes in code_streams.items():
        raw = np.ascontiguousarray(codes).tobytes()
        t_enc, packed = _timed(compress_hashes, codes)
        t_dec, back = _timed(decompress_hashes, packed)
        assert np.array_equal(back, codes)
        entries = [("cortexlink HCOMP", len(packed), t_enc, t_dec)]
        for codec, (enc, dec) in _codecs().items():
            t_enc, packed = _timed(enc, raw)
            t_dec, back = _timed(dec, packed)
            assert back == raw
            entries.append((codec, len(packed), t_enc, t_dec))
        for codec, size, t_enc, t_dec in entries:
            rows.append({"stream": name, "codes": f"{codes.shape} {codes.dtype}", "codec": codec,
                         "ratio": len(raw) / size, "encode_MB_s": len(raw) / 1e6 / t_enc,
                         "decode_MB_s": len(raw) / 1e6 / t_dec})
    return rows


if __name__ == "__main__":
    from similarity_data import hash_stream_signal, make_dataset

    from cortexlink.similarity.hashes import make_hash

    ds = make_dataset("bonn", seconds=600, n_channels=16, n_queries=3)
    for row in exact_search_table(ds.windows, ds.queries, k=10, band=26, label=ds.label):
        print(row)
    signal, _ = hash_stream_signal("neuralink", seconds=1.0, max_files=2)
    family = make_hash("dtw", 120)
    codes = np.stack([family.hash(np.lib.stride_tricks.sliding_window_view(ch, 120)) for ch in signal])
    for row in compression_table({"neuralink dtw": codes}):
        print(row)
