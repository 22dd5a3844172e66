"""How well predicted values match true ones: R^2, Pearson correlation, RMSE.

One implementation for every package (the simulator's cursor task, the decoders' cross-validation,
the closed-loop nodes). Arguments are always ``(y_true, y_pred)``, arrays ``(n_outputs, n_samples)``
(time last; a 1-D array is one output). Each metric is per output row;
R^2 and RMSE also have ``pooled=True``: one number over all rows.
"""

from __future__ import annotations

import numpy as np

from cortexlink.core.errors import InvalidDataError


def paired(y_true: object, y_pred: object) -> tuple[np.ndarray, np.ndarray]:
    """Both arrays as float64 ``(n_outputs, n_samples)`` of the same shape, or ``InvalidDataError``."""
    t = np.asarray(y_true, dtype=np.float64)
    p = np.asarray(y_pred, dtype=np.float64)
    t = t[None] if t.ndim == 1 else t
    p = p[None] if p.ndim == 1 else p
    if t.shape != p.shape or t.ndim != 2:
        raise InvalidDataError(
            f"true and predicted values must be (n_outputs, n_samples) arrays of one shape, "
            f"got {t.shape} and {p.shape}"
        )
    return t, p


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    return num / np.where(den > 0, den, np.nan)


def r2_score(y_true: object, y_pred: object, *, pooled: bool = False) -> np.ndarray | float:
    """Coefficient of determination ``1 - SS_res / SS_tot``, each output about its own mean.

    Per output row (an array) by default; ``pooled=True`` sums both sums of squares over the rows
    first (one float: outputs with more variance weigh more). NaN where the truth is constant.
    """
    t, p = paired(y_true, y_pred)
    ss_res = ((t - p) ** 2).sum(axis=1)
    ss_tot = ((t - t.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)
    if pooled:
        return float(1.0 - _ratio(np.array(ss_res.sum()), np.array(ss_tot.sum())))
    return 1.0 - _ratio(ss_res, ss_tot)


def correlation(y_true: object, y_pred: object) -> np.ndarray:
    """Pearson correlation per output row (NaN where either row is constant)."""
    t, p = paired(y_true, y_pred)
    tc = t - t.mean(axis=1, keepdims=True)
    pc = p - p.mean(axis=1, keepdims=True)
    r = _ratio((tc * pc).sum(axis=1), np.sqrt((tc**2).sum(axis=1) * (pc**2).sum(axis=1)))
    return r


def rmse(y_true: object, y_pred: object, *, pooled: bool = False) -> np.ndarray | float:
    """Root mean squared error per output row; ``pooled=True``: over all values (one float)."""
    t, p = paired(y_true, y_pred)
    sq = (t - p) ** 2
    return float(np.sqrt(sq.mean())) if pooled else np.sqrt(sq.mean(axis=1))
