"""Wiener filter: ridge regression of kinematics on the last ``n_lags`` bins of features.

``ridge="auto"`` (default) picks the penalty on a contiguous holdout at the end of the training
data; the chosen value is ``ridge_``.

``y_t = b + sum_{l < n_lags} W_l z_{t-l}`` where ``z`` are the preprocessed features
(``FeatureTransform``). Before ``n_lags`` bins have been seen the missing history is zeros
(the training mean), offline and online alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from cortexlink.decode.base import Decoder, check_lag_and_penalty, register_kind
from cortexlink.decode.features import FeatureTransform
from cortexlink.decode.preprocess import check_enough_bins, lag_stack
from cortexlink.decode.threads import check_threads


@dataclass
class RidgeStats:
    """What a ridge fit needs of ``A (n_in, T)`` and ``B (n_out, T)``: means, the centred Gram
    matrix ``G = Ac Ac'``, the cross products ``C = Ac Bc'`` and ``T``. Any subset of the inputs
    can be re-solved from them exactly, without the data."""

    a_mean: np.ndarray
    b_mean: np.ndarray
    G: np.ndarray
    C: np.ndarray
    n: int

    @classmethod
    def of(cls, A: np.ndarray, B: np.ndarray) -> RidgeStats:
        a_mean, b_mean = A.mean(axis=1), B.mean(axis=1)
        Ac = A - a_mean[:, None]
        return cls(a_mean, b_mean, Ac @ Ac.T, Ac @ (B - b_mean[:, None]).T, int(A.shape[1]))

    def solve(self, ridge: float, keep: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Weights ``W (n_out, n_in)`` and intercept ``b`` using only inputs ``keep`` (all when
        ``None``; the others get zero weight), as a fit on those inputs alone gives."""
        n_in = self.G.shape[0]
        idx = np.arange(n_in) if keep is None else np.asarray(keep)
        G = self.G[np.ix_(idx, idx)].copy()
        G[np.diag_indices_from(G)] += ridge * self.n + 1e-12 * max(1.0, float(np.trace(G)))
        W = np.zeros((self.C.shape[1], n_in))
        W[:, idx] = np.linalg.solve(G, self.C[idx]).T
        return W, self.b_mean - W @ self.a_mean

    def blend(self, other: RidgeStats, keep: float) -> RidgeStats:
        """Per-sample statistics weighted ``keep`` (these) and ``1 - keep`` (``other``); ``n`` is 1,
        so the ridge penalty keeps its per-sample meaning."""
        def mix(a: np.ndarray, b: np.ndarray, na: int, nb: int) -> np.ndarray:
            return keep * a / na + (1.0 - keep) * b / nb

        return RidgeStats(mix(self.a_mean, other.a_mean, 1, 1), mix(self.b_mean, other.b_mean, 1, 1),
                          mix(self.G, other.G, self.n, other.n), mix(self.C, other.C, self.n, other.n), 1)

    def arrays(self) -> dict[str, np.ndarray]:
        return {"stats.a_mean": self.a_mean, "stats.b_mean": self.b_mean, "stats.G": self.G,
                "stats.C": self.C, "stats.n": np.array([self.n])}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> RidgeStats | None:
        if "stats.G" not in arrays:  # files written before masking re-solved lack them
            return None
        a = {k: np.asarray(arrays[f"stats.{k}"], dtype=np.float64) for k in ("a_mean", "b_mean", "G", "C")}
        n_in = a["a_mean"].shape[0]
        if a["G"].shape != (n_in, n_in) or a["C"].shape != (n_in, a["b_mean"].shape[0]):
            raise ValueError("the stored ridge statistics have inconsistent shapes")
        return cls(a["a_mean"], a["b_mean"], a["G"], a["C"], int(np.asarray(arrays["stats.n"]).ravel()[0]))


RESOLVE_MAX_FEATURES = 2048  # keep the Gram matrix (to re-solve for masked channels) up to this many inputs


def ridge_solve(A: np.ndarray, B: np.ndarray, ridge: float) -> tuple[np.ndarray, np.ndarray]:
    """Weights ``W (n_out, n_in)`` and intercept ``b`` minimising ``|B - W A - b|^2 + ridge*T*|W|^2``
    for ``A (n_in, T)``, ``B (n_out, T)``; the intercept is not penalised."""
    return RidgeStats.of(A, B).solve(ridge)


RIDGE_GRID = (1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0)


def select_ridge(
    A: np.ndarray, B: np.ndarray, grid: tuple[float, ...] = RIDGE_GRID, holdout: float = 0.2
) -> float:
    """The ridge of ``grid`` that best predicts the last ``holdout`` of the bins from the rest.

    A contiguous holdout, not shuffled bins: neighbouring bins are correlated, and a shuffled
    split would pick too little regularisation. One eigendecomposition serves the whole grid.
    """
    n_val = max(1, int(A.shape[1] * holdout))
    At, Bt, Av, Bv = A[:, :-n_val], B[:, :-n_val], A[:, -n_val:], B[:, -n_val:]
    a_mean, b_mean = At.mean(axis=1, keepdims=True), Bt.mean(axis=1, keepdims=True)
    Ac = At - a_mean
    evals, evecs = np.linalg.eigh(Ac @ Ac.T)
    proj = evecs.T @ (Ac @ (Bt - b_mean).T)
    errors = []
    for ridge in grid:
        W = (evecs @ (proj / (evals + ridge * At.shape[1] + 1e-12 * max(1.0, evals.sum()))[:, None])).T
        pred = W @ (Av - a_mean) + b_mean
        errors.append(float(np.mean((pred - Bv) ** 2)))
    return float(grid[int(np.argmin(errors))])


