"""An LFADS-style sequential autoencoder, causal, run online over a rolling context of bins.

LFADS (Pandarinath et al. 2018) explains a trial of binned spiking as the output of a dynamical
system: an encoder reads the trial and infers the generator's initial state ``g0``; the
generator (a GRU) unrolls from ``g0`` driven by inferred inputs (LFADS's controller; here the
encoder's causal outputs); low-dimensional factors read out of its state reconstruct the
spiking. For online decoding the trial is the last ``context`` bins: the encoder (a GRU) reads
them, the generator unrolls over them, and velocity is read out of the factors at the last bin,
so output ``t`` depends on bins ``t - context + 1 .. t`` only. Training: the velocity of the
last bin of each window, reconstruction of every bin of it (``recon_weight``),
and a KL penalty (``kl_weight``) on ``g0``'s posterior against a unit Gaussian; at inference
``g0`` is the posterior mean. The recurrent decoders' training loop (early stopping, seed, safe
save format) does the rest; ``step`` runs the same cells in numpy.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cortexlink.core.errors import InvalidParameterError
from cortexlink.decode.base import register_kind
from cortexlink.decode.recurrent import ContextWindowDecoder, gru_cell, import_torch

_BATCH_WINDOWS = 2048  # context windows per forward pass in ``predict``


def _build_lfads(n_in: int, enc: int, gen: int, factors: int, n_out: int, dropout: float) -> Any:
    torch = import_torch()
    nn = torch.nn

    class Network(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.drop = nn.Dropout(dropout)
            self.encoder = nn.GRU(n_in, enc, batch_first=True)
            self.g0 = nn.Linear(enc, 2 * gen)  # posterior mean and log-variance
            self.generator = nn.GRUCell(enc, gen)
            self.factors = nn.Linear(gen, factors)
            self.recon = nn.Linear(factors, n_in)
            self.out = nn.Linear(factors, n_out)

        def forward(self, z: Any) -> tuple[Any, Any, Any]:
            """Velocity at every bin, reconstruction, and the KL term, of windows ``(b, t, n_in)``."""
            e, h = self.encoder(self.drop(z))
            mean, logvar = self.g0(h[0]).chunk(2, dim=-1)
            g = mean + torch.randn_like(mean) * torch.exp(0.5 * logvar) if self.training else mean
            f = []
            for t in range(z.shape[1]):
                g = self.generator(self.drop(e[:, t]), g)
                f.append(self.factors(self.drop(g)))
            f = torch.stack(f, dim=1)
            kl = 0.5 * torch.mean(torch.sum(mean**2 + torch.exp(logvar) - logvar - 1.0, dim=-1))
            return self.out(f), self.recon(f), kl

    return Network()


@register_kind
class LFADSDecoder(ContextWindowDecoder):
    """Causal LFADS-style autoencoder over the last ``context`` bins, velocity from its factors.

    ``hidden`` is the generator's width; ``encoder`` the encoder's; ``factors`` the factor count.
    """

    kind = "lfads"
    cell = "lfads"
    max_window_stride = 2  # a window is one short context: use (nearly) every one of them

    def __init__(self, hidden: int = 64, encoder: int = 64, factors: int = 16, context: int = 30,
                 recon_weight: float = 0.5, kl_weight: float = 1e-3, epochs: int = 15,
                 lr: float = 3e-3, batch_size: int = 64, patience: int = 4, val_fraction: float = 0.15,
                 clip: float = 1.0, dropout: float = 0.1, weight_decay: float = 1e-4, seed: int = 0,
                 threads: int | None = 1,
                 sqrt: bool = False, smooth: int = 1, zscore: bool = True, pca: int | None = None,
                 show_progress: bool = False):
        if int(context) < 2 or int(encoder) < 1 or int(factors) < 1:
            raise InvalidParameterError("need context >= 2, encoder >= 1 and factors >= 1")
        if float(recon_weight) < 0 or float(kl_weight) < 0:
            raise InvalidParameterError("recon_weight and kl_weight must not be negative")
        self.encoder, self.n_factors, self.context = int(encoder), int(factors), int(context)
        self.recon_weight, self.kl_weight = float(recon_weight), float(kl_weight)
        # a window is one context; only its last bin's velocity is scored (what online decoding sees)
        super().__init__(hidden=hidden, layers=1, epochs=epochs, lr=lr, batch_size=batch_size,
                         window=int(context), burn_in=int(context) - 1, patience=patience,
                         val_fraction=val_fraction, clip=clip, dropout=dropout, weight_decay=weight_decay,
                         seed=seed, threads=threads, sqrt=sqrt, smooth=smooth, zscore=zscore, pca=pca,
                         show_progress=show_progress)

    def params(self) -> dict[str, Any]:
        p = super().params()
        for k in ("layers", "window", "burn_in"):
            del p[k]
        return {**p, "encoder": self.encoder, "factors": self.n_factors, "context": self.context,
                "recon_weight": self.recon_weight, "kl_weight": self.kl_weight}

    def _network(self, n_in: int, n_out: int) -> Any:
        return _build_lfads(n_in, self.encoder, self.hidden, self.n_factors, n_out, self.dropout)

    def _batch_loss(self, torch: Any, net: Any, z: Any, t: Any) -> Any:
        out, recon, kl = net(z)
        loss = torch.mean((out[:, -1] - t[:, -1]) ** 2) + self.kl_weight * kl
        return loss + self.recon_weight * torch.mean((recon - z) ** 2)

    def _run(self, net: Any, z: Any) -> Any:
        """Velocity of every bin of a sequence ``(1, T, n)`` from rest: the last bin of each
        bin's context window (zeros before the sequence)."""
        torch = import_torch()
        c = self.context
        padded = torch.cat([torch.zeros(1, c - 1, z.shape[2], dtype=z.dtype), z], dim=1)
        windows = padded[0].unfold(0, c, 1).transpose(1, 2)  # (T, c, n)
        starts = range(0, windows.shape[0], _BATCH_WINDOWS)
        parts = [net(windows[s : s + _BATCH_WINDOWS])[0][:, -1] for s in starts]
        return torch.cat(parts, dim=0)[None]

    def _load_online(self, weights: dict[str, np.ndarray]) -> None:
        w = {k: np.ascontiguousarray(v) for k, v in weights.items()}
        self._enc = tuple(w[f"encoder.{k}_l0"] for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))
        self._gen = tuple(w[f"generator.{k}"] for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))
        self._w = w

    def _step(self, x: np.ndarray) -> np.ndarray:
        ctx = self._push(x)
        w = self._w
        h = np.zeros(self.encoder)
        e = np.empty((self.context, self.encoder))
        for t, row in enumerate(ctx):
            h = e[t] = gru_cell(row, h, *self._enc)
        g = (w["g0.weight"] @ h + w["g0.bias"])[: self.hidden]
        for t in range(self.context):
            g = gru_cell(e[t], g, *self._gen)
        f = w["factors.weight"] @ g + w["factors.bias"]
        return (w["out.weight"] @ f + w["out.bias"]) * self.y_scale + self.y_mean
