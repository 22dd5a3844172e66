"""``Block``: the shape every streaming DSP step shares.

A block is built for one sample rate, locks onto the channel count of the first chunk it sees,
carries whatever state crosses chunk edges, and exposes ``process(chunk) -> chunk``, ``reset()``
and ``apply(recording_or_array)``. ``apply`` is nothing but ``reset()`` followed by ``process`` of
the whole input as one chunk, so offline and online results cannot drift apart.
"""

from __future__ import annotations

from typing import overload

import numpy as np

from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import InvalidDataError, InvalidParameterError
from cortexlink.core.recording import Recording
from cortexlink.core.validation import check_positive, check_sample_rate


class Block:
    """Base class of the streaming blocks; subclasses implement ``_process`` and ``_reset_state``.

    ``linear`` says whether outputs stay in the input's units (so ``apply`` on a Recording keeps
    its ``gain_uv``); blocks that square, count or flag return gain 1.
    """

    linear: bool = False

    def __init__(self, sample_rate: float) -> None:
        self.sample_rate = check_sample_rate(sample_rate, f"{type(self).__name__} sample_rate")
        self._n_channels: int | None = None

    # -- public API -------------------------------------------------------------------------------

    @property
    def output_rate(self) -> float:
        """Sample rate of the chunks this block emits (Hz)."""
        return self.sample_rate

    @property
    def n_channels(self) -> int | None:
        """Channel count this block is locked to, or None before the first chunk."""
        return self._n_channels

    def process(self, chunk: Chunk) -> Chunk:
        """Consume one chunk, return the output it completes (possibly zero samples long)."""
        return self._process(chunk, self._checked_data(chunk, check_values=True))

    def process_trusted(self, chunk: Chunk) -> Chunk:
        """``process`` without the NaN scan, for chunks another block already produced."""
        return self._process(chunk, self._checked_data(chunk, check_values=False))

    def lock(self, chunk: Chunk) -> None:
        """Lock onto ``chunk``'s channel count and allocate the per-channel state, as the first
        ``process`` of a stream does (nothing once locked; an error if the count changed). For code
        that advances this block's state itself (``fused_state``) instead of calling ``process``."""
        self._checked_data(chunk, check_values=False)

    def reset(self) -> None:
        """Forget everything carried between chunks (and the channel count); keep calibration."""
        self._n_channels = None
        self._reset_state()

    @overload
    def apply(self, signal: Recording) -> Recording: ...
    @overload
    def apply(self, signal: np.ndarray) -> np.ndarray: ...

    def apply(self, signal: Recording | np.ndarray) -> Recording | np.ndarray:
        """Process a whole recording (or ``(n_channels, n_samples)`` array) as one fresh stream.

        Returns the same kind as given: an array, or a Recording at ``output_rate`` with the
        input's channel ids, site, t0 and metadata.
        """
        data = input_array(signal, self.sample_rate, type(self).__name__)
        self.reset()
        out = self.process(Chunk(data, 0, self.sample_rate))
        if not isinstance(signal, Recording):
            return out.data
        return Recording(
            out.data, sample_rate=out.sample_rate,
            gain_uv=signal.gain_uv if self.linear else 1.0, t0=signal.t0,
            channel_ids=self._output_channel_ids(np.asarray(signal.channel_ids)), site=signal.site,
            metadata=dict(signal.metadata),
        )

    # -- for subclasses ---------------------------------------------------------------------------

    def _process(self, chunk: Chunk, data: np.ndarray) -> Chunk:
        raise NotImplementedError

    def _reset_state(self) -> None:
        """Drop carried state; called by ``reset``."""

    def _allocate(self, n_channels: int) -> None:
        """Allocate per-channel state for ``n_channels``; called on the first chunk of a stream."""

    def _output_channel_ids(self, input_ids: np.ndarray) -> np.ndarray:
        return input_ids

    def _checked_data(self, chunk: Chunk, check_values: bool) -> np.ndarray:
        """The chunk's data as a C-contiguous numeric array, after every check a stream needs."""
        name = type(self).__name__
        if not isinstance(chunk, Chunk):
            raise InvalidDataError(f"{name}.process expects a Chunk, got {type(chunk).__name__}")
        data = chunk.data
        if not isinstance(data, np.ndarray) or data.ndim != 2:
            shape = getattr(data, "shape", None)
            raise InvalidDataError(
                f"{name}: chunk data must be a 2-D (n_channels, n_samples) array, got shape {shape}"
            )
        if chunk.sample_rate != self.sample_rate:
            raise InvalidDataError(
                f"{name} was built for {self.sample_rate:g} Hz but got a chunk at {chunk.sample_rate:g} Hz; "
                "build the block with the stream's sample_rate"
            )
        n = data.shape[0]
        if self._n_channels is None:
            if n == 0:
                raise InvalidDataError(f"{name}: chunk has zero channels; a stream needs at least one")
            check_numeric(data, name)
            self._allocate(n)
            self._n_channels = n
        elif n != self._n_channels:
            raise InvalidDataError(
                f"{name}: channel count changed mid-stream from {self._n_channels} to {n}; "
                "call reset() before feeding a stream with a different channel count"
            )
        if check_values:
            check_numeric(data, name)
            if data.dtype.kind == "f" and not np.isfinite(data).all():
                bad = int(np.count_nonzero(~np.isfinite(data)))
                raise InvalidDataError(
                    f"{name}: chunk at sample {chunk.start_sample} holds {bad} NaN or infinite values; "
                    "clean or interpolate them before filtering (they would poison the carried state)"
                )
        return data if data.flags.c_contiguous else np.ascontiguousarray(data)


