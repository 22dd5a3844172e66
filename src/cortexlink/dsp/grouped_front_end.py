"""``GroupedFrontEnd``: the spike front end of one stream that carries several arrays, with
thresholds set on the stream itself.

Each of ``groups`` equal channel groups (one per array) runs its own ``SpikeFrontEnd``, so each is
re-referenced to its own mean. The noise of every channel is measured (``NoiseEstimate``) on the
band-passed, re-referenced signal of the stream's first ``calibration_s`` seconds, during which
no crossings are counted; then the thresholds stay fixed. Outputs: crossing counts and mean spike
band power per ``bin_ms``. The switch to counting happens at the same sample whatever the
chunking, so streamed output equals ``apply``; the same steps as ``ButterworthFilter`` ->
``GroupedReference`` -> ``SelfCalibratingCrossings`` -> ``Binner`` and ``SpikeBandPower``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from cortexlink.core.chunk import Chunk
from cortexlink.core.recording import Recording
from cortexlink.dsp.binning import Binner
from cortexlink.dsp.block import input_array, samples_for
from cortexlink.dsp.front_end import SpikeFrontEnd
from cortexlink.dsp.noise import Estimator, NoiseEstimate, check_estimator
from cortexlink.dsp.reference import channel_groups


class GroupedFrontEnd:
    """Crossing counts and spike band power per ``bin_ms`` of ``n_channels`` split in ``groups``."""

    def __init__(self, sample_rate: float, n_channels: int, groups: int = 1,
                 band: tuple[float, float] = (250.0, 5000.0), order: int = 4,
                 car_mode: Literal["mean", "median"] = "mean", exclude: list[int] | np.ndarray = (),
                 k: float = -4.5, lockout_ms: float = 1.0, calibration_s: float = 1.0,
                 estimator: Estimator = "mad", bin_ms: float = 1.0) -> None:
        check_estimator(estimator)
        self.groups = [(lo, hi, SpikeFrontEnd(sample_rate, band, order, car_mode, mine, k, lockout_ms,
                                              bin_ms=bin_ms))
                       for lo, hi, mine in channel_groups(n_channels, groups, exclude)]
        self.sample_rate = self.groups[0][2].sample_rate
        self.n_channels = n_channels
        self.binner = Binner(self.sample_rate, bin_ms, "sum")
        self.calibration_samples = samples_for(calibration_s, self.sample_rate, "calibration_s")
        self.estimator = estimator
        self.rms: np.ndarray | None = None
        self._noise = NoiseEstimate(n_channels, self.calibration_samples, self.sample_rate, estimator)

    @property
    def calibrated(self) -> bool:
        """Whether the thresholds are set (crossings are counted)."""
        return self.rms is not None

    @property
    def bin_samples(self) -> int:
        return self.binner.bin_samples

    @property
    def crossings_rate(self) -> float:
        """Sample rate of the crossing counts (Hz)."""
        return self.binner.output_rate

    @property
    def power_rate(self) -> float:
        """Sample rate of the spike band power (Hz)."""
        return self.groups[0][2].power_rate

    def reset(self) -> None:
        """Start a new stream; thresholds already set are kept, a calibration under way restarts."""
        for _, _, front_end in self.groups:
            front_end.reset()
        self.binner.reset()
        if not self.calibrated:
            self._noise = NoiseEstimate(self.n_channels, self.calibration_samples, self.sample_rate,
                                        self.estimator)

    def process(self, chunk: Chunk) -> tuple[Chunk, Chunk]:
        """(crossing counts, power) for the bins ``chunk`` completed."""
        n = chunk.data.shape[1]
        if self.calibrated:
            crossings, power = self._counted(chunk)
        else:
            needed = self._noise.needed
            if needed >= n:
                crossings, power = self._measured(chunk)
            else:  # the calibration ends inside this chunk: count from its next sample on
                head, tail = chunk.split(needed)
                crossings, power = self._measured(head)
                counted, more = self._counted(tail)
                crossings = np.concatenate([crossings, counted], axis=1)
                power = power.derive(np.concatenate([power.data, more.data], axis=1))
        return self.binner.process_trusted(chunk.derive(crossings)), power

    def apply(self, signal: Recording | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A whole recording (or array) as one fresh stream: (crossing counts, power) arrays."""
        data = input_array(signal, self.sample_rate, "GroupedFrontEnd")
        self.reset()
        counts, power = self.process(Chunk(data, 0, self.sample_rate))
        return counts.data, power.data

    def _measured(self, chunk: Chunk) -> tuple[np.ndarray, Chunk]:
        """Before the thresholds: reference the chunk, measure the noise on it; no crossings."""
        single = len(self.groups) == 1
        referenced = None if single else np.empty(chunk.data.shape, dtype=np.float32)
        powers = []
        for lo, hi, front_end in self.groups:
            ref, power = front_end.referenced(chunk if single else chunk.derive(chunk.data[lo:hi]))
            if single:
                referenced = ref.data
            else:
                referenced[lo:hi] = ref.data
            powers.append(power)
        rms = self._noise.add(referenced)
        if rms is not None:
            for lo, hi, front_end in self.groups:
                front_end.crossings.set_rms(rms[lo:hi])
                front_end.crossings.continue_after(referenced[lo:hi, -1])
            self.rms = rms
        return np.zeros(chunk.data.shape, dtype=np.uint8), _stacked(powers)

    def _counted(self, chunk: Chunk) -> tuple[np.ndarray, Chunk]:
        if len(self.groups) == 1:  # one group's events are the output
            events, power = self.groups[0][2].process(chunk)
            return events.data, power
        crossings = np.empty(chunk.data.shape, dtype=np.uint8)
        powers = []
        for lo, hi, front_end in self.groups:
            events, power = front_end.process(chunk.derive(chunk.data[lo:hi]))
            crossings[lo:hi] = events.data
            powers.append(power)
        return crossings, _stacked(powers)


def _stacked(powers: list[Chunk]) -> Chunk:
    """The groups' power chunks as one, channels in group order."""
    if len(powers) == 1:
        return powers[0]
    return powers[0].derive(np.concatenate([p.data for p in powers]))
