"""Argument checks shared by every similarity module, raising cortexlink errors.

Measures, hashes, indexes and the CLI all take windows of signal; they check them here, once, so
the same bad input gives the same message everywhere.
"""

from __future__ import annotations

import numbers

import numpy as np

from cortexlink.core.errors import InvalidDataError, InvalidParameterError

MEASURES = ("dtw", "euclidean", "xcor", "emd")


def as_window(x: np.ndarray, name: str = "window") -> np.ndarray:
    """``x`` as a 1-D, non-empty, finite, C-contiguous float64 array."""
    arr = np.asarray(x)
    if arr.ndim != 1:
        raise InvalidDataError(f"{name} must be 1-D (n_samples,), got shape {arr.shape}; "
                               "pass one channel's samples")
    if arr.size == 0:
        raise InvalidDataError(f"{name} is empty; a window needs at least one sample")
    return _finite_float64(arr, name)


def as_windows(x: np.ndarray, name: str = "windows") -> np.ndarray:
    """``x`` as a 2-D ``(n_windows, length)`` finite C-contiguous float64 array with length >= 1."""
    arr = np.asarray(x)
    if arr.ndim != 2:
        raise InvalidDataError(f"{name} must be 2-D (n_windows, length), got shape {arr.shape}; "
                               "stack windows of one length as rows")
    if arr.shape[1] == 0:
        raise InvalidDataError(f"{name} are empty (length 0); a window needs at least one sample")
    return _finite_float64(arr, name)


def _finite_float64(arr: np.ndarray, name: str) -> np.ndarray:
    if not (np.issubdtype(arr.dtype, np.number) and not np.issubdtype(arr.dtype, np.complexfloating)):
        raise InvalidDataError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    out = np.ascontiguousarray(arr, dtype=np.float64)
    if not np.isfinite(out).all():
        bad = int(np.count_nonzero(~np.isfinite(out)))
        raise InvalidDataError(f"{name} holds {bad} NaN or infinite values; clean or interpolate them first")
    return out


def check_measure(measure: str) -> str:
    """``measure`` if it is one of ``MEASURES``."""
    if measure not in MEASURES:
        raise InvalidParameterError(f"unknown measure {measure!r}; choose one of {', '.join(MEASURES)}")
    return measure


def check_int(value: object, name: str, minimum: int) -> int:
    """``value`` as an int >= ``minimum`` (bools and fractional numbers are refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InvalidParameterError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise InvalidParameterError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def check_band(band: int | None) -> int | None:
    """A Sakoe-Chiba band in samples: None (full DTW) or an int >= 1 (1 = Euclidean)."""
    if band is None:
        return None
    return check_int(band, "band (Sakoe-Chiba window in samples; 1 = Euclidean, None = full DTW)", 1)


def check_max_lag(max_lag: int) -> int:
    """A cross-correlation lag bound in samples (>= 0)."""
    return check_int(max_lag, "max_lag (largest |lag| in samples)", 0)


def check_window_length(length: int, n_samples: int, name: str = "window length") -> int:
    """``length`` if a window of that many samples fits in a signal of ``n_samples``."""
    length = check_int(length, name, 1)
    if length > n_samples:
        raise InvalidParameterError(f"{name} {length} is longer than the signal ({n_samples} samples); "
                                    "use a shorter window or a longer recording")
    return length


def check_same_length(a: np.ndarray, b: np.ndarray, measure: str) -> None:
    """Raise unless two windows have the same length (Euclidean and EMD compare sample by sample)."""
    if a.shape[-1] != b.shape[-1]:
        raise InvalidDataError(f"{measure} compares windows of equal length, got {a.shape[-1]} and "
                               f"{b.shape[-1]} samples; use measure 'dtw' for unequal lengths")
