"""Causal recurrent decoders (GRU, LSTM) in PyTorch, trainable offline and steppable online.

A unidirectional RNN reads the preprocessed features and a linear read-out gives the z-scored
kinematics, so output ``t`` depends only on bins ``<= t`` and ``step`` carries the hidden state
from bin to bin. Training: windows of ``window`` bins from a zero state (the first ``burn_in``
bins of each window are not scored), Adam, gradient-norm clipping, the learning rate halved when
the validation loss stalls, early stopping on a contiguous validation block at the end of the
training data (the best weights are kept), all seeded. Inference runs in float64 so ``step``
and ``predict`` agree to rounding: ``predict`` through torch, ``step`` the same cell equations
in numpy, which avoids torch's per-call overhead on the online path.

PyTorch is an optional extra (``pip install cortexlink[torch]``); it is imported only when a
network decoder is built.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import expit as _sigmoid

from cortexlink.core.errors import InvalidDataError, InvalidParameterError
from cortexlink.core.progress import progress
from cortexlink.decode.base import Decoder, register_kind
from cortexlink.decode.features import FeatureTransform
from cortexlink.decode.threads import check_threads, torch_threads

CALIBRATION_BINS = 10_000  # training bins kept in memory to refit the read-out when channels are masked


def import_torch() -> Any:
    """Import torch or explain how to get it."""
    try:
        import torch
    except ImportError:
        raise InvalidParameterError(
            "network decoders (gru, lstm) need PyTorch; install it with "
            "'pip install cortexlink[torch]' or use wiener / kalman"
        ) from None
    return torch


def gru_cell(x: np.ndarray, h: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray, b_ih: np.ndarray,
             b_hh: np.ndarray) -> np.ndarray:
    """One step of torch's GRU cell in numpy: the new hidden state."""
    H = h.shape[-1]
    gi = w_ih @ x + b_ih
    gh = w_hh @ h + b_hh
    r = _sigmoid(gi[:H] + gh[:H])
    z = _sigmoid(gi[H : 2 * H] + gh[H : 2 * H])
    n = np.tanh(gi[2 * H :] + r * gh[2 * H :])
    return (1.0 - z) * n + z * h


