"""One clock for a graph that spans machines: monotonic times moved through the Redis server's clock.

``origin_ns`` and write times are ``time.monotonic_ns()`` of the machine that stamped them, and the
monotonic clocks of two machines share no zero. Each process that talks to Redis measures the
offset from its monotonic clock to the server's clock (``TIME``) and keeps the sample with the
shortest round trip: the error is at most half of it (tens of microseconds on a LAN). A writer puts
its clock's identity (the kernel's boot id: every process of one boot shares one monotonic clock)
and offset into each chunk; a reader on another machine moves the chunk's times onto its own clock
by the difference of the offsets. Chunks between processes of one machine are never moved.
"""

from __future__ import annotations

import hashlib
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Clock", "local_clock_id", "measure_clock"]

_BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


def local_clock_id() -> int:
    """A 63-bit identity of this machine's monotonic clock (the boot id, else the host name)."""
    try:
        ident = _BOOT_ID.read_text().strip()
    except OSError:
        ident = socket.gethostname()
    return int.from_bytes(hashlib.blake2b(ident.encode(), digest_size=8).digest(), "little") >> 1


@dataclass(frozen=True)
class Clock:
    """``ident`` of a monotonic clock and ``offset_ns``: server time minus that clock's time."""

    ident: int
    offset_ns: int
    error_ns: int = 0   # half the round trip of the sample kept

    def shift_from(self, ident: int, offset_ns: int) -> int:
        """What to add to a time stamped on clock ``ident`` (offset ``offset_ns``) to put it on this one."""
        return 0 if ident == self.ident else offset_ns - self.offset_ns


def measure_clock(server_time: Callable[[], tuple[int, int]], samples: int = 16) -> Clock:
    """This machine's clock against ``server_time() -> (seconds, microseconds)`` (Redis ``TIME``)."""
    best_rtt, best_offset = None, 0
    for _ in range(samples):
        t0 = time.monotonic_ns()
        sec, usec = server_time()
        t1 = time.monotonic_ns()
        rtt = t1 - t0
        if best_rtt is None or rtt < best_rtt:
            best_rtt = rtt
            best_offset = int(sec) * 1_000_000_000 + int(usec) * 1_000 - (t0 + t1) // 2
    return Clock(local_clock_id(), best_offset, (best_rtt or 0) // 2)
