"""WAV files of int16 PCM, any channel count and rate, with their header kept for exact rewrites.

The Neuralink data set ships one electrode per mono WAV; the codec restores such a file byte for
byte, so reading returns the bytes before and after the sample payload as well as the samples.
A recording whose counts are not 1 uV each is written with a ``gain`` chunk before ``data``
(float64 microvolts per count; other readers skip chunks they do not know), so its gain comes back.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cortexlink.core.errors import (
    CorruptDataError,
    InvalidDataError,
    RecordingNotFoundError,
    UnsupportedFormatError,
)
from cortexlink.core.paths import writable_target, writing
from cortexlink.core.recording import Recording
from cortexlink.core.validation import check_2d, check_positive, check_sample_rate

_PCM = 1
_EXTENSIBLE = 0xFFFE
_GAIN = b"gain"  # chunk holding the microvolts per count, float64 little-endian


@dataclass
class WavContents:
    """Samples ``(n_channels, n_samples)`` int16 plus the exact bytes around them in the file."""

    data: np.ndarray
    sample_rate: int
    header: bytes
    trailer: bytes = b""
    gain_uv: float | None = None  # from a ``gain`` chunk, if the file has one


def parse_wav(raw: bytes, source: str = "WAV data") -> WavContents:
    """Parse the bytes of a 16-bit PCM WAV file; every declared size is checked against ``raw``."""
    if len(raw) < 12 or raw[:4] != b"RIFF" or raw[8:12] != b"WAVE":
        raise CorruptDataError(f"{source} is not a RIFF/WAVE file (bad magic); check the file type")
    pos = 12
    fmt = None
    gain = None
    while pos + 8 <= len(raw):
        cid = raw[pos:pos + 4]
        (size,) = struct.unpack_from("<I", raw, pos + 4)
        body = pos + 8
        if cid == b"fmt ":
            if size < 16 or body + size > len(raw):
                raise CorruptDataError(f"{source}: 'fmt ' chunk of {size} bytes is truncated or too small")
            fmt = struct.unpack_from("<HHIIHH", raw, body)
        elif cid == _GAIN and size == 8 and body + size <= len(raw):
            (gain,) = struct.unpack_from("<d", raw, body)
            if not (np.isfinite(gain) and gain > 0):
                raise CorruptDataError(
                    f"{source}: its gain chunk says {gain!r} uV per count; the file is damaged")
        elif cid == b"data":
            if fmt is None:
                raise CorruptDataError(f"{source}: 'data' chunk comes before any 'fmt ' chunk")
            contents = _contents(raw, fmt, body, size, source)
            contents.gain_uv = gain
            return contents
        if body + size > len(raw):
            raise CorruptDataError(f"{source}: chunk {cid!r} declares {size} bytes past the end of the file")
        pos = body + size + (size & 1)
    raise CorruptDataError(f"{source} has no 'data' chunk; the file is truncated or not audio")


def _contents(raw: bytes, fmt: tuple, body: int, size: int, source: str) -> WavContents:
    tag, n_channels, rate, _byte_rate, block_align, bits = fmt
    if tag not in (_PCM, _EXTENSIBLE) or bits != 16:
        raise UnsupportedFormatError(
            f"{source}: only 16-bit integer PCM WAV is supported (format tag {tag}, {bits} bits); "
            "convert it to int16 first"
        )
    if n_channels == 0 or block_align != 2 * n_channels:
        raise CorruptDataError(
            f"{source}: {n_channels} channels with block align {block_align} is inconsistent"
        )
    if rate == 0:
        raise CorruptDataError(f"{source}: the header gives a sample rate of 0 Hz; the file is damaged")
    if body + size > len(raw):
        raise CorruptDataError(
            f"{source}: 'data' chunk declares {size} bytes but only {len(raw) - body} remain; "
            "the file is truncated"
        )
    n_frames = size // block_align
    payload_end = body + n_frames * block_align
    frames = np.frombuffer(raw, dtype="<i2", count=n_frames * n_channels, offset=body)
    data = np.ascontiguousarray(frames.reshape(n_frames, n_channels).T).astype(np.int16, copy=False)
    return WavContents(data=data, sample_rate=int(rate), header=raw[:body], trailer=raw[payload_end:])


def read_wav(path: str | Path) -> WavContents:
    """Read a 16-bit PCM WAV file."""
    p = Path(path)
    if not p.is_file():
        raise RecordingNotFoundError(f"no such file: {p}")
    return parse_wav(p.read_bytes(), str(p))


def wav_header(n_channels: int, n_frames: int, sample_rate: int, gain_uv: float = 1.0) -> bytes:
    """The canonical 44-byte header of a 16-bit PCM WAV file; 16 bytes more (a ``gain`` chunk)
    when the counts are not 1 uV each."""
    data_bytes = 2 * n_channels * n_frames
    gain = b"" if gain_uv == 1.0 else _GAIN + struct.pack("<Id", 8, float(gain_uv))
    return (
        b"RIFF" + struct.pack("<I", 36 + len(gain) + data_bytes) + b"WAVE"
        + b"fmt " + struct.pack("<IHHIIHH", 16, _PCM, n_channels, sample_rate,
                                sample_rate * 2 * n_channels, 2 * n_channels, 16)
        + gain + b"data" + struct.pack("<I", data_bytes)
    )


def wav_bytes(data: np.ndarray, sample_rate: float, header: bytes | None = None,
              trailer: bytes = b"", gain_uv: float = 1.0) -> bytes:
    """Serialise int16 ``(n_channels, n_samples)`` data; ``header``/``trailer`` restore a file exactly,
    else the header is the canonical one (with ``gain_uv``)."""
    arr = check_2d(data, "WAV data")
    if arr.dtype != np.int16:
        raise UnsupportedFormatError(f"WAV output needs int16 samples, got {arr.dtype}; quantise first")
    rate = check_sample_rate(sample_rate)
    if rate != int(rate):
        raise UnsupportedFormatError(
            f"WAV stores integer sample rates only, got {rate}; write .npz, .nwb or .raw to keep it"
        )
    if header is None:
        header = wav_header(arr.shape[0], arr.shape[1], int(rate), gain_uv)
    return header + np.ascontiguousarray(arr.T).astype("<i2").tobytes() + trailer


def write_wav(path: str | Path, data: np.ndarray, sample_rate: float, header: bytes | None = None,
              trailer: bytes = b"", gain_uv: float = 1.0) -> None:
    """Write int16 data as a WAV file (see ``wav_bytes``)."""
    Path(path).write_bytes(wav_bytes(data, sample_rate, header, trailer, gain_uv))


_MAX_DATA_BYTES = 0xFFFFFFFF - 36  # the RIFF size field is 32 bits


def load_wav(path: str | Path, gain_uv: float | None = None) -> Recording:
    """Read a WAV file as a Recording of int16 counts. The gain is ``gain_uv`` if given, else the
    file's ``gain`` chunk (written by ``save_wav``), else 1 uV per count."""
    contents = read_wav(path)
    gain = gain_uv if gain_uv is not None else contents.gain_uv if contents.gain_uv is not None else 1.0
    return Recording(contents.data, contents.sample_rate, gain_uv=gain, metadata={"format": "wav"})


