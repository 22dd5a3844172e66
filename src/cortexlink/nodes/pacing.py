"""Real-time pacing for source nodes: sleep (never spin) until each chunk's last sample is due."""

from __future__ import annotations

import time
from collections.abc import Callable


class Pacer:
    """Chunk ``i`` (0-based) of ``period_s`` seconds is due at ``start + (i + 1) * period_s``.

    ``wait(i)`` sleeps until then and returns how late it woke (seconds, >= 0). The schedule is
    never re-based, so the sample clock stays true to the wall clock; ``on_late`` is called once
    each time the source falls more than ``late_warning_s`` behind.
    """

    def __init__(self, period_s: float, realtime: bool = True, late_warning_s: float = 0.1,
                 on_late: Callable[[float], None] | None = None) -> None:
        self.period_ns = int(round(period_s * 1e9))
        self.realtime = realtime
        self.late_warning_ns = int(late_warning_s * 1e9)
        self.on_late = on_late
        self.start_ns: int | None = None
        self._warned = False

    def wait(self, i: int) -> float:
        if not self.realtime:
            return 0.0
        now = time.monotonic_ns()
        if self.start_ns is None:
            self.start_ns = now
        due = self.start_ns + (i + 1) * self.period_ns
        if due > now:
            time.sleep((due - now) / 1e9)
            return max(0.0, (time.monotonic_ns() - due) / 1e9)
        late = now - due
        if late > self.late_warning_ns and not self._warned:
            self._warned = True
            if self.on_late is not None:
                self.on_late(late / 1e9)
        elif late <= self.late_warning_ns // 2:
            self._warned = False
        return late / 1e9
