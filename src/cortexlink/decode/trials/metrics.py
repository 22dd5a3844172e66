"""Trial-classification metrics with MOABB's names: ``accuracy``, ``roc_auc``, ``kappa``, plus the
information transfer rate (Wolpaw et al. 2000) and the confusion matrix."""

from __future__ import annotations

import numpy as np


def roc_auc(labels: np.ndarray, proba: np.ndarray, classes: np.ndarray) -> float:
    """Area under the ROC curve: of the second class's probability for two classes, the mean
    one-vs-rest AUC for more; NaN when a class is missing from ``labels``."""
    from sklearn.metrics import roc_auc_score

    if np.unique(labels).size < 2 or not np.isin(classes, labels).all():
        return float("nan")
    if classes.size == 2:
        return float(roc_auc_score(labels == classes[1], proba[:, 1]))
    return float(roc_auc_score(labels, proba, multi_class="ovr", labels=classes))


def kappa(labels: np.ndarray, predicted: np.ndarray) -> float:
    """Cohen's kappa: agreement beyond chance (0 chance, 1 perfect)."""
    from sklearn.metrics import cohen_kappa_score

    return (
        float(cohen_kappa_score(labels, predicted)) if np.unique(np.r_[labels, predicted]).size > 1 else 0.0
    )


def itr_bits_per_min(accuracy: float, n_classes: int, trial_s: float) -> float:
    """Wolpaw information transfer rate for ``n_classes`` choices, one every ``trial_s`` seconds."""
    n, p = n_classes, float(accuracy)
    if p <= 1.0 / n:
        return 0.0
    bits = np.log2(n) + p * np.log2(p) + ((1 - p) * np.log2((1 - p) / (n - 1)) if p < 1 else 0.0)
    return float(bits * 60.0 / trial_s)


def confusion(labels: np.ndarray, predicted: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Counts ``[true class, predicted class]``, rows and columns in ``classes`` order."""
    idx = {c: i for i, c in enumerate(classes)}
    out = np.zeros((classes.size, classes.size), np.int64)
    for t, p in zip(labels, predicted, strict=True):
        out[idx[t], idx[p]] += 1
    return out
