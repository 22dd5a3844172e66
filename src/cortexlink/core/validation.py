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
