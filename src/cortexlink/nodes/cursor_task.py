"""``cursor_task``: the behavioural task that closes the loop.

Driven by the decoder's output (rows ``vx, vy, live``, one column per bin). While ``live`` is 0
(the open-loop calibration block) the cursor moves on the ideal path, i.e. with the subject's
intended velocity; once the decoder is live the cursor integrates the decoded velocity. Every
bin it writes the subject's intended velocity (towards the target) on ``intended``, which goes
back to the simulator as its behaviour and to the decoder as calibration labels, and the task
state on ``state``. It reports targets per minute, time to target and R^2 / correlation of
decoded vs intended velocity over the closed-loop part. The intended velocity each decoded bin
is compared with is the one that drove the simulator while that bin was recorded, read from the
optional feedback input ``behaviour`` (the simulator's behaviour stream); without it, the
intention the task last sent out.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import InvalidDataError
from cortexlink.core.metrics import correlation, r2_score
from cortexlink.core.streamspec import StreamSpec
from cortexlink.graph.node import Node
from cortexlink.nodes._labels import LabelHistory, bin_middle_s
from cortexlink.sim.cursor_task import CursorTask, CursorTaskConfig

_D = CursorTaskConfig  # defaults come from the task's own config
STATE_ROWS = ("x", "y", "target_x", "target_y", "decoded_vx", "decoded_vy", "intended_vx", "intended_vy",
              "live")


class VelocityPairs:
    """Growing log of (decoded, intended) velocity pairs, amortised O(1) appends."""

    def __init__(self, capacity: int = 8192) -> None:
        self._buf = np.empty((4, capacity))
        self.n = 0

    def add(self, dvx: float, dvy: float, ivx: float, ivy: float) -> None:
        if self.n == self._buf.shape[1]:
            self._buf = np.concatenate([self._buf, np.empty_like(self._buf)], axis=1)
        self._buf[:, self.n] = (dvx, dvy, ivx, ivy)
        self.n += 1

    @property
    def decoded(self) -> np.ndarray:
        return self._buf[:2, :self.n]

    @property
    def intended(self) -> np.ndarray:
        return self._buf[2:, :self.n]

    def r2(self) -> float:
        """R^2 of decoded against intended velocity, pooled over x and y."""
        return r2_score(self.intended, self.decoded, pooled=True) if self.n >= 2 else float("nan")

    def correlation(self) -> float:
        """Mean over x and y of the Pearson correlation of decoded and intended velocity."""
        if self.n < 2:
            return float("nan")
        return float(np.mean(correlation(self.intended, self.decoded)))


class CursorTaskNode(Node):
    """Targets, acquisition and hold; integrates decoded velocity; feeds back intended velocity."""

    kind = "cursor_task"
    feedback_inputs = ("behaviour",)
    outputs = ("intended", "state")

    @dataclass
    class Settings:
        target_distance: float = _D.target_distance
        n_targets: int = _D.n_targets
        target_radius: float = _D.target_radius
        hold_s: float = _D.hold_s
        timeout_s: float = _D.timeout_s
        max_speed: float = _D.max_speed
        approach_gain: float = _D.approach_gain
        workspace: float = _D.workspace
        seed: int = 0
        report_every_s: float = 1.0

        def __post_init__(self) -> None:
            self.task_config()  # checks the geometry now, before anything runs

        def task_config(self) -> CursorTaskConfig:
            return CursorTaskConfig(self.target_distance, self.n_targets, self.target_radius, self.hold_s,
                                    self.timeout_s, self.max_speed, self.approach_gain, self.workspace)

    @classmethod
    def describe_outputs(cls, settings: Any, input_specs: dict[str, StreamSpec]) -> dict[str, StreamSpec]:
        (spec,) = input_specs.values()
        n = spec.chunk_samples
        return {"intended": StreamSpec("intended", 2, spec.sample_rate, "float32", n),
                "state": StreamSpec("state", len(STATE_ROWS), spec.sample_rate, "float32", n)}

    def setup(self) -> None:
        self.task = CursorTask(self.settings.task_config(), seed=self.settings.seed)
        self.pairs = VelocityPairs()
        self._labels = LabelHistory() if "behaviour" in self.context.feedback_specs else None
        self.unlabelled = 0
        self.live = False
        self.calibration_s = 0.0
        self._intended = self.task.intended_velocity()
        self._next_report = time.monotonic() + self.settings.report_every_s

    def process(self, inputs: dict[str, Chunk]) -> dict[str, Chunk]:
        chunk = inputs["in"]
        data = chunk.data
        if data.ndim != 2 or data.shape[0] < 3:
            raise InvalidDataError(
                f"cursor_task expects the decoder's (vx, vy, live) rows, got a chunk of shape {data.shape}"
            )
        n = data.shape[1]
        dt = 1.0 / chunk.sample_rate
        intended = np.empty((2, n), dtype=np.float32)
        state = np.empty((len(STATE_ROWS), n), dtype=np.float32)
        task = self.task
        labels = self._labels
        if labels is not None:
            labels.add(self.context.latest("behaviour"))
        for k in range(n):
            dvx, dvy, live = float(data[0, k]), float(data[1, k]), data[2, k] > 0.5
            ivx, ivy = self._intended  # what the subject intended while this bin was recorded
            if live and not self.live:
                self.live = True
                self.calibration_s = task.time_s
                task.reset_metrics()
                self.context.info(f"closed-loop control from t = {task.time_s:.2f} s")
            if live:
                truth = (ivx, ivy) if labels is None else labels.at(bin_middle_s(chunk, k))
                if truth is None:
                    self.unlabelled += 1
                else:
                    self.pairs.add(dvx, dvy, truth[0], truth[1])
                task.step(dvx, dvy, dt)
            else:
                task.step(ivx, ivy, dt)
            self._intended = task.intended_velocity()
            intended[0, k], intended[1, k] = self._intended
            state[:, k] = (task.x, task.y, task.target[0], task.target[1], dvx, dvy, ivx, ivy, float(live))
        if time.monotonic() >= self._next_report:
            self._next_report += self.settings.report_every_s
            self.context.report(self.summary())
        return {"intended": chunk.derive(intended), "state": chunk.derive(state)}

    def summary(self) -> dict[str, Any]:
        """Closed-loop performance so far (zeros and NaN before the decoder goes live)."""
        m = self.task.metrics
        ttt = m.mean_time_to_target
        return {
            "closed_loop_s": round(m.elapsed_s, 2) if self.live else 0.0,
            "targets_acquired": m.acquired if self.live else 0,
            "targets_failed": m.failed if self.live else 0,
            "targets_per_min": round(m.targets_per_minute, 2) if self.live else 0.0,
            "time_to_target_s": round(ttt, 3) if self.live and math.isfinite(ttt) else None,
            "velocity_r2": round(self.pairs.r2(), 3) if self.pairs.n >= 2 else None,
            "velocity_corr": round(self.pairs.correlation(), 3) if self.pairs.n >= 2 else None,
        }

    def shutdown(self) -> None:
        self.context.report(self.summary())
