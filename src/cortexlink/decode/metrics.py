"""Contiguous-block cross-validation of decoders, scored per output (R^2, correlation, RMSE from
``cortexlink.core.metrics``).

Neural time series are autocorrelated, so folds are contiguous blocks of bins: shuffled folds
would leak neighbouring bins into training and flatter every decoder.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from cortexlink.core.errors import InvalidDataError, InvalidParameterError
from cortexlink.core.metrics import correlation, r2_score, rmse
from cortexlink.core.progress import progress
from cortexlink.decode.base import Decoder, as_targets

__all__ = ["CVResult", "contiguous_folds", "correlation", "cross_validate", "r2_score", "rmse"]


def contiguous_folds(n_bins: int, k: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """``k`` (train, test) index pairs; each test set is one contiguous block of about ``n_bins/k``."""
    if int(k) < 2:
        raise InvalidParameterError(f"cross-validation needs at least 2 folds, got {k}")
    if n_bins < 2 * int(k):
        raise InvalidDataError(f"{n_bins} bins are too few for {k} folds")
    edges = np.linspace(0, n_bins, int(k) + 1).astype(np.int64)
    idx = np.arange(n_bins)
    return [
        (np.concatenate([idx[: edges[i]], idx[edges[i + 1] :]]), idx[edges[i] : edges[i + 1]])
        for i in range(int(k))
    ]


@dataclass
class CVResult:
    """Cross-validated predictions (every bin decoded by a model that never saw its fold)."""

    Y_true: np.ndarray
    Y_pred: np.ndarray
    fold_r2: np.ndarray  # (k, n_outputs)
    fit_seconds: float

    @property
    def r2(self) -> np.ndarray:
        """Mean over folds of the per-output R^2."""
        return self.fold_r2.mean(axis=0)

    @property
    def correlation(self) -> np.ndarray:
        return correlation(self.Y_true, self.Y_pred)

    @property
    def rmse(self) -> np.ndarray:
        return rmse(self.Y_true, self.Y_pred)


def cross_validate(
    make: Callable[[], Decoder],
    X: np.ndarray,
    Y: np.ndarray,
    k: int = 5,
    show_progress: bool = False,
    description: str = "cross-validation",
) -> CVResult:
    """Fit ``make()`` on all but one contiguous block and decode that block, for each of ``k`` blocks.

    A block split in the middle of the data leaves two training pieces; they are concatenated
    (the seam costs at most ``n_lags`` bins of slightly wrong history).
    """
    import time

    X = np.asarray(X, dtype=np.float64)
    Y = as_targets(Y, X.shape[1])
    pred = np.empty_like(Y)
    fold_r2 = []
    fit_seconds = 0.0
    folds = contiguous_folds(X.shape[1], k)
    for train, test in progress(folds, total=len(folds), description=description, enabled=show_progress):
        dec = make()
        t0 = time.perf_counter()
        dec.fit(X[:, train], Y[:, train])
        fit_seconds += time.perf_counter() - t0
        pred[:, test] = dec.predict(X[:, test])
        fold_r2.append(r2_score(Y[:, test], pred[:, test]))
    return CVResult(Y, pred, np.array(fold_r2), fit_seconds)
