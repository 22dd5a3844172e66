"""The CSP trial classifiers: CSP + LDA and filter-bank CSP + LDA (the tangent-space ones are in
``cortexlink.decode.trials.tangent``).

All re-centre each session first (``align``, see ``cortexlink.decode.trials.align``). Labelled
calibration trials (``calibrate``) are added to the training features with ``calib_weight`` times
a training trial's weight and the linear head is refitted, so a few trials of the new session
pull the decision boundary to it without forgetting the training session.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cortexlink.core.errors import InvalidParameterError
from cortexlink.decode.trials.base import LinearHead, TrialClassifier, register_trial_kind
from cortexlink.decode.trials.csp import (
    csp_features,
    csp_features_from_powers,
    csp_from_covariances,
    fit_csp,
    shrink,
    trial_powers,
)
from cortexlink.decode.trials.epochs import bandpass

DEFAULT_BANDS = ((8.0, 12.0), (12.0, 16.0), (16.0, 20.0), (20.0, 24.0), (24.0, 28.0), (28.0, 32.0))


class FeatureClassifier(TrialClassifier):
    """Trials -> feature vectors (subclass's ``_features``) -> ``LinearHead``; keeps the training
    features so labelled calibration trials can refit the head."""

    head_method = "lda"
    standardize = True  # z-score features before the head (log powers differ in scale per band)

    def _new_head(self) -> LinearHead:
        return LinearHead(self.head_method, self.C, self.standardize)

    def __init__(self, align: str = "riemann", C: float = 1.0, calib_weight: float = 2.0) -> None:
        super().__init__(align)
        if not float(C) > 0 or not float(calib_weight) >= 0:
            raise InvalidParameterError("C must be positive and calib_weight >= 0")
        self.C, self.calib_weight = float(C), float(calib_weight)

    def _common_params(self) -> dict[str, Any]:
        return {"align": self.align, "C": self.C, "calib_weight": self.calib_weight}

    def _fit(self, X: np.ndarray, y: np.ndarray) -> None:
        self._learn_transform(X, y)
        self.train_features, self.train_labels = self._features(X), y
        self.head = self._new_head().fit(self.train_features, y)

    def _adapt(self, X: np.ndarray, y: np.ndarray) -> None:
        if self.calib_weight == 0 or np.unique(y).size < 2:
            return
        F = np.vstack([self.train_features, self._features(X)])
        labels = np.concatenate([self.train_labels, y])
        w = np.concatenate([np.ones(len(self.train_labels)), np.full(len(y), self.calib_weight)])
        if self.head_method == "lda":  # LDA takes no weights: repeat the calibration rows instead
            reps = np.where(w > 1, np.round(w).astype(int), 1)
            F, labels, w = np.repeat(F, reps, axis=0), np.repeat(labels, reps), None
        self.head = self._new_head().fit(F, labels, w)

    def _proba(self, X: np.ndarray) -> np.ndarray:
        return self.head.proba(self._features(X))

    def _state(self) -> dict[str, np.ndarray]:
        return {
            **self.head.arrays(),
            "train_features": self.train_features,
            "train_labels": self.train_labels,
            **self._transform_state(),
        }

    def _restore(self, arrays: dict[str, np.ndarray]) -> None:
        self.head = self._new_head().restore(arrays)
        self.train_features = np.asarray(arrays["train_features"], np.float64)
        self.train_labels = np.asarray(arrays["train_labels"]).astype(np.int64)
        self._restore_transform(arrays)

    # subclasses
    def _learn_transform(self, X: np.ndarray, y: np.ndarray) -> None: ...
    def _features(self, X: np.ndarray) -> np.ndarray: ...
    def _transform_state(self) -> dict[str, np.ndarray]: ...
    def _restore_transform(self, arrays: dict[str, np.ndarray]) -> None: ...


SHRINKAGE_GRID = (0.0, 0.1, 0.3, 0.5, 0.7, 0.9)


def _check_shrinkage(shrinkage: float | str) -> float | str:
    if shrinkage == "auto":
        return shrinkage
    try:
        value = float(shrinkage)
    except (TypeError, ValueError):
        value = -1.0
    if not 0 <= value <= 1:
        raise InvalidParameterError(f"shrinkage must be 'auto' or a number in [0, 1], got {shrinkage!r}")
    return value


class _CSPClassifier(FeatureClassifier):
    """CSP (regularised, see ``cortexlink.decode.trials.csp``) in each of ``_band_data``'s bands,
    log-power features of all bands, shrinkage LDA. ``shrinkage="auto"`` picks the CSP
    regularisation among ``SHRINKAGE_GRID`` by inner cross-validation (log loss) on the training
    trials; the chosen value is ``shrinkage_``."""

    def __init__(
        self, n_components: int, shrinkage: float | str, align: str, C: float, calib_weight: float
    ) -> None:
        super().__init__(align, C, calib_weight)
        if int(n_components) < 1:
            raise InvalidParameterError(f"n_components must be at least 1, got {n_components}")
        self.n_components = int(n_components)
        self.shrinkage = _check_shrinkage(shrinkage)

    def _common_params(self) -> dict[str, Any]:
        return {"n_components": self.n_components, "shrinkage": self.shrinkage, **super()._common_params()}

    def _band_data(self, X: np.ndarray) -> list[np.ndarray]:
        raise NotImplementedError

    def _n_bands(self) -> int:
        return 1

    def _learn_transform(self, X: np.ndarray, y: np.ndarray) -> None:
        parts = self._band_data(X)
        k = min(self.n_components, X.shape[1])
        s = self._select_shrinkage(parts, y, k) if self.shrinkage == "auto" else float(self.shrinkage)
        self.shrinkage_ = float(s)
        self.band_filters = np.stack([fit_csp(P, y, k, s) for P in parts])

    def _select_shrinkage(self, parts: list[np.ndarray], y: np.ndarray, k: int) -> float:
        from cortexlink.decode.trials.evaluate import stratified_folds

        folds = min(5, int(np.bincount(y).min()))
        if folds < 2:  # too few trials to cross-validate: the middle of the grid
            return 0.5
        powers = [trial_powers(P) for P in parts]
        n_classes = int(y.max()) + 1
        loss = np.zeros(len(SHRINKAGE_GRID))
        for train, test in stratified_folds(y, folds, seed=0):
            covs = [
                np.stack([P[train][y[train] == c].mean(axis=0) for c in range(n_classes)]) for P in powers
            ]
            for i, s in enumerate(SHRINKAGE_GRID):
                F = np.hstack(
                    [
                        csp_features_from_powers(csp_from_covariances(shrink(c, s), k), P)
                        for c, P in zip(covs, powers, strict=True)
                    ]
                )
                p = self._new_head().fit(F[train], y[train]).proba(F[test])
                loss[i] -= np.log(np.clip(p[np.arange(test.size), y[test]], 1e-6, 1.0)).sum()
        # the strongest regularisation among the best (ties are common with few trials)
        return float(SHRINKAGE_GRID[int(np.flatnonzero(loss <= loss.min() + 1e-9).max())])

    def _features(self, X: np.ndarray) -> np.ndarray:
        return np.hstack(
            [csp_features(f, P) for f, P in zip(self.band_filters, self._band_data(X), strict=True)]
        )

    def _transform_state(self) -> dict[str, np.ndarray]:
        return {"band_filters": self.band_filters, "shrinkage_": np.array([self.shrinkage_])}

    def _restore_transform(self, arrays: dict[str, np.ndarray]) -> None:
        self.band_filters = np.asarray(arrays["band_filters"], np.float64)
        self.shrinkage_ = float(np.asarray(arrays["shrinkage_"]).reshape(-1)[0])
        if self.band_filters.ndim != 3 or self.band_filters.shape[2] != len(self.channel_names_):
            raise ValueError("CSP filters do not match the channels")
        if self.band_filters.shape[0] != self._n_bands():
            raise ValueError("the file holds CSP filters for another number of bands")


@register_trial_kind
class CSPLDA(_CSPClassifier):
    """Common spatial patterns, log-power features, shrinkage LDA."""

    kind = "csp-lda"

    def __init__(
        self,
        n_components: int = 6,
        shrinkage: float | str = "auto",
        align: str = "riemann",
        C: float = 1.0,
        calib_weight: float = 2.0,
    ) -> None:
        super().__init__(n_components, shrinkage, align, C, calib_weight)

    def params(self) -> dict[str, Any]:
        return self._common_params()

    def _band_data(self, X: np.ndarray) -> list[np.ndarray]:
        return [X]


@register_trial_kind
class FilterBankCSP(_CSPClassifier):
    """CSP in each band of a filter bank (Ang et al. 2008), features of all bands, shrinkage LDA."""

    kind = "fbcsp"

    def __init__(
        self,
        bands: list[list[float]] | None = None,
        n_components: int = 4,
        shrinkage: float | str = "auto",
        align: str = "riemann",
        C: float = 1.0,
        calib_weight: float = 2.0,
    ) -> None:
        super().__init__(n_components, shrinkage, align, C, calib_weight)
        chosen = DEFAULT_BANDS if bands is None else bands
        if not chosen or any(len(b) != 2 or not 0 < b[0] < b[1] for b in chosen):
            raise InvalidParameterError("bands must be a list of [low, high] pairs with 0 < low < high")
        self.bands = [[float(lo), float(hi)] for lo, hi in chosen]

    def params(self) -> dict[str, Any]:
        return {"bands": self.bands, **self._common_params()}

    def _usable_bands(self) -> list[list[float]]:
        nyquist = self.sample_rate_ / 2
        return [[lo, min(hi, 0.95 * nyquist)] for lo, hi in self.bands if lo < 0.95 * nyquist]

    def _n_bands(self) -> int:
        return len(self._usable_bands())

    def _band_data(self, X: np.ndarray) -> list[np.ndarray]:
        return [bandpass(X, self.sample_rate_, lo, hi) for lo, hi in self._usable_bands()]
