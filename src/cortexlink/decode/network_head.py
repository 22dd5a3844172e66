"""Network decoders that keep working: the read-out refitted when channels die, and fine-tuning.

The GRU, LSTM, NDT and LFADS-style decoders all end in a linear read-out (``out``) of a latent
state (the last hidden state, the last layer's output, the factors). When channels are masked
the network keeps its weights and sees the dead channels at their training mean, and
``refit_head`` refits the read-out (ridge least squares) on the latents the network now computes
from calibration data (the last ``CALIBRATION_BINS`` training bins, kept in memory) without those
channels: the head learns to rely on what the remaining channels still carry. An empty mask
brings the fitted read-out back. A decoder loaded from a file has no calibration data and keeps
its stored read-out.

``fine_tune`` is the networks' closed-loop adaptation (``Decoder.adapt``): a few epochs of the
training loop (same seed, early stopping on the batch's last bins) on a batch of closed-loop bins
and their ReFIT labels, started from the current weights, then blended with them,
new = ``keep`` x old + (1 - ``keep``) x tuned: SmoothBatch's rule applied to the weights.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from cortexlink.core.errors import InvalidDataError
from cortexlink.decode.threads import torch_threads

if TYPE_CHECKING:
    from cortexlink.decode.recurrent import RecurrentDecoder

HEAD_RIDGE = 1e-3      # ridge penalty of the read-out refit, relative to the latents' mean power
FINE_TUNE_EPOCHS = 3   # training epochs per closed-loop batch
FINE_TUNE_LR = 0.3     # fine-tuning learning rate as a fraction of the training one


def latents(dec: RecurrentDecoder, X: np.ndarray) -> np.ndarray:
    """What the read-out of ``dec`` sees at each bin of ``X`` from rest: ``(n_bins, n_latents)``."""
    from cortexlink.decode.recurrent import import_torch

    torch = import_torch()
    Z = torch.from_numpy(np.ascontiguousarray(dec.features.transform(X).T))
    readout = dec.net.out
    dec.net.out = torch.nn.Identity()
    try:
        with torch.no_grad(), torch_threads(dec.threads):
            return dec._run(dec.net, Z[None])[0].numpy()
    finally:
        dec.net.out = readout


def ridge_readout(H: np.ndarray, T: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Read-out ``(weight (n_out, d), bias (n_out,))`` of targets ``T (n, n_out)`` from ``H (n, d)``."""
    mean_h, mean_t = H.mean(axis=0), T.mean(axis=0)
    Hc = H - mean_h
    gram = Hc.T @ Hc
    penalty = HEAD_RIDGE * max(float(np.trace(gram)) / gram.shape[0], 1e-12)
    W = np.linalg.solve(gram + penalty * np.eye(gram.shape[0]), Hc.T @ (T - mean_t))
    return np.ascontiguousarray(W.T), mean_t - mean_h @ W


def refit_head(dec: RecurrentDecoder, mask: np.ndarray) -> None:
    """Refit the read-out of ``dec`` for the channels ``mask`` leaves live (see the module docstring);
    the features already hold the masked channels at their training mean."""
    if dec._calibration is None:
        return
    weights = dict(dec.weights)
    if dec._fitted_head is None:
        dec._fitted_head = (weights["out.weight"].copy(), weights["out.bias"].copy())
    if not mask.any():
        weights["out.weight"], weights["out.bias"] = (a.copy() for a in dec._fitted_head)
    else:
        X, Y = dec._calibration
        T = ((Y - dec.y_mean[:, None]) / dec.y_scale[:, None]).T
        weights["out.weight"], weights["out.bias"] = ridge_readout(latents(dec, X), T)
    dec._set_network(weights)


def fine_tune(dec: RecurrentDecoder, X: np.ndarray, Y: np.ndarray, keep: float) -> None:
    """Fine-tune ``dec`` on closed-loop bins ``X`` with labels ``Y`` and blend (module docstring)."""
    from cortexlink.decode.recurrent import import_torch

    torch = import_torch()
    n_val = max(int(round(X.shape[1] * dec.val_fraction)), dec.burn_in + 10)
    n_train = X.shape[1] - n_val
    if n_train < dec.window + 1:
        raise InvalidDataError(
            f"a batch of {X.shape[1]} bins is too short to fine-tune a {dec.kind} with windows of "
            f"{dec.window} bins and a validation block of {n_val}; adapt on longer batches")
    Z = dec.features.transform(X).T.astype(np.float32)
    T = ((Y - dec.y_mean[:, None]) / dec.y_scale[:, None]).T.astype(np.float32)
    old: dict[str, Any] = {k: v.copy() for k, v in dec.weights.items()}
    history = dec.history
    with torch_threads(dec.threads):
        dec._train(torch, Z, T, n_train, start=old, epochs=FINE_TUNE_EPOCHS, lr=dec.lr * FINE_TUNE_LR)
    tuned = dec.weights
    dec.history = history
    dec._set_network({k: keep * old[k] + (1.0 - keep) * tuned[k] for k in old})
    dec._fitted_head = None  # the tuned read-out is the one an empty mask brings back
