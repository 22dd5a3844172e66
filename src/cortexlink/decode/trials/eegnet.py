"""EEGNet (Lawhern et al. 2018, EEGNet-F1,D with F2 = F1 * D) in PyTorch, for any channel count,
trial length and sample rate.

The published architecture, with its kernel lengths scaled from the paper's 128 Hz to the data's
rate (temporal kernel half a second, separable kernel an eighth): temporal convolution (F1
filters) -> batch norm -> depthwise spatial convolution over all channels (D per filter, max
norm 1) -> batch norm -> ELU -> average pool 4 -> dropout -> separable convolution (F2) -> batch
norm -> ELU -> average pool 8 -> dropout -> dense layer (max norm 0.25). The dense layer sees
``F2 * (n_samples // 32)`` values, so trials need at least 32 samples.

Training: Adam, cross-entropy, a stratified validation split of the training trials, early
stopping on the validation loss (the best weights are kept), everything seeded. Calibration on
a new session re-centres it and fine-tunes only the dense layer on the labelled trials.
PyTorch is the ``torch`` extra.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cortexlink.core.errors import InvalidDataError, InvalidParameterError
from cortexlink.decode.recurrent import import_torch
from cortexlink.decode.threads import check_threads, torch_threads
from cortexlink.decode.trials.base import TrialClassifier, register_trial_kind

POOL = 4 * 8  # the two average pools


def kernel_lengths(sample_rate: float) -> tuple[int, int]:
    """Temporal and separable kernel lengths: the paper's 64 and 16 samples at 128 Hz, scaled."""
    return max(2, int(round(sample_rate / 2))), max(2, int(round(sample_rate / 8)))


def _same(kernel: int) -> tuple[int, int, int, int]:
    """Zero padding (left, right, top, bottom) that keeps the length through a ``(1, kernel)``
    convolution (Keras' "same"; explicit, as torch warns about its own for even kernels)."""
    left = (kernel - 1) // 2
    return (left, kernel - 1 - left, 0, 0)


