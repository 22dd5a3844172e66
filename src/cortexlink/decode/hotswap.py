"""Changing a running decoder's parameters without a gap in its output.

Re-solving for a channel mask or refitting on recent data takes longer than a bin. ``HotSwap``
does the work on a copy of the decoder in a background thread while the live one keeps decoding;
``poll`` then hands the live decoder's online state (smoothing and lag history, Kalman state,
recurrent state) to the new copy and returns it, so the next ``step`` continues where the old
one stopped, with the new parameters. Every swap is logged with a digest of the parameters
before and after.
"""

from __future__ import annotations

import copy
import hashlib
import os
import queue
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from cortexlink.core.errors import InvalidParameterError
from cortexlink.decode.base import Decoder

SWAP_SWITCH_INTERVAL_S = 1e-4


def parameters_digest(decoder: Decoder) -> str:
    """SHA-256 (first 16 hex digits) of a fitted decoder's parameter arrays and channel mask."""
    h = hashlib.sha256(decoder.kind.encode())
    for name, arr in sorted(decoder._state().items()):
        h.update(name.encode())
        h.update(np.ascontiguousarray(arr).tobytes())
    h.update(np.packbits(decoder.channel_mask).tobytes())
    return h.hexdigest()[:16]


@dataclass
class SwapRecord:
    """One swap: why, the digests before and after, and how long the work took off the loop."""

    reason: str
    before: str
    after: str
    prepare_s: float
    time: float

    def to_dict(self) -> dict:
        return {"event": "decoder_swap", "reason": self.reason, "before": self.before, "after": self.after,
                "prepare_s": round(self.prepare_s, 4), "time": self.time}


class HotSwap:
    """Prepare a changed copy of a decoder off the real-time loop, then swap it in between bins.

    The work runs on one long-lived worker thread at the lowest CPU priority (Linux: a thread has
    its own nice value), started with the first ``prepare``, so a swap neither waits for a thread to
    start nor takes a busy core from the loop."""

    def __init__(self) -> None:
        self.log: list[SwapRecord] = []
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._worker: threading.Thread | None = None
        self._done = threading.Event()
        self._busy = False
        self._ready: Decoder | None = None
        self._error: BaseException | None = None
        self._pending: tuple[str, float] | None = None
        self._digests = ("", "")  # before and after, computed off the loop
        self._switch_interval: float | None = None

    @property
    def busy(self) -> bool:
        """A change is being prepared (or is ready and not yet swapped in)."""
        return self._busy

    def start(self) -> None:
        """Start the worker now (a real-time user calls this at setup, not at the first swap)."""
        if self._worker is None:
            self._worker = threading.Thread(target=self._work, name="decoder-swap", daemon=True)
            self._worker.start()

    def _work(self) -> None:
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
        except (AttributeError, OSError):  # not Linux, or not allowed: normal priority
            pass
        while True:
            live, change = self._jobs.get()
            try:
                # copied here, not on the loop: ``step`` only rewrites the online state, which the
                # copy takes from the live decoder at the swap anyway; the parameters stay put
                work = copy.deepcopy(live)
                before = parameters_digest(work)
                change(work)
                self._digests = (before, parameters_digest(work))
                self._ready = work
            except BaseException as exc:  # handed to poll(), on the loop's thread
                self._error = exc
            self._done.set()

    def prepare(self, decoder: Decoder, change: Callable[[Decoder], object], reason: str) -> bool:
        """Start ``change(copy_of_decoder)`` in the background; False if one is still in progress."""
        if self._busy:
            return False
        if not decoder.is_fitted:
            raise InvalidParameterError("only a fitted decoder can be hot-swapped")
        self.start()
        self._pending = (reason, time.perf_counter())
        self._ready, self._error = None, None
        self._done.clear()
        # the worker holds the GIL for its Python steps: hand it back to the loop within
        # SWAP_SWITCH_INTERVAL_S instead of the default 5 ms, so bins stay on time meanwhile
        self._switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(SWAP_SWITCH_INTERVAL_S)
        self._busy = True
        self._jobs.put((decoder, change))
        return True

    def poll(self, live: Decoder) -> Decoder:
        """The decoder to use for the next bin: the new one, carrying ``live``'s online state, once
        it is ready; ``live`` until then. A failed change is raised here."""
        if not self._busy or not self._done.is_set():
            return live
        self._busy = False
        if self._switch_interval is not None:
            sys.setswitchinterval(self._switch_interval)
            self._switch_interval = None
        if self._error is not None:
            exc, self._error = self._error, None
            raise exc
        new, self._ready = self._ready, None
        new.restore_online_state(live.online_state())
        reason, t0 = self._pending
        prepare_s = time.perf_counter() - t0
        self.log.append(SwapRecord(reason, *self._digests, prepare_s, time.time()))
        return new

    def join(self, timeout: float | None = None) -> bool:
        """Wait until the copy being prepared is ready; False if ``timeout`` ran out first."""
        return not self._busy or self._done.wait(timeout)

    def wait(self, live: Decoder, timeout: float = 30.0) -> Decoder:
        """``poll`` after waiting for the work to finish (offline use and tests)."""
        self.join(timeout)
        return self.poll(live)
