"""``HashIndex``: one site's hashes of the last N seconds, found again by sorted arrays and binary search.

Entries are ``(channel, window start, codes)`` in a preallocated ring: once it is full the oldest
entry is overwritten, and entries whose window started more than ``retention`` samples before the
newest one are never returned, so memory is fixed at construction whatever the stream's length.
A query sorts nothing of its own: each table's stored codes are kept sorted (re-sorted lazily after
adds, as Hull's CCHECK sorts what it compares), and each query code is two binary searches per
table. Multi-probe queries, whose neighbouring buckets together hold most windows, instead look
their codes up among each table's few distinct codes and scan every window's bucket numbers once
(the same votes and scores, about 2.5x faster than reading the buckets entry by entry).
With ``summary_size`` > 0 each entry also holds the window's float32 summary (the family's
``summarise``), in the same ring slot, for ``summary.rank_candidates`` to re-rank candidates by.
A stored window is a candidate when it collides with the query in at least ``min_votes``
tables; its score ranks candidates when only the best few are wanted: by default the number of
tables collided, or with per-code ``weights`` (multi-probe: several codes per table, each weighted
by how near the query lies to that bucket) the sum of the weights of the codes it collides with.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from cortexlink.core.errors import InvalidDataError
from cortexlink.similarity._checks import check_int

__all__ = ["Candidates", "HashIndex"]


@dataclass(frozen=True)
class Candidates:
    """Stored windows that collide with a query: channel, window start (samples) and tables collided."""

    channels: np.ndarray  # (n,) int64
    starts: np.ndarray    # (n,) int64
    votes: np.ndarray     # (n,) int64, 1..n_tables
    scores: np.ndarray    # (n,) float64, higher = nearer (the votes, unless the query was weighted)
    slots: np.ndarray | None = None   # (n,) int64, ring slots in the index (``HashIndex.summary_rows``)

    def __len__(self) -> int:
        return int(self.starts.shape[0])

    def take(self, rows: np.ndarray, scores: np.ndarray | None = None) -> Candidates:
        """The candidates at ``rows``, in that order, optionally with new ``scores``."""
        return Candidates(self.channels[rows], self.starts[rows], self.votes[rows],
                          self.scores[rows] if scores is None else np.asarray(scores, dtype=np.float64),
                          None if self.slots is None else self.slots[rows])

    def best(self, n: int, ordered: bool = True) -> Candidates:
        """The ``n`` candidates with the highest scores (ties: earlier channel, then earlier start).

        ``ordered=False`` skips the sort and the tie rule, which a shortlist about to be re-ranked
        does not need: the ``n`` come back in their order here, ties at the cut decided by selection.
        """
        if n >= len(self):
            return self
        if not ordered:
            return self.take(np.sort(np.argpartition(-self.scores, n - 1)[:n]))
        # only the windows with at least the n-th best score can make the cut
        floor = np.partition(self.scores, len(self) - n)[len(self) - n]
        pool = np.flatnonzero(self.scores >= floor)
        return self.take(pool[np.lexsort((self.starts[pool], self.channels[pool], -self.scores[pool]))[:n]])


class HashIndex:
    """Ring of the last ``capacity`` hashed windows of one site, queried by code collisions.

    With ``summary_size`` > 0 it also keeps a float32 summary of every window (the family's
    ``summarise``), which ``summary.rank_candidates`` re-ranks hash candidates with."""

    def __init__(self, n_tables: int, capacity: int, retention: int | None = None,
                 summary_size: int = 0) -> None:
        self.n_tables = check_int(n_tables, "n_tables", 1)
        self.capacity = check_int(capacity, "capacity (windows kept)", 1)
        self.retention = None if retention is None else check_int(retention, "retention (samples)", 1)
        self.summary_size = check_int(summary_size, "summary_size (values per window summary)", 0)
        self._codes = np.zeros((self.capacity, self.n_tables), dtype=np.uint64)
        self._summaries = np.zeros((self.capacity, self.summary_size), dtype=np.float32)
        self._channels = np.zeros(self.capacity, dtype=np.int64)
        self._starts = np.zeros(self.capacity, dtype=np.int64)
        self._size = 0
        self._head = 0              # next slot to write
        self._newest = -1           # latest window start added
        self._sorted: tuple[np.ndarray, np.ndarray] | None = None
        self._buckets: tuple[np.ndarray, ...] | None = None

    @classmethod
    def for_stream(cls, n_tables: int, n_channels: int, retention: int, hop: int,
                   summary_size: int = 0) -> HashIndex:
        """An index for every window of ``n_channels`` channels begun in the last ``retention`` samples."""
        n_channels = check_int(n_channels, "n_channels", 1)
        retention = check_int(retention, "retention (samples)", 1)
        hop = check_int(hop, "hop (samples between windows)", 1)
        return cls(n_tables, n_channels * (retention // hop + 1), retention, summary_size)

    def __len__(self) -> int:
        return int(np.count_nonzero(self._live()))

    @property
    def nbytes(self) -> int:
        """Bytes held by the ring (fixed at construction)."""
        return self._codes.nbytes + self._channels.nbytes + self._starts.nbytes + self._summaries.nbytes

    @property
    def newest_start(self) -> int:
        """Start of the latest window added (-1 before any)."""
        return self._newest

    def add(self, codes: np.ndarray, channels: np.ndarray, starts: np.ndarray,
            summaries: np.ndarray | None = None) -> None:
        """Store windows: ``codes (n, n_tables)``, each one's channel and start sample, and with
        ``summary_size`` > 0 their ``summaries (n, summary_size)``."""
        codes = np.asarray(codes)
        if codes.ndim != 2 or codes.shape[1] != self.n_tables:
            raise InvalidDataError(f"codes must be (n_windows, {self.n_tables}), got shape {codes.shape}")
        n = codes.shape[0]
        channels = np.broadcast_to(np.asarray(channels, dtype=np.int64), (n,))
        starts = np.broadcast_to(np.asarray(starts, dtype=np.int64), (n,))
        summaries = self._checked_summaries(summaries, n)
        if n == 0:
            return
        if n > self.capacity:   # only the last ``capacity`` would survive anyway
            keep = slice(n - self.capacity, n)
            codes, channels, starts, n = codes[keep], channels[keep], starts[keep], self.capacity
            summaries = summaries[keep]
        slots = (self._head + np.arange(n)) % self.capacity
        self._codes[slots] = codes
        self._summaries[slots] = summaries
        self._channels[slots] = channels
        self._starts[slots] = starts
        self._head = int((self._head + n) % self.capacity)
        self._size = min(self._size + n, self.capacity)
        self._newest = max(self._newest, int(starts.max()))
        self._sorted = self._buckets = None

    def add_hashed(self, codes: np.ndarray, starts: np.ndarray, channels: np.ndarray | None = None,
                   summaries: np.ndarray | None = None) -> None:
        """Store a streaming hasher's output: ``codes (n_channels, n_windows, n_tables)`` and, with
        ``summary_size`` > 0, ``summaries (n_channels, n_windows, summary_size)``."""
        codes = np.asarray(codes)
        if codes.ndim != 3:
            raise InvalidDataError(f"codes must be (n_channels, n_windows, n_tables), got {codes.shape}")
        n_ch, n_win = codes.shape[:2]
        ch = np.arange(n_ch) if channels is None else np.asarray(channels, dtype=np.int64)
        # time-major so the ring drops the oldest windows first
        flat = codes.transpose(1, 0, 2).reshape(n_ch * n_win, self.n_tables)
        if summaries is not None:
            summaries = np.asarray(summaries)
            summaries = summaries.transpose(1, 0, 2).reshape(n_ch * n_win, summaries.shape[-1])
        self.add(flat, np.tile(ch, n_win), np.repeat(np.asarray(starts, dtype=np.int64), n_ch), summaries)

    @property
    def summary_rows(self) -> np.ndarray:
        """The ring of summaries ``(capacity, summary_size)`` float32 itself (no copy): row ``s`` is
        the window in ring slot ``s`` (``Candidates.slots``). Read it, do not write it."""
        return self._summaries

    def _checked_summaries(self, summaries: np.ndarray | None, n: int) -> np.ndarray:
        if summaries is None and self.summary_size == 0:
            return np.zeros((n, 0), dtype=np.float32)
        if summaries is None:
            raise InvalidDataError(f"this index keeps a summary of {self.summary_size} values per window; "
                                   "pass summaries= (the family's summarise(windows))")
        summaries = np.asarray(summaries, dtype=np.float32)
        if summaries.shape != (n, self.summary_size):
            raise InvalidDataError(f"summaries must be ({n}, {self.summary_size}), one row per window, "
                                   f"got shape {summaries.shape}")
        return summaries

    def query(self, codes: np.ndarray, min_votes: int = 1, weights: np.ndarray | None = None,
              floor: np.ndarray | None = None) -> Candidates:
        """Stored windows colliding with ``codes (n_tables,)`` in at least ``min_votes`` tables.

        ``codes (n_probes, n_tables)`` queries several probes at once; a window's votes and score are
        then the highest any probe gives it. ``codes (n_probes, n_tables, n_alt)`` looks up ``n_alt`` codes
        per table (multi-probe) with ``weights`` of the same shape: a window's score for a probe is
        ``floor[probe]`` plus the weights of the codes it collides with (``HashFamily.lookup``); its
        votes count only ``codes[:, :, 0]``, each probe's own code, so ``min_votes`` still means
        "collides in that many tables". Candidates are the windows with ``min_votes`` votes.
        """
        codes = np.asarray(codes, dtype=np.uint64)
        if codes.ndim in (1, 2):   # one code per table, of one probe or of several
            codes = np.atleast_2d(codes)[..., None]
        if codes.ndim != 3 or codes.shape[1] != self.n_tables:
            raise InvalidDataError(f"a query is one code per table ({self.n_tables}), got {codes.shape}")
        min_votes = check_int(min_votes, "min_votes", 1)
        weights = np.ones(codes.shape) if weights is None else np.asarray(weights, dtype=np.float64)
        floor = np.zeros(codes.shape[0]) if floor is None else np.asarray(floor, dtype=np.float64)
        if weights.shape != codes.shape or floor.shape != codes.shape[:1]:
            raise InvalidDataError(f"weights must match the codes {codes.shape} and floor be one value per "
                                   f"probe, got {weights.shape} and {floor.shape}")
        buckets = self._bucket_ids() if codes.shape[2] > 1 else None
        if buckets is not None:   # multi-probe: most windows are hit, so scan them once
            counts, scores = _votes_scan(*buckets, codes, weights, floor, self.capacity)
        else:                     # one code per table: read only the query's buckets
            keys, order = self._sorted_tables()
            counts, scores = _votes(keys, order, codes, weights, floor, self.capacity)
        slots = np.flatnonzero(counts >= min_votes)
        return Candidates(self._channels[slots], self._starts[slots], counts[slots], scores[slots], slots)

    def sort(self) -> None:
        """Sort the tables now rather than at the next query (queries sort lazily after adds)."""
        self._sorted_tables()

    def _live(self) -> np.ndarray:
        live = np.zeros(self.capacity, dtype=bool)
        live[:self._size] = True
        if self.retention is not None and self._newest >= 0:
            live &= self._starts >= self._newest - self.retention
        return live

    def _sorted_tables(self) -> tuple[np.ndarray, np.ndarray]:
        """Per table, the live codes sorted ascending and the ring slots they came from."""
        if self._sorted is None:
            slots = np.flatnonzero(self._live())
            codes = self._codes[slots]
            order = np.argsort(codes, axis=0, kind="stable").T
            keys = np.take_along_axis(codes.T, order, axis=1)
            # 32-bit slots when they fit: half the memory traffic of the vote loop's reads
            dtype = np.int32 if self.capacity < 2**31 else np.int64
            self._sorted = (np.ascontiguousarray(keys), np.ascontiguousarray(slots[order], dtype=dtype))
        return self._sorted

    def _bucket_ids(self) -> tuple[np.ndarray, ...] | None:
        """For multi-probe queries: per table its distinct live codes (ascending, padded) and their
        number, each live window's bucket (its code's place among them, ``(n_live, n_tables)``
        uint8 or uint16) and the live ring slots; None when a table has more than 65535 distinct codes."""
        if self._buckets is None:
            keys, order = self._sorted_tables()
            n_tables, n_live = keys.shape
            first = np.ones(keys.shape, dtype=bool)
            first[:, 1:] = keys[:, 1:] != keys[:, :-1]
            n_distinct = first.sum(axis=1)
            if n_live == 0 or n_distinct.max() > 65535:
                return None
            distinct = np.full((n_tables, n_distinct.max()), np.iinfo(np.uint64).max, dtype=np.uint64)
            ids = np.empty((n_live, n_tables), dtype=np.uint8 if n_distinct.max() <= 256 else np.uint16)
            slots = np.flatnonzero(self._live())
            row = np.searchsorted(slots, order)   # each sorted entry's place among the live slots
            for t in range(n_tables):
                distinct[t, :n_distinct[t]] = keys[t, first[t]]
                ids[row[t], t] = np.cumsum(first[t]) - 1
            self._buckets = (distinct, n_distinct, ids, slots)
        return self._buckets


@njit(cache=True)
def _votes(keys: np.ndarray, order: np.ndarray, codes: np.ndarray, weights: np.ndarray, floor: np.ndarray,
           capacity: int) -> tuple:
    """Per ring slot, the most tables any probe's own code (``codes[p, t, 0]``) collides in, and the
    best probe's score (``floor`` plus the weights of every code hit), by binary search in each
    sorted table."""
    best = np.zeros(capacity, dtype=np.int64)
    best_score = np.full(capacity, -np.inf)
    hits = np.zeros(capacity, dtype=np.int32)
    own = np.zeros(capacity, dtype=np.int32)
    score = np.zeros(capacity, dtype=np.float64)
    for probe in range(codes.shape[0]):
        hits[:] = 0
        own[:] = 0
        score[:] = 0.0
        for t in range(keys.shape[0]):
            table, slots = keys[t], order[t]
            for a in range(codes.shape[2]):
                lo = np.searchsorted(table, codes[probe, t, a], side="left")
                hi = np.searchsorted(table, codes[probe, t, a], side="right")
                w = weights[probe, t, a]
                for i in range(lo, hi):
                    hits[slots[i]] += 1
                    score[slots[i]] += w
                if a == 0:
                    for i in range(lo, hi):
                        own[slots[i]] += 1
        for s in range(capacity):
            if hits[s] > 0:
                best[s] = max(best[s], own[s])
                best_score[s] = max(best_score[s], floor[probe] + score[s])
    return best, best_score


@njit(cache=True)
def _votes_scan(distinct: np.ndarray, n_distinct: np.ndarray, ids: np.ndarray, slots: np.ndarray,
                codes: np.ndarray, weights: np.ndarray, floor: np.ndarray, capacity: int) -> tuple:
    """What ``_votes`` gives, for multi-probe queries that hit most windows: each probe's codes are
    looked up once among each table's distinct codes, then every live window is scanned once,
    adding the weight of its bucket in each table (in table order, as ``_votes`` adds them)."""
    n_live, n_tables = ids.shape
    best = np.zeros(capacity, dtype=np.int64)
    best_score = np.full(capacity, -np.inf)
    weight = np.zeros((n_tables, distinct.shape[1]))
    hit = np.zeros((n_tables, distinct.shape[1]), dtype=np.uint8)
    own = np.full(n_tables, -1, dtype=np.int64)
    for probe in range(codes.shape[0]):
        weight[:] = 0.0
        hit[:] = 0
        own[:] = -1
        for t in range(n_tables):
            table = distinct[t, :n_distinct[t]]
            for a in range(codes.shape[2]):
                j = np.searchsorted(table, codes[probe, t, a])
                if j < table.size and table[j] == codes[probe, t, a]:
                    weight[t, j] += weights[probe, t, a]
                    hit[t, j] = 1
                    if a == 0:
                        own[t] = j
        for i in range(n_live):
            score = 0.0
            hits = 0
            votes = 0
            for t in range(n_tables):
                j = ids[i, t]
                score += weight[t, j]
                hits |= hit[t, j]
                votes += j == own[t]
            if hits:
                s = slots[i]
                best[s] = max(best[s], votes)
                best_score[s] = max(best_score[s], floor[probe] + score)
    return best, best_score
