"""Electrode faults: a dead channel, a channel saturated at the ADC rail, impedance drift.

Each fault acts on one channel of one site from ``start_s`` on, as a ``SignalSource`` of that
site's simulator; like everything else it is a function of absolute time, independent of chunking.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cortexlink.core.errors import InvalidParameterError

FAULT_KINDS = ("dead", "saturation", "drift")


@dataclass
class Fault:
    """``kind`` on ``channel`` of ``site`` from ``start_s`` seconds.

    dead: the channel reads 0 uV (a broken lead). saturation: it sits at the positive rail of
    the ADC. drift: its gain falls linearly to ``final_gain`` over ``ramp_s`` seconds (rising
    impedance) while its baseline wanders by up to ``offset_uv``.
    """

    kind: str
    site: str
    channel: int
    start_s: float = 0.0
    ramp_s: float = 10.0
    final_gain: float = 0.3
    offset_uv: float = 400.0

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise InvalidParameterError(
                f"unknown fault kind {self.kind!r}; choose one of {', '.join(FAULT_KINDS)}")
        if int(self.channel) < 0:
            raise InvalidParameterError(f"fault channel must not be negative, got {self.channel!r}")
        if not self.start_s >= 0:
            raise InvalidParameterError(f"fault start_s must not be negative, got {self.start_s!r}")
        if not self.ramp_s > 0:
            raise InvalidParameterError(f"fault ramp_s must be positive, got {self.ramp_s!r}")
        self.channel = int(self.channel)
        self.site = str(self.site)


class FaultSource:
    """Applies one ``Fault`` to a simulator's analogue signal."""

    def __init__(self, fault: Fault, sample_rate: float, gain_uv: float) -> None:
        self.fault = fault
        self.sample_rate = sample_rate
        self.rail_uv = 32767.0 * gain_uv * 1.05

    def rate_gain(self, start_period: int, n_periods: int) -> None:
        return None

    def render(self, start_sample: int, signal_uv: np.ndarray) -> None:
        f = self.fault
        n = signal_uv.shape[1]
        first = int(np.ceil(f.start_s * self.sample_rate))
        a = max(0, first - start_sample)
        if a >= n:
            return
        row = signal_uv[f.channel, a:]
        if f.kind == "dead":
            row[:] = 0.0
        elif f.kind == "saturation":
            row[:] = self.rail_uv
        else:
            t = (np.arange(start_sample + a, start_sample + n) - first) / self.sample_rate
            progress = np.clip(t / f.ramp_s, 0.0, 1.0)
            gain = 1.0 + (f.final_gain - 1.0) * progress
            offset = f.offset_uv * progress * np.sin(2 * np.pi * t / (4 * f.ramp_s) + 0.3)
            row[:] = (row * gain + offset).astype(np.float32)
