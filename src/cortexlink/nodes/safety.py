"""``safety``: runs ``decode.safety.VelocityGuard`` between the decoder and what it moves.

Driven by the decoder's output (rows ``vx, vy`` then any others, e.g. ``live``, passed through),
it writes the limited velocity on ``out`` with the same shape. When no decoder output arrives for
``watchdog_s`` (a hung or killed decoder) it writes zero velocity every ``watchdog_s`` until the
decoder is back. ``SIGUSR1`` to its process is the emergency stop: every later output is zero
(``cortexlink.serve`` sends it, reads ``out`` until it is zero, then stops the graph). Each
intervention is a NODE_WARNING event and a chunk on ``interventions`` (cumulative counts: speed
limited, acceleration limited, watchdog zeroed, stopped zeroed).
"""

from __future__ import annotations

import signal
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import InvalidDataError
from cortexlink.core.streamspec import StreamSpec
from cortexlink.decode.safety import Interventions, SafetyLimits, VelocityGuard
from cortexlink.graph.node import Node

__all__ = ["SafetyNode", "STOP_SIGNAL", "INTERVENTION_ROWS"]

STOP_SIGNAL = signal.SIGUSR1
INTERVENTION_ROWS = ("speed_limited", "accel_limited", "watchdog_zeroed", "stopped_zeroed")
_L = SafetyLimits


class SafetyNode(Node):
    """Speed and acceleration limits, a watchdog on the decoder and a latched emergency stop."""

    kind = "safety"
    outputs = ("out", "interventions")

    @dataclass
    class Settings:
        max_speed: float = _L.max_speed
        max_accel: float = _L.max_accel
        watchdog_s: float = _L.watchdog_s
        report_every_s: float = 1.0

        def __post_init__(self) -> None:
            self.limits()  # checks the bounds now, before anything runs

        def limits(self) -> SafetyLimits:
            return SafetyLimits(self.max_speed, self.max_accel, self.watchdog_s)

    @classmethod
    def describe_outputs(cls, settings: Any, input_specs: dict[str, StreamSpec]) -> dict[str, StreamSpec]:
        (spec,) = input_specs.values()
        return {
            "out": spec,
            "interventions": StreamSpec(
                "interventions", len(INTERVENTION_ROWS), spec.sample_rate, "float32", 1
            ),
        }

    def setup(self) -> None:
        spec = self.context.output_specs["out"]
        if spec.n_channels < 2:
            raise InvalidDataError(
                f"safety needs velocity rows vx, vy; its input has {spec.n_channels} row(s)"
            )
        self.guard = VelocityGuard(self.settings.limits(), spec.sample_rate)
        self.input_timeout_s = self.settings.watchdog_s
        self._last: Chunk | None = None  # the decoder's newest chunk (other rows are kept from it)
        self._said = Interventions()
        self._stop_said = False
        self._watchdog_on = False
        self._next_report = time.monotonic() + self.settings.report_every_s
        signal.signal(STOP_SIGNAL, lambda *_: self.guard.emergency_stop())

    def process(self, inputs: dict[str, Chunk]) -> dict[str, Chunk]:
        chunk = inputs["in"]
        if self._watchdog_on:
            self._watchdog_on = False
            self.context.info("watchdog: decoder output is back")
        self._last = chunk
        out = chunk.data.copy()
        out[:2] = self.guard.process(chunk.data[:2])
        return self._emit(chunk.derive(out))

    def on_input_timeout(self) -> dict[str, Chunk] | None:
        last = self._last
        if last is None:  # nothing decoded yet (setup, calibration start): nothing to guard
            return None
        if not self._watchdog_on:
            self._watchdog_on = True
            self.context.warning(
                f"watchdog: no decoder output for {self.settings.watchdog_s:g} s; velocity zeroed"
            )
        n = last.n_samples
        data = last.data.copy()
        data[:2] = self.guard.watchdog(n)
        start = last.start_sample + n
        self._last = Chunk(data, start, last.sample_rate, 0)
        return self._emit(self._last)

    def _emit(self, chunk: Chunk) -> dict[str, Chunk]:
        outputs = {"out": chunk}
        counts = self.guard.counts
        if counts != self._said:
            if counts.stopped_zeroed and not self._stop_said:
                self._stop_said = True
                self.context.warning("emergency stop: velocity held at zero")
            row = np.array([counts.as_dict()[k] for k in INTERVENTION_ROWS], np.float32)[:, None]
            outputs["interventions"] = Chunk(row, chunk.start_sample, chunk.sample_rate, chunk.origin_ns)
            self._said = Interventions(**counts.as_dict())
        if time.monotonic() >= self._next_report:
            self._next_report += self.settings.report_every_s
            self.context.report(counts.as_dict())
        return outputs


def emergency_stop(run: Any, timeout: float = 2.0, reason: str = "emergency stop") -> dict[str, Any]:
    """Stop a ``graph.background.BackgroundRun`` safely: every ``safety`` node is told to hold its
    velocity at zero, its ``out`` stream is read until a zero chunk written after that shows up
    (at most ``timeout`` s), and only then is the graph stopped. Returns what happened per node
    (``zeroed``, ``after_ms``) and whether the graph ended."""
    guards = [n.nickname for n in run.plan.nodes if n.kind == SafetyNode.kind]
    taps = {nick: run.tap(run.plan.node(nick).outputs["out"].name) for nick in guards if run.running}
    sent = {nick: run.signal(nick, STOP_SIGNAL) for nick in taps}
    t0 = time.monotonic()
    zeroed: dict[str, float | None] = {nick: None for nick in taps}
    while time.monotonic() - t0 < timeout and any(zeroed[n] is None and sent[n] for n in taps):
        for nick, tap in taps.items():
            if zeroed[nick] is not None or not sent[nick]:
                continue
            chunk = tap.read(0.01)
            if chunk is not None and not np.any(chunk.data[:2]):
                zeroed[nick] = (time.monotonic() - t0) * 1e3
    for tap in taps.values():
        tap.close()
    run.stop(reason)
    return {
        "safety_nodes": {
            nick: {
                "signalled": sent[nick],
                "zeroed": zeroed[nick] is not None,
                "after_ms": None if zeroed[nick] is None else round(zeroed[nick], 2),
            }
            for nick in taps
        },
        "stopped": not run.running,
        "note": "" if guards else "no safety node in this graph: it was stopped without a zeroing step",
    }
