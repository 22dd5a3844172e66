"""``sim_source``: a simulated monkey with one or more implanted arrays, paced in real time.

Output ``out``: the arrays' channels stacked into one int16 stream. Output ``behaviour``: the
velocity (cm/s, rows vx, vy) that drove each ``generate_ms`` block, one column per block, each
chunk repeating the last ``BEHAVIOUR_HISTORY`` blocks so a reader polling it as feedback misses
none; it is the ground-truth label of every bin (see ``cortexlink.nodes._labels``).

Each array is a ``MotorSimulator`` (96 channels at 30 kHz by default, two arrays as in BRAND's
Fig. 3 setup); their channels are stacked into one int16 stream. The behaviour that drives the
units comes from the feedback input ``velocity`` (the cursor task's intended velocity, which
closes the loop), read once per ``generate_ms`` block (when the block is made, half a block
before it starts); without feedback the simulator's own
``task`` drives them (or nothing, with ``task: null``). Chunks of ``chunk_ms`` are released
when their last sample is due and stamped ``origin_ns`` then, as an acquisition system would.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import InvalidParameterError
from cortexlink.core.streamspec import StreamSpec
from cortexlink.graph.node import SourceNode
from cortexlink.nodes.pacing import Pacer

ARRAY_SEED_STRIDE = 7919
BEHAVIOUR_HISTORY = 8


class SimSource(SourceNode):
    """Simulated multi-array recording with the closed-loop hook on feedback port ``velocity``."""

    kind = "sim_source"
    feedback_inputs = ("velocity",)
    outputs = ("out", "behaviour")

    @dataclass
    class Settings:
        n_arrays: int = 2
        channels_per_array: int = 96
        sample_rate: float = 30000.0
        chunk_ms: float = 1.0               # chunk released to the graph
        generate_ms: float = 10.0           # behaviour updated and signal made this often
        seed: int = 0
        task: Literal["center_out", "pursuit"] | None = None   # behaviour without feedback
        realtime: bool = True
        duration_s: float | None = None     # stop after this much signal (None: until stopped)
        # electrode faults: {kind: dead|saturation|drift, channel (0..n_arrays*channels_per_array-1),
        # start_s, and for drift ramp_s, final_gain, offset_uv} (see cortexlink.sim.faults.Fault)
        faults: list[dict[str, Any]] = field(default_factory=list)

        def __post_init__(self) -> None:
            if self.n_arrays < 1 or self.channels_per_array < 1:
                raise InvalidParameterError("n_arrays and channels_per_array must be at least 1")
            if not self.sample_rate > 0:
                raise InvalidParameterError(f"sample_rate must be positive, got {self.sample_rate}")
            if self.chunk_samples < 1:
                raise InvalidParameterError(f"chunk_ms={self.chunk_ms} is less than one sample")
            ratio = self.generate_ms / self.chunk_ms
            if ratio < 1 or abs(ratio - round(ratio)) > 1e-9:
                raise InvalidParameterError(
                    f"generate_ms ({self.generate_ms}) must be a whole multiple of chunk_ms ({self.chunk_ms})"
                )
            if self.seed < 0:
                raise InvalidParameterError(f"seed must be >= 0, got {self.seed}")
            if self.duration_s is not None and not self.duration_s > 0:
                raise InvalidParameterError(f"duration_s must be positive or null, got {self.duration_s}")
            self.array_faults()  # checks every fault now

        def array_faults(self) -> list[tuple[int, Any]]:
            """``(array index, Fault)`` for each configured fault, its channel local to the array."""
            from cortexlink.sim import Fault

            out = []
            for spec in self.faults:
                if not isinstance(spec, dict) or "channel" not in spec or "kind" not in spec:
                    raise InvalidParameterError(f"a fault needs at least kind and channel: {spec!r}")
                channel = int(spec["channel"])
                n = self.n_arrays * self.channels_per_array
                if not 0 <= channel < n:
                    raise InvalidParameterError(f"fault channel {channel} is outside 0..{n - 1}")
                a, local = divmod(channel, self.channels_per_array)
                try:
                    out.append((a, Fault(**{**spec, "site": f"array{a}", "channel": local})))
                except TypeError:
                    raise InvalidParameterError(f"fault {spec!r} has an unknown field") from None
            return out

        @property
        def chunk_samples(self) -> int:
            return int(round(self.chunk_ms * 1e-3 * self.sample_rate))

        @property
        def chunks_per_block(self) -> int:
            return int(round(self.generate_ms / self.chunk_ms))

    @classmethod
    def describe_outputs(cls, settings: Any, input_specs: dict[str, StreamSpec]) -> dict[str, StreamSpec]:
        n = settings.n_arrays * settings.channels_per_array
        return {"out": StreamSpec("out", n, settings.sample_rate, "int16", settings.chunk_samples),
                "behaviour": StreamSpec("behaviour", 2, 1000.0 / settings.generate_ms, "float32",
                                        BEHAVIOUR_HISTORY)}

    def setup(self) -> None:
        from cortexlink.sim import MotorSimulator, PopulationConfig
        from cortexlink.sim.faults import FaultSource

        s = self.settings
        config = PopulationConfig(n_channels=s.channels_per_array, sample_rate=s.sample_rate)
        self.arrays = [MotorSimulator(config, seed=s.seed + ARRAY_SEED_STRIDE * a, task=s.task,
                                      task_seed=s.seed, truth_window_s=1.0) for a in range(s.n_arrays)]
        for a, fault in s.array_faults():
            self.arrays[a].add_source(FaultSource(fault, s.sample_rate, config.gain_uv))
        # load the simulator's compiled kernels now, not while the first chunks are due
        MotorSimulator(PopulationConfig(n_channels=4, sample_rate=s.sample_rate), seed=s.seed,
                       task=s.task).read(s.chunk_samples * s.chunks_per_block)
        self.pacer = Pacer(s.chunk_ms * 1e-3, s.realtime, on_late=self._late)
        self.velocity_updates = 0
        self._history = np.zeros((2, BEHAVIOUR_HISTORY), dtype=np.float32)
        self._blocks = 0
        self._closed_loop = "velocity" in self.context.feedback_specs  # the port is optional

    def _late(self, seconds: float) -> None:
        self.context.warning(f"simulator is {seconds * 1e3:.0f} ms behind real time; the machine is too busy "
                             "for this many channels (try a larger generate_ms or fewer arrays)")

    def _apply_feedback(self) -> None:
        if not self._closed_loop:
            return
        fb = self.context.latest("velocity")
        if fb is None or fb.data.shape[0] < 2 or fb.data.shape[1] < 1:
            return
        v = (float(fb.data[0, -1]), float(fb.data[1, -1]))
        if math.isfinite(v[0]) and math.isfinite(v[1]):
            for sim in self.arrays:
                sim.set_intended_velocity(v)
            self.velocity_updates += 1

    def _block(self) -> tuple[np.ndarray, Chunk]:
        """The next ``generate_ms`` of every array as ``(chunks, channels, chunk_samples)``, and
        the behaviour chunk saying which velocity drove it."""
        s = self.settings
        n, c = s.chunk_samples, s.chunks_per_block
        block = np.empty((c, s.n_arrays * s.channels_per_array, n), dtype=np.int16)
        for a, sim in enumerate(self.arrays):
            rows = slice(a * s.channels_per_array, (a + 1) * s.channels_per_array)
            block[:, rows, :] = sim.read(n * c).reshape(s.channels_per_array, c, n).transpose(1, 0, 2)
        h = self._history
        h[:, :-1] = h[:, 1:]
        h[:, -1] = self.arrays[0].current_velocity
        j = self._blocks
        self._blocks += 1
        kept = min(j + 1, BEHAVIOUR_HISTORY)
        behaviour = Chunk(h[:, BEHAVIOUR_HISTORY - kept:].copy(), j + 1 - kept, 1000.0 / s.generate_ms)
        return block, behaviour

    def generate(self) -> Iterator[dict[str, Chunk]]:
        """The next block is made half-way through the current one, so the burst of work it takes
        never delays the chunk that completes a bin (bins end with blocks in the default graph)."""
        s = self.settings
        n = s.chunk_samples
        total = None if s.duration_s is None else int(round(s.duration_s * 1e3 / s.chunk_ms))
        half = s.chunks_per_block // 2
        self._apply_feedback()
        block, behaviour = self._block()
        i = 0
        while (total is None or i < total) and not self.context.stop_requested():
            upcoming = None
            for j, chunk_data in enumerate(block):
                if total is not None and i >= total:
                    return
                self.pacer.wait(i)
                out = {"out": Chunk(chunk_data, i * n, s.sample_rate, self.context.now_ns())}
                if j == 0:
                    behaviour.origin_ns = out["out"].origin_ns
                    out["behaviour"] = behaviour
                yield out
                i += 1
                if j == half:
                    self._apply_feedback()
                    upcoming = self._block()
            block, behaviour = upcoming
