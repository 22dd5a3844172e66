"""Seizure propagation across sites: hashes first, exact DTW only on collisions (Hull's design).

Every site keeps a short trace of its own signal (the mean of its channels, low-passed and
decimated to ``rate_hz``), hashes every window of it with a shared DTW sketch hash
(``similarity.make_hash("dtw", kind="sketch")``) and indexes the codes for ``retention_s``.

1. Site A detects a seizure: it broadcasts the codes of its last ``query_s`` of windows, packed
   with ``similarity.compress_hashes`` (``HashMessage``).
2. Every other site B checks them against its recent index at once, and keeps them armed for
   ``watch_s``, checking each new window of its own against them as it arrives; a window whose
   codes collide in ``min_votes`` tables is answered with the ids of A's windows it hit
   (``CollisionReply``).
   A watch keeps one request outstanding at a time (until its windows arrive, or for
   ``answer_s`` if they never do), so a burst of colliding windows costs one exchange.
3. A sends only those windows, z-normalised and quantised to 8 bits (``WindowsMessage``); it
   keeps the windows it broadcast for ``watch_s``, so a late request is still answered.
4. B compares them with its colliding window by exact banded DTW on z-normalised windows; below
   ``max_distance`` (per sample) it emits ``PropagationEvent(source, target, lag, distance)``,
   ``lag`` being the time from A's onset to B's (each site's start of its current run of energetic
   windows), and, if B's came after A's (it is about to follow), ``StimulationCommand(target, time)``.

Bytes of every message and exact DTW evaluations are counted (``PropagationStats``) beside the
all-pairs exact baseline: A sending every query window to every site, which compares each with
every window it holds or sees while watching. Sites never wait for each other: a site that stops
answering only loses its own pairs.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

import numpy as np

from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import CorruptDataError, InvalidParameterError
from cortexlink.dsp.filters import ButterworthFilter
from cortexlink.similarity import HashIndex, compress_hashes, decompress_hashes, distances, make_hash
from cortexlink.similarity.hashes import znormalise

_ID_BYTES = 4
_HEADER_BYTES = 32  # source/target ids, times, counts
QUANT_SCALE = 32.0  # z-normalised window samples x 32 as int8: +-4 standard deviations


@dataclass
class HashMessage:
    """A's seizure windows as compressed codes, with A's onset time (s) that lags are measured from."""

    source: str
    detect_time: float
    onset_time: float
    n_windows: int
    codes: bytes
    evidence_ns: int = 0  # monotonic_ns at which the detection's newest input was acquired

    @property
    def nbytes(self) -> int:
        return _HEADER_BYTES + len(self.codes)


@dataclass
class CollisionReply:
    """B's answer: which of A's windows collided with B's window starting at ``target_start``."""

    source: str
    target: str
    detect_time: float
    window_ids: list[int]
    target_start: int
    evidence_ns: int = 0  # newest acquisition behind it: the broadcast's, or the colliding window's

    @property
    def nbytes(self) -> int:
        return _HEADER_BYTES + _ID_BYTES * len(self.window_ids)


@dataclass
class WindowsMessage:
    """A's colliding windows for B's exact check: z-normalised, x ``QUANT_SCALE``, as int8."""

    source: str
    target: str
    onset_time: float
    windows: np.ndarray  # (n, window) int8
    target_start: int
    evidence_ns: int = 0  # carried from the reply it answers

    @property
    def nbytes(self) -> int:
        return _HEADER_BYTES + self.windows.astype(np.int8).nbytes


@dataclass
class PropagationEvent:
    """A confirmed match: ``target``'s signal resembles ``source``'s seizure ``lag`` s later."""

    source: str
    target: str
    lag: float
    distance: float
    time: float
    evidence_ns: int = 0  # newest acquisition the confirmation needed
    issued_ns: int = 0    # live use: monotonic_ns at which it was confirmed
    kind: str = field(default="propagation", init=False)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class StimulationCommand:
    """Stimulate ``target`` now (at stream time ``time``, s): a seizure from ``source`` is on its way."""

    target: str
    time: float
    source: str
    evidence_ns: int = 0  # newest acquisition the decision needed (detect-to-stimulate starts there)
    issued_ns: int = 0    # live use: monotonic_ns at which the command was issued
    kind: str = field(default="stimulation", init=False)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class PropagationStats:
    """What one site sent and computed, and what the all-pairs exact baseline would have."""

    bytes_sent: int = 0
    exact_comparisons: int = 0
    baseline_bytes: int = 0       # all-pairs on the same trace (every query window, int8)
    baseline_raw_bytes: int = 0   # all-pairs on the raw signal (every channel, int16, for query_s)
    baseline_comparisons: int = 0
    messages: int = 0
    confirm_ns: list[int] = field(default_factory=list)

    def add(self, other: PropagationStats) -> None:
        for k in ("bytes_sent", "exact_comparisons", "baseline_bytes", "baseline_raw_bytes",
                  "baseline_comparisons", "messages"):
            setattr(self, k, getattr(self, k) + getattr(other, k))
        self.confirm_ns += other.confirm_ns


