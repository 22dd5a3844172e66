"""``Chunk``: one slice of a stream, carrying where it sits in the stream and when it was acquired."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


class ChannelsByTime:
    """Shape properties of anything holding ``data`` of shape ``(n_channels, n_samples)``."""

    __slots__ = ()
    data: np.ndarray

    @property
    def n_channels(self) -> int:
        return int(self.data.shape[0])

    @property
    def n_samples(self) -> int:
        return int(self.data.shape[1])


@dataclass(slots=True)
class Chunk(ChannelsByTime):
    """A ``(n_channels, n_samples)`` slice of a stream.

    ``start_sample`` indexes its first sample since the stream began; ``origin_ns`` is the
    ``time.monotonic_ns()`` at which the oldest input that produced it was acquired, so the
    end-to-end latency anywhere downstream is ``monotonic_ns() - origin_ns``. Construction does
    no checking: chunks are made in hot loops.
    """

    data: np.ndarray
    start_sample: int
    sample_rate: float
    origin_ns: int = 0

    @property
    def end_sample(self) -> int:
        """Index one past the last sample."""
        return self.start_sample + self.n_samples

    @property
    def start_time(self) -> float:
        """Seconds since the stream began."""
        return self.start_sample / self.sample_rate

    def derive(self, data: np.ndarray, start_sample: int | None = None,
               sample_rate: float | None = None) -> Chunk:
        """A chunk of new data that keeps this chunk's ``origin_ns`` (and position unless given)."""
        return Chunk(
            data,
            self.start_sample if start_sample is None else start_sample,
            self.sample_rate if sample_rate is None else sample_rate,
            self.origin_ns,
        )

    def split(self, n: int) -> tuple[Chunk, Chunk]:
        """The first ``n`` samples and the rest, as chunks of the same stream (views, not copies)."""
        return self.derive(self.data[:, :n]), self.derive(self.data[:, n:], self.start_sample + n)
