"""Neural Data Transformer (NDT): causal self-attention over the last ``context`` bins.

Ye & Pandarinath (2021) model binned spiking with a transformer trained by masked modelling:
random bins of the input are hidden and reconstructed from the others, which makes the model
learn the population's dynamics rather than memorise channels. Here the same network also reads
out velocity (a multi-task loss, ``recon_weight`` weighing the reconstruction), and attention is
causal and limited to the last ``context`` bins (relative-position biases, no absolute positions),
so output ``t`` depends on bins ``t - context + 1 .. t`` only: the same window online and offline.

Training reuses the recurrent decoders' loop (windows, Adam, early stopping on a contiguous
validation block, seeded); scored positions start at ``context - 1`` within each window so every
scored bin has its full context. ``predict`` runs the network in torch over overlapping segments;
``step`` keeps the last ``context`` feature vectors and runs the same layers in numpy.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from cortexlink.core.errors import InvalidParameterError
from cortexlink.decode.base import register_kind
from cortexlink.decode.recurrent import ContextWindowDecoder, import_torch

_SEGMENT = 512  # output bins per forward pass in ``predict`` (bounds the attention matrices)


def _build_ndt(n_in: int, d: int, layers: int, heads: int, context: int, n_out: int, dropout: float) -> Any:
    torch = import_torch()
    nn = torch.nn

    class Block(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.norm1, self.norm2 = nn.LayerNorm(d), nn.LayerNorm(d)
            self.qkv = nn.Linear(d, 3 * d)
            self.proj = nn.Linear(d, d)
            self.ff1, self.ff2 = nn.Linear(d, 2 * d), nn.Linear(2 * d, d)
            self.rel_bias = nn.Parameter(torch.zeros(heads, context))  # by lag 0..context-1
            self.drop = nn.Dropout(dropout)

        def forward(self, x: Any, mask: Any, lags: Any) -> Any:
            b, t, _ = x.shape
            q, k, v = self.qkv(self.norm1(x)).view(b, t, 3, heads, d // heads).permute(2, 0, 3, 1, 4)
            att = q @ k.transpose(-1, -2) / math.sqrt(d // heads) + self.rel_bias[:, lags] + mask
            y = (torch.softmax(att, dim=-1) @ v).transpose(1, 2).reshape(b, t, d)
            x = x + self.drop(self.proj(y))
            return x + self.drop(self.ff2(torch.relu(self.ff1(self.norm2(x)))))

    class Network(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embed = nn.Linear(n_in, d)
            self.blocks = nn.ModuleList([Block() for _ in range(layers)])
            self.norm = nn.LayerNorm(d)
            self.out = nn.Linear(d, n_out)
            self.recon = nn.Linear(d, n_in)

        def forward(self, z: Any) -> tuple[Any, Any]:
            """Velocity and reconstructed input ``(b, t, .)`` of windows ``(b, t, n_in)``."""
            t = z.shape[1]
            i = torch.arange(t)
            lag = i[:, None] - i[None, :]
            allowed = (lag >= 0) & (lag < context)
            mask = torch.zeros(t, t, dtype=z.dtype).masked_fill(~allowed, float("-inf"))
            x = self.embed(z)
            for block in self.blocks:
                x = block(x, mask, lag.clamp(0, context - 1))
            h = self.norm(x)
            return self.out(h), self.recon(h)

    return Network()


def _layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    mu = x.mean(axis=-1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
    return (x - mu) / np.sqrt(var + 1e-5) * w + b


@register_kind
class NDTDecoder(ContextWindowDecoder):
    """Causal NDT (masked modelling + velocity read-out) over a rolling context of bins.

    ``hidden`` is the model width, ``layers`` the transformer blocks; see the module docstring.
    """

    kind = "ndt"
    cell = "ndt"

    def __init__(self, hidden: int = 64, layers: int = 2, heads: int = 4, context: int = 30,
                 mask_ratio: float = 0.2, recon_weight: float = 0.5, epochs: int = 15,
                 lr: float = 2e-3,
                 batch_size: int = 32, window: int = 90, patience: int = 4, val_fraction: float = 0.15,
                 clip: float = 1.0, dropout: float = 0.1, weight_decay: float = 1e-4, seed: int = 0,
                 threads: int | None = 1, sqrt: bool = False, smooth: int = 1, zscore: bool = True,
                 pca: int | None = None, show_progress: bool = False):
        if int(context) < 1 or int(heads) < 1 or int(hidden) % int(heads):
            raise InvalidParameterError("need context >= 1 and hidden divisible by heads >= 1")
        if not 0.0 <= float(mask_ratio) < 1.0 or float(recon_weight) < 0:
            raise InvalidParameterError("need 0 <= mask_ratio < 1 and recon_weight >= 0")
        if int(window) < int(context):
            raise InvalidParameterError(f"window ({window}) must hold at least one context ({context})")
        self.heads, self.context = int(heads), int(context)
        self.mask_ratio, self.recon_weight = float(mask_ratio), float(recon_weight)
        super().__init__(hidden=hidden, layers=layers, epochs=epochs, lr=lr, batch_size=batch_size,
                         window=window, burn_in=int(context) - 1, patience=patience,
                         val_fraction=val_fraction,
                         clip=clip, dropout=dropout, weight_decay=weight_decay, seed=seed, threads=threads,
                         sqrt=sqrt, smooth=smooth, zscore=zscore, pca=pca, show_progress=show_progress)

    def params(self) -> dict[str, Any]:
        p = super().params()
        del p["burn_in"]
        return {**p, "heads": self.heads, "context": self.context, "mask_ratio": self.mask_ratio,
                "recon_weight": self.recon_weight}

    # -- the network ---------------------------------------------------------------------------
    def _network(self, n_in: int, n_out: int) -> Any:
        return _build_ndt(n_in, self.hidden, self.layers, self.heads, self.context, n_out, self.dropout)

    def _batch_loss(self, torch: Any, net: Any, z: Any, t: Any) -> Any:
        """Velocity MSE on fully-contexted bins plus reconstruction MSE of the hidden input bins."""
        hidden = torch.rand(z.shape[:2]) < self.mask_ratio
        out, recon = net(z.masked_fill(hidden[..., None], 0.0))
        loss = torch.mean((out[:, self.burn_in :] - t[:, self.burn_in :]) ** 2)
        if self.recon_weight and bool(hidden.any()):
            loss = loss + self.recon_weight * torch.mean((recon[hidden] - z[hidden]) ** 2)
        return loss

    def _run(self, net: Any, z: Any) -> Any:
        """Outputs of a whole sequence from rest (zeros before it), in overlapping segments."""
        torch = import_torch()
        c, total = self.context, z.shape[1]
        padded = torch.cat([torch.zeros(1, c - 1, z.shape[2], dtype=z.dtype), z], dim=1)
        parts = []
        for s in range(0, total, _SEGMENT):
            e = min(total, s + _SEGMENT)
            out, _ = net(padded[:, s : e + c - 1])
            parts.append(out[:, c - 1 :])
        return torch.cat(parts, dim=1)

    # -- online ----------------------------------------------------------------------------------
    def _load_online(self, weights: dict[str, np.ndarray]) -> None:
        w = {k: np.ascontiguousarray(v) for k, v in weights.items()}
        self._w = w
        lags = np.arange(self.context)[:, None] - np.arange(self.context)[None, :]
        mask = np.where(lags >= 0, 0.0, -np.inf)  # within the context every lag is < context
        lag = np.clip(lags, 0, self.context - 1)
        self._bias = [w[f"blocks.{i}.rel_bias"][:, lag] + mask for i in range(self.layers)]

    def _step(self, x: np.ndarray) -> np.ndarray:
        ctx = self._push(x)
        w, c, d, nh = self._w, self.context, self.hidden, self.heads
        dh = d // nh
        h = ctx @ w["embed.weight"].T + w["embed.bias"]
        for i in range(self.layers):
            p = f"blocks.{i}."
            normed = _layer_norm(h, w[p + "norm1.weight"], w[p + "norm1.bias"])
            qkv = normed @ w[p + "qkv.weight"].T + w[p + "qkv.bias"]
            q, k, v = qkv.reshape(c, 3, nh, dh).transpose(1, 2, 0, 3)
            rows = slice(-1, None) if i == self.layers - 1 else slice(None)  # the last layer: last bin only
            att = q[:, rows] @ k.transpose(0, 2, 1) / math.sqrt(dh) + self._bias[i][:, rows]
            att = np.exp(att - att.max(axis=-1, keepdims=True))
            att /= att.sum(axis=-1, keepdims=True)
            y = (att @ v).transpose(1, 0, 2).reshape(-1, d)
            h = h[rows] + y @ w[p + "proj.weight"].T + w[p + "proj.bias"]
            f = np.maximum(_layer_norm(h, w[p + "norm2.weight"], w[p + "norm2.bias"]) @ w[p + "ff1.weight"].T
                           + w[p + "ff1.bias"], 0.0)
            h = h + f @ w[p + "ff2.weight"].T + w[p + "ff2.bias"]
        last = _layer_norm(h[-1], w["norm.weight"], w["norm.bias"])
        return (w["out.weight"] @ last + w["out.bias"]) * self.y_scale + self.y_mean
