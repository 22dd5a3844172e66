"""Turning spikes into decoder features: binning and causal lag stacking.

Per-channel transforms (sqrt, smoothing, z-scoring, masking, PCA) live in
``cortexlink.decode.features.FeatureTransform``; these are the steps around it.
All arrays keep time on the last axis.
"""

from __future__ import annotations

import numpy as np

from cortexlink.core.errors import InvalidDataError, InvalidParameterError
from cortexlink.core.validation import check_positive


def bin_spikes(
    spike_times: np.ndarray,
    units: np.ndarray,
    bin_width: float,
    n_units: int | None = None,
    t_start: float = 0.0,
    t_stop: float | None = None,
) -> np.ndarray:
    """Count spikes per unit per bin: ``(n_units, n_bins)`` int32.

    ``spike_times`` (s) and ``units`` (unit index of each spike) are parallel 1-D arrays. Bins are
    ``[t_start + k*bin_width, t_start + (k+1)*bin_width)``; spikes outside ``[t_start, t_stop)`` are
    dropped. ``t_stop`` defaults to just after the last spike.
    """
    times = np.asarray(spike_times, dtype=np.float64).ravel()
    unit = np.asarray(units).ravel()
    if times.shape != unit.shape:
        raise InvalidDataError(
            f"spike_times has {times.size} spikes but units has {unit.size}; give one unit per spike"
        )
    if not np.isfinite(times).all():
        raise InvalidDataError("spike_times holds NaN or infinite values")
    if unit.size and (not np.issubdtype(unit.dtype, np.integer) or unit.min() < 0):
        raise InvalidDataError("units must be non-negative integer unit indices")
    width = check_positive(bin_width, "bin_width")
    n_units = int(unit.max()) + 1 if n_units is None and unit.size else int(n_units or 0)
    if unit.size and unit.max() >= n_units:
        raise InvalidParameterError(f"a spike has unit {int(unit.max())} but n_units is {n_units}")
    if t_stop is None:
        t_stop = (times.max() if times.size else t_start) + width
    n_bins = int(np.floor((t_stop - t_start) / width + 1e-9))
    if n_bins <= 0:
        raise InvalidParameterError(f"t_stop {t_stop} leaves no bin of {width} s after t_start {t_start}")
    k = np.floor((times - t_start) / width).astype(np.int64)
    keep = (k >= 0) & (k < n_bins)
    counts = np.zeros(n_units * n_bins, dtype=np.int32)
    np.add.at(counts, unit[keep].astype(np.int64) * n_bins + k[keep], 1)
    return counts.reshape(n_units, n_bins)


def bin_events(events: np.ndarray, factor: int) -> np.ndarray:
    """Sum an event array ``(n_channels, n_samples)`` (e.g. threshold crossings) over bins of
    ``factor`` samples: ``(n_channels, n_samples // factor)``; a trailing partial bin is dropped."""
    ev = np.asarray(events)
    if ev.ndim != 2:
        raise InvalidDataError(f"events must be 2-D (n_channels, n_samples), got shape {ev.shape}")
    if int(factor) < 1:
        raise InvalidParameterError(f"factor must be a positive number of samples, got {factor}")
    f = int(factor)
    n = ev.shape[1] // f
    return ev[:, : n * f].reshape(ev.shape[0], n, f).sum(axis=2, dtype=np.int64)


def sqrt_counts(X: np.ndarray) -> np.ndarray:
    """Square root of non-negative counts (negative values are clipped to 0)."""
    return np.sqrt(np.clip(np.asarray(X, dtype=np.float64), 0.0, None))


def zscore(X: np.ndarray, mean: np.ndarray | None = None, sd: np.ndarray | None = None) -> np.ndarray:
    """Z-score every row of ``X`` (rows with zero SD become 0)."""
    X = np.asarray(X, dtype=np.float64)
    m = X.mean(axis=1) if mean is None else mean
    s = X.std(axis=1) if sd is None else sd
    safe = np.where(s > 0, s, 1.0)
    return np.where((s > 0)[:, None], (X - m[:, None]) / safe[:, None], 0.0)


def lag_stack(Z: np.ndarray, n_lags: int) -> np.ndarray:
    """Causal lag stack: ``(n, T) -> (n * n_lags, T)``; rows ``l*n:(l+1)*n`` hold ``Z`` delayed
    by ``l`` bins, with zeros before the first bin (the same history ``step`` starts from)."""
    L = int(n_lags)
    if L < 1:
        raise InvalidParameterError(f"n_lags must be at least 1, got {n_lags}")
    n, T = Z.shape
    out = np.zeros((n * L, T))
    for lag in range(L):
        if lag < T:
            out[lag * n : (lag + 1) * n, lag:] = Z[:, : T - lag]
    return out


def check_enough_bins(n_bins: int, n_lags: int, what: str = "decoder") -> None:
    """Training needs more bins than lags (and a few more to estimate anything)."""
    need = max(int(n_lags) * 2, int(n_lags) + 10)
    if n_bins < need:
        raise InvalidDataError(
            f"{what} with {n_lags} lags needs at least {need} bins to fit, got {n_bins}; "
            "give more data or fewer lags"
        )
