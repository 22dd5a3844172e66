"""``spike_features``: band-pass, common average reference, threshold crossings and spike band power
in one node, as BRAND's threshold-extraction node does.

The same steps, settings and outputs as ``filter`` -> ``car`` -> ``threshold_crossings`` and
``spike_band_power`` (with ``band: null``), three hops fewer from an acquired sample to its
features: every hop between node processes costs a wake-up and adds its scheduling tail, and on a
machine with few cores the extra processes compete for them. CAR, crossings and power run as one
compiled pass per channel group (``cortexlink.dsp.SpikeFrontEnd``); thresholds are set on the
first ``rms_s`` seconds of the stream, as the crossings node sets them. Outputs: ``crossings``
(counts per ``bin_ms``) and ``power`` (mean power per ``bin_ms``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np

from cortexlink.core.chunk import Chunk
from cortexlink.core.streamspec import StreamSpec
from cortexlink.dsp import Binner, SpikeFrontEnd
from cortexlink.graph.node import Node
from cortexlink.nodes._gaps import GridAligned
from cortexlink.nodes._noise import NoiseEstimate
from cortexlink.nodes._specs import only_input, resampled
from cortexlink.nodes.signal import (
    CommonAverage,
    ThresholdCrossingsNode,
    channel_groups,
    thresholds_message,
    warm_up,
)


class SpikeFeatures(Node):
    """Threshold crossings and spike band power per ``bin_ms`` of the band-passed, re-referenced
    signal, each of ``groups`` equal channel groups (arrays) referenced to its own mean."""

    kind = "spike_features"
    outputs = ("crossings", "power")

    @dataclass
    class Settings:
        low: float = 250.0             # band-pass edges (Hz) and order, as the filter node's
        high: float = 5000.0
        order: int = 4
        groups: int = 1                # CAR, as the car node's
        car_mode: Literal["mean", "median"] = "mean"
        exclude: list[int] = field(default_factory=list)
        k: float = -4.5                # crossings, as the threshold_crossings node's
        lockout_ms: float = 1.0
        rms_s: float = 1.0
        estimator: Literal["rms", "robust"] = "rms"
        bin_ms: float = 1.0            # both outputs

        def __post_init__(self) -> None:  # the same checks as the separate nodes'
            CommonAverage.Settings(self.car_mode, self.groups, self.exclude)
            ThresholdCrossingsNode.Settings(self.k, self.lockout_ms, self.rms_s, self.bin_ms, self.estimator)

    @classmethod
    def describe_outputs(cls, settings: Any, input_specs: dict[str, StreamSpec]) -> dict[str, StreamSpec]:
        spec = only_input(cls.kind, input_specs)
        CommonAverage.describe_outputs(CommonAverage.Settings(groups=settings.groups), input_specs)
        front_end = _front_end(settings, spec.sample_rate)  # checks the band and the bin
        return {"crossings": resampled(spec, Binner(spec.sample_rate, settings.bin_ms).output_rate),
                "power": resampled(spec, front_end.power_rate)}

    def setup(self) -> None:
        s = self.settings
        spec = self.context.input_specs["in"]
        rate = spec.sample_rate
        groups = []
        for lo, hi, excluded in channel_groups(spec.n_channels, s.groups, s.exclude):
            groups.append((lo, hi, _front_end(s, rate, excluded)))
        # load the compiled kernels now, not at the first chunks: calibrating and counting
        part = replace(spec, n_channels=spec.n_channels // s.groups)
        warm_up(_Referenced(_front_end(s, rate)), part)
        warm_up(_front_end(s, rate, rms=np.ones(part.n_channels)), part)
        binner = Binner(rate, s.bin_ms, "sum")
        warm_up(Binner(rate, s.bin_ms, "sum"), replace(spec, dtype="uint8"), binner.bin_samples)
        noise = NoiseEstimate(spec.n_channels, int(round(s.rms_s * rate)), rate, s.estimator)
        grouped = _GroupedFrontEnd(groups, binner, noise, self._calibrated)
        self.pipeline = GridAligned(grouped, binner.bin_samples)

    def _calibrated(self, rms: np.ndarray) -> None:
        self.context.info(thresholds_message(rms, self.settings.k))

    def process(self, inputs: dict[str, Chunk]) -> dict[str, Chunk] | None:
        got = self.pipeline.process(inputs["in"])
        if got is None:
            return None
        out = {port: chunk for port, chunk in zip(self.outputs, got, strict=True) if chunk.data.shape[1]}
        return out or None


def _front_end(s: Any, rate: float, exclude: np.ndarray | None = None,
               rms: np.ndarray | None = None) -> SpikeFrontEnd:
    return SpikeFrontEnd(rate, (s.low, s.high), s.order, s.car_mode, exclude, s.k, s.lockout_ms, rms,
                         bin_ms=s.bin_ms)


class _Referenced:
    """A front end's calibration step as a block (for ``warm_up``)."""

    def __init__(self, front_end: SpikeFrontEnd) -> None:
        self.front_end = front_end

    def process(self, chunk: Chunk) -> tuple[Chunk, Chunk]:
        return self.front_end.referenced(chunk)


class _GroupedFrontEnd:
    """One front end per channel group; crossings binned, and counted once the noise is known."""

    def __init__(self, groups: list[tuple[int, int, SpikeFrontEnd]], binner: Binner, noise: NoiseEstimate,
                 on_calibrated: Any) -> None:
        self.groups = groups
        self.binner = binner
        self.noise = noise
        self.on_calibrated = on_calibrated

    def reset(self) -> None:
        for _, _, front_end in self.groups:
            front_end.reset()
        self.binner.reset()

    def process(self, chunk: Chunk) -> tuple[Chunk, Chunk]:
        """(crossing counts, power) for the bins ``chunk`` completed."""
        calibrated = self.groups[0][2].calibrated
        data = chunk.data
        single = len(self.groups) == 1
        # one group's events are the node's; several are gathered (none before calibration)
        crossings = None if calibrated and single else np.zeros(data.shape, dtype=np.uint8)
        referenced = None if calibrated else np.empty(data.shape, dtype=np.float32)
        powers = []
        for lo, hi, front_end in self.groups:
            part = chunk if single else chunk.derive(data[lo:hi])
            if calibrated:
                events, power = front_end.process(part)
                if single:
                    crossings = events.data
                else:
                    crossings[lo:hi] = events.data
            else:
                ref, power = front_end.referenced(part)
                referenced[lo:hi] = ref.data
            powers.append(power)
        if referenced is not None:
            rms = self.noise.add(referenced)
            if rms is not None:
                for lo, hi, front_end in self.groups:
                    front_end.crossings.set_rms(rms[lo:hi])
                self.on_calibrated(rms)
        power = powers[0]
        if len(powers) > 1:
            power = Chunk(np.concatenate([p.data for p in powers]), power.start_sample, power.sample_rate,
                          power.origin_ns)
        return self.binner.process(chunk.derive(crossings)), power
