"""``FeatureTransform``: the per-channel preprocessing every decoder shares, offline and online.

Counts ``X`` of shape ``(n_channels, n_bins)`` (time on the last axis) go through, in order:
square root (variance stabilising for Poisson counts), a causal boxcar mean over the last
``smooth`` bins, z-scoring with the training mean and SD, masking of dead or missing channels
(their feature is held at 0, the training mean) and an optional PCA projection.

The offline ``transform`` and the online ``step`` run the same compiled kernel bin by bin, so
feeding a sequence one column at a time gives bit-identical features.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

from cortexlink.core.errors import InvalidDataError, InvalidParameterError, NotFittedError

DEAD_SD = 1e-9


@njit(cache=True)
def _feature_step(x, use_sqrt, buf, pos, mean, inv_std, out):  # pragma: no cover - compiled
    n, w = buf.shape
    p = pos[0]
    for i in range(n):
        v = x[i]
        if use_sqrt:
            v = np.sqrt(v) if v > 0.0 else 0.0
        buf[i, p] = v
    pos[0] = (p + 1) % w
    if pos[1] < w:
        pos[1] += 1
    for i in range(n):
        s = 0.0
        for j in range(w):
            s += buf[i, j]
        out[i] = (s / w - mean[i]) * inv_std[i]


@njit(cache=True)
def _feature_sequence(X, use_sqrt, w, mean, inv_std):  # pragma: no cover - compiled
    n, t = X.shape
    buf = np.zeros((n, w))
    pos = np.zeros(2, dtype=np.int64)
    col = np.empty(n)
    out = np.empty((n, t))
    for k in range(t):
        _feature_step(X[:, k], use_sqrt, buf, pos, mean, inv_std, col)
        out[:, k] = col
    return out


class FeatureTransform:
    """sqrt -> causal boxcar -> z-score -> channel mask -> PCA, fitted on training counts.

    ``smooth`` is the boxcar length in bins (1: none). Before ``smooth`` bins have been seen the
    window holds zeros, in ``transform`` and ``step`` alike. ``pca`` keeps that many principal
    components (``None``: no projection).
    """

    def __init__(self, sqrt: bool = True, smooth: int = 1, zscore: bool = True, pca: int | None = None):
        if int(smooth) < 1:
            raise InvalidParameterError(f"smooth must be at least 1 bin, got {smooth}")
        if pca is not None and int(pca) < 1:
            raise InvalidParameterError(f"pca must be a positive number of components or None, got {pca}")
        self.sqrt = bool(sqrt)
        self.smooth = int(smooth)
        self.zscore = bool(zscore)
        self.pca = None if pca is None else int(pca)
        self.mean: np.ndarray | None = None
        self.inv_std: np.ndarray | None = None
        self.mask: np.ndarray | None = None
        self.components: np.ndarray | None = None

    # -- fitting -----------------------------------------------------------------------------
    def params(self) -> dict[str, Any]:
        return {"sqrt": self.sqrt, "smooth": self.smooth, "zscore": self.zscore, "pca": self.pca}

    @property
    def n_inputs(self) -> int:
        self._check_fitted()
        return int(self.mean.shape[0])

    @property
    def n_outputs(self) -> int:
        self._check_fitted()
        return self.n_inputs if self.components is None else int(self.components.shape[0])

    def fit(self, X: np.ndarray) -> FeatureTransform:
        """Learn mean, SD, dead channels (SD ~ 0) and the PCA basis from training counts."""
        n = X.shape[0]
        ident = np.ones(n)
        raw = _feature_sequence(X, self.sqrt, self.smooth, np.zeros(n), ident)
        mean = raw.mean(axis=1) if self.zscore else np.zeros(n)
        sd = raw.std(axis=1)
        dead = sd < DEAD_SD
        self.mask = dead
        self.mean = np.where(dead, 0.0, mean)
        self.inv_std = np.where(dead, 0.0, 1.0 / np.where(dead, 1.0, sd) if self.zscore else 1.0)
        self._remember_fit()
        self.components = None
        if self.pca is not None:
            if self.pca > n:
                raise InvalidParameterError(f"pca={self.pca} components asked of only {n} channels")
            Z = self._apply_scaling(raw)
            _, _, vt = np.linalg.svd(Z.T - Z.mean(axis=1), full_matrices=False)
            self.components = np.ascontiguousarray(vt[: self.pca])
        return self

    def _remember_fit(self) -> None:
        """Keep the fitted scaling so a later ``set_mask`` can bring masked channels back."""
        self._fitted = (self.mean.copy(), self.inv_std.copy(), self.mask.copy())

    def mask_channels(self, channels: np.ndarray | list[int]) -> None:
        """Treat ``channels`` as dead from now on: their features are held at the training mean."""
        self._check_fitted()
        idx = np.asarray(channels, dtype=np.int64).ravel()
        if idx.size and (idx.min() < 0 or idx.max() >= self.n_inputs):
            raise InvalidParameterError(f"channel index out of range 0..{self.n_inputs - 1}: {idx.tolist()}")
        self.mask[idx] = True
        self.inv_std[idx] = 0.0
        self.mean[idx] = 0.0

    def set_mask(self, dead: np.ndarray) -> None:
        """Mask exactly the channels where ``dead`` (bool, one per input) is true, plus those that
        were flat in training; channels masked before and live now come back."""
        self._check_fitted()
        self.mean, self.inv_std, self.mask = (a.copy() for a in self._fitted)
        self.mask_channels(np.flatnonzero(dead))

    def live_columns(self, n_lags: int = 1) -> np.ndarray | None:
        """Indices of the lag-stacked features (``lag_stack`` order) that come from live channels,
        or ``None`` when a PCA projection mixes channels so no feature belongs to one channel."""
        self._check_fitted()
        if self.components is not None:
            return None
        n = self.n_inputs
        live = np.flatnonzero(~self.mask)
        return (np.arange(int(n_lags))[:, None] * n + live[None, :]).ravel()

    def _apply_scaling(self, raw: np.ndarray) -> np.ndarray:
        return (raw - self.mean[:, None]) * self.inv_std[:, None]

    # -- use -----------------------------------------------------------------------------------
    def transform(self, X: np.ndarray) -> np.ndarray:
        """Features of a whole sequence ``(n_channels, n_bins) -> (n_outputs, n_bins)``, from rest."""
        self._check_fitted()
        Z = _feature_sequence(X, self.sqrt, self.smooth, self.mean, self.inv_std)
        return Z if self.components is None else self.components @ Z

    def reset(self) -> None:
        """Forget the smoothing history (the state ``transform`` starts from)."""
        self._check_fitted()
        self._buf = np.zeros((self.n_inputs, self.smooth))
        self._pos = np.zeros(2, dtype=np.int64)
        self._col = np.empty(self.n_inputs)

    def step(self, x: np.ndarray) -> np.ndarray:
        """Features of one bin ``(n_channels,) -> (n_outputs,)``; call ``reset`` first."""
        _feature_step(x, self.sqrt, self._buf, self._pos, self.mean, self.inv_std, self._col)
        return self._col if self.components is None else self.components @ self._col

    # -- persistence ---------------------------------------------------------------------------
    def arrays(self, prefix: str = "features.") -> dict[str, np.ndarray]:
        self._check_fitted()
        mean, inv_std, mask = self._fitted  # as fitted: the decoder stores its channel mask apart
        out = {
            prefix + "mean": mean,
            prefix + "inv_std": inv_std,
            prefix + "mask": mask.astype(np.uint8),
        }
        if self.components is not None:
            out[prefix + "components"] = self.components
        return out

    @classmethod
    def from_arrays(
        cls, params: dict[str, Any], arrays: dict[str, np.ndarray], prefix: str = "features."
    ) -> FeatureTransform:
        ft = cls(**params)
        try:
            ft.mean = np.asarray(arrays[prefix + "mean"], dtype=np.float64).copy()
            ft.inv_std = np.asarray(arrays[prefix + "inv_std"], dtype=np.float64).copy()
            ft.mask = np.asarray(arrays[prefix + "mask"]).astype(bool)
            comp = arrays.get(prefix + "components")
            ft.components = None if comp is None else np.ascontiguousarray(comp, dtype=np.float64)
        except KeyError as exc:
            raise InvalidDataError(f"decoder file lacks the feature array {exc.args[0]!r}") from None
        n = ft.mean.shape[0]
        if (
            ft.inv_std.shape != (n,)
            or ft.mask.shape != (n,)
            or (ft.components is not None and (ft.components.ndim != 2 or ft.components.shape[1] != n))
        ):
            raise InvalidDataError("decoder file has feature arrays of inconsistent shapes")
        ft._remember_fit()
        ft.reset()
        return ft

    def _check_fitted(self) -> None:
        if self.mean is None:
            raise NotFittedError("the feature transform is not fitted; call fit(X, Y) first")


def feature_mask(dead_channels: np.ndarray, n_features: int) -> np.ndarray:
    """The features of dead channels, when features are blocks of one value per channel (e.g.
    threshold crossings of every channel, then spike band power of every channel)."""
    dead = np.asarray(dead_channels, dtype=bool).ravel()
    if dead.size == 0 or n_features % dead.size:
        raise InvalidParameterError(
            f"{n_features} features are not whole blocks of the {dead.size} channels a mask was given for"
        )
    return np.tile(dead, n_features // dead.size)
