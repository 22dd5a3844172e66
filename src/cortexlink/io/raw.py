"""Headerless binary: frames of ``n_channels`` interleaved samples, one after another.

The file says nothing about itself, so the caller gives the dtype, channel count and rate.
Byte order is little-endian unless the dtype names another (``">i2"``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cortexlink.core.errors import CorruptDataError, InvalidParameterError
from cortexlink.core.paths import existing_file, writable_target, write_failed
from cortexlink.core.recording import Recording

NEEDS = "raw binary files carry no header: give dtype, channel count and sample rate " \
        "(--dtype int16 --channels 4 --sample-rate 15000)"


def raw_dtype(dtype: str | np.dtype | None) -> np.dtype:
    """The numeric numpy dtype named by ``dtype``, little-endian unless it says otherwise."""
    if dtype is None:
        raise InvalidParameterError(f"no dtype given; {NEEDS}")
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise InvalidParameterError(
            f"unknown dtype {dtype!r}; use a numpy name such as int16, uint16, int32, float32 or float64"
        ) from None
    if dt.kind not in "iuf" or dt.itemsize > 8:
        raise InvalidParameterError(f"dtype {dtype!r} is not a plain integer or float type")
    if isinstance(dtype, str) and dtype[:1] in "<>=|":
        return dt
    return dt.newbyteorder("<")


def load_raw(path: str | Path, dtype: str | np.dtype | None = None, n_channels: int | None = None,
             sample_rate: float | None = None, gain_uv: float = 1.0) -> Recording:
    """Read interleaved samples; the file size must be a whole number of frames."""
    p = existing_file(path)
    dt = raw_dtype(dtype)
    if n_channels is None or sample_rate is None:
        missing = "channel count" if n_channels is None else "sample rate"
        raise InvalidParameterError(f"{p}: no {missing} given; {NEEDS}")
    if not isinstance(n_channels, (int, np.integer)) or n_channels <= 0:
        raise InvalidParameterError(f"channel count must be a positive integer, got {n_channels!r}")
    n_channels = int(n_channels)
    frame = dt.itemsize * n_channels
    size = p.stat().st_size
    if size % frame:
        raise CorruptDataError(
            f"{p} holds {size} bytes, not a whole number of {frame}-byte frames "
            f"({n_channels} channels of {dt.name}); check --dtype and --channels, or the file is truncated"
        )
    frames = np.fromfile(p, dtype=dt, count=size // dt.itemsize)
    data = frames.reshape(-1, n_channels).T
    if dt.byteorder == ">":
        data = data.astype(dt.newbyteorder("="))
    metadata = {"format": "raw", "raw_dtype": dt.str}
    return Recording(data, sample_rate, gain_uv=gain_uv, metadata=metadata)


def save_raw(recording: Recording, path: str | Path) -> None:
    """Write the samples interleaved, little-endian, in the recording's dtype (int16 or float32)."""
    target = writable_target(path)
    frames = np.ascontiguousarray(recording.data.T).astype(recording.data.dtype.newbyteorder("<"), copy=False)
    try:
        frames.tofile(target)
    except OSError as exc:
        raise write_failed(target, exc) from None


def raw_reading_options(recording: Recording) -> str:
    """The command-line options that read back what ``save_raw`` wrote for ``recording``."""
    options = f"--dtype {recording.data.dtype.name} --channels {recording.n_channels} " \
              f"--sample-rate {recording.sample_rate:.15g}"
    if recording.gain_uv != 1.0:
        options += f" --gain {recording.gain_uv:.15g}"
    return options
