"""A long closed-loop session with drift and electrode faults: fixed versus adaptive decoders.

The subject (``cortexlink.sim.drifting.DriftingPopulation``: tuned channels whose baselines
wander, whose spikes shrink, whose units turn over, and some of which die or turn noisy) steers a
cursor in the centre-out task (``cortexlink.sim.cursor_task``). A decoder is calibrated on an
open-loop block, then drives the cursor for the rest of the session, either fixed or adapted
every ``batch_s`` from ReFIT labels (``cortexlink.decode.adaptation``). Every ``block_s`` the
targets per minute and the R^2 of decoded against intended velocity are recorded.
The whole session is a function of its seed, so the three modes see the same subject::

    from cortexlink.decode.long_session import long_session
    result = long_session(duration_s=1800, adaptation="smoothbatch")
    result.rows()   # per 5-minute block: targets/min, R^2
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cortexlink.core.errors import InvalidParameterError
from cortexlink.core.metrics import r2_score
from cortexlink.core.progress import progress
from cortexlink.decode.adaptation import ADAPTATIONS, ClosedLoopAdapter
from cortexlink.decode.registry import make_decoder
from cortexlink.sim.cursor_task import CursorTask
from cortexlink.sim.drifting import DriftConfig, DriftingPopulation, scheduled_faults


@dataclass
class SessionBlock:
    """One block of the closed-loop part: ``start_s`` to ``end_s``."""

    start_s: float
    end_s: float
    targets_per_minute: float
    r2: float


@dataclass
class LongSessionResult:
    """Per-block figures of one session, and how often the decoder was adapted."""

    adaptation: str
    decoder: str
    blocks: list[SessionBlock] = field(default_factory=list)
    updates: int = 0
    calibration_s: float = 0.0

    def rows(self) -> list[dict[str, Any]]:
        return [{"adaptation": self.adaptation, "block": f"{b.start_s / 60:.3g}-{b.end_s / 60:.3g} min",
                 "targets/min": b.targets_per_minute, "R2": b.r2} for b in self.blocks]

    def mean_targets_per_minute(self, since_s: float = 0.0) -> float:
        """Targets per minute over the blocks that start at or after ``since_s``."""
        chosen = [b.targets_per_minute for b in self.blocks if b.start_s >= since_s - 1e-9]
        return float(np.mean(chosen)) if chosen else float("nan")


def long_session(duration_s: float = 1800.0, adaptation: str = "fixed", decoder: str = "kalman",
                 params: Mapping[str, Any] | None = None, n_channels: int = 96, bin_s: float = 0.02,
                 calibration_s: float = 60.0, batch_s: float = 60.0, keep: float = 0.5,
                 block_s: float = 300.0, n_faults: int = 10, drift: DriftConfig | None = None,
                 label_speed: str = "task", seed: int = 0, show_progress: bool = False) -> LongSessionResult:
    """Run one simulated session (see the module docstring); blocks start after calibration."""
    if adaptation not in ADAPTATIONS:
        raise InvalidParameterError(
            f"unknown adaptation {adaptation!r}; choose one of {', '.join(ADAPTATIONS)}")
    if not (0 < calibration_s < duration_s and 0 < block_s and 0 < bin_s < batch_s):
        raise InvalidParameterError("need 0 < calibration_s < duration_s, block_s > 0 and bin_s < batch_s")
    if drift is None:
        faults = scheduled_faults(n_channels, duration_s, n_faults, seed)
        drift = DriftConfig(decay_s=duration_s, faults=faults)
    pop = DriftingPopulation(n_channels, bin_s, drift=drift, seed=seed)
    task = CursorTask(seed=seed)
    dec = make_decoder(decoder, **dict(params or {"n_lags": 1}))
    n_cal = int(round(calibration_s / bin_s))
    X, Y = np.empty((n_channels, n_cal)), np.empty((2, n_cal))
    for k in range(n_cal):  # open loop: the cursor follows the intention
        v = np.array(task.intended_velocity())
        X[:, k], Y[:, k] = pop.counts(v[:, None])[:, 0], v
        task.step(v[0], v[1], bin_s)
    dec.fit(X, Y)
    speed = (task.config.max_speed, task.config.approach_gain) if label_speed == "task" else None
    adapter = ClosedLoopAdapter(adaptation, int(round(batch_s / bin_s)), keep, speed)
    result = LongSessionResult(adaptation, decoder, calibration_s=calibration_s)
    per_block = int(round(block_s / bin_s))
    n_closed = int(round((duration_s - calibration_s) / bin_s))
    task.reset_metrics()
    decoded_log, intended_log = np.empty((2, per_block)), np.empty((2, per_block))
    start = calibration_s
    for k in progress(range(n_closed), n_closed, f"session ({adaptation})", enabled=show_progress):
        intended = np.array(task.intended_velocity())
        x = pop.counts(intended[:, None])[:, 0]
        v = dec.step(x)
        cursor, target, holding = (task.x, task.y), task.target, task.holding
        task.step(float(v[0]), float(v[1]), bin_s)
        adapter.add(dec, x, v, cursor, target, holding)
        j = k % per_block
        decoded_log[:, j], intended_log[:, j] = v, intended
        if j == per_block - 1 or k == n_closed - 1:
            end = calibration_s + (k + 1) * bin_s
            r2 = r2_score(intended_log[:, : j + 1], decoded_log[:, : j + 1], pooled=True)
            result.blocks.append(SessionBlock(start, end, task.metrics.targets_per_minute, float(r2)))
            task.reset_metrics()
            start = end
    result.updates = adapter.updates
    return result


def compare_adaptations(modes: tuple[str, ...] = ADAPTATIONS, **session: Any) -> list[LongSessionResult]:
    """The same simulated session (same seed, same subject) run once per adaptation mode."""
    unknown = [m for m in modes if m not in ADAPTATIONS]
    if unknown or not modes:
        raise InvalidParameterError(f"choose adaptations among {', '.join(ADAPTATIONS)}, got {list(modes)}")
    return [long_session(adaptation=m, **session) for m in modes]


def plot_long_session(results: list[LongSessionResult], out_dir: str | Path) -> Path:
    """``long_session.png`` in ``out_dir``: targets per minute and R^2 per block, one line per mode."""
    from cortexlink.core.optional import pyplot
    from cortexlink.core.paths import writable_folder

    out = writable_folder(out_dir)
    out.mkdir(exist_ok=True)
    plt = pyplot()
    fig, axes = plt.subplots(2, 1, figsize=(8, 5.5), sharex=True)
    for r in results:
        mid = [(b.start_s + b.end_s) / 120.0 for b in r.blocks]
        axes[0].plot(mid, [b.targets_per_minute for b in r.blocks], marker="o", label=r.adaptation)
        axes[1].plot(mid, [b.r2 for b in r.blocks], marker="o", label=r.adaptation)
    axes[0].set_ylabel("targets / min")
    axes[1].set_ylabel("R^2 decoded vs intended")
    axes[1].set_xlabel("session time (min)")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    path = out / "long_session.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
