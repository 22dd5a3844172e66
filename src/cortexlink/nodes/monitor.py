"""``monitor``: live electrode health of a raw signal stream (``cortexlink.dsp.monitor``).

Input: raw samples (ADC counts with ``gain_uv``, or microvolts with ``gain_uv: 1``). Output
``status``: one row per channel, one column per ``window_s`` window, holding 0 (ok), 1 (dead),
2 (saturated) or 3 (drifting). Connect it to a decoder's ``mask`` feedback input and the decoder
stops using dead and saturated channels. Every fault or drift is a warning on the node's message
stream; the counts are reported at the end of the run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cortexlink.core.chunk import Chunk
from cortexlink.core.streamspec import StreamSpec
from cortexlink.dsp.monitor import ChannelFault, ChannelMonitor
from cortexlink.graph.node import Node
from cortexlink.nodes._specs import only_input, resampled


class MonitorNode(Node):
    """Flag dead, saturated and drifting channels of a raw stream while it records."""

    kind = "monitor"
    outputs = ("status",)

    @dataclass
    class Settings:
        gain_uv: float = 0.25        # microvolts per ADC count of the input (the simulator's default)
        window_s: float = 0.5        # analysis window
        baseline_s: float = 10.0     # healthy time that sets each channel's baseline
        hold: int = 3                # windows a fault or drift must last before it is reported
        drift_sd: float = 4.0        # SDs of the baseline's window-to-window spread that count as drift

    @classmethod
    def describe_outputs(cls, settings: Any, input_specs: dict[str, StreamSpec]) -> dict[str, StreamSpec]:
        spec = only_input(cls.kind, input_specs)
        window_rate = _monitor(settings, spec.sample_rate).window_rate  # checks the settings too
        return {"status": resampled(spec, window_rate)}

    def setup(self) -> None:
        spec = only_input(self.kind, self.context.input_specs)
        self.monitor = _monitor(self.settings, spec.sample_rate)

    def process(self, inputs: dict[str, Chunk]) -> dict[str, Chunk] | None:
        (chunk,) = inputs.values()
        update = self.monitor.process(chunk)
        for e in update.events:
            what = e.kind if isinstance(e, ChannelFault) else f"{e.kind} drift ({e.score:+.1f} SD)"
            self.context.warning(f"channel {e.channel}: {what} at {e.time_s:.1f} s")
        if not update.status.shape[1]:
            return None
        status = update.status.astype("float32")
        return {"status": Chunk(status, update.first_window, update.window_rate, chunk.origin_ns)}

    def shutdown(self) -> None:
        events = self.monitor.events
        faults = sum(isinstance(e, ChannelFault) for e in events)
        self.context.report({"channel_faults": faults, "channel_drifts": len(events) - faults})


def _monitor(settings: Any, sample_rate: float) -> ChannelMonitor:
    s = settings
    return ChannelMonitor(sample_rate, gain_uv=s.gain_uv, window_s=s.window_s, baseline_s=s.baseline_s,
                          hold=s.hold, drift_sd=s.drift_sd)
