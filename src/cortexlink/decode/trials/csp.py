"""Common spatial patterns: spatial filters whose output variance best tells classes apart.

For two classes the filters are the generalised eigenvectors of ``(C_a, C_a + C_b)`` (class
covariances of the concatenated trials, as MNE's ``CSP`` with ``cov_est="concat"``); the most
useful have eigenvalues furthest from 1/2, taken alternately from both ends. With more classes
each class is set against the sum of all (one-vs-rest). Features are log mean powers of the
filtered trials. ``patterns = pinv(filters)``: the scalp maps, comparable with MNE's
``patterns_`` up to sign and order.
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


def fit_csp(X: np.ndarray, y: np.ndarray, n_components: int) -> np.ndarray:
    """CSP filters ``(n_components, n_channels)`` of trials ``X (n, C, T)`` with classes ``y`` in 0..k-1."""
    n_classes, C = int(y.max()) + 1, X.shape[1]
    if not 1 <= n_components <= C:
        raise InvalidParameterError(f"n_components must be in 1..{C} (the channel count), got {n_components}")
    covs = class_covariances(X, y, n_classes)
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


def csp_features(filters: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Log mean power of each CSP component: ``(n, C, T) -> (n, n_components)``."""
    S = np.einsum("kc,nct->nkt", filters, X)
    return np.log(np.mean(S**2, axis=2) + 1e-30)


def csp_patterns(filters: np.ndarray) -> np.ndarray:
    """Scalp patterns (rows) of the filters: rows of ``pinv(filters)^T``."""
    return np.linalg.pinv(filters).T
