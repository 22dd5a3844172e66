"""The hot paths of a shared-memory ring as compiled functions: publish a chunk, take the next one.

A reader just woken from a 1 ms sleep runs from cold caches, where each Python step between the
wake-up and the data in hand costs microseconds (header fields, views, checks: ~17 us per chunk on a
2-core VM). Here the writer's copy, stamps and wake, and the reader's check, futex sleep and header
reads, are one compiled call each. Memory order is explicit: the seqlock and write count are atomic
acquire loads and release stores (with fences around the data), so neither the compiler nor a weakly
ordered CPU reorders them.

Layout constants are shared with ``shm.py``, which owns the ring file format.
"""

from __future__ import annotations

from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

from cortexlink.graph._futex_call import _syscall
from cortexlink.graph.futex import FUTEX_WAIT, FUTEX_WAKE, WAKE_ALL

__all__ = ["publish", "take", "slot_seq", "end_stream", "HEADER", "SLOT_HEADER", "TAKEN", "EMPTY", "ENDED"]

HEADER = 128
SLOT_HEADER = 64
# header int64 fields
H_MAGIC, H_SLOTS, H_STRIDE, H_CHANNELS, H_MAXSAMP, H_WSEQ, H_FUTEX, H_ENDED, H_ITEMSIZE = range(9)
# slot header int64 fields
S_SEQ, S_NSAMP, S_START, S_ORIGIN, S_WRITE, S_RATE = range(6)
# what ``take`` found
TAKEN, EMPTY, ENDED = 1, 0, 2


def _pointer(builder, address, bits):
    return builder.inttoptr(address, ir.IntType(bits).as_pointer())


@intrinsic
def _load64(typingctx, address):
    """Atomic acquire load of the int64 at ``address``."""
    def codegen(context, builder, signature, args):
        return builder.load_atomic(_pointer(builder, args[0], 64), "acquire", 8)
    return types.int64(types.intp), codegen


@intrinsic
def _load32(typingctx, address):
    """Atomic acquire load of the uint32 at ``address`` (a futex word), widened to int64."""
    def codegen(context, builder, signature, args):
        word = builder.load_atomic(_pointer(builder, args[0], 32), "acquire", 4)
        return builder.zext(word, ir.IntType(64))
    return types.int64(types.intp), codegen


@intrinsic
def _store64(typingctx, address, value):
    """Atomic release store of an int64 (or a float64's bits) at ``address``."""
    def codegen(context, builder, signature, args):
        if isinstance(signature.args[1], types.Float):
            real = context.cast(builder, args[1], signature.args[1], types.float64)
            bits = builder.bitcast(real, ir.IntType(64))
        else:
            bits = context.cast(builder, args[1], signature.args[1], types.int64)
        builder.store_atomic(bits, _pointer(builder, args[0], 64), "release", 8)
        return context.get_dummy_value()
    return types.void(types.intp, value), codegen


@intrinsic
def _store32(typingctx, address, value):
    """Atomic release store of the low 32 bits of ``value`` at ``address`` (a futex word)."""
    def codegen(context, builder, signature, args):
        word = builder.trunc(args[1], ir.IntType(32))
        builder.store_atomic(word, _pointer(builder, args[0], 32), "release", 4)
        return context.get_dummy_value()
    return types.void(types.intp, types.int64), codegen


@intrinsic
def _load_f64(typingctx, address):
    """Atomic acquire load of the float64 at ``address``."""
    def codegen(context, builder, signature, args):
        bits = builder.load_atomic(_pointer(builder, args[0], 64), "acquire", 8)
        return builder.bitcast(bits, ir.DoubleType())
    return types.float64(types.intp), codegen


@intrinsic
def _fence(typingctx):
    """A full memory fence: no load or store moves across it (compiler or CPU)."""
    def codegen(context, builder, signature, args):
        builder.fence("seq_cst")
        return context.get_dummy_value()
    return types.void(), codegen


_memcpy = types.ExternalFunction("memcpy", types.intp(types.intp, types.intp, types.intp))


