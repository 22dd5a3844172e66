"""Score streams: a detector's per-channel value of every window, computed once at record time.

A query such as ``seizure_detect(data[:][t-1000:t])`` polled by a dashboard would otherwise run the
detector again on every window it asks about. A store may keep, per named scorer, the value of
each window of ``window`` samples ending at every multiple of ``hop`` samples: value ``j`` is the
window ``[(j + 1) hop - window, (j + 1) hop)`` (NaN while fewer than ``window`` samples exist).
Sealed with the signal chunk its windows end in (``scores/<name>/0.<k>``, float64, one file for
every channel) and in the tail segment before that; they follow the signal's retention.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from cortexlink.core.errors import InvalidDataError, InvalidParameterError


def _seizure(data: np.ndarray, sample_rate: float, gain_uv: float) -> np.ndarray:
    from cortexlink.seizure import score_channels

    return score_channels(data, sample_rate, gain_uv=gain_uv)


SCORERS: dict[str, Callable[[np.ndarray, float, float], np.ndarray]] = {"seizure": _seizure}
QUERY_FUNCTION = {"seizure": "seizure_detect"}  # the query function each stream answers


@dataclass(frozen=True)
class ScoreSpec:
    """One score stream: ``name`` (a key of ``SCORERS``), window and hop in samples."""

    name: str
    window: int
    hop: int

    def __post_init__(self) -> None:
        if self.name not in SCORERS:
            raise InvalidParameterError(
                f"unknown score stream {self.name!r}; a store can keep {', '.join(SCORERS)}"
            )
        if not (0 < self.hop and 0 < self.window):
            raise InvalidParameterError(f"score stream {self.name}: window and hop must be positive samples")

    def as_dict(self) -> dict:
        return {"name": self.name, "window": self.window, "hop": self.hop}


def score_specs(
    scores: dict[str, tuple[float, float]] | None, sample_rate: float, chunk: int
) -> list[ScoreSpec]:
    """``{name: (window_ms, hop_ms)}`` as specs; the hop must divide the signal chunk."""
    out = []
    for name, (window_ms, hop_ms) in (scores or {}).items():
        window, hop = (int(round(v * 1e-3 * sample_rate)) for v in (window_ms, hop_ms))
        spec = ScoreSpec(name, window, hop)
        if chunk % spec.hop:
            raise InvalidParameterError(
                f"score stream {name}: its hop ({hop_ms:g} ms = {spec.hop} samples) must divide the "
                f"signal chunk ({chunk} samples); pick a hop such as {chunk / sample_rate * 1e3 / 10:g} ms"
            )
        out.append(spec)
    return out


class ScoreStream:
    """Computes one stream's values as samples are appended (the last ``window`` samples kept)."""

    def __init__(self, spec: ScoreSpec, n_channels: int, sample_rate: float, gain_uv: float) -> None:
        self.spec, self.n_channels = spec, n_channels
        self.sample_rate, self.gain_uv = sample_rate, gain_uv
        self._fn = SCORERS[spec.name]
        self._blocks: deque[np.ndarray] = deque()
        self._held = 0  # samples in _blocks
        self._n = 0  # samples appended
        self.values: list[np.ndarray] = []  # (n_channels,) float64 per hop, unsealed
        self.first = 0  # index j of values[0]

    def append(self, data: np.ndarray, given: np.ndarray | None = None) -> None:
        """Take the next block of samples; score every window that ends inside it, or take the
        scores ``given`` for them (``(n_channels, windows ending in the block)``: a detector
        upstream already computed them)."""
        n0, n = self._n, data.shape[1]
        hop, w = self.spec.hop, self.spec.window
        ends = range((n0 // hop + 1) * hop, n0 + n + 1, hop)
        if given is not None:
            given = self.check_given(given, n)
            ends = range(0)
        self._blocks.append(data)
        self._held += n
        self._n += n
        if given is not None:
            self.values += list(given.T)
        for end in ends:
            if end < w:
                self.values.append(np.full(self.n_channels, np.nan, np.float64))
                continue
            recent = np.concatenate(list(self._blocks), axis=1) if len(self._blocks) > 1 else self._blocks[0]
            cut = recent.shape[1] - (self._n - end)
            window = np.ascontiguousarray(recent[:, cut - w : cut])
            self.values.append(np.asarray(self._fn(window, self.sample_rate, self.gain_uv), np.float64))
        while self._blocks and self._held - self._blocks[0].shape[1] >= w:
            self._held -= self._blocks.popleft().shape[1]

    def check_given(self, given: np.ndarray, n: int) -> np.ndarray:
        """``given`` checked as the scores of the windows ending in the next ``n`` samples."""
        hop = self.spec.hop
        count = (self._n + n) // hop - self._n // hop
        given = np.asarray(given, np.float64)
        if given.shape != (self.n_channels, count):
            raise InvalidDataError(
                f"{self.spec.name} scores given for a block of {n} samples must be "
                f"({self.n_channels}, {count}): one per channel and window ending in it, got {given.shape}"
            )
        return given

    def take(self, stop: int) -> np.ndarray:
        """Remove and return values ``[first, stop)`` as ``(n_channels, stop - first)``."""
        k = stop - self.first
        out = np.stack(self.values[:k], axis=1) if k > 0 else np.empty((self.n_channels, 0), np.float64)
        del self.values[:k]
        self.first = stop
        return out

    def peek(self, start: int, stop: int) -> np.ndarray:
        """Values ``[start, stop)`` (still unsealed) as ``(n_channels, stop - start)``."""
        part = self.values[start - self.first : stop - self.first]
        return np.stack(part, axis=1) if part else np.empty((self.n_channels, 0), np.float64)
