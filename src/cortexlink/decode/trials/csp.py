"""Common spatial patterns: spatial filters whose output variance best tells classes apart.

For two classes the filters are the generalised eigenvectors of ``(C_a, C_a + C_b)`` (class
covariances of the concatenated trials, as MNE's ``CSP`` with ``cov_est="concat"``); the most
useful have eigenvalues furthest from 1/2, taken alternately from both ends. With more classes
each class is set against the sum of all (one-vs-rest). Features are log mean powers of the
filtered trials. ``patterns = pinv(filters)``: the scalp maps, comparable with MNE's
``patterns_`` up to sign and order.

With many channels and few trials, and in narrow bands where the signal has few degrees of
freedom, plain CSP overfits in a way that reverses on new trials: it picks the directions where
the training trials of one class happen to have extreme power, so an unseen trial, whose power
there is ordinary, looks like the *other* class (S001's 28-32 Hz band scores AUC 0.09 in 5-fold CV
with MNE's CSP and ours alike, while plain log-variances of the channels score 0.69). ``shrinkage``
pulls each class covariance towards a multiple of the identity, ``(1 - s) C + s tr(C)/n I`` (MNE's
``reg=s``, Lotte & Guan 2011's regularised CSP); ``select_shrinkage`` picks ``s`` by inner
cross-validation on the training trials.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import eigh

from cortexlink.core.errors import InvalidParameterError


def class_covariances(X: np.ndarray, y: np.ndarray, n_classes: int) -> np.ndarray:
    """``(n_classes, C, C)`` covariance of each class's trials, concatenated in time."""
    out = []
    for c in range(n_classes):
        Z = X[y == c].transpose(1, 0, 2).reshape(X.shape[1], -1)
        Z = Z - Z.mean(axis=1, keepdims=True)
        out.append(Z @ Z.T / Z.shape[1])
    return np.stack(out)


def shrink(covs: np.ndarray, shrinkage: float) -> np.ndarray:
    """``(1 - s) C + s tr(C)/n I`` of each matrix ``(..., n, n)`` (scikit-learn's ``ShrunkCovariance``)."""
    if shrinkage == 0:
        return covs
    n = covs.shape[-1]
    mu = np.trace(covs, axis1=-2, axis2=-1)[..., None, None] / n
    return (1 - shrinkage) * covs + shrinkage * mu * np.eye(n)


def fit_csp(X: np.ndarray, y: np.ndarray, n_components: int, shrinkage: float = 0.0) -> np.ndarray:
    """CSP filters ``(n_components, n_channels)`` of trials ``X (n, C, T)`` with classes ``y`` in
    0..k-1; ``shrinkage`` in [0, 1] regularises the class covariances (see the module docstring)."""
    n_classes, C = int(y.max()) + 1, X.shape[1]
    if not 1 <= n_components <= C:
        raise InvalidParameterError(f"n_components must be in 1..{C} (the channel count), got {n_components}")
    if not 0 <= shrinkage <= 1:
        raise InvalidParameterError(f"shrinkage must be in [0, 1], got {shrinkage}")
    return csp_from_covariances(shrink(class_covariances(X, y, n_classes), shrinkage), n_components)


def csp_from_covariances(covs: np.ndarray, n_components: int) -> np.ndarray:
    """CSP filters from class covariances ``(k, C, C)``."""
    n_classes, C = covs.shape[0], covs.shape[1]
    total = covs.sum(axis=0)
    total = total + 1e-10 * np.trace(total) / C * np.eye(C)
    if n_classes == 2:
        w, V = eigh(covs[0], total)
        # alternate between the two ends: largest, smallest, second largest, ...
        by_value = np.argsort(w)[::-1]
        alternate = np.ravel(np.column_stack([by_value, by_value[::-1]]))
        _, first = np.unique(alternate, return_index=True)
        order = alternate[np.sort(first)]
        return V[:, order[:n_components]].T
    picks: list[np.ndarray] = []
    per_class = int(np.ceil(n_components / n_classes))
    for c in range(n_classes):
        w, V = eigh(covs[c], total)
        picks.extend(V[:, np.argsort(w)[::-1][:per_class]].T)
    return np.array(picks[:n_components])


def trial_powers(X: np.ndarray) -> np.ndarray:
    """Per-trial (uncentred) second moments ``X X^T / T``: ``(n, C, T) -> (n, C, C)``; class
    covariances of any subset of trials and every CSP feature follow from them cheaply."""
    return X @ np.swapaxes(X, 1, 2) / X.shape[2]


def csp_features_from_powers(filters: np.ndarray, P: np.ndarray) -> np.ndarray:
    """``csp_features`` from ``trial_powers``: log of each filter's output power."""
    return np.log(np.einsum("kc,ncd,kd->nk", filters, P, filters) + 1e-30)


def csp_features(filters: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Log mean power of each CSP component: ``(n, C, T) -> (n, n_components)``."""
    S = np.einsum("kc,nct->nkt", filters, X)
    return np.log(np.mean(S**2, axis=2) + 1e-30)


def csp_patterns(filters: np.ndarray) -> np.ndarray:
    """Scalp patterns (rows) of the filters: rows of ``pinv(filters)^T``."""
    return np.linalg.pinv(filters).T
