"""Wake sleeping readers of a shared-memory ring: Linux futexes on a word inside the ring.

A reader sleeps in ``futex_wait(word, seen, timeout)`` until the writer changes the word and calls
``futex_wake``; one wake syscall wakes every reader, and a reader that sleeps uses no CPU. The
kernel compares the word under its own lock, so no wake-up is lost between a reader's last check
and its sleep. Elsewhere (no futex syscall), ``wait`` falls back to short sleeps.

The syscall is made from a small numba function that calls libc's ``syscall`` directly: a ctypes
call converts its seven arguments through libffi on each call, which on a process just woken from
sleep (cold caches) added about 10-15 us to the wake-up latency (``benchmarks/latency_wake.py``).
ctypes remains the fallback where numba cannot build it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import platform
import sys
import time

__all__ = ["Futex", "FUTEX_AVAILABLE", "FUTEX_NR"]

_SYS_FUTEX = {"x86_64": 202, "amd64": 202, "aarch64": 98, "arm64": 98, "i686": 240, "i386": 240,
              "ppc64le": 221, "s390x": 238, "riscv64": 98}.get(platform.machine().lower())
# operations, shared (not PRIVATE): the word lives in memory mapped by several processes
FUTEX_WAIT, FUTEX_WAKE = 0, 1
WAKE_ALL = 0x7FFFFFFF  # FUTEX_WAKE's count: every waiter


class _Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


def _libc():
    if not sys.platform.startswith("linux") or _SYS_FUTEX is None:
        return None
    try:
        lib = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        lib.syscall.restype = ctypes.c_long
        return lib
    except OSError:
        return None


def _compiled_syscall():
    """``syscall(nr, addr, op, val, timeout)`` as a numba function (bound to libc's symbol by name,
    so it caches), or None where numba is missing or cannot build it."""
    if sys.maxsize <= 2**32 or _SYS_FUTEX is None or not sys.platform.startswith("linux"):
        return None
    try:
        from cortexlink.graph._futex_call import futex_syscall

        futex_syscall(_SYS_FUTEX, 0, -1, 0, 0)  # build or load it now; an invalid op the kernel refuses
        return futex_syscall
    except Exception:  # ctypes does the same job, slower
        return None


_LIBC = _libc()
FUTEX_AVAILABLE = _LIBC is not None
_SYSCALL = _compiled_syscall() if FUTEX_AVAILABLE else None
# the syscall number compiled code passes to ``syscall`` (``_ring_ops``); -1 where it cannot
FUTEX_NR = _SYS_FUTEX if _SYSCALL is not None else -1


class Futex:
    """A 32-bit futex word at ``offset`` in a writable shared buffer (4-byte aligned)."""

    def __init__(self, buffer, offset: int) -> None:
        if offset % 4:
            raise ValueError("a futex word must be 4-byte aligned")
        self._word = ctypes.c_uint32.from_buffer(buffer, offset)
        self._address = ctypes.addressof(self._word)
        self._addr = ctypes.c_void_p(self._address)  # built once: ctypes converts per call
        self._ts = _Timespec()
        self._ts_ref = ctypes.byref(self._ts)
        self._ts_address = ctypes.addressof(self._ts)

    @property
    def value(self) -> int:
        return self._word.value

    def bump(self) -> None:
        """Change the word (the writer does this before ``wake``)."""
        self._word.value = (self._word.value + 1) & 0xFFFFFFFF

    def wake(self) -> None:
        """Wake every process sleeping on the word (about a microsecond when none is)."""
        if _SYSCALL is not None:
            _SYSCALL(_SYS_FUTEX, self._address, FUTEX_WAKE, WAKE_ALL, 0)
        elif _LIBC is not None:
            _LIBC.syscall(_SYS_FUTEX, self._addr, FUTEX_WAKE, WAKE_ALL, None, None, 0)

    def wait(self, seen: int, timeout: float) -> None:
        """Sleep while the word still equals ``seen``, at most ``timeout`` seconds.

        Returns on a wake, a change of the word, the timeout or a signal; callers re-check their
        condition either way.
        """
        if _LIBC is None:
            time.sleep(min(timeout, 0.0002))
            return
        sec = int(timeout)
        self._ts.tv_sec = sec
        self._ts.tv_nsec = int((timeout - sec) * 1e9)
        if _SYSCALL is not None:
            _SYSCALL(_SYS_FUTEX, self._address, FUTEX_WAIT, seen, self._ts_address)
        else:
            _LIBC.syscall(_SYS_FUTEX, self._addr, FUTEX_WAIT, ctypes.c_uint32(seen), self._ts_ref, None, 0)

    def release(self) -> None:
        """Drop the reference into the buffer so the mapping can be closed."""
        self._word = self._addr = None  # type: ignore[assignment]
