"""Wiener filter: ridge regression of kinematics on the last ``n_lags`` bins of features.

``ridge="auto"`` (default) picks the penalty on a contiguous holdout at the end of the training
data; the chosen value is ``ridge_``.

``y_t = b + sum_{l < n_lags} W_l z_{t-l}`` where ``z`` are the preprocessed features
(``FeatureTransform``). Before ``n_lags`` bins have been seen the missing history is zeros
(the training mean), offline and online alike.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cortexlink.decode.base import Decoder, check_lag_and_penalty, register_kind
from cortexlink.decode.features import FeatureTransform
from cortexlink.decode.preprocess import check_enough_bins, lag_stack
from cortexlink.decode.threads import check_threads


def ridge_solve(A: np.ndarray, B: np.ndarray, ridge: float) -> tuple[np.ndarray, np.ndarray]:
    """Weights ``W (n_out, n_in)`` and intercept ``b`` minimising ``|B - W A - b|^2 + ridge*T*|W|^2``
    for ``A (n_in, T)``, ``B (n_out, T)``; the intercept is not penalised."""
    a_mean = A.mean(axis=1, keepdims=True)
    b_mean = B.mean(axis=1, keepdims=True)
    Ac = A - a_mean
    G = Ac @ Ac.T
    G[np.diag_indices_from(G)] += ridge * A.shape[1] + 1e-12 * max(1.0, float(np.trace(G)))
    W = np.linalg.solve(G, Ac @ (B - b_mean).T).T
    return W, (b_mean - W @ a_mean).ravel()


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
        W, self.b = ridge_solve(lagged, target, self.ridge_)
        self.W = np.ascontiguousarray(W)  # same memory layout as after load: bit-identical outputs

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

    def mask_channels(self, channels: np.ndarray | list[int]) -> None:
        """Hold ``channels`` at their training mean (dead or missing electrodes)."""
        self.features.mask_channels(channels)

    def _state(self) -> dict[str, np.ndarray]:
        return {"W": self.W, "b": self.b, "ridge": np.array([self.ridge_]), **self.features.arrays()}

    def _restore(self, arrays: dict[str, np.ndarray], extra: dict[str, Any]) -> None:
        self.features = FeatureTransform.from_arrays(self.features.params(), arrays)
        self.W = np.ascontiguousarray(arrays["W"], dtype=np.float64)
        self.b = np.asarray(arrays["b"], dtype=np.float64)
        self.ridge_ = float(np.asarray(arrays["ridge"]).ravel()[0])
        if (
            self.W.shape != (self.n_outputs_, self.n_lags * self.features.n_outputs)
            or self.b.shape != (self.n_outputs_,)
            or self.features.n_inputs != self.n_features_
        ):
            raise ValueError("weight shapes do not match the stored sizes")
