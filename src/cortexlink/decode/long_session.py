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

import time
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

    def mean_r2(self, since_s: float = 0.0) -> float:
        """R^2 of decoded against intended velocity, averaged over the blocks from ``since_s`` on
        (the last block if none starts that late)."""
        chosen = [b.r2 for b in self.blocks if b.start_s >= since_s - 1e-9]
        chosen = chosen or [b.r2 for b in self.blocks[-1:]]
        return float(np.mean(chosen)) if chosen else float("nan")

    def kept(self, last_s: float = 600.0) -> float:
        """Targets/min over the blocks of the last ``last_s`` as a fraction of the first block's
        (the issue's goal: >= 0.9 adapted, < 0.5 fixed, over the last 10 minutes)."""
        if len(self.blocks) < 2 or not self.blocks[0].targets_per_minute > 0:
            return float("nan")
        return self.mean_targets_per_minute(self.tail_start(last_s)) / self.blocks[0].targets_per_minute

    def tail_start(self, last_s: float = 600.0) -> float:
        """Where the blocks of the last ``last_s`` begin (never before the second block)."""
        if not self.blocks:
            return 0.0
        second = self.blocks[min(1, len(self.blocks) - 1)].start_s
        return max(self.blocks[-1].end_s - last_s, second)


class ClosedLoopSession:
    """One simulated session, stepped one bin at a time (``long_session`` runs it to the end).

    The subject, the task and the decoder's calibration are all drawn from ``seed``, so sessions
    of different adaptation modes with the same seed start from the same subject and decoder.
    """

    def __init__(self, duration_s: float = 1800.0, adaptation: str = "fixed", decoder: str = "kalman",
                 params: Mapping[str, Any] | None = None, n_channels: int = 96, bin_s: float = 0.02,
                 calibration_s: float = 60.0, batch_s: float = 60.0, keep: float = 0.5,
                 block_s: float = 300.0, n_faults: int = 10, drift: DriftConfig | None = None,
                 label_speed: str = "task", seed: int = 0) -> None:
        if adaptation not in ADAPTATIONS:
            raise InvalidParameterError(
                f"unknown adaptation {adaptation!r}; choose one of {', '.join(ADAPTATIONS)}")
        if not (0 < calibration_s < duration_s and 0 < block_s and 0 < bin_s < batch_s):
            raise InvalidParameterError(
                "need 0 < calibration_s < duration_s, block_s > 0 and bin_s < batch_s")
        if drift is None:
            faults = scheduled_faults(n_channels, duration_s, n_faults, seed)
            drift = DriftConfig.for_session(duration_s, faults)
        self.bin_s, self.calibration_s = float(bin_s), float(calibration_s)
        self.pop = DriftingPopulation(n_channels, bin_s, drift=drift, seed=seed)
        self.task = task = CursorTask(seed=seed)
        self.decoder = dec = make_decoder(decoder, **dict(params or {"n_lags": 1}))
        n_cal = int(round(calibration_s / bin_s))
        X, Y = np.empty((n_channels, n_cal)), np.empty((2, n_cal))
        for k in range(n_cal):  # open loop: the cursor follows the intention
            v = np.array(task.intended_velocity())
            X[:, k], Y[:, k] = self.pop.counts(v[:, None])[:, 0], v
            task.step(v[0], v[1], bin_s)
        dec.fit(X, Y)
        speed = (task.config.max_speed, task.config.approach_gain) if label_speed == "task" else None
        self.adapter = ClosedLoopAdapter(adaptation, int(round(batch_s / bin_s)), keep, speed)
        self.result = LongSessionResult(adaptation, decoder, calibration_s=calibration_s)
        self.per_block = int(round(block_s / bin_s))
        self.n_bins = int(round((duration_s - calibration_s) / bin_s))
        self.k = 0
        task.reset_metrics()
        self._decoded, self._intended = np.empty((2, self.per_block)), np.empty((2, self.per_block))

    @property
    def done(self) -> bool:
        return self.k >= self.n_bins

    def step(self) -> None:
        """One closed-loop bin: the subject's counts, the decoder's velocity, the cursor's move,
        and (every batch) the decoder's adaptation; a block's figures at its last bin."""
        task, k = self.task, self.k
        intended = np.array(task.intended_velocity())
        x = self.pop.counts(intended[:, None])[:, 0]
        v = self.decoder.step(x)
        cursor, target, holding = (task.x, task.y), task.target, task.holding
        task.step(float(v[0]), float(v[1]), self.bin_s)
        self.adapter.add(self.decoder, x, v, cursor, target, holding)
        j = k % self.per_block
        self._decoded[:, j], self._intended[:, j] = v, intended
        self.k = k = k + 1
        if j == self.per_block - 1 or k == self.n_bins:
            end = self.calibration_s + k * self.bin_s
            start = self.calibration_s + (k - j - 1) * self.bin_s
            r2 = r2_score(self._intended[:, : j + 1], self._decoded[:, : j + 1], pooled=True)
            self.result.blocks.append(SessionBlock(start, end, task.metrics.targets_per_minute, float(r2)))
            task.reset_metrics()
        self.result.updates = self.adapter.updates


def long_session(duration_s: float = 1800.0, adaptation: str = "fixed", show_progress: bool = False,
                 **session: Any) -> LongSessionResult:
    """Run one simulated session (see the module docstring and ``ClosedLoopSession`` for the
    options); blocks start after calibration."""
    run = ClosedLoopSession(duration_s, adaptation, **session)
    for _ in progress(range(run.n_bins), run.n_bins, f"session ({adaptation})", enabled=show_progress):
        run.step()
    return run.result


def compare_adaptations(modes: tuple[str, ...] = ADAPTATIONS, speed: float | str = "max",
                        show_progress: bool = False, **session: Any) -> list[LongSessionResult]:
    """The same simulated session (same seed, same subject) run once per adaptation mode.

    ``speed``: ``"max"`` runs as fast as the machine allows; a number runs that many simulated
    seconds per second of wall clock (1: real time), all modes side by side, bin by bin. The
    figures are the same at any speed: the session is a function of its seed alone.
    """
    unknown = [m for m in modes if m not in ADAPTATIONS]
    if unknown or not modes:
        raise InvalidParameterError(f"choose adaptations among {', '.join(ADAPTATIONS)}, got {list(modes)}")
    factor = session_speed(speed)
    runs = [ClosedLoopSession(adaptation=m, **session) for m in modes]
    n_bins, bin_s = runs[0].n_bins, runs[0].bin_s
    if factor is None:
        for run in runs:
            for _ in progress(range(n_bins), n_bins, f"session ({run.result.adaptation})",
                              enabled=show_progress):
                run.step()
        return [run.result for run in runs]
    start = time.monotonic()
    for k in progress(range(n_bins), n_bins, "session (paced)", enabled=show_progress):
        for run in runs:
            run.step()
        ahead = start + (k + 1) * bin_s / factor - time.monotonic()
        if ahead > 0:
            time.sleep(ahead)
    return [run.result for run in runs]


def session_speed(speed: float | str) -> float | None:
    """``speed`` as simulated seconds per wall-clock second, or None for ``"max"``."""
    if isinstance(speed, str) and speed.strip().lower() == "max":
        return None
    try:
        factor = float(speed)
    except (TypeError, ValueError):
        factor = float("nan")
    if not factor > 0 or not np.isfinite(factor):
        raise InvalidParameterError(f"speed must be 'max' or a positive factor of real time (1: real time), "
                                    f"got {speed!r}")
    return factor


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
