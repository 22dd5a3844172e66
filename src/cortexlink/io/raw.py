"""Headerless binary: frames of ``n_channels`` interleaved samples, one after another.

The file says nothing about itself: the caller gives the dtype, channel count and rate, or an
``info.json`` beside it does (tridesclous' layout: ``{"dtype": "int16", "sample_rate": 15000.0,
"shape": [-1, 4]}``); what the caller gives wins. Byte order is little-endian unless the dtype names
another (``">i2"``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from cortexlink.core.errors import CorruptDataError, InvalidDataError, InvalidParameterError
from cortexlink.core.paths import existing_file, writable_target, writing
from cortexlink.core.recording import Recording

NEEDS = "raw binary files carry no header: give dtype, channel count and sample rate " \
        "(--dtype int16 --channels 4 --sample-rate 15000) or put an info.json beside the file"
SIDECAR = "info.json"
_SIDECAR_MAX_BYTES = 1 << 16


def raw_sidecar(path: str | Path) -> dict[str, Any]:
    """``dtype``, ``n_channels`` and ``sample_rate`` from the ``info.json`` beside ``path`` (those it
    gives; ``{}`` when there is none). A sidecar that is not such a description is an error."""
    side = Path(path).with_name(SIDECAR)
    if not side.is_file():
        return {}
    bad = f"{side} does not describe a raw layout"
    try:
        if side.stat().st_size > _SIDECAR_MAX_BYTES:
            raise InvalidDataError(f"{bad}: it holds over {_SIDECAR_MAX_BYTES} bytes")
        info = json.loads(side.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidDataError(f"{bad} ({exc}); fix or remove it, or give the layout as options") from None
    if not isinstance(info, dict):
        raise InvalidDataError(f"{bad}: expected a JSON object with dtype, sample_rate and shape")
    out: dict[str, Any] = {}
    if "dtype" in info:
        if not isinstance(info["dtype"], str):
            raise InvalidDataError(f"{bad}: dtype must be a name such as \"int16\", got {info['dtype']!r}")
        out["dtype"] = info["dtype"]
    if "sample_rate" in info:
        rate = info["sample_rate"]
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not rate > 0:
            raise InvalidDataError(f"{bad}: sample_rate must be a positive number, got {rate!r}")
        out["sample_rate"] = float(rate)
    if "shape" in info:
        shape = info["shape"]
        if (not isinstance(shape, list) or len(shape) != 2 or isinstance(shape[1], bool)
                or not isinstance(shape[1], int) or shape[1] < 1):
            raise InvalidDataError(
                f"{bad}: shape must be [frames, channels] (frames may be -1), got {shape!r}")
        out["n_channels"] = shape[1]
    return out


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
    """Read interleaved samples; the file size must be a whole number of frames. Layout not given
    comes from an ``info.json`` beside the file, if there is one."""
    p = existing_file(path)
    given = {"dtype": dtype, "n_channels": n_channels, "sample_rate": sample_rate}
    sidecar = {k: v for k, v in raw_sidecar(p).items() if given[k] is None}
    dtype = sidecar.get("dtype", dtype)
    n_channels = sidecar.get("n_channels", n_channels)
    sample_rate = sidecar.get("sample_rate", sample_rate)
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
    metadata: dict[str, Any] = {"format": "raw", "raw_dtype": dt.str}
    if sidecar:
        metadata["layout_source"] = f"{', '.join(sidecar)} from {p.with_name(SIDECAR)}"
    return Recording(data, sample_rate, gain_uv=gain_uv, metadata=metadata)


def save_raw(recording: Recording, path: str | Path) -> None:
    """Write the samples interleaved, little-endian, in the recording's dtype (int16 or float32)."""
    target = writable_target(path)
    frames = np.ascontiguousarray(recording.data.T).astype(recording.data.dtype.newbyteorder("<"), copy=False)
    with writing(target):
        frames.tofile(target)


def raw_reading_options(recording: Recording) -> str:
    """The command-line options that read back what ``save_raw`` wrote for ``recording``."""
    options = f"--dtype {recording.data.dtype.name} --channels {recording.n_channels} " \
              f"--sample-rate {recording.sample_rate:.15g}"
    if recording.gain_uv != 1.0:
        options += f" --gain {recording.gain_uv:.15g}"
    return options
