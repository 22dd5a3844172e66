"""Keep CPUs out of deep idle states while a graph runs (Linux PM QoS, ``/dev/cpu_dma_latency``).

A node asleep on an idle CPU runs only once that CPU has left its idle state: on virtual machines
and in deep C-states that takes tens to hundreds of microseconds, most of what a wake-up costs.
Writing a latency bound to ``/dev/cpu_dma_latency`` makes the kernel choose idle states that
leave within it (polling for a bound of 0) for as long as the file stays open; closing it, or the
process ending, withdraws the request, so nothing outlives the run. Real-time rigs do the same
(BRAND's setup disables C-states); the price is power drawn by idle CPUs, not CPU time of a node.
"""

from __future__ import annotations

import os
import struct
from types import TracebackType

__all__ = ["CpuLatencyRequest", "DEVICE"]

DEVICE = "/dev/cpu_dma_latency"


class CpuLatencyRequest:
    """Context manager holding a PM QoS CPU latency bound; ``active`` says whether the kernel took it
    (it needs write access to the device, e.g. root), ``reason`` why not."""

    def __init__(self, max_us: int = 0, device: str = DEVICE) -> None:
        self.max_us, self.device = int(max_us), device
        self.active, self.reason = False, ""
        self._fd: int | None = None

    def __enter__(self) -> CpuLatencyRequest:
        return self.hold()

    def hold(self) -> CpuLatencyRequest:
        """Ask the kernel for the bound (once; a failure is kept in ``reason``, not raised)."""
        if self._fd is not None:
            return self
        try:
            self._fd = os.open(self.device, os.O_WRONLY)
            os.write(self._fd, struct.pack("<i", self.max_us))
            self.active = True
        except OSError as exc:
            self.reason = f"{self.device}: {exc.strerror or exc}"
            self.close()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Withdraw the request."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        self.active = False

    def describe(self) -> str:
        """One line for a person: what is held, or why nothing is."""
        if self.active:
            return f"CPU wake-up latency held at {self.max_us} us (PM QoS) while this runs"
        return (f"CPU wake-up latency not held ({self.reason}); wake-ups may take longer: run as root "
                f"or give this user write access to {self.device}")
