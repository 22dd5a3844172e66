"""``partial_decoder`` and ``partial_leader``: movement intent decoded across sites (Hull Fig. 6).

``partial_decoder`` bins one site's threshold crossings and spike band power (its rows of a
multi-array front end), calibrates a linear decoder on them (as ``decoder``), and sends only its
share of the decision (``decode.partial``): rows ``vx, vy, live`` per bin. ``partial_leader`` sums
the shares of every site (inputs ``site0``, ``site1``, ...), drives the cursor task with the sum
(``out``) and broadcasts it back to the sites (``feedback``), where a stimulation pattern would
be computed. At the end the leader reports decision latency p50/p99 and the bytes exchanged per
decision beside what sending every site's features to one node would take.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import NodeError
from cortexlink.core.streamspec import StreamSpec
from cortexlink.decode.partial import site_channels, site_rows, site_share, sum_shares
from cortexlink.graph.node import Node
from cortexlink.nodes.binning import FeatureBinner
from cortexlink.nodes.decoder import LIVE_ROW, N_OUTPUTS, DecoderNode

__all__ = ["PartialDecoder", "PartialLeader"]

MAX_LATENCIES = 1 << 16


class PartialDecoder(DecoderNode):
    """One site's share of a linear decision from its own binned features."""

    kind = "partial_decoder"
    inputs = FeatureBinner.inputs
    feedback_inputs = ("intended", "feedback")
    outputs = ("out",)

    @dataclass
    class Settings(DecoderNode.Settings):
        decoder: str = "wiener"
        site: int = 0  # which array of the front end is this site's
        n_sites: int = 1  # how many arrays the front end carries
        bin_ms: float = 10.0

    @classmethod
    def describe_outputs(cls, settings: Any, input_specs: dict[str, StreamSpec]) -> dict[str, StreamSpec]:
        features = FeatureBinner.describe_outputs(FeatureBinner.Settings(settings.bin_ms), input_specs)["out"]
        site_rows(features.n_channels, settings.site, settings.n_sites)  # checks the split now
        return super().describe_outputs(settings, {"in": features})

    def setup(self) -> None:
        specs = self.context.input_specs
        self.channels = site_channels(
            specs["crossings"].n_channels, self.settings.site, self.settings.n_sites
        )
        per = self.channels.stop - self.channels.start
        # bin only this site's electrodes: the binner sees a view of the context with the site's specs
        own = copy.copy(self.context)
        own.input_specs = {port: replace(spec, n_channels=per) for port, spec in specs.items()}
        self.binner = FeatureBinner(FeatureBinner.Settings(self.settings.bin_ms), own)
        self.binner.setup()
        super().setup()
        self._allocate(2 * per, 1000.0 / self.settings.bin_ms)  # bins per second
        self.feedback_seen = 0
        self._last_feedback = -1

    def process(self, inputs: dict[str, Chunk]) -> dict[str, Chunk] | None:
        mine = {port: c.derive(np.ascontiguousarray(c.data[self.channels])) for port, c in inputs.items()}
        binned = self.binner.process(mine)
        if binned is None:
            return None
        out = super().process({"in": binned["out"]})["out"]
        data = out.data
        data[:N_OUTPUTS] = site_share(data[:N_OUTPUTS], self.settings.n_sites)
        fb = self.context.latest("feedback") if "feedback" in self.context.feedback_specs else None
        if fb is not None and fb.start_sample != self._last_feedback:  # the broadcast decision arrived
            self._last_feedback = fb.start_sample
            self.feedback_seen += 1
        return {"out": out}

    def shutdown(self) -> None:
        super().shutdown()
        self.context.report(
            {"feature_rows": int(self._n_features or 0), "feedback_decisions": self.feedback_seen}
        )


class PartialLeader(Node):
    """Sum the sites' shares into the decision; drive the task and broadcast it back."""

    kind = "partial_leader"
    inputs = ("site*",)
    outputs = ("out", "feedback")

    @dataclass
    class Settings:
        channels_per_site: int = 96  # for the bytes that sending all features would take

    @classmethod
    def describe_outputs(cls, settings: Any, input_specs: dict[str, StreamSpec]) -> dict[str, StreamSpec]:
        specs = list(input_specs.values())
        if any(s.n_channels != N_OUTPUTS + 1 or s.sample_rate != specs[0].sample_rate for s in specs):
            raise NodeError(
                "partial_leader's inputs are partial_decoder outputs (rows vx, vy, live) at one rate"
            )
        return {"out": specs[0], "feedback": specs[0]}

    def setup(self) -> None:
        self.latencies = np.zeros(MAX_LATENCIES, dtype=np.int64)
        self.n = 0
        specs = list(self.context.input_specs.values())
        self.share_bytes = sum(s.n_channels * np.dtype(s.dtype).itemsize for s in specs)
        self.n_sites = len(specs)

    def process(self, inputs: dict[str, Chunk]) -> dict[str, Chunk]:
        chunks = list(inputs.values())
        oldest = min(chunks, key=lambda c: c.origin_ns)
        width = min(c.data.shape[1] for c in chunks)
        out = np.empty((N_OUTPUTS + 1, width), dtype=np.float32)
        out[:N_OUTPUTS] = sum_shares([c.data[:N_OUTPUTS, :width] for c in chunks])
        out[LIVE_ROW] = np.min([c.data[LIVE_ROW, :width] for c in chunks], axis=0)
        decided = oldest.derive(out)
        if out[LIVE_ROW].min() > 0:
            self.latencies[self.n % MAX_LATENCIES] = time.monotonic_ns() - oldest.origin_ns
            self.n += 1
        return {"out": decided, "feedback": decided}

    def shutdown(self) -> None:
        lat = self.latencies[: min(self.n, MAX_LATENCIES)] / 1e6
        features = self.n_sites * 2 * self.settings.channels_per_site * 4  # float32 bins of every site
        metrics: dict[str, Any] = {
            "sites": self.n_sites,
            "decisions": self.n,
            "bytes_per_decision": self.share_bytes,
            "all_features_bytes_per_decision": features,
        }
        if lat.size:
            metrics["decision_latency_p50_ms"] = round(float(np.percentile(lat, 50)), 3)
            metrics["decision_latency_p99_ms"] = round(float(np.percentile(lat, 99)), 3)
        self.context.report(metrics)