def _build_network(cell: str, n_in: int, hidden: int, layers: int, n_out: int, dropout: float) -> Any:
    torch = import_torch()
    nn = torch.nn

    class Network(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            rnn = nn.GRU if cell == "gru" else nn.LSTM
            self.drop = nn.Dropout(dropout)
            self.rnn = rnn(
                n_in, hidden, num_layers=layers, batch_first=True, dropout=dropout if layers > 1 else 0.0
            )
            self.out = nn.Linear(hidden, n_out)

        def forward(self, x: Any, state: Any = None) -> tuple[Any, Any]:
            h, state = self.rnn(self.drop(x), state)
            return self.out(self.drop(h)), state

    return Network()


class RecurrentDecoder(Decoder):
    """Shared implementation of ``GRUDecoder`` and ``LSTMDecoder``."""

    online_state_attrs = ("_h", "_c")
    _calibration: tuple[np.ndarray, np.ndarray] | None = None  # raw training bins for ``refit_head``
    _fitted_head: tuple[np.ndarray, np.ndarray] | None = None  # the read-out as fitted (unmasked)

    container = "safetensors"
    cell = "gru"
    max_window_stride = 1 << 30  # training windows start at most this many bins apart

    def __init__(
        self,
        hidden: int = 64,
        layers: int = 1,
        epochs: int = 15,
        lr: float = 3e-3,
        batch_size: int = 32,
        window: int = 100,
        burn_in: int = 10,
        patience: int = 4,
        val_fraction: float = 0.15,
        clip: float = 1.0,
        dropout: float = 0.2,
        weight_decay: float = 1e-4,
        seed: int = 0,
        threads: int | None = 1,
        sqrt: bool = False,
        smooth: int = 1,
        zscore: bool = True,
        pca: int | None = None,
        show_progress: bool = False,
    ):
        import_torch()
        for name, v in (
            ("hidden", hidden),
            ("layers", layers),
            ("epochs", epochs),
            ("batch_size", batch_size),
        ):
            if int(v) < 1:
                raise InvalidParameterError(f"{name} must be at least 1, got {v}")
        if int(window) <= int(burn_in) or int(burn_in) < 0:
            raise InvalidParameterError(f"window ({window}) must exceed burn_in ({burn_in}) >= 0")
        if not 0.0 < float(val_fraction) < 0.5:
            raise InvalidParameterError(f"val_fraction must be in (0, 0.5), got {val_fraction}")
        if not 0.0 <= float(dropout) < 1.0 or float(lr) <= 0 or float(clip) <= 0:
            raise InvalidParameterError("need 0 <= dropout < 1, lr > 0 and clip > 0")
        self.hidden, self.layers, self.epochs = int(hidden), int(layers), int(epochs)
        self.lr, self.batch_size, self.window, self.burn_in = (
            float(lr),
            int(batch_size),
            int(window),
            int(burn_in),
        )
        self.patience, self.val_fraction, self.clip = int(patience), float(val_fraction), float(clip)
        self.dropout, self.weight_decay, self.seed = float(dropout), float(weight_decay), int(seed)
        self.threads = check_threads(threads)
        self.show_progress = bool(show_progress)
        self.features = FeatureTransform(sqrt, smooth, zscore, pca)
        self.history: list[tuple[float, float]] = []

    @classmethod
    def _check_requirements(cls) -> None:
        import_torch()

    def params(self) -> dict[str, Any]:
        return {
            "hidden": self.hidden,
            "layers": self.layers,
            "epochs": self.epochs,
            "lr": self.lr,
            "batch_size": self.batch_size,
            "window": self.window,
            "burn_in": self.burn_in,
            "patience": self.patience,
            "val_fraction": self.val_fraction,
            "clip": self.clip,
            "dropout": self.dropout,
            "weight_decay": self.weight_decay,
            "seed": self.seed,
            "threads": self.threads,
            **self.features.params(),
            "show_progress": self.show_progress,
        }

    # -- training --------------------------------------------------------------------------
    def _fit(self, X: np.ndarray, Y: np.ndarray) -> None:
        torch = import_torch()
        n_val = int(round(X.shape[1] * self.val_fraction))
        n_train = X.shape[1] - n_val
        if n_train < self.window + self.batch_size or n_val < self.burn_in + 10:
            raise InvalidDataError(
                f"{X.shape[1]} bins are too few to train a {self.cell.upper()} with windows of "
                f"{self.window} bins and a {self.val_fraction:.0%} validation block; give more "
                "data or a smaller window"
            )
        self.features.fit(X[:, :n_train])
        self._calibration = (X[:, -CALIBRATION_BINS:].copy(), Y[:, -CALIBRATION_BINS:].copy())
        self._fitted_head = None
        Z = self.features.transform(X).T.astype(np.float32)
        self.y_mean = Y[:, :n_train].mean(axis=1)
        self.y_scale = Y[:, :n_train].std(axis=1) + 1e-12
        T = ((Y - self.y_mean[:, None]) / self.y_scale[:, None]).T.astype(np.float32)
        with torch_threads(self.threads):
            self._train(torch, Z, T, n_train)

    def _train(self, torch: Any, Z: np.ndarray, T: np.ndarray, n_train: int,
               start: dict[str, np.ndarray] | None = None, epochs: int | None = None,
               lr: float | None = None) -> None:
        """Train on ``Z, T`` (bins x features) with the last bins from ``n_train`` on for validation;
        from ``start`` weights (fine-tuning) or from a fresh network."""
        torch.manual_seed(self.seed)
        rng = np.random.default_rng(self.seed)
        net = self._network(Z.shape[1], T.shape[1])
        if start is not None:
            net.load_state_dict({k: torch.from_numpy(v.astype(np.float32)) for k, v in start.items()})
        epochs = self.epochs if epochs is None else int(epochs)
        opt = torch.optim.Adam(net.parameters(), lr=lr or self.lr, weight_decay=self.weight_decay)
        sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=2)
        z_train, t_train = torch.from_numpy(Z[:n_train]), torch.from_numpy(T[:n_train])
        z_val, t_val = torch.from_numpy(Z[None, n_train:]), torch.from_numpy(T[None, n_train:])
        best, best_state, stale = np.inf, None, 0
        # windows overlap on short recordings so every epoch still has ~4 batches or more
        stride = max(1, min(self.window, (n_train - self.window) // (4 * self.batch_size)))
        stride = min(stride, self.max_window_stride)
        self.history = []
        for _ in progress(
            range(epochs),
            total=epochs,
            description=f"training {self.cell}",
            enabled=self.show_progress,
        ):
            net.train()
            starts = np.arange(int(rng.integers(stride)), n_train - self.window + 1, stride)
            rng.shuffle(starts)
            losses = []
            for b in range(0, len(starts), self.batch_size):
                idx = torch.from_numpy(starts[b : b + self.batch_size, None] + np.arange(self.window))
                loss = self._batch_loss(torch, net, z_train[idx], t_train[idx])
                opt.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(net.parameters(), self.clip)
                opt.step()
                losses.append(float(loss.detach()))
            net.eval()
            with torch.no_grad():
                val = float(torch.mean((self._run(net, z_val) - t_val) ** 2))
            sched.step(val)
            self.history.append((float(np.mean(losses)), val))
            if val < best - 1e-5:
                best, stale = val, 0
                best_state = {k: v.detach().clone() for k, v in net.state_dict().items()}
            else:
                stale += 1
                if stale >= self.patience:
                    break
        if best_state is None:
            raise InvalidDataError(
                f"{self.cell.upper()} training diverged (validation loss {val}); lower lr or check the data"
            )
        self._set_network({k: v.numpy().astype(np.float64) for k, v in best_state.items()})

    def _network(self, n_in: int, n_out: int) -> Any:
        """A fresh (untrained) network of this decoder's architecture."""
        return _build_network(self.cell, n_in, self.hidden, self.layers, n_out, self.dropout)

    def _batch_loss(self, torch: Any, net: Any, z: Any, t: Any) -> Any:
        """Training loss of a batch of windows ``(batch, window, n)``: MSE after the burn-in."""
        out, _ = net(z)
        return torch.mean((out[:, self.burn_in :] - t[:, self.burn_in :]) ** 2)

    def _run(self, net: Any, z: Any) -> Any:
        """Outputs ``(1, T, n_out)`` of a whole sequence ``(1, T, n_in)`` from rest."""
        return net(z)[0]

    def _set_network(self, weights: dict[str, np.ndarray]) -> None:
        torch = import_torch()
        net = self._network(self.features.n_outputs, int(self.y_mean.shape[0])).double()
        net.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in weights.items()})
        net.eval()
        self.net = net
        self.weights = weights
        self._load_online(weights)

    def _load_online(self, weights: dict[str, np.ndarray]) -> None:
        """Keep the numpy copies of the weights that ``step`` uses."""
        self._cells = [
            tuple(
                np.ascontiguousarray(weights[f"rnn.{k}_l{i}"])
                for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
            )
            for i in range(self.layers)
        ]
        self._readout = (np.ascontiguousarray(weights["out.weight"]), weights["out.bias"])

    # -- masking and adaptation (cortexlink.decode.network_head) ---------------------------
    def _apply_mask(self, mask: np.ndarray) -> None:
        from cortexlink.decode.network_head import refit_head

        super()._apply_mask(mask)
        refit_head(self, mask)

    def _adapt(self, X: np.ndarray, Y: np.ndarray, keep: float) -> None:
        from cortexlink.decode.network_head import fine_tune

        fine_tune(self, X, Y, keep)

    # -- decoding --------------------------------------------------------------------------
    def _predict(self, X: np.ndarray) -> np.ndarray:
        torch = import_torch()
        Z = torch.from_numpy(np.ascontiguousarray(self.features.transform(X).T))
        with torch.no_grad():
            out = self._run(self.net, Z[None])
        return out[0].numpy().T * self.y_scale[:, None] + self.y_mean[:, None]

    def _reset(self) -> None:
        self.features.reset()
        self._h = [np.zeros(self.hidden) for _ in range(self.layers)]
        self._c = [np.zeros(self.hidden) for _ in range(self.layers)]

    def _step(self, x: np.ndarray) -> np.ndarray:
        # One bin through the same weights in numpy: no torch call overhead on the online path.
        v = self.features.step(x)
        H = self.hidden
        for i, (w_ih, w_hh, b_ih, b_hh) in enumerate(self._cells):
            if self.cell == "gru":
                self._h[i] = gru_cell(v, self._h[i], w_ih, w_hh, b_ih, b_hh)
            else:
                gi = w_ih @ v + b_ih
                gh = w_hh @ self._h[i] + b_hh
                g = gi + gh
                c = _sigmoid(g[H : 2 * H]) * self._c[i] + _sigmoid(g[:H]) * np.tanh(g[2 * H : 3 * H])
                self._c[i] = c
                self._h[i] = _sigmoid(g[3 * H :]) * np.tanh(c)
            v = self._h[i]
        w, b = self._readout
        return (w @ v + b) * self.y_scale + self.y_mean


    # -- persistence -----------------------------------------------------------------------
    def _state(self) -> dict[str, np.ndarray]:
        return {
            **{"net." + k: v for k, v in self.weights.items()},
            "y_mean": self.y_mean,
            "y_scale": self.y_scale,
            **self.features.arrays(),
        }

    def _restore(self, arrays: dict[str, np.ndarray], extra: dict[str, Any]) -> None:
        self.features = FeatureTransform.from_arrays(self.features.params(), arrays)
        self.y_mean = np.asarray(arrays["y_mean"], dtype=np.float64)
        self.y_scale = np.asarray(arrays["y_scale"], dtype=np.float64)
        weights = {k[4:]: np.asarray(v, dtype=np.float64) for k, v in arrays.items() if k.startswith("net.")}
        if self.y_mean.shape != (self.n_outputs_,) or self.features.n_inputs != self.n_features_:
            raise InvalidDataError("stored sizes do not match the arrays")
        try:
            self._set_network(weights)
        except RuntimeError as exc:  # load_state_dict: missing keys or wrong shapes
            raise InvalidDataError(f"network weights do not fit the stored architecture: {exc}") from None


class ContextWindowDecoder(RecurrentDecoder):
    """Base of the networks whose output reads only the last ``context`` bins (``ndt``, ``lfads``):
    ``step`` keeps those bins' features in a window, zeros before the first."""

    online_state_attrs = ("_ctx",)
    context: int

    def _reset(self) -> None:
        self.features.reset()
        self._ctx = np.zeros((self.context, self.features.n_outputs))

    def _push(self, x: np.ndarray) -> np.ndarray:
        """Add one bin's features to the window; returns the window ``(context, n_features)``."""
        z = self.features.step(x)
        self._ctx[:-1] = self._ctx[1:]
        self._ctx[-1] = z
        return self._ctx


@register_kind
class GRUDecoder(RecurrentDecoder):
    """Causal GRU decoder."""

    kind = "gru"
    cell = "gru"


@register_kind
class LSTMDecoder(RecurrentDecoder):
    """Causal LSTM decoder."""

    kind = "lstm"
    cell = "lstm"
