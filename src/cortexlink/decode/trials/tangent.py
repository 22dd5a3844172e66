"""Riemannian tangent-space classifiers: tangent space + logistic regression (Barachant et al.
2013), on the broadband covariance (``ts-lr``) or in each band of a filter bank with the bands'
probabilities averaged (``fbts``).

Covariances (OAS shrinkage) are taken from the trials as recorded and re-centred as matrices,
``M^{-1/2} C M^{-1/2}`` with ``M`` the Riemannian mean of the session (per band), which is the
tangent space at the session mean: without calibration ``ts-lr`` is exactly pyriemann's
``Covariances("oas") + TangentSpace + LogisticRegression`` (a test checks); ``calibrate`` moves the
reference to the new session's mean.

Motor imagery shows as power changes in narrow mu and beta bands whose frequencies differ from
person to person; one broadband covariance blurs them together, while a covariance per 4 Hz band
keeps each band's spatial pattern separate (the Riemannian counterpart of filter-bank CSP). Each
band has its own reference (re-centred on its own mean) and its own logistic regression. The
bands are averaged with equal weights: learning weights from a few dozen trials (a stacking
regression or inner cross-validation) was noisier than the average on EEGMMIDB S001. The cost:
when the imagery shows in one narrow band only, the other bands dilute it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cortexlink.core.errors import InvalidParameterError
from cortexlink.decode.trials.align import covariances, inv_sqrtm, logm, riemann_mean
from cortexlink.decode.trials.base import LinearHead, TrialClassifier, register_trial_kind
from cortexlink.decode.trials.epochs import bandpass
from cortexlink.decode.trials.pipelines import DEFAULT_BANDS


def tangent_vectors(C: np.ndarray, whiten: np.ndarray | None = None) -> np.ndarray:
    """Tangent-space vectors at the reference whose inverse square root is ``whiten`` (None: the
    identity): upper triangle of ``logm``, off-diagonals times sqrt 2."""
    if whiten is not None:
        C = whiten @ C @ whiten
    L = logm(C)
    rows, cols = np.triu_indices(C.shape[1])
    coef = np.where(rows == cols, 1.0, np.sqrt(2.0))
    return L[:, rows, cols] * coef


@register_trial_kind
class FilterBankTS(TrialClassifier):
    """Per-band tangent space + logistic regression, averaged; see the module docstring."""

    kind = "fbts"
    own_alignment = True  # each band is re-centred on its own mean, per session

    def __init__(
        self,
        bands: list[list[float]] | None = None,
        align: str = "riemann",
        C: float = 1.0,
        calib_weight: float = 2.0,
    ) -> None:
        super().__init__(align)
        chosen = DEFAULT_BANDS if bands is None else bands
        if not chosen or any(len(b) != 2 or not 0 < b[0] < b[1] for b in chosen):
            raise InvalidParameterError("bands must be a list of [low, high] pairs with 0 < low < high")
        if not float(C) > 0 or not float(calib_weight) >= 0:
            raise InvalidParameterError("C must be positive and calib_weight >= 0")
        self.bands = [[float(lo), float(hi)] for lo, hi in chosen]
        self.C, self.calib_weight = float(C), float(calib_weight)

    def params(self) -> dict[str, Any]:
        return {"bands": self.bands, "align": self.align, "C": self.C, "calib_weight": self.calib_weight}

    def _usable_bands(self) -> list[list[float] | None]:
        nyquist = self.sample_rate_ / 2
        return [[lo, min(hi, 0.95 * nyquist)] for lo, hi in self.bands if lo < 0.95 * nyquist]

    def _band_covs(self, X: np.ndarray) -> list[np.ndarray]:
        return [covariances(X if band is None else bandpass(X, self.sample_rate_, *band))
                for band in self._usable_bands()]

    def _references(self, covs: list[np.ndarray]) -> None:
        self.refs = np.stack([inv_sqrtm(riemann_mean(C)) for C in covs])

    def _fit(self, X: np.ndarray, y: np.ndarray) -> None:
        covs = self._band_covs(X)
        self._references(covs)  # the pooled training mean: the reference until a calibration
        feats = np.stack([tangent_vectors(C, W) for C, W in zip(covs, self.refs, strict=True)])
        sessions = np.unique(self.sessions_)
        if self.align != "none" and sessions.size > 1:  # each training session at its own mean
            for s in sessions:
                sel = self.sessions_ == s
                for b, C in enumerate(covs):
                    feats[b, sel] = tangent_vectors(C[sel], inv_sqrtm(riemann_mean(C[sel])))
        self.train_features = feats
        self.train_labels = y
        self.heads = [self._head().fit(F, y) for F in self.train_features]

    def _head(self) -> LinearHead:
        return LinearHead("lr", self.C, standardize=False)

    def _recentre(self, X: np.ndarray) -> None:
        if self.align != "none":
            self._references(self._band_covs(X))

    def _adapt(self, X: np.ndarray, y: np.ndarray) -> None:
        if self.calib_weight == 0 or np.unique(y).size < 2:
            return
        w = np.concatenate([np.ones(self.train_labels.size), np.full(y.size, self.calib_weight)])
        labels = np.concatenate([self.train_labels, y])
        feats = [tangent_vectors(C, W) for C, W in zip(self._band_covs(X), self.refs, strict=True)]
        self.heads = [
            self._head().fit(np.vstack([Ft, Fc]), labels, w)
            for Ft, Fc in zip(self.train_features, feats, strict=True)
        ]

    def _proba(self, X: np.ndarray) -> np.ndarray:
        covs = self._band_covs(X)
        return np.mean(
            [h.proba(tangent_vectors(C, W)) for h, C, W in zip(self.heads, covs, self.refs, strict=True)],
            axis=0,
        )

    def _state(self) -> dict[str, np.ndarray]:
        heads = {k: v for i, h in enumerate(self.heads) for k, v in h.arrays(f"head{i}_").items()}
        return {
            "refs": self.refs,
            "train_features": self.train_features,
            "train_labels": self.train_labels,
            **heads,
        }

    def _restore(self, arrays: dict[str, np.ndarray]) -> None:
        self.refs = np.asarray(arrays["refs"], np.float64)
        self.train_features = np.asarray(arrays["train_features"], np.float64)
        self.train_labels = np.asarray(arrays["train_labels"]).astype(np.int64)
        n = len(self._usable_bands())
        if self.refs.shape[0] != n or self.train_features.shape[0] != n:
            raise ValueError("filter-bank tangent space holds another number of bands")
        self.heads = [self._head().restore(arrays, f"head{i}_") for i in range(n)]


@register_trial_kind
class TangentSpaceLR(FilterBankTS):
    """Broadband covariance -> tangent space at the session mean -> logistic regression."""

    kind = "ts-lr"

    def __init__(self, align: str = "riemann", C: float = 1.0, calib_weight: float = 2.0) -> None:
        super().__init__(None, align, C, calib_weight)
        self.bands = []

    def params(self) -> dict[str, Any]:
        return {"align": self.align, "C": self.C, "calib_weight": self.calib_weight}

    def _usable_bands(self) -> list[list[float] | None]:
        return [None]
