"""Kalman filter decoder in the form of Wu et al. (2006), with an optional steady-state gain.

State ``s_t`` = kinematics minus their training mean; observation ``z_t`` = preprocessed features
(optionally the last ``n_lags`` bins stacked):

    s_t = A s_{t-1} + w,  w ~ N(0, W)        z_t = H s_t + c + q,  q ~ N(0, Q)

``A, W, H, c, Q`` are least-squares fits on training data. The update uses the information form
``P = (P_prior^-1 + H' Q^-1 H)^-1`` so each step inverts only a state-sized matrix. With
``steady_state=True`` the gain is the fixed point of the Riccati recursion, computed once at fit
time: each step is then ``s = M s + K z - K c`` (Dethier et al. 2013, Malik et al. 2011).
``q_ridge`` shrinks ``Q`` towards its mean variance (needed when ``n_lags`` stacks many
features); ``"auto"`` picks it on a contiguous holdout at the end of the training data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numba import njit

from cortexlink.core.errors import InvalidDataError, InvalidParameterError
from cortexlink.decode.base import Decoder, check_lag_and_penalty, register_kind
from cortexlink.decode.features import FeatureTransform
from cortexlink.decode.preprocess import check_enough_bins, lag_stack
from cortexlink.decode.threads import check_threads


@njit(cache=True)
def _full_step(z, s, P, A, Wn, HtQinv, HtQinvH, hc):  # pragma: no cover - compiled
    s_prior = A @ s
    P_prior = A @ P @ A.T + Wn
    P_post = np.linalg.inv(np.linalg.inv(P_prior) + HtQinvH)
    innov = HtQinv @ z - hc - HtQinvH @ s_prior
    s[:] = s_prior + P_post @ innov
    P[:, :] = P_post


@njit(cache=True)
def _steady_step(z, s, M, K, kc):  # pragma: no cover - compiled
    s[:] = M @ s + K @ z - kc


@njit(cache=True)
def _full_sequence(Zt, s0, P0, A, Wn, HtQinv, HtQinvH, hc):  # pragma: no cover - compiled
    s = s0.copy()
    P = P0.copy()
    out = np.empty((Zt.shape[0], s.shape[0]))
    for t in range(Zt.shape[0]):
        _full_step(Zt[t], s, P, A, Wn, HtQinv, HtQinvH, hc)
        out[t] = s
    return out


@njit(cache=True)
def _steady_sequence(Zt, s0, M, K, kc):  # pragma: no cover - compiled
    s = s0.copy()
    out = np.empty((Zt.shape[0], s.shape[0]))
    for t in range(Zt.shape[0]):
        _steady_step(Zt[t], s, M, K, kc)
        out[t] = s
    return out


def _lstsq(B: np.ndarray, A: np.ndarray) -> np.ndarray:
    """``M`` minimising ``|B - M A|^2`` (a tiny ridge keeps it defined for degenerate A)."""
    G = A @ A.T
    G[np.diag_indices_from(G)] += 1e-9 * max(1.0, float(np.trace(G)))
    return np.linalg.solve(G, A @ B.T).T


Q_GRID = (1e-3, 1e-2, 1e-1, 1.0, 10.0)
RESOLVE_MAX_FEATURES = 2048  # keep H and Q (to re-solve for masked channels) up to this many features


@dataclass
class _Moments:
    """The least-squares fits of the model, before ``Q`` is shrunk (they do not depend on q_ridge)."""

    y_mean: np.ndarray
    A: np.ndarray
    Wn: np.ndarray
    c: np.ndarray
    H: np.ndarray
    Q: np.ndarray
    P0: np.ndarray


def _moments(Z: np.ndarray, Y: np.ndarray) -> _Moments:
    """State model ``A, W`` and observation model ``H, c, Q`` fitted to features ``Z``, kinematics ``Y``."""
    y_mean = Y.mean(axis=1)
    S = Y - y_mean[:, None]
    d = S.shape[0]
    A = _lstsq(S[:, 1:], S[:, :-1])
    R = S[:, 1:] - A @ S[:, :-1]
    Wn = R @ R.T / R.shape[1]
    c = Z.mean(axis=1)
    Zc = Z - c[:, None]
    H = _lstsq(Zc, S)
    E = Zc - H @ S
    Q = E @ E.T / E.shape[1]
    P0 = S @ S.T / S.shape[1] + 1e-12 * np.eye(d)
    return _Moments(y_mean, A, Wn, c, H, Q, P0)


@register_kind
class KalmanFilter(Decoder):
    """Kalman filter decoder (Wu et al. 2006); ``steady_state=True`` uses a fixed gain."""

    kind = "kalman"
    online_state_attrs = ("_hist", "_s", "_P")

    def __init__(
        self,
        steady_state: bool = False,
        n_lags: int = 5,
        q_ridge: float | str = "auto",
        sqrt: bool = False,
        smooth: int = 1,
        zscore: bool = True,
        pca: int | None = None,
        threads: int | None = 1,
    ):
        q_ridge = check_lag_and_penalty(n_lags, q_ridge, "q_ridge")
        self.steady_state = bool(steady_state)
        self.n_lags = int(n_lags)
        self.q_ridge = q_ridge
        self.q_ridge_ = None if q_ridge == "auto" else q_ridge
        self.features = FeatureTransform(sqrt, smooth, zscore, pca)
        self.threads = check_threads(threads)

    def params(self) -> dict[str, Any]:
        return {
            "steady_state": self.steady_state,
            "n_lags": self.n_lags,
            "q_ridge": self.q_ridge,
            **self.features.params(),
            "threads": self.threads,
        }

    # -- fitting ---------------------------------------------------------------------------
    def _fit(self, X: np.ndarray, Y: np.ndarray) -> None:
        check_enough_bins(X.shape[1], self.n_lags + 2, "a Kalman filter")
        L = self.n_lags
        Z = lag_stack(self.features.fit(X).transform(X), L)[:, L - 1 :]
        Y = Y[:, L - 1 :]
        if self.q_ridge == "auto":
            self.q_ridge_ = self._select_q_ridge(Z, Y)
        self._set_model(_moments(Z, Y), self.q_ridge_)

    def _select_q_ridge(self, Z: np.ndarray, Y: np.ndarray, holdout: float = 0.2) -> float:
        """The ``Q_GRID`` value whose filter best decodes the last ``holdout`` of the training bins
        (a contiguous block: neighbouring bins are correlated). The least-squares fits do not
        depend on ``q_ridge``: they are computed once for the whole grid."""
        n_val = max(self.n_lags + 2, int(Z.shape[1] * holdout))
        moments = _moments(Z[:, :-n_val], Y[:, :-n_val])
        Zt = np.ascontiguousarray(Z[:, -n_val:].T)
        errors = []
        for q in Q_GRID:
            self._set_model(moments, q)
            pred = (
                _steady_sequence(Zt, np.zeros(Y.shape[0]), self.M, self.K, self.kc).T + self.y_mean[:, None]
            )
            errors.append(float(np.mean((pred - Y[:, -n_val:]) ** 2)))
        return float(Q_GRID[int(np.argmin(errors))])

    def _set_model(self, moments: _Moments, q_ridge: float) -> None:
        """The filter's matrices from the least-squares fits, with ``Q`` shrunk by ``q_ridge``."""
        mo = moments
        self.y_mean, self.A, self.Wn, self.c, self.P0 = mo.y_mean, mo.A, mo.Wn, mo.c, mo.P0
        keep_stats = mo.Q.shape[0] <= RESOLVE_MAX_FEATURES
        self.H, self.Q = (mo.H, mo.Q) if keep_stats else (None, None)
        self._solve_observation(mo.H, mo.Q, q_ridge, None)

    def _solve_observation(
        self, H: np.ndarray, Q: np.ndarray, q_ridge: float, keep: np.ndarray | None
    ) -> None:
        """``H' Q^-1`` and the gains from the observation model restricted to features ``keep``
        (all when ``None``); the other features get zero weight. The rows of ``H`` and the block
        of ``Q`` of the kept features are what a fit on those features alone gives."""
        m = H.shape[0]
        if keep is not None and keep.size == m:
            keep = None  # every feature: the fit's own arithmetic, bit for bit
        if keep is not None:
            H, Q = H[keep], Q[np.ix_(keep, keep)]
        k = Q.shape[0]
        Q = Q.copy()
        Q[np.diag_indices(k)] += q_ridge * max(float(np.trace(Q)) / k, 1e-12)
        HtQinv = H.T @ np.linalg.inv(Q)
        self.HtQinvH = HtQinv @ H
        if keep is None:
            self.HtQinv = np.ascontiguousarray(HtQinv)
        else:
            self.HtQinv = np.zeros((H.shape[1], m))
            self.HtQinv[:, keep] = HtQinv
        self.hc = self.HtQinv @ self.c
        self.M, self.K = self._steady_gain()
        self.kc = self.K @ self.c
        for name in self._ARRAYS:  # same memory layout as after load: bit-identical outputs
            setattr(self, name, np.ascontiguousarray(getattr(self, name)))

    def _steady_gain(self) -> tuple[np.ndarray, np.ndarray]:
        """Iterate the Riccati recursion to its fixed point; returns (M, K)."""
        P = self.P0.copy()
        for _ in range(10000):
            P_new = np.linalg.inv(np.linalg.inv(self.A @ P @ self.A.T + self.Wn) + self.HtQinvH)
            if np.max(np.abs(P_new - P)) <= 1e-13 * max(1.0, float(np.max(np.abs(P)))):
                P = P_new
                break
            P = P_new
        K = P @ self.HtQinv
        M = self.A - P @ self.HtQinvH @ self.A
        return np.ascontiguousarray(M), np.ascontiguousarray(K)

    # -- decoding --------------------------------------------------------------------------
    def _predict(self, X: np.ndarray) -> np.ndarray:
        Zt = np.ascontiguousarray(lag_stack(self.features.transform(X), self.n_lags).T)
        s0 = np.zeros(self.n_outputs_)
        if self.steady_state:
            out = _steady_sequence(Zt, s0, self.M, self.K, self.kc)
        else:
            out = _full_sequence(Zt, s0, self.P0, self.A, self.Wn, self.HtQinv, self.HtQinvH, self.hc)
        return out.T + self.y_mean[:, None]

    def _reset(self) -> None:
        self.features.reset()
        self._hist = np.zeros((self.n_lags, self.features.n_outputs))
        self._s = np.zeros(self.n_outputs_)
        self._P = self.P0.copy()

    def _step(self, x: np.ndarray) -> np.ndarray:
        z = self.features.step(x)
        if self.n_lags > 1:
            self._hist[1:] = self._hist[:-1]
            self._hist[0] = z
            z = self._hist.ravel()
        if self.steady_state:
            _steady_step(z, self._s, self.M, self.K, self.kc)
        else:
            _full_step(z, self._s, self._P, self.A, self.Wn, self.HtQinv, self.HtQinvH, self.hc)
        return self._s + self.y_mean


    def _adapt(self, X: np.ndarray, Y: np.ndarray, keep: float) -> None:
        """Blend the observation model ``H, c, Q`` (what closed-loop adaptation updates; the
        kinematics model ``A, W`` stays) with a least-squares fit on the batch."""
        if self.H is None:
            raise InvalidParameterError("this Kalman filter has too many features to keep its observation "
                                        f"model (> {RESOLVE_MAX_FEATURES}); recalibrate it instead")
        L = self.n_lags
        check_enough_bins(X.shape[1], L + 2, "adapting a Kalman filter")
        Z = lag_stack(self.features.transform(X), L)[:, L - 1 :]
        S = Y[:, L - 1 :] - self.y_mean[:, None]
        S1 = np.vstack([S, np.ones(S.shape[1])])
        Hc = _lstsq(Z, S1)
        H_b, c_b = Hc[:, :-1], Hc[:, -1]
        E = Z - Hc @ S1
        Q_b = E @ E.T / E.shape[1]
        self.H = keep * self.H + (1.0 - keep) * H_b
        self.Q = keep * self.Q + (1.0 - keep) * Q_b
        self.c = keep * self.c + (1.0 - keep) * c_b
        self._solve_observation(self.H, self.Q, self.q_ridge_, self.features.live_columns(self.n_lags))

    def _apply_mask(self, mask: np.ndarray) -> None:
        """Re-solve the observation model for the live channels (exact), when it can."""
        self.features.set_mask(mask)
        keep = self.features.live_columns(self.n_lags)
        if keep is None or self.H is None:
            return  # PCA mixes channels, or too many features to keep Q: hold at the mean only
        self._solve_observation(self.H, self.Q, self.q_ridge_, keep)

    # -- persistence -----------------------------------------------------------------------
    _ARRAYS = ("y_mean", "A", "Wn", "c", "HtQinv", "HtQinvH", "hc", "P0", "M", "K", "kc")
    H: np.ndarray | None = None
    Q: np.ndarray | None = None

    def _state(self) -> dict[str, np.ndarray]:
        stats = {} if self.H is None else {"H": self.H, "Q": self.Q}
        return {
            **{k: getattr(self, k) for k in self._ARRAYS},
            **stats,
            "q_ridge": np.array([self.q_ridge_]),
            **self.features.arrays(),
        }

    def _restore(self, arrays: dict[str, np.ndarray], extra: dict[str, Any]) -> None:
        self.features = FeatureTransform.from_arrays(self.features.params(), arrays)
        for k in self._ARRAYS:
            setattr(self, k, np.ascontiguousarray(arrays[k], dtype=np.float64))
        self.q_ridge_ = float(np.asarray(arrays["q_ridge"]).ravel()[0])
        d, m = self.n_outputs_, self.n_lags * self.features.n_outputs
        if "H" in arrays and "Q" in arrays:  # files written before masking re-solved lack them
            self.H = np.asarray(arrays["H"], dtype=np.float64)
            self.Q = np.asarray(arrays["Q"], dtype=np.float64)
            if self.H.shape != (m, d) or self.Q.shape != (m, m):
                raise InvalidDataError(f"observation model shapes {self.H.shape}, {self.Q.shape} do not fit")
        shapes = {
            "y_mean": (d,),
            "A": (d, d),
            "Wn": (d, d),
            "c": (m,),
            "HtQinv": (d, m),
            "HtQinvH": (d, d),
            "hc": (d,),
            "P0": (d, d),
            "M": (d, d),
            "K": (d, m),
            "kc": (d,),
        }
        for k, shape in shapes.items():
            if getattr(self, k).shape != shape:
                raise InvalidDataError(f"array {k} has shape {getattr(self, k).shape}, expected {shape}")
