"""``Recording``: a block of multichannel neural signal with what is needed to interpret it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cortexlink.core.chunk import ChannelsByTime, Chunk
from cortexlink.core.errors import InvalidDataError, InvalidParameterError
from cortexlink.core.validation import check_2d, check_finite, check_positive, check_sample_rate

SUPPORTED_DTYPES = (np.dtype(np.int16), np.dtype(np.float32))


@dataclass
class Recording(ChannelsByTime):
    """Signal of shape ``(n_channels, n_samples)``: int16 ADC counts or float32 microvolts.

    ``gain_uv`` converts counts to microvolts (1.0 for float data already in uV), ``t0`` is
    the time of the first sample in seconds, ``site`` names the implant it came from.
    Other integer or float dtypes are converted on construction (int to int16 when lossless,
    float to float32); anything else is an ``InvalidDataError``.
    """

    data: np.ndarray
    sample_rate: float
    gain_uv: float = 1.0
    t0: float = 0.0
    channel_ids: np.ndarray | None = None
    site: str = "0"
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        data = check_2d(self.data, "Recording data")
        data = _to_supported_dtype(data)
        check_finite(data, "Recording data")
        self.data = np.ascontiguousarray(data)
        self.sample_rate = check_sample_rate(self.sample_rate)
        self.gain_uv = check_positive(self.gain_uv, "gain_uv")
        self.t0 = float(self.t0)
        if self.channel_ids is None:
            self.channel_ids = np.arange(self.data.shape[0])
        else:
            ids = np.asarray(self.channel_ids)
            if ids.ndim != 1 or ids.shape[0] != self.data.shape[0]:
                raise InvalidDataError(
                    f"channel_ids has shape {ids.shape} but data has {self.data.shape[0]} channels; "
                    "give one id per channel"
                )
            self.channel_ids = ids
        self.site = str(self.site)

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.n_samples / self.sample_rate

    @property
    def times(self) -> np.ndarray:
        """Time of every sample in seconds."""
        return self.t0 + np.arange(self.n_samples) / self.sample_rate

    def microvolts(self) -> np.ndarray:
        """The signal as float32 microvolts."""
        return self.data.astype(np.float32) * np.float32(self.gain_uv)

    def select_channels(self, index: Any) -> Recording:
        """A new Recording holding only the channels picked by ``index`` (slice, list or mask)."""
        try:
            idx = np.arange(self.n_channels)[index]
        except IndexError as exc:
            raise InvalidParameterError(
                f"channel selection {index!r} does not fit {self.n_channels} channels ({exc})"
            ) from None
        if np.ndim(idx) == 0:
            idx = np.array([idx])
        return self._derive(self.data[idx], channel_ids=self.channel_ids[idx])

    def time_slice(self, start_s: float, stop_s: float | None = None) -> Recording:
        """A new Recording covering ``[start_s, stop_s)`` seconds relative to ``t0``."""
        a = min(self.n_samples, max(0, int(round(start_s * self.sample_rate))))
        b = self.n_samples if stop_s is None else min(self.n_samples, int(round(stop_s * self.sample_rate)))
        if b < a:
            raise InvalidParameterError(f"time_slice stop {stop_s} is before start {start_s}")
        return self._derive(self.data[:, a:b], t0=self.t0 + a / self.sample_rate)

    def chunks(self, chunk_samples: int, origin_ns: int = 0) -> Iterator[Chunk]:
        """Cut the recording into consecutive Chunks of ``chunk_samples`` (the last may be shorter)."""
        if int(chunk_samples) <= 0:
            raise InvalidParameterError(f"chunk_samples must be positive, got {chunk_samples}")
        n = int(chunk_samples)
        for start in range(0, self.n_samples, n):
            yield Chunk(self.data[:, start:start + n], start, self.sample_rate, origin_ns)

    def _derive(self, data: np.ndarray, **changes: Any) -> Recording:
        fields = dict(
            data=np.ascontiguousarray(data), sample_rate=self.sample_rate, gain_uv=self.gain_uv,
            t0=self.t0, channel_ids=self.channel_ids, site=self.site, metadata=dict(self.metadata),
        )
        fields.update(changes)
        return Recording(**fields)

    def __repr__(self) -> str:
        return (
            f"Recording({self.n_channels} ch x {self.n_samples} samples @ {self.sample_rate:g} Hz, "
            f"{self.data.dtype}, gain {self.gain_uv:g} uV, site {self.site!r})"
        )


def _to_supported_dtype(data: np.ndarray) -> np.ndarray:
    if data.dtype in SUPPORTED_DTYPES:
        return data
    if np.issubdtype(data.dtype, np.integer) or data.dtype == np.bool_:
        if data.size and (data.min() < -32768 or data.max() > 32767):
            raise InvalidDataError(
                f"integer data of dtype {data.dtype} exceeds the int16 range; "
                "scale it to microvolts as float32 or to int16 counts with a gain"
            )
        return data.astype(np.int16)
    if np.issubdtype(data.dtype, np.floating):
        return data.astype(np.float32)
    raise InvalidDataError(f"Recording data must be numeric, got dtype {data.dtype}")