@register_kind
class WienerFilter(Decoder):
    """Lagged ridge regression (the classic BCI Wiener filter), causal and online-steppable."""

    kind = "wiener"
    online_state_attrs = ("_hist",)

    def __init__(
        self,
        n_lags: int = 10,
        ridge: float | str = "auto",
        sqrt: bool = False,
        smooth: int = 1,
        zscore: bool = True,
        pca: int | None = None,
        threads: int | None = 1,
    ):
        ridge = check_lag_and_penalty(n_lags, ridge, "ridge")
        self.n_lags = int(n_lags)
        self.ridge = ridge
        self.ridge_ = None if ridge == "auto" else ridge
        self.features = FeatureTransform(sqrt, smooth, zscore, pca)
        self.threads = check_threads(threads)

    def params(self) -> dict[str, Any]:
        return {
            "n_lags": self.n_lags, "ridge": self.ridge, **self.features.params(), "threads": self.threads,
        }

    def _fit(self, X: np.ndarray, Y: np.ndarray) -> None:
        check_enough_bins(X.shape[1], self.n_lags, "a Wiener filter")
        Z = self.features.fit(X).transform(X)
        lagged = lag_stack(Z, self.n_lags)[:, self.n_lags - 1 :]
        target = Y[:, self.n_lags - 1 :]
        self.ridge_ = select_ridge(lagged, target) if self.ridge == "auto" else self.ridge
        stats = RidgeStats.of(lagged, target)
        self.stats = stats if lagged.shape[0] <= RESOLVE_MAX_FEATURES else None
        W, self.b = stats.solve(self.ridge_)
        self.W = np.ascontiguousarray(W)  # same memory layout as after load: bit-identical outputs

    stats: RidgeStats | None = None

    def _adapt(self, X: np.ndarray, Y: np.ndarray, keep: float) -> None:
        """Blend the ridge statistics (or, without them, the weights) with the batch's."""
        check_enough_bins(X.shape[1], self.n_lags, "adapting a Wiener filter")
        lagged = lag_stack(self.features.transform(X), self.n_lags)[:, self.n_lags - 1 :]
        batch = RidgeStats.of(lagged, Y[:, self.n_lags - 1 :])
        if self.stats is None:
            W, b = batch.solve(self.ridge_, self.features.live_columns(self.n_lags))
            self.W = np.ascontiguousarray(keep * self.W + (1.0 - keep) * W)
            self.b = keep * self.b + (1.0 - keep) * b
            return
        self.stats = self.stats.blend(batch, keep)
        W, self.b = self.stats.solve(self.ridge_, self.features.live_columns(self.n_lags))
        self.W = np.ascontiguousarray(W)

    def _apply_mask(self, mask: np.ndarray) -> None:
        """Re-solve the ridge weights for the live channels (exact), when it can."""
        self.features.set_mask(mask)
        keep = self.features.live_columns(self.n_lags)
        if keep is None or self.stats is None:
            return  # PCA mixes channels, or too many inputs to keep the Gram matrix
        W, self.b = self.stats.solve(self.ridge_, keep)
        self.W = np.ascontiguousarray(W)

    def _predict(self, X: np.ndarray) -> np.ndarray:
        return self.W @ lag_stack(self.features.transform(X), self.n_lags) + self.b[:, None]

    def _reset(self) -> None:
        self.features.reset()
        self._hist = np.zeros((self.n_lags, self.features.n_outputs))

    def _step(self, x: np.ndarray) -> np.ndarray:
        z = self.features.step(x)
        self._hist[1:] = self._hist[:-1]
        self._hist[0] = z
        return self.W @ self._hist.ravel() + self.b


    def _state(self) -> dict[str, np.ndarray]:
        stats = {} if self.stats is None else self.stats.arrays()
        return {"W": self.W, "b": self.b, "ridge": np.array([self.ridge_]), **stats, **self.features.arrays()}

    def _restore(self, arrays: dict[str, np.ndarray], extra: dict[str, Any]) -> None:
        self.features = FeatureTransform.from_arrays(self.features.params(), arrays)
        self.W = np.ascontiguousarray(arrays["W"], dtype=np.float64)
        self.b = np.asarray(arrays["b"], dtype=np.float64)
        self.ridge_ = float(np.asarray(arrays["ridge"]).ravel()[0])
        self.stats = RidgeStats.from_arrays(arrays)
        if (
            self.W.shape != (self.n_outputs_, self.n_lags * self.features.n_outputs)
            or self.b.shape != (self.n_outputs_,)
            or self.features.n_inputs != self.n_features_
        ):
            raise ValueError("weight shapes do not match the stored sizes")
