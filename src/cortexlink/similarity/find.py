"""``find_similar``: the windows of a recording most like a query window, by hash search and exactly.

One call does what ``cortexlink similar`` prints: cut the query from a file, hash every window of
every channel of the data file, take the hash candidates, re-rank them with the exact measure, and
run the exact pruned search over all windows too, so the result carries the hash search's recall of
the exact top k and both searches' times.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cortexlink.core.errors import InvalidDataError, InvalidParameterError
from cortexlink.core.validation import check_positive
from cortexlink.similarity._checks import as_window, check_int, check_measure, check_window_length
from cortexlink.similarity.exact_search import exact_top_k
from cortexlink.similarity.hashes import make_hash, znormalise
from cortexlink.similarity.search import Matches, SimilarityIndex

__all__ = ["SimilarResult", "find_similar", "plot_matches"]


@dataclass
class SimilarResult:
    """Top matches of one query in one data file, with the hash search measured against the exact one."""

    data_file: str
    sample_rate: float
    query: np.ndarray            # the query window (as cut from the query file)
    measure: str
    matches: Matches             # what was asked for: hash search, or exact with ``exact=True``
    exact: Matches               # the exact top k (the ground truth the recall is measured on)
    hashed: Matches              # the hash search's top k
    n_windows: int               # windows searched (all channels)
    recall: float                # fraction of the exact top k the hash search found
    hash_seconds: float          # query hashing + index look-up + exact re-ranking of the candidates
    exact_seconds: float         # exact pruned search over every window
    index_seconds: float         # hashing every window of the data file (once per file)
    windows: np.ndarray = field(repr=False)  # the matched windows (n, length), as stored

    @property
    def speedup(self) -> float:
        return self.exact_seconds / self.hash_seconds if self.hash_seconds > 0 else float("inf")


def find_similar(query_file: str | Path, data_file: str | Path, channel: int = 0, start: float = 0.0,
                 length: float | None = None, measure: str = "dtw", k: int = 10, exact: bool = False,
                 candidates: float = 0.05, hop: int | None = None, band: int | None = None,
                 max_lag: int | None = None, seed: int = 0,
                 sample_rate: float | None = None) -> SimilarResult:
    """Find the ``k`` windows of ``data_file`` (any channel) most similar to a window of ``query_file``.

    The query is ``length`` seconds (default: all) of ``channel`` from ``start`` s. Windows are
    compared z-normalised. ``candidates`` is the largest fraction of windows the hash search passes
    to the exact measure (best by hash score). ``band`` (dtw, samples; default 10% of the
    window) and ``max_lag`` (xcor) go to the measure. ``sample_rate`` is needed for text files.
    """
    from cortexlink.io import open_recording

    measure = check_measure(measure)
    k = check_int(k, "k", 1)
    query_rec = open_recording(query_file, sample_rate=sample_rate)
    data_rec = open_recording(data_file, sample_rate=sample_rate)
    if not np.isclose(query_rec.sample_rate, data_rec.sample_rate):
        raise InvalidDataError(f"the query file is at {query_rec.sample_rate:g} Hz and the data file at "
                               f"{data_rec.sample_rate:g} Hz; resample one so both have the same rate")
    query = cut_query(query_rec.microvolts(), query_rec.sample_rate, channel, start, length)
    window = query.size
    check_window_length(window, data_rec.data.shape[1], "query window length")
    data = data_rec.microvolts()
    params = _measure_params(measure, window, band, max_lag)

    t0 = time.perf_counter()
    lag = {"max_lag": max_lag} if measure == "xcor" and max_lag is not None else {}
    family = make_hash(measure, window, seed=seed, **lag)
    index = SimilarityIndex.of_signal(family, data, data_rec.sample_rate, hop)
    index.index.sort()
    index_seconds = time.perf_counter() - t0
    n_windows = len(index.index)
    all_channels, all_starts = _all_windows(index)
    all_windows = znormalise(index.windows(all_channels, all_starts))

    zquery = znormalise(query[None, :])[0]
    exact_top_k(zquery, all_windows[:k + 1], min(k, n_windows), measure, **params)   # compile once,
    index.search(query, k, measure, fraction=candidates, **params)                  # outside the timing
    t0 = time.perf_counter()
    hashed = index.search(query, k, measure, fraction=candidates, **params)
    hash_seconds = time.perf_counter() - t0

    t0 = time.perf_counter()
    idx, dist = exact_top_k(zquery, all_windows, min(k, n_windows), measure, **params)
    exact_seconds = time.perf_counter() - t0
    exact_matches = Matches(all_channels[idx], all_starts[idx], dist, n_windows)

    truth = set(zip(exact_matches.channels.tolist(), exact_matches.starts.tolist(), strict=True))
    found = set(zip(hashed.channels.tolist(), hashed.starts.tolist(), strict=True))
    recall = len(truth & found) / max(1, len(truth))
    matches = exact_matches if exact else hashed
    return SimilarResult(
        data_file=str(data_file), sample_rate=data_rec.sample_rate, query=query, measure=measure,
        matches=matches, exact=exact_matches, hashed=hashed, n_windows=n_windows, recall=recall,
        hash_seconds=hash_seconds, exact_seconds=exact_seconds, index_seconds=index_seconds,
        windows=index.windows(matches.channels, matches.starts))


def cut_query(data: np.ndarray, sample_rate: float, channel: int, start: float,
              length: float | None) -> np.ndarray:
    """The samples of ``channel`` from ``start`` s for ``length`` s (None: to the end)."""
    n_ch, n = data.shape
    channel = check_int(channel, "channel", 0)
    if channel >= n_ch:
        raise InvalidParameterError(f"channel {channel} does not exist; the query file has {n_ch} "
                                    f"channel(s), numbered from 0")
    first = round(float(start) * sample_rate)
    if not 0 <= first < n:
        raise InvalidParameterError(f"start {start} s is outside the query file (0 to {n / sample_rate:g} s)")
    count = n - first if length is None else round(check_positive(length, "length (s)") * sample_rate)
    if count < 2:
        raise InvalidParameterError(f"a query of {length} s is under 2 samples at {sample_rate:g} Hz; "
                                    "use a longer --length")
    if first + count > n:
        raise InvalidParameterError(f"the query ({start} s + {length} s) runs past the end of the query "
                                    f"file ({n / sample_rate:g} s); use a shorter length or earlier start")
    return as_window(data[channel, first:first + count], "query")


def _measure_params(measure: str, window: int, band: int | None, max_lag: int | None) -> dict:
    if measure == "dtw":
        return {"band": max(1, window // 10) if band is None else band}
    if measure == "xcor":
        return {"max_lag": max_lag}
    return {}


def _all_windows(index: SimilarityIndex) -> tuple[np.ndarray, np.ndarray]:
    """Channels and starts of every window the index holds, in (channel, start) order."""
    n_ch = index.n_channels
    starts = np.arange(0, index.signal.total - index.family.window + 1, index.hop, dtype=np.int64)
    return np.repeat(np.arange(n_ch, dtype=np.int64), starts.size), np.tile(starts, n_ch)


def plot_matches(result: SimilarResult, path: str | Path) -> None:
    """Save a PNG overlaying the z-normalised query and its matches."""
    from cortexlink.core.optional import pyplot

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(8, 4))
    t = np.arange(result.query.size) / result.sample_rate * 1e3
    m = result.matches
    for w, ch, start in zip(znormalise(result.windows), m.channels, m.starts, strict=True):
        ax.plot(t, w, lw=0.8, alpha=0.6, label=f"ch {ch} @ {start / result.sample_rate:.3f} s")
    ax.plot(t, znormalise(result.query[None, :])[0], color="black", lw=2, label="query")
    ax.set_xlabel("time in window (ms)")
    ax.set_ylabel("z-normalised amplitude")
    ax.set_title(f"{result.measure} matches in {Path(result.data_file).name}")
    ax.legend(fontsize=6, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
