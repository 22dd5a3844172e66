"""``decoder``: any cortexlink decoder, loaded from a file or calibrated on an open-loop block.

Input: binned features ``(n_features, n_bins)`` per chunk. Feedback ``intended``: the intended
velocity in force while each bin was recorded, on its own time base: the simulator's
``behaviour`` stream (a column per block, indexed by time; see ``cortexlink.nodes._labels``).
Each bin is labelled with the column covering its middle; a bin whose label was not seen is left
out. Output ``out``: rows ``vx, vy, live`` per bin; ``live`` is 0 while calibrating (the velocity
rows are 0 then) and 1 once the decoder drives the cursor. Optional feedback ``mask``: a
``monitor`` node's channel status; dead and saturated channels are masked (Kalman and Wiener
re-solve for the rest) by a decoder prepared off the loop and swapped in between bins.

Calibration collects ``calibration_s`` seconds of labelled bins, fits the decoder on a background
thread (the node keeps consuming its input meanwhile, so nothing backs up), then decodes every
bin with ``step``.
"""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import CortexlinkError, InvalidParameterError, NodeError
from cortexlink.core.metrics import r2_score
from cortexlink.core.paths import writable_target
from cortexlink.core.streamspec import StreamSpec
from cortexlink.decode.features import feature_mask
from cortexlink.decode.hotswap import HotSwap
from cortexlink.decode.registry import NETWORK_DECODERS, REGRESSION_DECODERS, check_parameters, make_decoder
from cortexlink.dsp.monitor import unusable
from cortexlink.graph.node import Node
from cortexlink.graph.settings import graph_path
from cortexlink.nodes._labels import LabelHistory, bin_middle_s

N_OUTPUTS = 2
LIVE_ROW = 2