@dataclass
class _Watch:
    msg: HashMessage
    index: HashIndex
    until: int          # own-trace sample after which the watch ends
    requests: int = 0   # replies sent for it
    waiting_until: int = -1  # own-trace sample until which a sent request is awaited
    done: bool = False


class PropagationSite:
    """One site's side of the protocol (see the module docstring). Feed ``process`` its chunks;
    route what the ``on_*`` methods return to the sites named in them.

    A window is energetic when its RMS is at least ``energy_ratio`` times the median RMS of this
    site's last ``baseline_s`` of windows (runs of such windows give the site's onset estimate); it
    is a candidate for a match only at ``reply_ratio`` times (a cheap local test before any reply
    is sent, so a site that never seizes does not answer); a broadcast carries the ``n_query`` most
    energetic of the sender's last ``query_s`` windows; a watch asks for windows at most
    ``max_requests`` times, one request at a time."""

    def __init__(self, name: str, sample_rate: float, rate_hz: float = 250.0, window_s: float = 0.5,
                 hop_s: float = 0.1, retention_s: float = 2.0, query_s: float = 2.0, watch_s: float = 10.0,
                 n_query: int = 4, min_votes: int = 4, max_distance: float = 0.6, band_frac: float = 0.25,
                 energy_ratio: float = 1.5, reply_ratio: float = 3.0, baseline_s: float = 30.0,
                 max_requests: int = 10,
                 run_gap_s: float = 1.0, answer_s: float = 0.5, seed: int = 0) -> None:
        self.name = str(name)
        self.sample_rate = float(sample_rate)
        self.decimate = max(1, int(round(self.sample_rate / rate_hz)))
        self.rate = self.sample_rate / self.decimate
        self.window = max(8, int(round(window_s * self.rate)))
        self.hop = max(1, int(round(hop_s * self.rate)))
        if min(retention_s, query_s, watch_s, baseline_s) <= 0:
            raise InvalidParameterError("retention_s, query_s, watch_s and baseline_s must be positive")
        self.retention = max(self.window, int(round(retention_s * self.rate)))
        self.query = max(self.window, int(round(query_s * self.rate)))
        self.watch = int(round(watch_s * self.rate))
        self.n_query, self.min_votes = int(n_query), int(min_votes)
        self.max_distance, self.energy_ratio = float(max_distance), float(energy_ratio)
        self.reply_ratio = float(reply_ratio)
        self.max_requests = int(max_requests)
        self.answer = max(1, int(round(answer_s * self.rate)))
        self.band = max(1, int(round(band_frac * self.window)))
        self.family = make_hash("dtw", self.window, seed=seed, kind="sketch")
        self.lowpass = (ButterworthFilter(self.sample_rate, high=0.4 * self.rate, order=4)
                        if self.decimate > 1 else None)
        keep = max(self.retention, self.query) + self.window
        self.index = HashIndex(self.family.n_tables, keep // self.hop + 2, retention=self.retention)
        self._trace = np.zeros(keep + self.window, dtype=np.float32)  # ring of the decimated trace
        self._rms_ring = np.zeros(max(1, int(round(baseline_s * self.rate)) // self.hop))
        self._n_rms = 0
        self.run_gap = int(round(run_gap_s * self.rate))
        self._run_start: int | None = None  # first window of the latest run of energetic windows
        self._last_energetic = -(1 << 62)
        self._n = 0            # decimated samples seen
        self._n_channels = 1
        self._phase = 0        # input samples seen (for decimation)
        self._next_window = 0  # start of the next window to hash
        self._held: dict[int, tuple[np.ndarray, float]] = {}  # start -> (codes, rms)
        self._watches: list[_Watch] = []
        # detect time -> (window starts, their int8 samples, own sample until which they are kept)
        self._sent: dict[float, tuple[list[int], np.ndarray, int]] = {}
        self._onsets: dict[float, float] = {}
        self.stats = PropagationStats()

    def warm_up(self) -> None:
        """Run the hash, index, compression and exact-DTW kernels once on noise, so that a live site
        compiles them (numba) before its stream starts rather than on its first message."""
        w = znormalise(np.random.default_rng(0).normal(size=(2, self.window)))
        codes = self.family.hash(w)
        idx = HashIndex(self.family.n_tables, 2)
        idx.add(decompress_hashes(compress_hashes(codes)), 0, np.arange(2))
        idx.query(codes[0], min_votes=self.min_votes)
        distances(w[0], w, "dtw", band=self.band)

    # -- own stream -------------------------------------------------------------------------------

    def process(self, chunk: Chunk) -> list[CollisionReply]:
        """Add a chunk of this site's signal; returns replies to armed broadcasts it now matches."""
        self._n_channels = chunk.n_channels
        x = chunk.data.astype(np.float32).mean(axis=0, keepdims=True)
        gap = chunk.start_sample - self._phase
        if gap > 0:  # chunks were lost upstream: hold the last value so times stay the stream's
            last = self._trace[(self._n - 1) % self._trace.size] if self._n else 0.0
            x = np.concatenate([np.full((1, gap), last, np.float32), x], axis=1)
        if self.lowpass is not None:
            x = self.lowpass.process(Chunk(x, self._phase, self.sample_rate)).data
        first = (-self._phase) % self.decimate
        self._phase += x.shape[1]
        self._append(x[0, first::self.decimate])
        starts = []
        while self._next_window + self.window <= self._n:
            starts.append(self._next_window)
            self._next_window += self.hop
        if not starts:
            return []
        wins = np.stack([self.trace(st) for st in starts]).astype(np.float64)
        rms = wins.std(axis=1)
        codes = self.family.hash(znormalise(wins))
        self.index.add(codes, 0, np.array(starts))
        for st, c, r in zip(starts, codes, rms, strict=True):
            self._held[st] = (c, float(r))
            if self._energetic(st):
                if self._run_start is None or st - self._last_energetic > self.run_gap:
                    self._run_start = st
                self._last_energetic = st
            self._rms_ring[self._n_rms % self._rms_ring.size] = r
            self._n_rms += 1
        oldest = self._n - self._trace.size + self.window
        for st in [st for st in self._held if st < oldest]:
            del self._held[st]
        return self._check_watches(starts, chunk.origin_ns)

    def _append(self, y: np.ndarray) -> None:
        pos = (self._n + np.arange(y.size)) % self._trace.size
        self._trace[pos] = y
        self._n += y.size

    def trace(self, start: int) -> np.ndarray:
        """The ``window`` samples of the decimated trace from ``start`` (must still be held)."""
        if start < self._n - self._trace.size or start + self.window > self._n:
            raise InvalidParameterError(f"window at {start} is not held by site {self.name}")
        return self._trace[(start + np.arange(self.window)) % self._trace.size]

    def time_of(self, start: int) -> float:
        return start / self.rate

    def local_onset(self, default: float) -> float:
        """Start (s) of this site's current run of energetic windows (gaps under ``run_gap_s``), the
        onset estimate both ends of a pair use, so a lag compares like with like; ``default`` if none."""
        if self._run_start is None or self._n - self.window - self._last_energetic > self.run_gap:
            return default
        return self.time_of(self._run_start)

    def _energetic(self, start: int, ratio: float | None = None) -> bool:
        """Is this window well above the site's usual level (the local test before any reply)?"""
        n = min(self._n_rms, self._rms_ring.size)
        ratio = self.energy_ratio if ratio is None else ratio
        return n > 0 and self._held[start][1] >= ratio * float(np.median(self._rms_ring[:n]))

    # -- protocol ---------------------------------------------------------------------------------

    def on_detection(self, detect_time: float, onset_time: float, n_sites: int,
                     evidence_ns: int = 0) -> HashMessage:
        """Broadcast the codes of the ``n_query`` most energetic windows of the last ``query_s``;
        ``evidence_ns``: when the input that completed the detection was acquired (for latency)."""
        recent = [st for st in self._held if st >= self._n - self.query]
        if not recent:
            raise InvalidParameterError(f"site {self.name} has no hashed window yet to broadcast")
        chosen = sorted(sorted(recent, key=lambda st: -self._held[st][1])[:self.n_query])
        codes = np.stack([self._held[st][0] for st in chosen])
        msg = HashMessage(self.name, float(detect_time), self.local_onset(float(onset_time)), len(chosen),
                          compress_hashes(codes), int(evidence_ns))
        wins = np.stack([self.trace(st) for st in chosen]).astype(np.float64)
        q = np.clip(np.rint(znormalise(wins) * QUANT_SCALE), -127, 127).astype(np.int8)
        self._sent = {t: v for t, v in self._sent.items() if v[2] >= self._n}
        self._sent[msg.detect_time] = (chosen, q, self._n + self.watch)
        self._onsets[msg.detect_time] = msg.onset_time
        others = max(n_sites - 1, 0)
        self.stats.bytes_sent += msg.nbytes * others
        self.stats.messages += others
        # the all-pairs baseline sends every window of the last query_s in the same int8 form
        self.stats.baseline_bytes += others * (_HEADER_BYTES + len(recent) * self.window)
        raw = self.query * self.decimate * self._n_channels * 2
        self.stats.baseline_raw_bytes += others * (_HEADER_BYTES + raw)
        return msg

    def on_hash_message(self, msg: HashMessage) -> list[CollisionReply]:
        """Check a broadcast against the recent index; arm it for the next ``watch_s``."""
        codes = decompress_hashes(msg.codes)
        if codes.ndim != 2 or codes.shape != (msg.n_windows, self.family.n_tables):
            raise CorruptDataError(f"hash message from {msg.source} has codes of shape {codes.shape}")
        idx = HashIndex(self.family.n_tables, max(1, msg.n_windows))
        idx.add(codes, 0, np.arange(msg.n_windows))
        watch = _Watch(msg, idx, self._n + self.watch)
        self._watches.append(watch)
        # the all-pairs baseline: every window of the sender's last query_s against every window
        # this site holds now or hashes while watching
        n_query = max(msg.n_windows, self.query // self.hop)
        self.stats.baseline_comparisons += n_query * (len(self._held) + self.watch // self.hop)
        return self._check_one(watch, sorted(self._held), 0)

    def _check_watches(self, starts: list[int], origin_ns: int) -> list[CollisionReply]:
        out = []
        for w in self._watches:
            out += self._check_one(w, starts, origin_ns)
        self._watches = [w for w in self._watches if not w.done and self._n <= w.until]
        return out

    def _check_one(self, w: _Watch, starts: list[int], origin_ns: int) -> list[CollisionReply]:
        out = []
        for st in starts:
            if w.done or w.requests >= self.max_requests or self._n < w.waiting_until:
                break
            if not self._energetic(st, self.reply_ratio):
                continue
            cand = w.index.query(self._held[st][0], min_votes=self.min_votes)
            if len(cand):
                w.requests += 1
                w.waiting_until = self._n + self.answer
                ids = [int(i) for i in cand.best(1).starts]
                reply = CollisionReply(w.msg.source, self.name, w.msg.detect_time, ids, int(st),
                                       max(w.msg.evidence_ns, int(origin_ns)))
                self.stats.bytes_sent += reply.nbytes
                self.stats.messages += 1
                out.append(reply)
        return out

    def on_collision_reply(self, reply: CollisionReply) -> WindowsMessage | None:
        """Source side: send the windows a target asked for (None for an unknown or expired broadcast)."""
        sent = self._sent.get(reply.detect_time)
        if sent is None:
            return None
        ids = [i for i in reply.window_ids if 0 <= i < len(sent[1])]
        if not ids:
            return None
        msg = WindowsMessage(self.name, reply.target, self._onsets[reply.detect_time], sent[1][ids],
                             reply.target_start, reply.evidence_ns)
        self.stats.bytes_sent += msg.nbytes
        self.stats.messages += 1
        return msg

    def on_windows(self, msg: WindowsMessage) -> list[PropagationEvent | StimulationCommand]:
        """Target side: exact DTW of the source's windows against the colliding own window."""
        t0 = time.monotonic_ns()
        watch = next((w for w in self._watches if w.msg.source == msg.source and not w.done), None)
        if watch is None:  # that broadcast is confirmed already (or its watch ended)
            return []
        try:
            own = self.trace(msg.target_start).astype(np.float64)
        except InvalidParameterError:
            return []
        watch.waiting_until = -1  # answered: the next colliding window may ask again
        q = znormalise(own[None])[0]
        theirs = msg.windows.astype(np.float64) / QUANT_SCALE
        if theirs.ndim != 2 or theirs.shape[1] != self.window:
            raise CorruptDataError(f"windows from {msg.source} have shape {theirs.shape}, expected "
                                   f"(n, {self.window})")
        d = distances(q, theirs, "dtw", band=self.band)
        self.stats.exact_comparisons += d.size
        d = d / np.sqrt(self.window)
        best = int(np.argmin(d))
        if d[best] > self.max_distance:
            return []
        lag = self.local_onset(self.time_of(msg.target_start)) - msg.onset_time
        now = self.time_of(self._n)
        out: list[PropagationEvent | StimulationCommand] = [
            PropagationEvent(msg.source, self.name, float(lag), float(d[best]), now, msg.evidence_ns)]
        if lag > 0:
            out.append(StimulationCommand(self.name, now, msg.source, msg.evidence_ns))
        watch.done = True
        self.stats.confirm_ns.append(time.monotonic_ns() - t0)
        return out