def build_eegnet(
    n_channels: int,
    n_samples: int,
    n_classes: int,
    sample_rate: float,
    F1: int = 8,
    D: int = 2,
    dropout: float = 0.5,
) -> Any:
    """The EEGNet module: ``(batch, 1, n_channels, n_samples)`` in, logits ``(batch, n_classes)`` out."""
    if n_samples < POOL:
        raise InvalidDataError(
            f"EEGNet needs trials of at least {POOL} samples (two pools of 4 and 8), got {n_samples}"
        )
    torch = import_torch()
    nn = torch.nn
    k1, k2 = kernel_lengths(sample_rate)
    F2 = F1 * D

    class EEGNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.pad1 = nn.ZeroPad2d(_same(k1))
            self.temporal = nn.Conv2d(1, F1, (1, k1), bias=False)
            self.bn1 = nn.BatchNorm2d(F1)
            self.spatial = nn.Conv2d(F1, F2, (n_channels, 1), groups=F1, bias=False)
            self.bn2 = nn.BatchNorm2d(F2)
            self.pool1 = nn.AvgPool2d((1, 4))
            self.pad2 = nn.ZeroPad2d(_same(k2))
            self.separable_depth = nn.Conv2d(F2, F2, (1, k2), groups=F2, bias=False)
            self.separable_point = nn.Conv2d(F2, F2, 1, bias=False)
            self.bn3 = nn.BatchNorm2d(F2)
            self.pool2 = nn.AvgPool2d((1, 8))
            self.drop = nn.Dropout(dropout)
            self.dense = nn.Linear(F2 * (n_samples // POOL), n_classes)
            self.elu = nn.ELU()

        def forward(self, x: Any) -> Any:
            x = self.bn1(self.temporal(self.pad1(x)))
            x = self.drop(self.pool1(self.elu(self.bn2(self.spatial(x)))))
            x = self.bn3(self.separable_point(self.separable_depth(self.pad2(x))))
            x = self.drop(self.pool2(self.elu(x)))
            return self.dense(x.flatten(1))

        def constrain(self) -> None:
            """The paper's max-norm constraints: 1 on spatial filters, 0.25 on the dense layer."""
            with torch.no_grad():
                self.spatial.weight.copy_(torch.renorm(self.spatial.weight, 2, 0, 1.0))
                self.dense.weight.copy_(torch.renorm(self.dense.weight, 2, 0, 0.25))

    return EEGNet()


@register_trial_kind
class EEGNet(TrialClassifier):
    """EEGNet-8,2 trained with early stopping; see the module docstring."""

    kind = "eegnet"
    container = "safetensors"

    def __init__(
        self,
        F1: int = 8,
        D: int = 2,
        dropout: float = 0.5,
        lr: float = 1e-3,
        batch_size: int = 16,
        max_epochs: int = 200,
        patience: int = 30,
        val_fraction: float = 0.2,
        finetune_epochs: int = 40,
        seed: int = 0,
        align: str = "riemann",
        threads: int | None = 1,
    ) -> None:
        import_torch()
        super().__init__(align)
        if min(int(F1), int(D), int(batch_size), int(max_epochs), int(patience)) < 1:
            raise InvalidParameterError("F1, D, batch_size, max_epochs and patience must be at least 1")
        if not 0 <= float(dropout) < 1 or not float(lr) > 0 or not 0 < float(val_fraction) < 0.5:
            raise InvalidParameterError("need 0 <= dropout < 1, lr > 0 and 0 < val_fraction < 0.5")
        self.F1, self.D, self.dropout, self.lr = int(F1), int(D), float(dropout), float(lr)
        self.batch_size, self.max_epochs, self.patience = int(batch_size), int(max_epochs), int(patience)
        self.val_fraction, self.finetune_epochs, self.seed = (
            float(val_fraction),
            int(finetune_epochs),
            int(seed),
        )
        self.threads = check_threads(threads)
        self.history: list[tuple[float, float]] = []

    def params(self) -> dict[str, Any]:
        return {
            "F1": self.F1,
            "D": self.D,
            "dropout": self.dropout,
            "lr": self.lr,
            "batch_size": self.batch_size,
            "max_epochs": self.max_epochs,
            "patience": self.patience,
            "val_fraction": self.val_fraction,
            "finetune_epochs": self.finetune_epochs,
            "seed": self.seed,
            "align": self.align,
            "threads": self.threads,
        }

    def _network(self) -> Any:
        return build_eegnet(
            len(self.channel_names_),
            self.n_samples_,
            len(self.classes_),
            self.sample_rate_,
            self.F1,
            self.D,
            self.dropout,
        )

    def _tensor(self, X: np.ndarray) -> Any:
        torch = import_torch()
        if X.shape[2] != self.n_samples_:
            raise InvalidDataError(
                f"EEGNet was fitted on trials of {self.n_samples_} samples, got {X.shape[2]}"
            )
        return torch.from_numpy(np.ascontiguousarray(X[:, None] / self.scale, dtype=np.float32))

    def _split(self, y: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        val = []
        for c in np.unique(y):
            idx = rng.permutation(np.flatnonzero(y == c))
            val.extend(idx[: max(1, int(round(self.val_fraction * idx.size)))])
        val = np.sort(np.array(val))
        return np.setdiff1d(np.arange(y.size), val), val

    def _fit(self, X: np.ndarray, y: np.ndarray) -> None:
        torch = import_torch()
        self.scale = float(np.std(X)) or 1.0
        rng = np.random.default_rng(self.seed)
        train, val = self._split(y, rng)
        if train.size < 2:
            raise InvalidDataError("too few trials to train EEGNet with a validation split")
        with torch_threads(self.threads):
            torch.manual_seed(self.seed)
            net = self._network()
            self.net = self._train(
                net, net.parameters(), self._tensor(X), torch.from_numpy(y), train, val, self.max_epochs, rng
            )

    def _train(
        self,
        net: Any,
        params: Any,
        Xt: Any,
        yt: Any,
        train: np.ndarray,
        val: np.ndarray | None,
        epochs: int,
        rng: np.random.Generator,
    ) -> Any:
        torch = import_torch()
        opt = torch.optim.Adam(params, lr=self.lr)
        loss_fn = torch.nn.CrossEntropyLoss()
        best, best_state, stale = np.inf, None, 0
        self.history = []
        for _ in range(epochs):
            net.train()
            if val is None:  # fine-tuning: keep the batch-norm statistics of the training data
                for m in net.modules():
                    if isinstance(m, torch.nn.BatchNorm2d):
                        m.eval()
            order = rng.permutation(train)
            losses = []
            for b in range(0, order.size, self.batch_size):
                sel = torch.from_numpy(order[b : b + self.batch_size])
                if sel.numel() < 2:  # batch norm needs two trials
                    continue
                loss = loss_fn(net(Xt[sel]), yt[sel])
                opt.zero_grad()
                loss.backward()
                opt.step()
                net.constrain()
                losses.append(float(loss.detach()))
            if val is None:
                continue
            net.eval()
            with torch.no_grad():
                v = float(loss_fn(net(Xt[torch.from_numpy(val)]), yt[torch.from_numpy(val)]))
            self.history.append((float(np.mean(losses)) if losses else np.nan, v))
            if v < best - 1e-4:
                best, stale = v, 0
                best_state = {k: t.detach().clone() for k, t in net.state_dict().items()}
            else:
                stale += 1
                if stale >= self.patience:
                    break
        if best_state is not None:
            net.load_state_dict(best_state)
        net.eval()
        return net

    def _adapt(self, X: np.ndarray, y: np.ndarray) -> None:
        torch = import_torch()
        if self.finetune_epochs == 0 or y.size < 2:
            return
        rng = np.random.default_rng(self.seed + 1)
        with torch_threads(self.threads):
            torch.manual_seed(self.seed + 1)
            self._train(
                self.net,
                self.net.dense.parameters(),
                self._tensor(X),
                torch.from_numpy(y),
                np.arange(y.size),
                None,
                self.finetune_epochs,
                rng,
            )
        self.net.eval()

    def _proba(self, X: np.ndarray) -> np.ndarray:
        torch = import_torch()
        with torch_threads(self.threads), torch.no_grad():
            return torch.softmax(self.net(self._tensor(X)), dim=1).double().numpy()

    def _state(self) -> dict[str, np.ndarray]:
        out = {f"net.{k}": v.detach().numpy() for k, v in self.net.state_dict().items()}
        return {**out, "scale": np.array([self.scale])}

    def _restore(self, arrays: dict[str, np.ndarray]) -> None:
        torch = import_torch()
        self.scale = float(arrays["scale"][0])
        net = self._network()
        try:
            net.load_state_dict(
                {k[4:]: torch.from_numpy(np.array(v)) for k, v in arrays.items() if k.startswith("net.")}
            )
        except RuntimeError as exc:
            raise ValueError(f"EEGNet weights do not fit the network ({str(exc).splitlines()[0]})") from None
        net.eval()
        self.net = net