@njit(cache=True, nogil=True)
def publish(base, slots, stride, data, start, origin, now, rate, futex_nr):
    """Copy C-contiguous ``data`` (channels x samples) into the next slot, stamp it, count it and wake
    the readers (``futex_nr`` < 0: no futex here). Returns the chunk's sequence number."""
    seq = _load64(base + 8 * H_WSEQ)
    slot = base + HEADER + (seq % slots) * stride
    _store64(slot + 8 * S_SEQ, -1)  # a reader copying this slot now sees its sequence change
    _fence()
    _memcpy(slot + SLOT_HEADER, data.ctypes.data, data.size * data.itemsize)
    _store64(slot + 8 * S_NSAMP, data.shape[1])
    _store64(slot + 8 * S_START, start)
    _store64(slot + 8 * S_ORIGIN, origin)
    _store64(slot + 8 * S_RATE, rate)
    _store64(slot + 8 * S_WRITE, now)
    _store64(slot + 8 * S_SEQ, seq)  # the slot's header last, then the write count, then the wake
    _store64(base + 8 * H_WSEQ, seq + 1)
    _wake(base, futex_nr)
    return seq


@njit(cache=True, nogil=True)
def _wake(base, futex_nr):
    word = base + 8 * H_FUTEX
    _store32(word, _load32(word) + 1)
    if futex_nr >= 0:
        _syscall(futex_nr, word, FUTEX_WAKE, WAKE_ALL, 0, 0, 0)


@njit(cache=True, nogil=True)
def end_stream(base, futex_nr):
    """Mark the stream ended and wake the readers."""
    _store64(base + 8 * H_ENDED, 1)
    _wake(base, futex_nr)


@njit(cache=True, nogil=True)
def take(base, slots, stride, timespec, cursor, timeout_ns, futex_nr):
    """Find the chunk at ``cursor``, sleeping on the ring's futex at most ``timeout_ns`` if none is
    there yet (``timespec``: the address of a writable ``struct timespec``).

    Returns ``(status, cursor, slot, n_samples, start, origin, written_ns, rate, skipped)``: the
    cursor moves past chunks the writer already overwrote (``skipped`` of them, an overrun) but not
    past the one found; ``status`` is TAKEN, EMPTY (nothing yet; also after a wake-up by another
    stream's change or a signal) or ENDED (nothing left and the writer ended the stream).
    """
    skipped = 0
    waited = False
    while True:
        seen = _load32(base + 8 * H_FUTEX)  # read before looking: a chunk published after the look changes it
        wseq = _load64(base + 8 * H_WSEQ)
        while cursor < wseq:
            oldest = wseq - slots + 1
            if cursor < oldest:
                skipped += oldest - cursor
                cursor = oldest
            slot = base + HEADER + (cursor % slots) * stride
            if _load64(slot + 8 * S_SEQ) != cursor:  # being rewritten: lapped
                skipped += 1
                cursor += 1
                continue
            return (TAKEN, cursor, cursor % slots, _load64(slot + 8 * S_NSAMP), _load64(slot + 8 * S_START),
                    _load64(slot + 8 * S_ORIGIN), _load64(slot + 8 * S_WRITE), _load_f64(slot + 8 * S_RATE),
                    skipped)
        if _load64(base + 8 * H_ENDED):
            return ENDED, cursor, 0, 0, 0, 0, 0, 0.0, skipped
        if waited or timeout_ns <= 0 or futex_nr < 0:
            return EMPTY, cursor, 0, 0, 0, 0, 0, 0.0, skipped
        if timespec:  # else no time limit
            _store64(timespec, timeout_ns // 1_000_000_000)
            _store64(timespec + 8, timeout_ns % 1_000_000_000)
        _syscall(futex_nr, base + 8 * H_FUTEX, FUTEX_WAIT, seen, timespec, 0, 0)
        waited = True


@njit(cache=True, nogil=True)
def slot_seq(base, stride, slot):
    """The sequence number a slot holds now, read after everything before it (a copy's validation)."""
    _fence()
    return _load64(base + HEADER + slot * stride + 8 * S_SEQ)
