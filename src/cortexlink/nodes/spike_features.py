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

from dataclasses import dataclass, field
from typing import Any, Literal

from cortexlink.core.chunk import Chunk
from cortexlink.core.streamspec import StreamSpec
from cortexlink.dsp import GridAligned, GroupedFrontEnd
from cortexlink.dsp.noise import Estimator
from cortexlink.graph.node import Node
from cortexlink.nodes._specs import only_input, resampled
from cortexlink.nodes.signal import CommonAverage, ThresholdCrossingsNode, thresholds_message, warm_up


class SpikeFeatures(Node):
    """Threshold crossings and spike band power per ``bin_ms`` of the band-passed, re-referenced
    signal, each of ``groups`` equal channel groups (arrays) referenced to its own mean
    (``cortexlink.dsp.GroupedFrontEnd``)."""

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
        estimator: Estimator = "mad"
        bin_ms: float = 1.0            # both outputs

        def __post_init__(self) -> None:  # the same checks as the separate nodes'
            CommonAverage.Settings(self.car_mode, self.groups, self.exclude)
            ThresholdCrossingsNode.Settings(self.k, self.lockout_ms, self.rms_s, self.bin_ms, self.estimator)

    @classmethod
    def describe_outputs(cls, settings: Any, input_specs: dict[str, StreamSpec]) -> dict[str, StreamSpec]:
        spec = only_input(cls.kind, input_specs)
        CommonAverage.describe_outputs(CommonAverage.Settings(groups=settings.groups), input_specs)
        front_end = _front_end(settings, spec.sample_rate, spec.n_channels)  # checks the band and the bin
        return {"crossings": resampled(spec, front_end.crossings_rate),
                "power": resampled(spec, front_end.power_rate)}

    def setup(self) -> None:
        s = self.settings
        spec = self.context.input_specs["in"]
        # calibrating on one sample, then counting: every kernel loads before the stream starts
        warm = _front_end(s, spec.sample_rate, spec.n_channels, 1 / spec.sample_rate)
        warm_up(warm, spec, max(2, spec.chunk_samples, warm.bin_samples))
        self.front_end = _front_end(s, spec.sample_rate, spec.n_channels)
        self.pipeline = GridAligned(self.front_end, self.front_end.bin_samples)

    def process(self, inputs: dict[str, Chunk]) -> dict[str, Chunk] | None:
        was_calibrated = self.front_end.calibrated
        got = self.pipeline.process(inputs["in"])
        if not was_calibrated and self.front_end.calibrated:
            s = self.settings
            self.context.info(thresholds_message(self.front_end.rms, s.k, s.estimator))
        if got is None:
            return None
        out = {port: chunk for port, chunk in zip(self.outputs, got, strict=True) if chunk.data.shape[1]}
        return out or None


def _front_end(s: Any, rate: float, n_channels: int, calibration_s: float | None = None) -> GroupedFrontEnd:
    return GroupedFrontEnd(rate, n_channels, s.groups, (s.low, s.high), s.order, s.car_mode, s.exclude, s.k,
                           s.lockout_ms, s.rms_s if calibration_s is None else calibration_s, s.estimator,
                           s.bin_ms)
