"""Lab Streaming Layer: read any LSL stream (amplifiers, OpenBCI GUI, BCI2000, OpenViBE) and
publish cortexlink streams to LabRecorder and other LSL consumers, through ``pylsl`` (whose wheels
bundle liblsl; the ``eeg`` extra).

Time: LSL stamps samples with its ``local_clock``, which on Linux is the same steady clock as
``time.monotonic_ns``; the inlet adds LSL's clock offset to the sender, so ``origin_ns`` of what
an ``LSLInlet`` returns is the moment the sample was pushed, on this machine's clock, even when it
came from another machine.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from cortexlink.core.errors import DeviceError, InvalidParameterError
from cortexlink.core.optional import require


def _pylsl() -> Any:
    return require("pylsl", "eeg", "Lab Streaming Layer")


@dataclass(frozen=True)
class LSLStreamInfo:
    """What an LSL stream says about itself."""

    name: str
    type: str
    n_channels: int
    sample_rate: float
    source_id: str
    hostname: str


def _info(i: Any) -> LSLStreamInfo:
    return LSLStreamInfo(
        i.name(), i.type(), int(i.channel_count()), float(i.nominal_srate()), i.source_id(), i.hostname()
    )


def list_lsl_streams(wait_s: float = 1.0) -> list[LSLStreamInfo]:
    """The LSL streams visible on the network within ``wait_s`` seconds."""
    return [_info(i) for i in _pylsl().resolve_streams(wait_time=float(wait_s))]


def resolve(
    name: str | None = None, type: str | None = None, source_id: str | None = None, timeout_s: float = 5.0
) -> Any:
    """The first stream matching every given property, or a ``DeviceError`` listing what is there."""
    lsl = _pylsl()
    props = {k: v for k, v in (("name", name), ("type", type), ("source_id", source_id)) if v}
    if not props:
        raise InvalidParameterError("name an LSL stream: give its name, type or source_id")
    pred = " and ".join(f"{k}='{v}'" for k, v in props.items())
    found = lsl.resolve_bypred(pred, 1, float(timeout_s))
    if not found:
        seen = ", ".join(f"{s.name} ({s.type}, {s.source_id})" for s in list_lsl_streams(0.5)) or "none"
        raise DeviceError(
            f"no LSL stream with {pred} answered within {timeout_s:g} s; streams seen: {seen}. "
            "Start the amplifier's LSL app or check the name"
        )
    return found[0]


def describe(
    name: str | None = None, type: str | None = None, source_id: str | None = None, timeout_s: float = 5.0
) -> LSLStreamInfo:
    """What the first stream matching the given properties says about itself."""
    return _info(resolve(name, type, source_id, timeout_s))


class LSLInlet:
    """Pull samples of one LSL stream as ``(n_channels, n)`` float32 with their ``origin_ns``."""

    def __init__(
        self,
        name: str | None = None,
        type: str | None = None,
        source_id: str | None = None,
        timeout_s: float = 5.0,
        max_buffered_s: int = 30,
    ) -> None:
        lsl = _pylsl()
        info = resolve(name, type, source_id, timeout_s)
        self.info = _info(info)
        self.inlet = lsl.StreamInlet(
            info, max_buflen=int(max_buffered_s), processing_flags=lsl.proc_clocksync
        )
        self.inlet.open_stream(timeout=float(timeout_s))
        self._buf = np.zeros((4096, self.info.n_channels), np.float32)
        self._ts = np.zeros(4096)

    def pull(self, timeout_s: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
        """What arrived since the last call: ``(data (n_channels, n), origin_ns (n,))``."""
        try:
            _, stamps = self.inlet.pull_chunk(
                timeout=float(timeout_s), max_samples=self._buf.shape[0], dest_obj=self._buf
            )
        except Exception as exc:  # pylsl raises its own LostError / RuntimeError
            raise DeviceError(f"the LSL stream {self.info.name!r} was lost ({exc})") from None
        n = len(stamps)
        origin = (np.asarray(stamps, np.float64) * 1e9).astype(np.int64)
        return self._buf[:n].T.copy(), origin

    def close(self) -> None:
        self.inlet.close_stream()


class LSLOutlet:
    """Publish ``(n_channels, n)`` chunks as an LSL stream (float32 samples)."""

    def __init__(
        self,
        name: str,
        n_channels: int,
        sample_rate: float,
        type: str = "EEG",
        source_id: str = "",
        channel_names: Sequence[str] | None = None,
    ) -> None:
        lsl = _pylsl()
        if int(n_channels) < 1 or not sample_rate >= 0:
            raise InvalidParameterError("an LSL outlet needs at least one channel and a rate >= 0")
        info = lsl.StreamInfo(name, type, int(n_channels), float(sample_rate), "float32", source_id or name)
        if channel_names:
            chans = info.desc().append_child("channels")
            for c in channel_names:
                chans.append_child("channel").append_child_value("label", str(c))
        self.outlet = lsl.StreamOutlet(info)
        self.n_channels, self.sample_rate = int(n_channels), float(sample_rate)

    def push(self, data: np.ndarray, origin_ns: int | None = None) -> None:
        """Push a chunk; ``origin_ns`` (monotonic) stamps its first sample (default: now)."""
        block = np.ascontiguousarray(np.asarray(data, np.float32).T)
        if origin_ns is None:
            self.outlet.push_chunk(block)
        else:
            last = (
                origin_ns / 1e9 + (block.shape[0] - 1) / self.sample_rate
                if self.sample_rate
                else origin_ns / 1e9
            )
            self.outlet.push_chunk(block, last)

    def have_consumers(self) -> bool:
        return bool(self.outlet.have_consumers())


@contextmanager
def synthetic_outlet_thread(
    source_id: str,
    n_channels: int = 8,
    sample_rate: float = 250.0,
    chunk: int = 10,
    seconds: float = 10.0,
    name: str = "cortexlink-synthetic",
) -> Iterator[LSLOutlet]:
    """An LSL outlet fed in real time from a thread, for tests and benchmarks: channel 0 counts
    samples (0, 1, 2, ...) so a reader can see gaps; the others are Gaussian noise in microvolts."""
    outlet = LSLOutlet(name, n_channels, sample_rate, "EEG", source_id)
    stop = threading.Event()

    def feed() -> None:
        rng = np.random.default_rng(0)
        start, i = time.monotonic(), 0
        while not stop.is_set() and i * chunk < seconds * sample_rate:
            due = start + (i + 1) * chunk / sample_rate
            time.sleep(max(0.0, due - time.monotonic()))
            block = rng.normal(0, 10, (n_channels, chunk)).astype(np.float32)
            block[0] = np.arange(i * chunk, (i + 1) * chunk)
            outlet.push(block)
            i += 1

    thread = threading.Thread(target=feed, daemon=True)
    thread.start()
    try:
        yield outlet
    finally:
        stop.set()
        thread.join()


class ChunkBuffer:
    """Regroups samples that arrive in any sizes into chunks of ``n`` samples, keeping each
    chunk's stream position and the ``origin_ns`` of its oldest sample."""

    def __init__(self, n_channels: int, n: int) -> None:
        self.n = int(n)
        self.data = np.zeros((n_channels, 0), np.float32)
        self.origin = np.zeros(0, np.int64)
        self.emitted = 0

    def add(self, data: np.ndarray, origin_ns: np.ndarray) -> list[tuple[np.ndarray, int, int]]:
        """The ``(block, start_sample, origin_ns)`` chunks completed by these samples."""
        if data.shape[1]:
            self.data = np.concatenate([self.data, data], axis=1)
            self.origin = np.concatenate([self.origin, origin_ns])
        out = []
        while self.data.shape[1] >= self.n:
            out.append((np.ascontiguousarray(self.data[:, : self.n]), self.emitted, int(self.origin[0])))
            self.data, self.origin = self.data[:, self.n :], self.origin[self.n :]
            self.emitted += self.n
        return out
