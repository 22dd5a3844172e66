"""Discrete-intent decoders (LDA, linear SVM) whose decision splits exactly across implants.

The decision for class ``c`` is affine in per-channel features ``f_i`` (counts, optionally
square-rooted and causally smoothed, each channel on its own):

    d_c(x) = b_c + sum_i W_ci f_i(x_i)

z-scoring is folded into ``W`` and ``b``, so a site holding channels ``S`` can compute its
partial output ``sum_{i in S} W_ci f_i(x_i)`` locally (``partial_decision``) and the sum of all
sites' partials plus the intercept (``combine_partials``) equals ``decision_function`` on the
whole array. Labels are any integers; ``predict`` returns them as a ``(1, n_bins)`` array (one
output row, time last) and ``step`` as a ``(1,)`` array.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from cortexlink.core.errors import InvalidDataError, InvalidParameterError
from cortexlink.decode.base import Decoder, as_features, register_kind
from cortexlink.decode.features import FeatureTransform
from cortexlink.decode.threads import check_threads


class LinearClassifier(Decoder):
    """Shared machinery: per-channel features, folded scaling, partial decisions."""

    online_state_attrs = ("last_decision",)

    def __init__(self, sqrt: bool = False, smooth: int = 1, threads: int | None = 1):
        self.features = FeatureTransform(sqrt=sqrt, smooth=smooth, zscore=False, pca=None)
        self.threads = check_threads(threads)

    def _feature_params(self) -> dict[str, Any]:
        return {"sqrt": self.features.sqrt, "smooth": self.features.smooth}

    def _check_targets(self, Y: Any, n_bins: int) -> np.ndarray:
        y = np.asarray(Y)
        if y.ndim == 2 and y.shape[0] == 1:
            y = y[0]
        if y.ndim != 1 or y.shape[0] != n_bins:
            raise InvalidDataError(
                f"labels must be 1-D with one integer per bin ({n_bins}), got shape {y.shape}"
            )
        if not np.issubdtype(y.dtype, np.integer):
            if (
                not np.issubdtype(y.dtype, np.floating)
                or not np.all(np.isfinite(y))
                or np.any(y != np.round(y))
            ):
                raise InvalidDataError("labels must be integers (class ids), without NaN")
            y = y.astype(np.int64)
        if np.unique(y).size < 2:
            raise InvalidDataError("labels hold a single class; a classifier needs at least two")
        return y[None, :].astype(np.float64)

    def _fit(self, X: np.ndarray, Y: np.ndarray) -> None:
        labels = Y[0].astype(np.int64)
        self.classes = np.unique(labels)
        idx = np.searchsorted(self.classes, labels)
        F = self.features.fit(X).transform(X)
        mean, sd = F.mean(axis=1), F.std(axis=1)
        inv = np.where(sd > 0, 1.0 / np.where(sd > 0, sd, 1.0), 0.0)
        W, b = self._learn((F - mean[:, None]) * inv[:, None], idx, len(self.classes))
        self.W = np.ascontiguousarray(W * inv[None, :])
        self.b = b - self.W @ mean

    def _learn(self, Z: np.ndarray, idx: np.ndarray, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    # -- decisions -------------------------------------------------------------------------
    def decision_function(self, X: Any) -> np.ndarray:
        """Class scores ``(n_classes, n_bins)``; the predicted class has the largest."""
        self._check_fitted()
        return self.W @ self.features.transform(as_features(X, n_features=self.n_features_)) + self.b[:, None]

    def partial_decision(self, X_site: Any, site_channels: Sequence[int] | np.ndarray) -> np.ndarray:
        """One site's share of the scores, without the intercept: ``(n_classes, n_bins)``.

        ``X_site`` holds the counts of channels ``site_channels`` (indices into the whole array,
        in the order of ``X_site``'s rows).
        """
        self._check_fitted()
        ch = np.asarray(site_channels, dtype=np.int64).ravel()
        if ch.size == 0 or ch.min() < 0 or ch.max() >= self.n_features_ or np.unique(ch).size != ch.size:
            raise InvalidParameterError(
                f"site_channels must be distinct indices in 0..{self.n_features_ - 1}"
            )
        Xs = as_features(X_site, "X_site", n_features=ch.size)
        sub = FeatureTransform(self.features.sqrt, self.features.smooth, zscore=False)
        sub.mean, sub.inv_std = self.features.mean[ch], self.features.inv_std[ch]
        sub.mask, sub.components = self.features.mask[ch], None
        return self.W[:, ch] @ sub.transform(Xs)

    def combine_partials(self, partials: Sequence[np.ndarray]) -> np.ndarray:
        """Sum the sites' partial decisions and add the intercept: the whole-array scores."""
        self._check_fitted()
        if not partials:
            raise InvalidParameterError("combine_partials needs at least one site's partial decision")
        return np.sum(np.stack(partials), axis=0) + self.b[:, None]

    def labels_of(self, scores: np.ndarray) -> np.ndarray:
        """Class labels of score columns ``(n_classes, n_bins) -> (n_bins,)``."""
        return self.classes[np.argmax(scores, axis=0)]

    def _predict(self, X: np.ndarray) -> np.ndarray:
        return self.labels_of(self.W @ self.features.transform(X) + self.b[:, None])[None, :]

    def _reset(self) -> None:
        self.features.reset()
        self.last_decision = np.zeros(len(self.classes))

    def _step(self, x: np.ndarray) -> np.ndarray:
        self.last_decision = self.W @ self.features.step(x) + self.b
        return self.classes[[int(np.argmax(self.last_decision))]]

    # -- persistence -----------------------------------------------------------------------
    def _state(self) -> dict[str, np.ndarray]:
        return {"W": self.W, "b": self.b, "classes": self.classes, **self.features.arrays()}

    def _restore(self, arrays: dict[str, np.ndarray], extra: dict[str, Any]) -> None:
        self.features = FeatureTransform.from_arrays({**self._feature_params(), "zscore": False}, arrays)
        self.W = np.ascontiguousarray(arrays["W"], dtype=np.float64)
        self.b = np.asarray(arrays["b"], dtype=np.float64)
        self.classes = np.asarray(arrays["classes"]).astype(np.int64)
        k = self.classes.size
        if (
            self.W.shape != (k, self.n_features_)
            or self.b.shape != (k,)
            or self.features.n_inputs != self.n_features_
        ):
            raise InvalidDataError("classifier arrays have inconsistent shapes")


@register_kind
class LDAClassifier(LinearClassifier):
    """Linear discriminant analysis with a shrunk pooled covariance."""

    kind = "lda"

    def __init__(self, shrinkage: float = 0.1, sqrt: bool = False, smooth: int = 1, threads: int | None = 1):
        if not 0.0 <= float(shrinkage) <= 1.0:
            raise InvalidParameterError(f"shrinkage must be in [0, 1], got {shrinkage}")
        super().__init__(sqrt, smooth, threads)
        self.shrinkage = float(shrinkage)

    def params(self) -> dict[str, Any]:
        return {"shrinkage": self.shrinkage, **self._feature_params(), "threads": self.threads}

    def _learn(self, Z: np.ndarray, idx: np.ndarray, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
        n = Z.shape[0]
        means = np.stack([Z[:, idx == c].mean(axis=1) for c in range(n_classes)])
        R = Z - means[idx].T
        cov = R @ R.T / max(1, Z.shape[1] - n_classes)
        cov = (1 - self.shrinkage) * cov + self.shrinkage * (np.trace(cov) / n + 1e-12) * np.eye(n)
        W = np.linalg.solve(cov, means.T).T
        prior = np.bincount(idx, minlength=n_classes) / idx.size
        return W, -0.5 * np.sum(W * means, axis=1) + np.log(prior)


@register_kind
class LinearSVM(LinearClassifier):
    """One-vs-rest linear SVM (L2-regularised squared hinge loss, solved by L-BFGS)."""

    kind = "svm"

    def __init__(self, C: float = 1.0, sqrt: bool = False, smooth: int = 1, threads: int | None = 1):
        if float(C) <= 0:
            raise InvalidParameterError(f"C must be positive, got {C}")
        super().__init__(sqrt, smooth, threads)
        self.C = float(C)

    def params(self) -> dict[str, Any]:
        return {"C": self.C, **self._feature_params(), "threads": self.threads}

    def _learn(self, Z: np.ndarray, idx: np.ndarray, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
        from scipy.optimize import minimize

        A = np.vstack([Z, np.ones(Z.shape[1])]).T  # (n_bins, n + 1), last column: intercept
        C = self.C / Z.shape[1]
        rows = []
        for c in range(n_classes if n_classes > 2 else 1):
            s = np.where(idx == c, 1.0, -1.0)

            def loss(w: np.ndarray, s: np.ndarray = s) -> tuple[float, np.ndarray]:
                margin = np.maximum(0.0, 1.0 - s * (A @ w))
                reg = w.copy()
                reg[-1] = 0.0
                value = 0.5 * reg @ reg + C * margin @ margin
                return value, reg - 2.0 * C * A.T @ (s * margin)

            rows.append(minimize(loss, np.zeros(A.shape[1]), jac=True, method="L-BFGS-B").x)
        R = np.array(rows)
        if n_classes == 2:  # one hyperplane: class 0 scores +f, class 1 scores -f
            R = np.vstack([R, -R])
        return R[:, :-1], R[:, -1]