def save_wav(recording: Recording, path: str | Path, gain_uv: float | None = None) -> None:
    """Write ``recording`` as 16-bit PCM WAV.

    int16 data is written as it is. float32 microvolts are refused unless ``gain_uv`` (microvolts per
    count) is given, in which case they are rounded to counts of that size; a gain that differs from
    an int16 recording's own re-quantises it too. The gain is stored (a ``gain`` chunk, unless it
    is 1); time offset, channel ids and site are not: WAV has no place for them.
    """
    data = recording.data
    gain = recording.gain_uv
    if gain_uv is not None and (data.dtype != np.int16 or float(gain_uv) != recording.gain_uv):
        gain = float(gain_uv)
        data = quantise_to_int16(recording.microvolts(), check_positive(gain_uv, "gain_uv"))
    elif data.dtype != np.int16:
        raise UnsupportedFormatError(
            f"WAV holds int16 counts but this recording is {data.dtype} microvolts; give a gain "
            "(microvolts per count, e.g. --out-gain 0.195) to quantise it, or write .npz, .nwb or .raw, "
            "which keep float32"
        )
    if data.size * 2 > _MAX_DATA_BYTES:
        raise UnsupportedFormatError(
            f"{data.size * 2} bytes of samples exceed the 4 GiB limit of a WAV file; write .npz, .nwb or .raw"
        )
    target = writable_target(path)
    with writing(target):
        write_wav(target, data, recording.sample_rate, gain_uv=gain)


def quantise_to_int16(microvolts: np.ndarray, gain_uv: float) -> np.ndarray:
    """Round microvolts to int16 counts of ``gain_uv`` each; refuse values that would clip."""
    counts = np.rint(microvolts / np.float32(gain_uv))
    if counts.size:
        lo, hi = float(counts.min()), float(counts.max())
        if lo < -32768 or hi > 32767:
            peak = float(np.abs(microvolts).max())
            raise InvalidDataError(
                f"at {gain_uv:g} uV per count the signal spans {lo:.0f}..{hi:.0f} counts, outside int16; "
                f"use a gain of at least {peak / 32767:.6g} uV per count"
            )
    return counts.astype(np.int16)
