"""Closed-loop decoder adaptation: what the subject meant, and how to learn from it while decoding.

In closed loop nobody knows the velocity the subject intended, but the task does know where the
target is. ReFIT (Gilja et al. 2012) relabels each decoded velocity as the same speed pointed
straight at the target, and zero while the cursor holds inside it; a decoder refitted on those
labels follows the subject's intention better than one fitted on open-loop data.
``refit_intention`` computes those labels. ``ClosedLoopAdapter`` collects decoded bins with their
labels and, every ``batch_s``, hands the decoder's ``adapt`` a batch: ``keep=0`` refits the
observation model on the latest batch alone (ReFIT-style), ``0 < keep < 1`` blends it with the
current one (SmoothBatch, Dangi et al. 2013). ``cortexlink.decode.long_session`` runs both, and a
fixed decoder, through a simulated long session with drift and electrode faults.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cortexlink.core.errors import InvalidParameterError
from cortexlink.decode.base import Decoder

ADAPTATIONS = ("fixed", "refit", "smoothbatch")


def refit_intention(decoded: np.ndarray, cursor: np.ndarray, target: np.ndarray,
                    holding: np.ndarray | bool, speed: tuple[float, float] | None = None) -> np.ndarray:
    """ReFIT labels ``(2, n)``: each decoded velocity ``(2, n)`` rotated towards the target; zero
    where the cursor is ``holding`` in the target. Positions are ``(2, n)``.

    ``speed=None`` keeps the decoded speed (Gilja et al. 2012). A decoder whose gain is falling
    (e.g. as spikes shrink) then learns its own slowness back; ``speed=(max_speed, gain)``
    instead labels the speed the task expects of a subject, ``min(max_speed, gain * distance)``.
    """
    def rows(a: np.ndarray) -> np.ndarray:
        return np.asarray(a, dtype=np.float64).reshape(2, -1)

    v = rows(decoded)
    to_target = rows(target) - rows(cursor)
    dist = np.hypot(*to_target)
    speed = np.hypot(*v) if speed is None else np.minimum(speed[0], speed[1] * dist)
    unit = np.divide(to_target, dist, out=np.zeros_like(to_target), where=dist > 0)
    out = unit * speed
    out[:, np.broadcast_to(np.asarray(holding, dtype=bool), dist.shape)] = 0.0
    return out


class ClosedLoopAdapter:
    """Collects closed-loop bins and their ReFIT labels; adapts the decoder every ``batch_bins``."""

    def __init__(self, mode: str, batch_bins: int, keep: float = 0.5,
                 speed: tuple[float, float] | None = None) -> None:
        if mode not in ADAPTATIONS:
            raise InvalidParameterError(
                f"unknown adaptation {mode!r}; choose one of {', '.join(ADAPTATIONS)}")
        if int(batch_bins) < 10:
            raise InvalidParameterError(f"an adaptation batch needs at least 10 bins, got {batch_bins}")
        self.mode = mode
        self.keep = 0.0 if mode == "refit" else float(keep)
        self.batch_bins = int(batch_bins)
        self.speed = speed
        self._X: list[np.ndarray] = []
        self._Y: list[np.ndarray] = []
        self.updates = 0

    def add(self, decoder: Decoder, x: np.ndarray, decoded: np.ndarray, cursor: Any, target: Any,
            holding: bool) -> bool:
        """Record one bin; True when this bin completed a batch and ``decoder`` was adapted."""
        if self.mode == "fixed":
            return False
        self._X.append(np.asarray(x, dtype=np.float64))
        self._Y.append(refit_intention(decoded, cursor, target, holding, self.speed)[:, 0])
        if len(self._X) < self.batch_bins:
            return False
        X, Y = np.stack(self._X, axis=1), np.stack(self._Y, axis=1)
        self._X, self._Y = [], []
        decoder.adapt(X, Y, keep=self.keep)
        self.updates += 1
        return True
