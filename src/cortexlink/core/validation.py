"""Small argument checks shared by every package, raising cortexlink errors."""

from __future__ import annotations

import math

import numpy as np

from cortexlink.core.errors import InvalidDataError, InvalidParameterError


def check_sample_rate(sample_rate: float, name: str = "sample_rate") -> float:
    """Return ``sample_rate`` as a float, or raise if it is not a positive finite number."""
    try:
        rate = float(sample_rate)
    except (TypeError, ValueError):
        raise InvalidParameterError(
            f"{name} must be a number of samples per second, got {sample_rate!r}"
        ) from None
    if not math.isfinite(rate) or rate <= 0:
        raise InvalidParameterError(f"{name} must be a positive finite number of Hz, got {sample_rate!r}")
    return rate


def check_positive(value: float, name: str) -> float:
    """Return ``value`` as a float, or raise if it is not positive and finite."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(v) or v <= 0:
        raise InvalidParameterError(f"{name} must be positive and finite, got {value!r}")
    return v


def check_time_range(start_s: float | None, stop_s: float | None, duration_s: float) -> tuple[float, float]:
    """``[start_s, stop_s)`` seconds from a signal's first sample as floats (None: its start, its
    end), or a clear error, in seconds, for a range that is not numbers, is backwards or starts
    past the end of a signal ``duration_s`` long. A stop past the end is the end."""
    start = 0.0 if start_s is None else _seconds(start_s, "start")
    stop = duration_s if stop_s is None else min(duration_s, _seconds(stop_s, "stop"))
    if start_s is not None and start >= duration_s:
        raise InvalidParameterError(f"start {start:g} s is at or past the end of the signal, which is "
                                    f"{duration_s:g} s long; give a start below {duration_s:g} s")
    if stop_s is not None and stop <= start:
        raise InvalidParameterError(f"stop {stop_s:g} s is not after start {start:g} s; give a stop "
                                    "later than the start")
    return start, stop


def _seconds(value: float, name: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"{name} must be a number of seconds, got {value!r}") from None
    if not math.isfinite(v) or v < 0:
        raise InvalidParameterError(f"{name} must be 0 or more seconds from the first sample, got {value!r}")
    return v


def check_2d(data: np.ndarray, name: str = "data", allow_empty_samples: bool = True) -> np.ndarray:
    """Check that ``data`` is ``(n_channels, n_samples)`` with at least one channel."""
    arr = np.asarray(data)
    if arr.ndim != 2:
        raise InvalidDataError(
            f"{name} must be 2-D (n_channels, n_samples), got shape {arr.shape}; "
            "reshape a single channel with data[None, :]"
        )
    if arr.shape[0] == 0:
        raise InvalidDataError(f"{name} has zero channels; a recording needs at least one channel")
    if not allow_empty_samples and arr.shape[1] == 0:
        raise InvalidDataError(f"{name} has zero samples")
    return arr


def check_finite(data: np.ndarray, name: str = "data") -> None:
    """Raise if a floating-point array holds NaN or infinity."""
    if np.issubdtype(data.dtype, np.floating) and data.size and not np.isfinite(data).all():
        bad = int(np.count_nonzero(~np.isfinite(data)))
        raise InvalidDataError(
            f"{name} holds {bad} NaN or infinite values; clean or interpolate them before use"
        )
