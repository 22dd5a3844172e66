"""``scene_source``: the simulator's multi-site scene (``cortexlink.sim.SceneSimulator``) as one stream.

Output ``out``: every site's int16 channels stacked, site 0 first (``channels_per_site`` each), in
chunks of ``chunk_ms``, paced in real time unless ``realtime`` is false. With ``seizure`` an
episode starts at ``seizure_onset_site`` and reaches site k ``spread_delay_s`` seconds per site of
distance later. A recorder per site picks its channels (``recorder``'s ``channels``), so a graph
records one store per site (``graphs/record-sites.yaml``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import InvalidParameterError
from cortexlink.core.streamspec import StreamSpec
from cortexlink.graph.node import SourceNode
from cortexlink.nodes.pacing import Pacer


class SceneSource(SourceNode):
    """A simulated multi-site scene, optionally with a spreading seizure."""

    kind = "scene_source"
    outputs = ("out",)

    @dataclass
    class Settings:
        n_sites: int = 2
        channels_per_site: int = 32
        sample_rate: float = 30000.0
        seizure: bool = True
        seizure_onset_site: int = 0
        seizure_onset_s: float | None = None  # default: a quarter of scene_s
        seizure_duration_s: float | None = None  # default: 40% of scene_s
        spread_delay_s: float = 1.0  # delay per site of distance from the onset site
        scene_s: float = 10.0  # the scene's nominal length (sets the default timing)
        seed: int = 0
        chunk_ms: float = 10.0
        realtime: bool = True
        duration_s: float | None = None  # stop after this much signal (None: until stopped)

        def __post_init__(self) -> None:
            if self.n_sites < 1 or self.channels_per_site < 1:
                raise InvalidParameterError("n_sites and channels_per_site must be at least 1")
            if self.chunk_samples < 1:
                raise InvalidParameterError(f"chunk_ms={self.chunk_ms} is less than one sample")
            if self.duration_s is not None and not self.duration_s > 0:
                raise InvalidParameterError(f"duration_s must be positive or null, got {self.duration_s}")

        @property
        def chunk_samples(self) -> int:
            return int(round(self.chunk_ms * 1e-3 * self.sample_rate))

    @classmethod
    def describe_outputs(cls, settings: Any, input_specs: dict[str, StreamSpec]) -> dict[str, StreamSpec]:
        return {
            "out": StreamSpec(
                "out",
                settings.n_sites * settings.channels_per_site,
                settings.sample_rate,
                "int16",
                settings.chunk_samples,
            )
        }

    def setup(self) -> None:
        from cortexlink.sim import SceneSimulator

        s = self.settings
        scene = SceneSimulator(
            s.n_sites,
            s.channels_per_site,
            s.sample_rate,
            s.seed,
            task=None,
            seizure=s.seizure,
            seizure_onset_site=s.seizure_onset_site,
            seizure_onset_s=s.seizure_onset_s,
            seizure_duration_s=s.seizure_duration_s,
            spread_delays_s=s.spread_delay_s,
            seconds=s.scene_s,
        )
        self.sims = list(scene.simulators.values())
        self.truth = scene.truth  # where and when the seizure is (for a scoring node downstream)
        self.pacer = Pacer(s.chunk_ms * 1e-3, s.realtime)

    def generate(self) -> Iterator[dict[str, Chunk]]:
        s = self.settings
        n, c = s.chunk_samples, s.channels_per_site
        total = None if s.duration_s is None else int(round(s.duration_s * 1e3 / s.chunk_ms))
        i = 0
        while (total is None or i < total) and not self.context.stop_requested():
            data = np.empty((s.n_sites * c, n), np.int16)
            for k, sim in enumerate(self.sims):
                data[k * c : (k + 1) * c] = sim.read(n)
            self.pacer.wait(i)
            yield {"out": Chunk(data, i * n, s.sample_rate, self.context.now_ns())}
            i += 1
