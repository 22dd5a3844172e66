"""The same suite for every transport: order, many readers, slow readers, end of stream, feedback."""

from __future__ import annotations

import multiprocessing as mp
import os
import time

import numpy as np
import pytest

from cortexlink.core import Chunk, NodeError, StreamSpec
from cortexlink.graph.transport import connect

SPEC = StreamSpec("raw", 4, 1000.0, "int16", 8)


def _chunk(i: int, n: int = 8) -> Chunk:
    data = np.full((4, n), i, dtype=np.int16)
    data[1] = np.arange(n) + i
    return Chunk(data, i * n, 1000.0, origin_ns=1_000 + i)


def test_chunks_arrive_in_order_with_their_fields(transport):
    transport.create(SPEC, slots=32)
    reader = transport.reader(SPEC)
    writer = transport.writer(SPEC)
    for i in range(10):
        writer.write(_chunk(i, n=8 if i % 2 else 3))
    for i in range(10):
        got = reader.read(1.0)
        assert got is not None
        want = _chunk(i, n=8 if i % 2 else 3)
        np.testing.assert_array_equal(got.data, want.data)
        assert (got.start_sample, got.sample_rate) == (want.start_sample, 1000.0)
        assert got.origin_ns == want.origin_ns
        assert reader.last_write_ns > 0
    assert reader.read(0.01) is None
    assert reader.overruns == 0 and reader.chunks == 10


def test_every_reader_has_its_own_cursor(transport):
    transport.create(SPEC, slots=32)
    early = transport.reader(SPEC)
    writer = transport.writer(SPEC)
    writer.write(_chunk(0))
    late = transport.reader(SPEC)  # starts at the next chunk written
    writer.write(_chunk(1))
    assert [early.read(1.0).origin_ns for _ in range(2)] == [1000, 1001]
    assert late.read(1.0).origin_ns == 1001
    assert transport.reader(SPEC, from_start=True).read(1.0).origin_ns == 1000


def test_slow_reader_never_blocks_writer_and_counts_its_overruns(transport):
    slots = 16
    transport.create(SPEC, slots=slots)
    slow = transport.reader(SPEC)
    fast = transport.reader(SPEC)
    writer = transport.writer(SPEC)
    got_fast = []
    for i in range(200):  # the writer goes on regardless of the slow reader
        writer.write(_chunk(i))
        got_fast.append(fast.read(1.0).origin_ns)
    assert got_fast == [1000 + i for i in range(200)] and fast.overruns == 0
    seen = []
    while (c := slow.read(0.05)) is not None:
        seen.append(c.origin_ns - 1000)
    assert seen == sorted(seen) and seen[-1] == 199
    assert slow.overruns > 0
    assert slow.overruns + len(seen) == 200  # every chunk was either read or counted as lost


def test_latest_skips_to_newest_without_counting_overruns(transport):
    transport.create(SPEC, slots=8)
    fb = transport.reader(SPEC)
    assert fb.latest() is None
    writer = transport.writer(SPEC)
    for i in range(20):
        writer.write(_chunk(i))
    assert fb.latest().origin_ns == 1019
    assert fb.latest().origin_ns == 1019  # still the last one seen
    assert fb.overruns == 0


def test_end_of_stream_is_seen_after_the_last_chunk(transport):
    transport.create(SPEC, slots=8)
    reader = transport.reader(SPEC)
    writer = transport.writer(SPEC)
    writer.write(_chunk(0))
    writer.end()
    assert reader.read(1.0).origin_ns == 1000
    assert reader.read(0.5) is None
    assert reader.at_end


def test_a_chunk_that_does_not_fit_the_spec_is_refused(transport):
    transport.create(SPEC, slots=8)
    writer = transport.writer(SPEC)
    with pytest.raises(NodeError, match="cast the data"):
        writer.write(Chunk(np.zeros((4, 8), np.float32), 0, 1000.0))
    with pytest.raises(NodeError):
        writer.write(Chunk(np.zeros((4, 9), np.int16), 0, 1000.0))



def test_a_read_without_waiting_returns_what_is_there(transport):
    transport.create(SPEC, slots=8)
    reader = transport.reader(SPEC)
    writer = transport.writer(SPEC)
    assert reader.read(0.0) is None
    writer.write(_chunk(7))
    assert reader.read(0.0).origin_ns == _chunk(7).origin_ns
    assert reader.read(0.0) is None

def test_a_non_contiguous_chunk_arrives_intact(transport):
    transport.create(SPEC, slots=8)
    reader = transport.reader(SPEC)
    writer = transport.writer(SPEC)
    wide = np.arange(4 * 16, dtype=np.int16).reshape(4, 16)
    writer.write(Chunk(wide[:, ::2], 0, 1000.0, origin_ns=5))  # every other sample: a strided view
    writer.write(Chunk(np.asfortranarray(wide[:, :8]), 8, 1000.0, origin_ns=6))
    np.testing.assert_array_equal(reader.read(1.0).data, wide[:, ::2])
    np.testing.assert_array_equal(reader.read(1.0).data, wide[:, :8])

def _remote_reader(address, n, queue):
    t = connect(address)
    reader = t.reader(SPEC)
    queue.put("ready")
    out = []
    while len(out) < n and (c := reader.read(2.0)) is not None:
        out.append(int(c.data[0, 0]))
    queue.put(out)
    t.close()


def test_a_reader_in_another_process_is_woken_for_every_chunk(transport):
    transport.create(SPEC, slots=64)
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_remote_reader, args=(transport.address, 30, queue))
    proc.start()
    try:
        assert queue.get(timeout=30) == "ready"
        writer = transport.writer(SPEC)
        for i in range(30):
            writer.write(_chunk(i))
            time.sleep(0.001)
        assert queue.get(timeout=10) == list(range(30))
    finally:
        proc.join(5)
        if proc.is_alive():
            proc.kill()


def test_run_directories_of_dead_supervisors_are_removed(tmp_path, monkeypatch):
    from cortexlink.graph import shm

    monkeypatch.setattr(shm, "_shm_root", lambda: tmp_path)
    dead = tmp_path / "cortexlink-999999999-abc"
    dead.mkdir()
    alive = tmp_path / f"cortexlink-{os.getpid()}-abc"
    alive.mkdir()
    t = shm.ShmTransport()
    try:
        assert not dead.exists() and alive.exists() and t.dir.parent == tmp_path
    finally:
        t.destroy()


def test_shm_zero_copy_reader_returns_read_only_views_of_the_ring():
    from cortexlink.graph.shm import ShmTransport

    t = ShmTransport()
    try:
        t.create(SPEC, slots=4)
        view = t.reader(SPEC, zero_copy=True)
        copy = t.reader(SPEC)
        writer = t.writer(SPEC)
        writer.write(_chunk(0))
        got, own = view.read(1.0), copy.read(1.0)
        np.testing.assert_array_equal(got.data, _chunk(0).data)
        assert not got.data.flags.writeable and not got.data.flags.owndata
        assert own.data.flags.writeable
        for i in range(1, 5):  # the writer reuses slot 0: the view shows the new data, the copy does not
            writer.write(_chunk(i))
        np.testing.assert_array_equal(got.data, _chunk(4).data)
        np.testing.assert_array_equal(own.data, _chunk(0).data)
        assert view.read(1.0).origin_ns == 1_002 and view.overruns == 1  # a ring holds slots - 1
    finally:
        t.destroy()
