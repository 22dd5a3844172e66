"""Hash candidates, then the exact measure: ``confirm`` and ``search`` over a site's recent signal.

``SimilarityIndex`` is what a site keeps: a ``StreamingHasher`` feeding a ``HashIndex`` of the last
``retention`` seconds, and a ``SignalRing`` of the same span so collisions can be confirmed with the
exact measure (Hull's hash-then-DTW pipeline). Measures compare z-normalised windows by default
(shape, whatever the gain and offset), which is also what the sketch hashes see.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import InvalidDataError, InvalidParameterError
from cortexlink.core.validation import check_positive, check_sample_rate
from cortexlink.similarity._checks import as_window, check_int, check_measure
from cortexlink.similarity.exact_search import ranked_top_k
from cortexlink.similarity.hashes import HashFamily, znormalise
from cortexlink.similarity.index import Candidates, HashIndex
from cortexlink.similarity.measures import distances
from cortexlink.similarity.streaming import StreamingHasher
from cortexlink.similarity.summary import rank_candidates

__all__ = ["Matches", "SignalRing", "SimilarityIndex", "confirm"]

WindowsOf = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Matches:
    """Windows that matched a query, nearest first: channel, start sample and exact distance."""

    channels: np.ndarray   # (n,) int64
    starts: np.ndarray     # (n,) int64
    distances: np.ndarray  # (n,) float64, ascending
    n_candidates: int      # windows the exact measure was run on

    def __len__(self) -> int:
        return int(self.starts.shape[0])


class SignalRing:
    """The last ``capacity`` samples of every channel, for reading stored windows back."""

    def __init__(self, n_channels: int, capacity: int) -> None:
        self.n_channels = check_int(n_channels, "n_channels", 1)
        self.capacity = check_int(capacity, "capacity (samples)", 1)
        self._data = np.zeros((self.n_channels, self.capacity), dtype=np.float32)
        self.total = 0  # samples written per channel since the stream began

    def write(self, data: np.ndarray) -> None:
        """Append ``(n_channels, n_samples)`` samples, overwriting the oldest."""
        n = data.shape[1]
        kept = min(n, self.capacity)   # of a chunk longer than the ring only its end survives
        slots = (self.total + n - kept + np.arange(kept)) % self.capacity
        self._data[:, slots] = data[:, n - kept:]
        self.total += n

    def windows(self, channels: np.ndarray, starts: np.ndarray, length: int) -> np.ndarray:
        """The stored windows ``(n, length)`` at ``(channels[i], starts[i])``; raise if overwritten."""
        channels = np.asarray(channels, dtype=np.int64)
        starts = np.asarray(starts, dtype=np.int64)
        if starts.size and (starts.min() < self.total - self.capacity or starts.max() + length > self.total):
            raise InvalidParameterError(
                f"windows must lie in the last {self.capacity} samples (stream at {self.total}); "
                "they were overwritten or are not recorded yet")
        cols = (starts[:, None] + np.arange(length)) % self.capacity
        return self._data[channels[:, None], cols].astype(np.float64)


def confirm(candidates: Candidates, query: np.ndarray, windows_of: WindowsOf, measure: str,
            threshold: float | None = None, k: int | None = None, normalize: bool = True,
            **params) -> Matches:
    """Run the exact ``measure`` on the candidates; keep those within ``threshold`` and/or the ``k`` nearest.

    ``windows_of(channels, starts)`` returns the candidates' stored windows ``(n, len(query))``.
    """
    query = as_window(query, "query")
    check_measure(measure)
    n = len(candidates)
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Matches(empty, empty, np.zeros(0), 0)
    windows = windows_of(candidates.channels, candidates.starts)
    if normalize:
        query, windows = znormalise(query[None, :])[0], znormalise(windows)
    if k is not None and threshold is None and measure == "dtw":
        idx, dist = ranked_top_k(query, windows, check_int(k, "k", 1), measure, **params)
    else:
        dist = distances(query, windows, measure, **params)
        idx = np.argsort(dist, kind="stable")
        if threshold is not None:
            idx = idx[dist[idx] <= _threshold(threshold)]
        if k is not None:
            idx = idx[:check_int(k, "k", 1)]
        dist = dist[idx]
    return Matches(candidates.channels[idx], candidates.starts[idx], np.asarray(dist, dtype=np.float64), n)


def _threshold(value: float) -> float:
    thr = float(value) if isinstance(value, (int, float, np.number)) else float("nan")
    if not (np.isfinite(thr) and thr >= 0):
        raise InvalidParameterError(f"threshold must be a finite distance >= 0, got {value!r}")
    return thr


class SimilarityIndex:
    """A site's hash index over the last ``retention_s`` seconds, with the signal to confirm matches."""

    def __init__(self, family: HashFamily, n_channels: int, sample_rate: float, retention_s: float,
                 hop: int | None = None) -> None:
        self.family = family
        self.sample_rate = check_sample_rate(sample_rate)
        retention = max(1, round(check_positive(retention_s, "retention_s") * self.sample_rate))
        self.hasher = StreamingHasher(family, hop)
        self.hop = self.hasher.hop
        self.index = HashIndex.for_stream(family.n_tables, n_channels, retention, self.hop,
                                          family.summary_size)
        self.signal = SignalRing(n_channels, retention + family.window + self.hop)
        self.n_channels = self.signal.n_channels

    @classmethod
    def of_signal(cls, family: HashFamily, data: np.ndarray, sample_rate: float,
                  hop: int | None = None) -> SimilarityIndex:
        """An index holding every window of a whole ``(n_channels, n_samples)`` signal.

        A family that is not fitted yet is fitted on up to 2000 windows spread over the signal.
        """
        data = np.asarray(data)
        if data.ndim != 2:
            raise InvalidDataError(f"signal must be (n_channels, n_samples), got shape {data.shape}")
        if data.shape[1] < family.window:
            raise InvalidParameterError(f"the signal has {data.shape[1]} samples, fewer than one window "
                                        f"({family.window}); use a shorter window or a longer recording")
        rate = check_sample_rate(sample_rate)
        if not family.fitted:
            views = np.lib.stride_tricks.sliding_window_view(data, family.window, axis=1)
            rows = np.random.default_rng(family.seed).integers(0, views.shape[0], 2000)
            cols = np.random.default_rng(family.seed + 1).integers(0, views.shape[1], 2000)
            family.fit(views[rows, cols])
        out = cls(family, data.shape[0], rate, data.shape[1] / rate, hop)
        out.append(data)
        return out

    def append(self, chunk: Chunk | np.ndarray) -> int:
        """Hash and store the windows a chunk completes; returns how many windows were added."""
        data = chunk.data if isinstance(chunk, Chunk) else np.asarray(chunk)
        hashed = self.hasher.process(data)   # checks shape, channels and values first
        self.signal.write(np.asarray(data, dtype=np.float32))
        self.index.add_hashed(hashed.codes, hashed.starts, summaries=hashed.summaries)
        return hashed.codes.shape[0] * hashed.n_windows

    def windows(self, channels: np.ndarray, starts: np.ndarray) -> np.ndarray:
        """Stored windows ``(n, window)`` at the given channels and starts."""
        return self.signal.windows(channels, starts, self.family.window)

    def candidates(self, query: np.ndarray, fraction: float | None = None, min_votes: int = 1,
                   band: int | None = None) -> Candidates:
        """Stored windows whose codes collide with the query's in at least ``min_votes`` tables.

        ``fraction`` keeps only that share of the stored windows, those ranking best
        (``summary.rank_candidates``: colliding in most tables, or for multi-probe families nearest
        by their projections; for families with summaries, nearest by DTW between summaries of the
        best by hash score, ``band`` the DTW band in samples, default the family's).
        """
        query = as_window(query, "query")
        if fraction is None:
            lookup = self.family.lookup(query)
            return self.index.query(lookup.codes, min_votes, lookup.weights, lookup.floor)
        share = check_positive(fraction, "fraction (share of stored windows kept as candidates)")
        if share > 1:
            raise InvalidParameterError(f"fraction is a share of the stored windows (0 < f <= 1), "
                                        f"got {fraction}")
        return rank_candidates(self.index, self.family, query, max(1, int(share * len(self.index))),
                               min_votes, band)

    def confirm(self, candidates: Candidates, query: np.ndarray, threshold: float, measure: str | None = None,
                normalize: bool = True, **params) -> Matches:
        """Candidates within ``threshold`` of ``query`` by the exact measure (the family's by default)."""
        return confirm(candidates, query, self.windows, measure or self.family.measure, threshold=threshold,
                       normalize=normalize, **params)

    def search(self, query: np.ndarray, k: int = 10, measure: str | None = None,
               fraction: float | None = 0.05, min_votes: int = 1, normalize: bool = True,
               **params) -> Matches:
        """The ``k`` stored windows nearest to ``query``: hash candidates re-ranked by the exact measure.

        By default the exact measure runs on the 5% of stored windows with the best hash score
        (``fraction``; None = every window colliding in ``min_votes`` tables or more).
        """
        k = check_int(k, "k", 1)
        if fraction is not None and len(self.index):
            fraction = max(check_positive(fraction, "fraction"), min(1.0, k / len(self.index)))
        band = params.get("band") if (measure or self.family.measure) == "dtw" else None
        found = self.candidates(query, fraction, min_votes, band)
        return confirm(found, query, self.windows, measure or self.family.measure, k=k, normalize=normalize,
                       **params)
