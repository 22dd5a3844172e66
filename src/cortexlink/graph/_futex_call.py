"""The futex syscall as a compiled function (see ``futex.py``): libc's ``syscall`` called directly."""

from __future__ import annotations

from numba import njit, types

_syscall = types.ExternalFunction("syscall", types.int64(types.int64, types.intp, types.int64, types.int64,
                                                         types.intp, types.intp, types.int64))


@njit(cache=True, nogil=True)
def futex_syscall(nr: int, addr: int, op: int, val: int, timeout_addr: int) -> int:
    """``syscall(nr, addr, op, val, timeout_addr, 0, 0)``; returns the raw result (-1 on error)."""
    return _syscall(nr, addr, op, val, timeout_addr, 0, 0)
