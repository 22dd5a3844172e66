"""Signal nodes: ``filter``, ``car``, ``threshold_crossings``, ``spike_band_power``.

Each wraps a streaming block of ``cortexlink.dsp`` built for its input's sample rate in
``setup()``; state crosses chunk edges inside the block, so the output equals offline processing
of the whole stream. Threshold crossings and spike band power are emitted as per-channel
features at ``bin_ms`` (1 kHz by default), the rate BRAND's feature nodes use.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np

from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import InvalidParameterError, NodeError
from cortexlink.core.streamspec import StreamSpec
from cortexlink.dsp import (
    Binner,
    ButterworthFilter,
    GridAligned,
    GroupedReference,
    SelfCalibratingCrossings,
    SpikeBandPower,
    channel_groups,
)
from cortexlink.dsp.noise import Estimator, check_estimator
from cortexlink.graph.node import Node
from cortexlink.nodes._specs import only_input, resampled


def _rate(node: Node) -> float:
    spec = node.context.input_specs.get("in")
    if spec is None:
        raise NodeError(f"node {node.context.nickname!r} needs the spec of its input stream")
    return spec.sample_rate


def _emit(out: Chunk | None) -> dict[str, Chunk] | None:
    """Nothing when a block completed no output sample this time (e.g. a partial bin)."""
    return {"out": out} if out is not None and out.data.shape[1] else None


def warm_up(block: Any, spec: StreamSpec, n_samples: int | None = None) -> None:
    """Run ``block`` once on zeros shaped like ``spec`` so its compiled kernels are ready before
    the first real chunk (numba compiles or loads them on first use, which takes a while)."""
    n = n_samples or spec.chunk_samples
    block.process(Chunk(np.zeros((spec.n_channels, n), dtype=spec.dtype), 0, spec.sample_rate))


class Filter(Node):
    """Butterworth band-pass (or high/low-pass) with state carried across chunks; float32 out."""

    kind = "filter"

    @dataclass
    class Settings:
        low: float | None = 250.0      # Hz; None: low-pass only
        high: float | None = 5000.0    # Hz; None: high-pass only
        order: int = 4

    @classmethod
    def describe_outputs(cls, settings: Any, input_specs: dict[str, StreamSpec]) -> dict[str, StreamSpec]:
        spec = only_input(cls.kind, input_specs)
        ButterworthFilter(spec.sample_rate, settings.low, settings.high, settings.order)  # checks the edges
        return {"out": resampled(spec, spec.sample_rate)}

    def setup(self) -> None:
        s = self.settings
        rate = _rate(self)
        warm_up(ButterworthFilter(rate, s.low, s.high, s.order), self.context.input_specs["in"])
        self.block = ButterworthFilter(rate, s.low, s.high, s.order)

    def process(self, inputs: dict[str, Chunk]) -> dict[str, Chunk] | None:
        return _emit(self.block.process(inputs["in"]))


class CommonAverage(Node):
    """Common average reference, computed separately for each of ``groups`` equal channel groups
    (one per array when several arrays share a stream)."""

    kind = "car"

    @dataclass
    class Settings:
        mode: Literal["mean", "median"] = "mean"
        groups: int = 1
        exclude: list[int] = field(default_factory=list)   # bad channels (stream indices)

        def __post_init__(self) -> None:
            if self.groups < 1:
                raise InvalidParameterError(f"groups must be at least 1, got {self.groups}")

    @classmethod
    def describe_outputs(cls, settings: Any, input_specs: dict[str, StreamSpec]) -> dict[str, StreamSpec]:
        spec = only_input(cls.kind, input_specs)
        try:
            channel_groups(spec.n_channels, settings.groups)
        except InvalidParameterError as exc:
            raise NodeError(f"car: {exc}") from None
        return {"out": resampled(spec, spec.sample_rate)}

    def setup(self) -> None:
        s = self.settings
        rate = _rate(self)
        warm_up(GroupedReference(rate, s.groups, s.mode, s.exclude), self.context.input_specs["in"])
        self.block = GroupedReference(rate, s.groups, s.mode, s.exclude)

    def process(self, inputs: dict[str, Chunk]) -> dict[str, Chunk]:
        return {"out": self.block.process(inputs["in"])}


class ThresholdCrossingsNode(Node):
    """Crossings of ``k`` x the noise, counted per ``bin_ms`` (None: per-sample events, uint8).

    The noise level of each channel is measured on the first ``rms_s`` seconds (zero counts are
    emitted meanwhile), then the thresholds stay fixed, as in BRAND's threshold node
    (``cortexlink.dsp.SelfCalibratingCrossings``). ``estimator``: ``mad`` (median |x| / 0.6745, the
    noise sigma, unmoved by spikes; no stall), ``rms`` (BRAND's k x RMS, which spikes inflate) or
    ``robust`` (spike-free median; computed once at the end of the segment, a stall with many
    channels); see ``cortexlink.dsp.noise``.
    """

    kind = "threshold_crossings"

    @dataclass
    class Settings:
        k: float = -4.5
        lockout_ms: float = 1.0
        rms_s: float = 1.0
        bin_ms: float | None = 1.0
        estimator: Estimator = "mad"

        def __post_init__(self) -> None:
            if not self.rms_s > 0:
                raise InvalidParameterError(f"rms_s must be positive, got {self.rms_s}")
            check_estimator(self.estimator)

    @classmethod
    def describe_outputs(cls, settings: Any, input_specs: dict[str, StreamSpec]) -> dict[str, StreamSpec]:
        spec = only_input(cls.kind, input_specs)
        if settings.bin_ms is None:
            return {"out": resampled(spec, spec.sample_rate, "uint8")}
        return {"out": resampled(spec, Binner(spec.sample_rate, settings.bin_ms).output_rate)}

    def setup(self) -> None:
        s = self.settings
        rate = _rate(self)
        spec = self.context.input_specs["in"]
        # calibrating on one sample, then counting: both paths' kernels load before the stream starts
        warm_up(SelfCalibratingCrossings(rate, s.k, s.lockout_ms, 1 / rate, s.estimator), spec,
                max(2, spec.chunk_samples))
        self.block = SelfCalibratingCrossings(rate, s.k, s.lockout_ms, s.rms_s, s.estimator)
        self.binner = None
        if s.bin_ms is not None:
            binner = Binner(rate, s.bin_ms, "sum")
            warm_up(Binner(rate, s.bin_ms, "sum"), replace(spec, dtype="uint8"), binner.bin_samples)
            self.binner = GridAligned(binner, binner.bin_samples)

    @property
    def calibrated(self) -> bool:
        return self.block.calibrated

    def process(self, inputs: dict[str, Chunk]) -> dict[str, Chunk] | None:
        was_calibrated = self.block.calibrated
        events = self.block.process(inputs["in"])
        if not was_calibrated and self.block.calibrated:
            self.context.info(thresholds_message(self.block.rms, self.settings.k, self.settings.estimator))
        return _emit(events if self.binner is None else self.binner.process(events))


def thresholds_message(noise: np.ndarray, k: float, estimator: str) -> str:
    """What a node says when its thresholds are set."""
    return f"thresholds set: median noise {float(np.median(noise)):.1f} ({estimator}), k = {k}"


class SpikeBandPowerNode(Node):
    """Mean power per ``bin_ms`` (1 kHz by default); ``band: null`` when the input is already
    band-passed (the default graph filters first), else the band is filtered here."""

    kind = "spike_band_power"

    @dataclass
    class Settings:
        band: tuple[float, float] | None = (250.0, 5000.0)
        bin_ms: float = 1.0
        order: int = 2

    @classmethod
    def describe_outputs(cls, settings: Any, input_specs: dict[str, StreamSpec]) -> dict[str, StreamSpec]:
        spec = only_input(cls.kind, input_specs)
        block = SpikeBandPower(spec.sample_rate, settings.band, settings.bin_ms, settings.order)
        return {"out": resampled(spec, block.output_rate)}

    def setup(self) -> None:
        s = self.settings
        rate = _rate(self)
        block = SpikeBandPower(rate, s.band, s.bin_ms, s.order)
        warm_up(SpikeBandPower(rate, s.band, s.bin_ms, s.order), self.context.input_specs["in"],
                block.bin_samples)
        self.block = GridAligned(block, block.bin_samples)

    def process(self, inputs: dict[str, Chunk]) -> dict[str, Chunk] | None:
        return _emit(self.block.process(inputs["in"]))
