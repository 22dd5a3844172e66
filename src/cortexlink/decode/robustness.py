"""How much decoding survives losing channels at test time: masked versus zero-filled.

An electrode that dies after calibration sends zeros (or garbage). Zero-filling feeds that to a
decoder fitted on live data; masking tells the decoder, which then re-solves its weights for the
channels that are left (Kalman, Wiener) or holds the dead ones at their training mean (others; the
networks also refit their read-out on their calibration data without them).
``channel_loss`` fits each decoder once on the first part of a data set and scores the rest with
random subsets of channels removed, both ways::

    rows = channel_loss("contdata95.mat", ["wiener", "kalman"], fractions=(0, 0.1, 0.25, 0.5))
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from cortexlink.core.errors import InvalidParameterError
from cortexlink.core.metrics import r2_score
from cortexlink.core.progress import progress
from cortexlink.decode.evaluate import MotorSource, checked_settings, motor_data, targets_for
from cortexlink.decode.registry import CLASSIFIERS, make_decoder


@dataclass
class ChannelLossRow:
    """Mean R^2 (over outputs and draws) of one decoder with ``fraction`` of its channels lost."""

    decoder: str
    fraction: float
    n_lost: int
    r2_masked: float
    r2_zero_filled: float

    def row(self) -> dict[str, Any]:
        return {
            "decoder": self.decoder, "lost": f"{self.fraction:.0%}", "channels lost": self.n_lost,
            "R2 masked": self.r2_masked, "R2 zero-filled": self.r2_zero_filled,
        }


def channel_loss(
    data: MotorSource,
    decoders: Sequence[str],
    fractions: Sequence[float] = (0.0, 0.1, 0.25, 0.5),
    draws: int = 5,
    train_fraction: float = 0.8,
    settings: Mapping[str, Any] | None = None,
    seed: int = 0,
    show_progress: bool = False,
) -> list[ChannelLossRow]:
    """Fit each decoder on the first ``train_fraction`` of the bins, then decode the rest with
    ``draws`` random sets of ``fraction`` of the channels lost, masked and zero-filled."""
    if any(not 0.0 <= f < 1.0 for f in fractions):
        raise InvalidParameterError(f"fractions of channels lost must lie in [0, 1), got {list(fractions)}")
    if int(draws) < 1 or not 0.0 < train_fraction < 1.0:
        raise InvalidParameterError("need draws >= 1 and 0 < train_fraction < 1")
    bad = [n for n in decoders if n in CLASSIFIERS]
    if bad:
        raise InvalidParameterError(f"channel_loss scores regression decoders; {bad} are classifiers")
    params = checked_settings(decoders, settings)
    data = motor_data(data)
    split = int(data.n_bins * train_fraction)
    X, n = data.X, data.X.shape[0]
    rng = np.random.default_rng(seed)
    subsets = {f: [rng.choice(n, round(f * n), replace=False) for _ in range(int(draws))] for f in fractions}
    rows = []
    for name in progress(list(decoders), len(decoders), "channel loss", enabled=show_progress):
        Y = targets_for(name, data)
        dec = make_decoder(name, **params[name]).fit(X[:, :split], Y[:, :split])
        Xte, Yte = X[:, split:], Y[:, split:]
        for f in fractions:
            masked, zeroed = [], []
            for lost in subsets[f]:
                Xz = Xte.copy()
                Xz[lost] = 0.0
                dec.set_channel_mask([])
                zeroed.append(float(np.mean(r2_score(Yte, dec.predict(Xz)))))
                dec.set_channel_mask(lost)
                masked.append(float(np.mean(r2_score(Yte, dec.predict(Xz)))))
            dec.set_channel_mask([])
            rows.append(ChannelLossRow(name, float(f), int(round(f * n)), float(np.mean(masked)),
                                       float(np.mean(zeroed))))
    return rows