def check_numeric(data: np.ndarray, name: str) -> None:
    """Raise unless ``data`` holds booleans, integers or real floats."""
    if data.dtype.kind not in "biuf":
        raise InvalidDataError(f"{name}: data must be numeric (int, float or bool), got dtype {data.dtype}")


def input_array(signal: Recording | np.ndarray, sample_rate: float, name: str) -> np.ndarray:
    """The samples of a Recording (whose rate must match) or a 2-D array, for one-shot use."""
    if isinstance(signal, Recording):
        if signal.sample_rate != sample_rate:
            raise InvalidDataError(
                f"{name} was built for {sample_rate:g} Hz but the recording is at {signal.sample_rate:g} Hz; "
                "build the block with the recording's sample_rate"
            )
        return signal.data
    arr = np.asarray(signal)
    if arr.ndim == 1:
        raise InvalidDataError(
            f"{name}: expected a (n_channels, n_samples) array, got 1-D shape {arr.shape}; "
            "use data[None, :] for a single channel"
        )
    if arr.ndim != 2:
        raise InvalidDataError(f"{name}: expected a (n_channels, n_samples) array, got shape {arr.shape}")
    return arr


def samples_for(duration_s: float, sample_rate: float, what: str, minimum: int = 1) -> int:
    """``duration_s`` in whole samples (rounded), at least ``minimum``, else a clear error."""
    d = check_positive(duration_s, f"{what} (seconds)")
    n = int(round(d * sample_rate))
    if n < minimum:
        raise InvalidParameterError(
            f"{what} of {d:g} s is {n} samples at {sample_rate:g} Hz; it must span at least {minimum}"
        )
    return n


def samples_for_ms(duration_ms: float, sample_rate: float, what: str, minimum: int = 1) -> int:
    """Like ``samples_for`` for a duration given in milliseconds."""
    if isinstance(duration_ms, bool) or not isinstance(duration_ms, (int, float, np.number)):
        raise InvalidParameterError(f"{what} must be a number of milliseconds, got {duration_ms!r}")
    return samples_for(float(duration_ms) / 1000.0, sample_rate, what, minimum)
