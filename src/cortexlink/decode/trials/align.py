"""Trial covariances and session re-centring, the calibration every trial classifier shares.

EEG drifts between sessions (electrode impedances, cap placement, fatigue), which moves every
trial's spatial covariance by roughly the same congruence ``C -> A C A^T``. Whitening each
session by the inverse square root of its mean covariance ``M``, ``X -> M^{-1/2} X``, undoes that
and puts every session's mean at the identity (Zanini et al. 2018 with the Riemannian mean, He &
Wu 2019 with the arithmetic one). It needs no labels, so a new session is calibrated from a few
trials of any class (or rest).
"""

from __future__ import annotations

import numpy as np

from cortexlink.core.errors import InvalidDataError


def covariances(X: np.ndarray) -> np.ndarray:
    """Per-trial spatial covariances ``(n, C, T) -> (n, C, C)`` with Oracle Approximating
    Shrinkage (Chen et al. 2010, scikit-learn's ``OAS`` formula, pyriemann's ``"oas"``): well
    conditioned even when a trial has few samples per channel."""
    X = np.asarray(X, dtype=np.float64)
    X = X - X.mean(axis=2, keepdims=True)
    n_samples, p = X.shape[2], X.shape[1]
    S = X @ np.swapaxes(X, 1, 2) / n_samples
    mu = np.trace(S, axis1=1, axis2=2) / p
    alpha = np.mean(S**2, axis=(1, 2))
    num = alpha + mu**2
    den = (n_samples + 1.0) * (alpha - mu**2 / p)
    shrink = np.where(den > 0, np.minimum(num / np.where(den > 0, den, 1.0), 1.0), 1.0)[:, None, None]
    return (1 - shrink) * S + shrink * mu[:, None, None] * np.eye(p)


def _eig_fn(M: np.ndarray, fn) -> np.ndarray:
    w, V = np.linalg.eigh(M)
    if np.any(w <= 0):
        raise InvalidDataError(
            "a covariance matrix is not positive definite: a channel is flat or two "
            "channels are copies; drop them"
        )
    return (V * fn(w)[..., None, :]) @ np.swapaxes(V, -1, -2)


def inv_sqrtm(M: np.ndarray) -> np.ndarray:
    return _eig_fn(M, lambda w: 1.0 / np.sqrt(w))


def sqrtm(M: np.ndarray) -> np.ndarray:
    return _eig_fn(M, np.sqrt)


def logm(M: np.ndarray) -> np.ndarray:
    return _eig_fn(M, np.log)


def expm_sym(M: np.ndarray) -> np.ndarray:
    w, V = np.linalg.eigh(M)
    return (V * np.exp(w)[..., None, :]) @ np.swapaxes(V, -1, -2)


def riemann_mean(C: np.ndarray, iters: int = 50, tol: float = 1e-7) -> np.ndarray:
    """Affine-invariant Riemannian (Karcher) mean of SPD matrices ``(n, C, C)``."""
    M = C.mean(axis=0)
    for _ in range(iters):
        s, si = sqrtm(M), inv_sqrtm(M)
        T = logm(si @ C @ si).mean(axis=0)
        M = s @ expm_sym(T) @ s
        if np.linalg.norm(T) < tol:
            break
    return M


def reference(X: np.ndarray, metric: str = "riemann") -> np.ndarray:
    """A session's mean covariance from its trials ``(n, C, T)`` (``riemann`` or ``euclid``)."""
    if len(X) == 0:
        raise InvalidDataError("re-centring needs at least one trial of the session")
    C = covariances(X)
    return riemann_mean(C) if metric == "riemann" else C.mean(axis=0)


def whitener(X: np.ndarray, metric: str = "riemann") -> np.ndarray:
    """``M^{-1/2}`` of the session's reference: multiply trials by it to re-centre them."""
    return inv_sqrtm(reference(X, metric))


def recentre(X: np.ndarray, sessions: np.ndarray, metric: str = "riemann") -> np.ndarray:
    """Every session of ``X (n, C, T)`` whitened by its own reference."""
    out = np.empty_like(X, dtype=np.float64)
    for s in np.unique(sessions):
        sel = sessions == s
        out[sel] = whitener(X[sel], metric) @ X[sel]
    return out
