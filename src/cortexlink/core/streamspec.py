"""``StreamSpec``: what a stream carries, declared before any chunk flows."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cortexlink.core.errors import InvalidParameterError
from cortexlink.core.validation import check_sample_rate


@dataclass(frozen=True)
class StreamSpec:
    """Name, shape and rate of a stream: ``n_channels`` rows of ``dtype`` at ``sample_rate`` Hz,
    usually in chunks of ``chunk_samples``."""

    name: str
    n_channels: int
    sample_rate: float
    dtype: str = "int16"
    chunk_samples: int = 1

    def __post_init__(self) -> None:
        if not self.name:
            raise InvalidParameterError("a stream needs a non-empty name")
        for what in ("n_channels", "chunk_samples"):
            value = getattr(self, what)
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
                raise InvalidParameterError(
                    f"stream {self.name!r}: {what} must be a positive integer, got {value!r}"
                )
        check_sample_rate(self.sample_rate, f"stream {self.name!r} sample_rate")
        try:
            np.dtype(self.dtype)
        except TypeError:
            raise InvalidParameterError(f"stream {self.name!r}: unknown dtype {self.dtype!r}") from None

    @property
    def chunk_bytes(self) -> int:
        """Bytes in one chunk of data."""
        return int(self.n_channels) * int(self.chunk_samples) * np.dtype(self.dtype).itemsize
