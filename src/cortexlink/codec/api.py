"""Compress and decompress int16 recordings and WAV files, with random access by time.

The signal is cut into blocks along time; each block goes through the engine with fresh state and
is stored raw instead whenever the engine's payload is not smaller, so no input grows by more
than the header. WAV files keep their header and trailer bytes and come back byte for byte.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cortexlink.codec import container
from cortexlink.codec.levels import DEFAULT_LEVEL, check_level
from cortexlink.core.errors import (
    CorruptDataError,
    InvalidDataError,
    InvalidParameterError,
    UnsupportedFormatError,
)
from cortexlink.core.recording import Recording
from cortexlink.core.validation import check_positive, check_time_range

DEFAULT_BLOCK_SECONDS = 10.0
# Each block restarts the adaptive model from scratch and adds an index entry. On a 19.5 kHz
# Neuralink file, blocks of 256 samples make the file 1.4x the size of one block, 64 samples 2.4x,
# and 16 samples larger than the raw signal: below 256 a block costs more than random access gains.
MIN_BLOCK_SAMPLES = 256
MAX_DECODE_VALUES = 1 << 32


def _engine():
    from cortexlink.codec import engine

    return engine


def samples_per_block(block_seconds: float | None, sample_rate: float, n_samples: int) -> int | None:
    """Samples per block for blocks of ``block_seconds`` (None: one block, as is any length that
    covers the whole signal), or a clear error for a length that is not a positive number or
    would cut blocks shorter than ``MIN_BLOCK_SAMPLES``. Every compression path checks here."""
    if block_seconds is None:
        return None
    seconds = check_positive(block_seconds, "block_seconds")
    if seconds * sample_rate >= n_samples:
        return None
    samples = round(seconds * sample_rate)
    if samples < MIN_BLOCK_SAMPLES:
        raise InvalidParameterError(
            f"block_seconds {block_seconds!r} makes blocks of {samples} samples at {sample_rate:g} Hz; "
            f"use at least {MIN_BLOCK_SAMPLES / sample_rate:.4g} s ({MIN_BLOCK_SAMPLES} samples), "
            "since each block restarts the model and shorter ones compress badly")
    return samples


def compress(signal: Recording | np.ndarray, level: str = DEFAULT_LEVEL,
             block_seconds: float | None = DEFAULT_BLOCK_SECONDS, *,
             sample_rate: float | None = None) -> bytes:
    """Compress int16 ``(n_channels, n_samples)`` data (a 1-D array is one channel).

    An array gets ``sample_rate`` (default 1 Hz, then one block for all of it unless the memory
    cap splits it). Blocks of ``block_seconds`` are the unit of random access; None means one block
    (see ``samples_per_block`` for the bounds).
    """
    if isinstance(signal, Recording):
        rec = signal
    else:
        arr = np.asarray(signal)
        rec = Recording(arr[None] if arr.ndim == 1 else arr, 1.0 if sample_rate is None else sample_rate)
    if sample_rate is None and not isinstance(signal, Recording):
        if block_seconds is not None:
            check_positive(block_seconds, "block_seconds")  # checked, though one block holds it all
        return _compress(rec, level, None)
    return _compress(rec, level, samples_per_block(block_seconds, rec.sample_rate, rec.n_samples))


def _compress(rec: Recording, level: str, block_samples: int | None,
              wav_header: bytes | None = None, wav_trailer: bytes = b"") -> bytes:
    check_level(level)
    if rec.data.dtype != np.int16:
        raise InvalidDataError(f"compression needs int16 ADC counts, got {rec.data.dtype}; "
                               "quantise the signal to int16 with a gain first")
    n_ch, n = rec.data.shape
    if n_ch > container.MAX_CHANNELS:
        raise InvalidDataError(f"{n_ch} channels is more than the {container.MAX_CHANNELS} a file can hold; "
                               "split the channels into several files")
    bs = max(1, min(block_samples or n, n or 1, container.MAX_BLOCK_VALUES // n_ch))
    header = container.Header(n_ch, n, rec.sample_rate, bs, rec.gain_uv, rec.t0, wav_header, wav_trailer)
    blocks = []
    for a in range(0, n, bs):
        block = np.ascontiguousarray(rec.data[:, a:a + bs])
        stored = block.astype("<i2").tobytes()
        coded = _engine().encode_block(block, level)
        blocks.append((level, coded) if len(coded) < len(stored) else ("stored", stored))
    return container.pack(header, blocks)


class CompressedReader:
    """Random access into compressed data: reading a range decodes only the blocks it overlaps."""

    def __init__(self, data: bytes) -> None:
        self._data = bytes(data)
        self.header, self.blocks = container.unpack(self._data)

    @property
    def n_channels(self) -> int:
        return self.header.n_channels

    @property
    def n_samples(self) -> int:
        return self.header.n_samples

    @property
    def sample_rate(self) -> float:
        return self.header.sample_rate

    def read(self, start: int = 0, stop: int | None = None) -> np.ndarray:
        """Samples ``[start, stop)`` of every channel as int16 ``(n_channels, stop - start)``."""
        h = self.header
        stop = h.n_samples if stop is None else min(int(stop), h.n_samples)
        start = max(0, int(start))
        if stop < start:
            raise InvalidParameterError(f"read range stops at sample {stop}, before its start {start}")
        if (stop - start) * h.n_channels > MAX_DECODE_VALUES:
            raise InvalidParameterError(f"reading {stop - start} samples of {h.n_channels} channels at "
                                        "once needs too much memory; read a shorter range")
        out = np.empty((h.n_channels, stop - start), dtype=np.int16)
        bs = h.block_samples
        for block in self.blocks[start // bs:-(-stop // bs)]:
            a = block.index * bs
            samples = self._decode(block, min(bs, h.n_samples - a))
            lo, hi = max(start, a), min(stop, a + bs)
            out[:, lo - start:hi - start] = samples[:, lo - a:hi - a]
        return out

    def recording(self, start_s: float | None = None, stop_s: float | None = None) -> Recording:
        """The signal over ``[start_s, stop_s)`` seconds from the first sample (default: all of it)."""
        h = self.header
        start, stop = check_time_range(start_s, stop_s, h.n_samples / h.sample_rate)
        a, b = round(start * h.sample_rate), round(stop * h.sample_rate)
        return Recording(self.read(a, b), h.sample_rate, h.gain_uv, h.t0 + a / h.sample_rate)

    def wav_bytes(self) -> bytes:
        """The original WAV file, byte for byte (raises if the data did not come from a WAV file)."""
        h = self.header
        if h.wav_header is None:
            raise UnsupportedFormatError("this compressed data was not made from a WAV file, so there is "
                                         "no original to restore; decompress it to a recording instead")
        return h.wav_header + np.ascontiguousarray(self.read().T).astype("<i2").tobytes() + h.wav_trailer

    def _decode(self, block: container.Block, n: int) -> np.ndarray:
        payload = container.payload(self._data, block)
        n_ch = self.header.n_channels
        if block.method == "stored":
            if len(payload) != 2 * n_ch * n:
                raise CorruptDataError(f"stored block {block.index} has {len(payload)} bytes, "
                                       f"expected {2 * n_ch * n}; the file is damaged")
            return np.frombuffer(payload, dtype="<i2").reshape(n_ch, n).astype(np.int16)
        try:
            out = _engine().decode_block(payload, n_ch, n, block.method)
        except container.DATA_ERRORS as exc:
            raise CorruptDataError(f"compressed block {block.index} does not decode "
                                   f"({type(exc).__name__}: {exc}); the file is damaged") from exc
        if out.shape != (n_ch, n):
            raise CorruptDataError(f"compressed block {block.index} decoded to shape {out.shape}, "
                                   f"expected {(n_ch, n)}; the file is damaged")
        return out


def decompress(data: bytes, start_s: float | None = None, stop_s: float | None = None) -> Recording:
    """The Recording held in compressed ``data``, or only its ``[start_s, stop_s)`` seconds."""
    return CompressedReader(data).recording(start_s, stop_s)


def compress_wav_bytes(raw: bytes, level: str = DEFAULT_LEVEL,
                       block_seconds: float | None = DEFAULT_BLOCK_SECONDS) -> bytes:
    """Compress the bytes of a 16-bit PCM WAV file so ``decompress_wav_bytes`` restores them exactly."""
    from cortexlink.io.wav import parse_wav

    return _compress_wav(parse_wav(raw), level, block_seconds)


def compress_wav_file(path: str | Path, level: str = DEFAULT_LEVEL,
                      block_seconds: float | None = DEFAULT_BLOCK_SECONDS) -> bytes:
    """Compress a WAV file (see ``compress_wav_bytes``)."""
    from cortexlink.io.wav import read_wav

    return _compress_wav(read_wav(path), level, block_seconds)


def _compress_wav(wav, level: str, block_seconds: float | None) -> bytes:
    bs = samples_per_block(block_seconds, wav.sample_rate, wav.data.shape[1])
    return _compress(Recording(wav.data, wav.sample_rate), level, bs, wav.header, wav.trailer)


def decompress_wav_bytes(data: bytes) -> bytes:
    """The WAV file that ``compress_wav_bytes`` or ``compress_wav_file`` was given, byte for byte."""
    return CompressedReader(data).wav_bytes()
