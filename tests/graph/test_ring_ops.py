"""The compiled ring operations on a ring laid out in a private buffer: what a write publishes, what a
look finds, and how lapped or half-written slots are skipped and counted."""

from __future__ import annotations

import ctypes
import threading

import numpy as np
import pytest

from cortexlink.graph import _ring_ops as ops
from cortexlink.graph.futex import FUTEX_NR

SLOTS, CHANNELS, SAMPLES = 4, 3, 5
STRIDE = ops.SLOT_HEADER + 64


@pytest.fixture
def ring():
    buf = np.zeros(ops.HEADER + SLOTS * STRIDE, np.uint8)
    words = buf[:ops.HEADER].view(np.int64)
    for i in range(SLOTS):
        buf[ops.HEADER + i * STRIDE:ops.HEADER + i * STRIDE + 8].view(np.int64)[0] = -1
    timespec = (ctypes.c_int64 * 2)()
    yield buf, words, (buf.ctypes.data, SLOTS, STRIDE, ctypes.addressof(timespec))


def _chunk(i: int) -> np.ndarray:
    return np.arange(CHANNELS * SAMPLES, dtype=np.int16).reshape(CHANNELS, SAMPLES) + i


def _write(args, i: int, futex_nr: int = -1) -> int:
    return ops.publish(*args[:3], _chunk(i), 100 * i, 1000 + i, 2000 + i, 30000.0, futex_nr)


def _slot_data(buf, slot: int, n: int) -> np.ndarray:
    start = ops.HEADER + slot * STRIDE + ops.SLOT_HEADER
    return buf[start:start + CHANNELS * n * 2].view(np.int16).reshape(CHANNELS, n)


def test_a_published_chunk_is_found_with_its_fields_and_data(ring):
    buf, words, args = ring
    assert ops.take(*args, 0, 0, -1)[0] == ops.EMPTY
    assert _write(args, 7) == 0
    status, cursor, slot, n, start, origin, written, rate, skipped = ops.take(*args, 0, 0, -1)
    assert (status, cursor, slot, n, start, origin, written, rate, skipped) == \
        (ops.TAKEN, 0, 0, SAMPLES, 700, 1007, 2007, 30000.0, 0)
    np.testing.assert_array_equal(_slot_data(buf, slot, n), _chunk(7))
    assert words[ops.H_WSEQ] == 1 and ops.slot_seq(args[0], STRIDE, 0) == 0


def test_a_reader_a_ring_behind_skips_to_the_oldest_slot_and_counts_what_it_lost(ring):
    _, _, args = ring
    for i in range(6):
        _write(args, i)
    status, cursor, slot, *_, skipped = ops.take(*args, 0, 0, -1)
    # 6 written into 4 slots: the oldest still whole is chunk 3 (chunk 2's slot is next to be reused)
    assert status == ops.TAKEN and cursor == 3 and slot == 3 and skipped == 3


def test_a_slot_being_rewritten_is_skipped_and_counted(ring):
    buf, _, args = ring
    _write(args, 0)
    _write(args, 1)
    buf[ops.HEADER:ops.HEADER + 8].view(np.int64)[0] = -1  # the writer is inside slot 0
    status, cursor, *_, skipped = ops.take(*args, 0, 0, -1)
    assert status == ops.TAKEN and cursor == 1 and skipped == 1


def test_an_ended_stream_says_so_once_everything_is_read(ring):
    _, _, args = ring
    _write(args, 0)
    ops.end_stream(args[0], -1)
    assert ops.take(*args, 0, 0, -1)[0] == ops.TAKEN
    assert ops.take(*args, 1, 0, -1)[0] == ops.ENDED


@pytest.mark.skipif(FUTEX_NR < 0, reason="no futex syscall on this platform")
def test_a_waiting_look_sleeps_until_a_write_wakes_it_and_times_out_otherwise(ring):
    _, _, args = ring
    assert ops.take(*args, 0, 20_000_000, FUTEX_NR)[0] == ops.EMPTY  # 20 ms, nobody writes
    found = []
    looker = threading.Thread(target=lambda: found.append(ops.take(*args, 0, 30_000_000_000, FUTEX_NR)))
    looker.start()
    threading.Event().wait(0.05)
    _write(args, 3, FUTEX_NR)
    looker.join(10)
    assert not looker.is_alive() and found[0][0] == ops.TAKEN and found[0][5] == 1003