class DecoderNode(Node):
    """Calibrate (or load) a decoder, then decode velocity from every bin of features."""

    kind = "decoder"
    feedback_inputs = ("intended", "mask")

    @dataclass
    class Settings:
        decoder: str = "kalman"                 # kalman, kalman-ss, wiener, gru, lstm (as decoder-train)
        params: dict[str, Any] = field(default_factory=dict)  # the decoder's parameters (make_decoder)
        model_path: str | None = graph_path(None)  # load this saved decoder instead of calibrating
        calibration_s: float = 20.0             # open-loop block used to fit the decoder
        save_path: str | None = graph_path(None)   # where to save the calibrated decoder (optional)

        def __post_init__(self) -> None:
            if self.model_path is None:
                if self.decoder not in REGRESSION_DECODERS:
                    raise InvalidParameterError(
                        f"unknown decoder {self.decoder!r}; choose one of {', '.join(REGRESSION_DECODERS)}"
                    )
                check_parameters(self.decoder, self.params)  # names and types, before anything runs
                if not self.calibration_s > 0:
                    raise InvalidParameterError(f"calibration_s must be positive, got {self.calibration_s}")

    @classmethod
    def describe_outputs(cls, settings: Any, input_specs: dict[str, StreamSpec]) -> dict[str, StreamSpec]:
        (spec,) = input_specs.values()
        return {"out": StreamSpec("out", N_OUTPUTS + 1, spec.sample_rate, "float32", spec.chunk_samples)}

    def setup(self) -> None:
        s = self.settings
        self.model = None
        self.live = False
        self.swap = HotSwap()
        self.swap.start()  # its worker waits idle, so the first swap does not start a thread
        self._mask_seen = -1
        self._fit_thread: threading.Thread | None = None
        self._fit_error: BaseException | None = None
        self._n_features: int | None = None
        if s.model_path is not None:
            from cortexlink.decode.base import load_decoder

            self.model = load_decoder(Path(s.model_path))
            _warm_steps(self.model)
            self.live = True
            self.context.info(f"loaded {type(self.model).__name__} from {s.model_path}")
        else:
            if "intended" not in self.context.feedback_specs:
                raise NodeError(f"decoder {self.context.nickname!r} has no calibration labels: connect its "
                                "'intended' feedback input (e.g. to the simulator's behaviour stream) "
                                "or load a trained decoder with model_path")
            if s.save_path:  # a missing folder is reported now, not after the calibration block
                writable_target(s.save_path)
            self.model = make_decoder(s.decoder, **s.params)
        _one_step_thread()
        spec = self.context.input_specs.get("in")
        if spec is not None:
            self._allocate(spec.n_channels, spec.sample_rate)

    def _allocate(self, n_features: int, bin_rate: float) -> None:
        self._n_features = n_features
        if self.live:
            if self.model.n_features_ != n_features:
                raise NodeError(f"the decoder in {self.settings.model_path} expects {self.model.n_features_} "
                                f"features but its input stream has {n_features}; connect the same features "
                                "it was trained on")
            return
        if self.settings.decoder not in NETWORK_DECODERS:  # cheap to fit: warmed up on noise first
            _warm_up(make_decoder(self.settings.decoder, **self.settings.params), n_features)
        n_bins = max(2, int(round(self.settings.calibration_s * bin_rate)))
        self._X = np.zeros((n_features, n_bins))
        self._Y = np.zeros((N_OUTPUTS, n_bins))
        self._n_collected = 0
        self._missing_labels = 0
        self._labels = LabelHistory()

    def process(self, inputs: dict[str, Chunk]) -> dict[str, Chunk]:
        chunk = inputs["in"]
        data = chunk.data
        if self._n_features is None:
            self._allocate(data.shape[0], chunk.sample_rate)
        if data.shape[0] != self._n_features:
            raise NodeError(f"decoder input changed from {self._n_features} to {data.shape[0]} features")
        n = data.shape[1]
        out = np.zeros((N_OUTPUTS + 1, n), dtype=np.float32)
        if not self.live and self._fit_thread is not None and not self._fit_thread.is_alive():
            self._go_live()
        if self.live:
            self._follow_mask()
            model = self.model
            for k in range(n):
                out[:N_OUTPUTS, k] = model.step(data[:, k])
            out[LIVE_ROW] = 1.0
        elif self._fit_thread is None:
            self._collect(chunk)
        return {"out": chunk.derive(out)}

    def _follow_mask(self) -> None:
        """Mask the channels the ``mask`` feedback (a monitor's status) says are unusable: the
        re-solved decoder is prepared off the loop and swapped in between bins."""
        if self.swap.busy:
            self.model = self.swap.poll(self.model)
            if not self.swap.busy:
                rec = self.swap.log[-1]
                self.context.info(f"decoder swapped ({rec.reason}): {rec.before} -> {rec.after}")
            return
        status = self.context.latest("mask") if "mask" in self.context.feedback_specs else None
        if status is None or not status.data.shape[1]:
            return
        newest = status.start_sample + status.data.shape[1]  # the status column acted on last
        if newest == self._mask_seen:
            return
        self._mask_seen = newest
        dead = unusable(status.data[:, -1])
        mask = feature_mask(dead, self._n_features)
        if not np.array_equal(mask, self.model.channel_mask):
            reason = f"{int(dead.sum())} channels masked"
            self.swap.prepare(self.model, lambda d: d.set_channel_mask(mask), reason)

    def _collect(self, chunk: Chunk) -> None:
        self._labels.add(self.context.latest("intended"))
        data = chunk.data
        for k in range(data.shape[1]):
            label = self._labels.at(bin_middle_s(chunk, k))
            if label is None:  # not seen (yet, or lost): the bin is not used
                self._missing_labels += 1
                continue
            i = self._n_collected
            self._X[:, i] = data[:, k]
            self._Y[0, i], self._Y[1, i] = label
            self._n_collected += 1
            if self._n_collected == self._X.shape[1]:
                self._start_fit()
                return

    def _start_fit(self) -> None:
        self.context.info(f"calibration block done ({self._n_collected} bins); fitting "
                          f"{type(self.model).__name__}")
        self._fit_thread = threading.Thread(target=self._fit, name="decoder-fit", daemon=True)
        self._fit_thread.start()

    def _fit(self) -> None:
        try:
            self.model.fit(self._X, self._Y)
            self.fit_r2 = r2_score(self._Y, self.model.predict(self._X), pooled=True)
            _warm_steps(self.model)
            if self.settings.save_path:
                self.model.save(self.settings.save_path)
        except BaseException as exc:  # re-raised in the node's loop
            self._fit_error = exc

    def _go_live(self) -> None:
        if self._fit_error is not None:
            exc = self._fit_error
            if isinstance(exc, CortexlinkError):
                raise exc
            raise NodeError(f"fitting the decoder failed: {type(exc).__name__}: {exc}") from exc
        self.model.reset()
        self.live = True
        self.context.info(f"decoder live (calibration R^2 {self.fit_r2:.3f})")
        self.context.report({"calibration_bins": self._n_collected, "calibration_r2": round(self.fit_r2, 3),
                             "unlabelled_bins": self._missing_labels})

    def shutdown(self) -> None:
        if self.swap.log:
            self.context.report({"decoder_swaps": len(self.swap.log)})
        if self._fit_thread is not None:
            self._fit_thread.join(timeout=5.0)
        if not self.live and self._n_features is not None:  # say why nothing was decoded
            why = ("the decoder was still fitting" if self._fit_thread is not None else
                   f"{self._n_collected} of {self._X.shape[1]} calibration bins were collected")
            self.context.report({"never_live": f"{why} when the run ended; run longer than calibration_s "
                                              f"({self.settings.calibration_s:g} s) or lower it"})


def _one_step_thread() -> None:
    """A recurrent decoder's per-bin step is tiny: on one intra-op thread it takes ~100 us, while
    torch's default pool (one thread per core) makes it wait on the other nodes' cores. Fitting
    uses the decoder's own ``threads`` parameter and restores this afterwards."""
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(1)


def _warm_up(model: Any, n_features: int) -> None:
    """Fit, predict and step a throwaway decoder on noise, so that the compiled kernels the real
    one needs are loaded before the first real bin instead of stalling it."""
    rng = np.random.default_rng(0)
    n_bins = 64
    X = rng.poisson(3.0, size=(n_features, n_bins)).astype(np.float64)
    Y = rng.normal(size=(N_OUTPUTS, n_bins))
    try:
        model.fit(X, Y)
        model.predict(X)
        model.step(X[:, 0])
    except CortexlinkError:
        pass  # a decoder that cannot fit noise this small is simply not warmed up


def _warm_steps(model: Any, n: int = 3) -> None:
    """Run a fitted decoder's online ``step`` a few times on zeros, then ``reset`` it.

    The first steps load compiled kernels and touch every weight (a loaded GRU's first step took
    milliseconds, up to 175 ms in a live graph); paying that here keeps it off the first live bins.
    """
    x = np.zeros(model.n_features_)
    for _ in range(n):
        model.step(x)
    model.reset()
