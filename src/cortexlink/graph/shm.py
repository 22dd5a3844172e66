"""The ``shm`` transport: one shared-memory ring per stream, one writer, any number of readers.

A ring is a file in a run directory under ``/dev/shm`` (tmpfs: memory, no disk), mapped by every
process that uses the stream. Layout: a 128-byte header (write count, futex word, shape) and
``slots`` fixed-size slots, each a 64-byte slot header (sequence number, samples, start, origin,
write time, rate) and room for ``spec.chunk_bytes`` of data.

The writer fills a slot (one memcpy from the chunk), stamps the slot header last, advances the
write count and wakes readers through a futex (one syscall, however many readers); both that and a
reader's wait and look at the slot header are one compiled call each (``_ring_ops``). The ring's
memory is allocated when the stream is created and every process maps all of its pages up front,
so no write or read pays a page fault mid-stream (and a full ``/dev/shm`` is an error at create,
not a SIGBUS later). Each reader keeps its own cursor in its own
process; it never holds the writer back. A reader more than a ring behind jumps to the oldest slot
still held and adds the chunks it skipped to ``overruns``; a slot overwritten while being copied
is detected by its sequence number (seqlock) and counted the same way.
"""

from __future__ import annotations

import ctypes
import mmap
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import TransportError
from cortexlink.core.streamspec import StreamSpec
from cortexlink.graph import _ring_ops as ops
from cortexlink.graph.futex import FUTEX_NR
from cortexlink.graph.transport import StreamReader, StreamWriter, Transport, check_chunk

__all__ = ["ShmTransport", "ShmWriter", "ShmReader"]

MAGIC = 0x31474E4952584C43  # "CLXRING1"
DTYPE_OFFSET = 80  # 16 bytes: numpy dtype string
_MAP_POPULATE = getattr(mmap, "MAP_POPULATE", 0)


def _shm_root() -> Path:
    root = Path("/dev/shm")
    return root if root.is_dir() and os.access(root, os.W_OK) else Path(tempfile.gettempdir())


def _remove_stale_runs(root: Path) -> None:
    """Delete run directories left by supervisors that died without cleaning up (SIGKILL)."""
    for path in root.glob("cortexlink-*-*"):
        try:
            pid = int(path.name.split("-")[1])
        except (IndexError, ValueError):
            continue
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            shutil.rmtree(path, ignore_errors=True)
        except PermissionError:  # someone else's live process
            pass


class _Ring:
    """A mapped ring file: numpy views of the header, the slot headers and the slot data."""

    def __init__(self, path: Path, spec: StreamSpec) -> None:
        try:
            fd = os.open(path, os.O_RDWR)
        except FileNotFoundError:
            raise TransportError(f"stream {spec.name!r} does not exist in {path.parent}; "
                                 "the supervisor creates streams before nodes start") from None
        try:
            size = os.fstat(fd).st_size
            # map every page now: a page first touched mid-stream costs a fault per 4 KiB
            # (15 per 1024-channel chunk), which showed up as the tail of the latency
            self.mm = mmap.mmap(fd, size, flags=mmap.MAP_SHARED | _MAP_POPULATE)
        finally:
            os.close(fd)
        head = np.ndarray((ops.HEADER // 8,), np.int64, buffer=self.mm)
        if head[ops.H_MAGIC] != MAGIC:
            raise TransportError(f"{path} is not a cortexlink ring")
        slots, stride = int(head[ops.H_SLOTS]), int(head[ops.H_STRIDE])
        dtype = np.dtype(bytes(self.mm[DTYPE_OFFSET:DTYPE_OFFSET + 16]).rstrip(b"\0").decode())
        if ops.HEADER + slots * stride > size or dtype != np.dtype(spec.dtype) \
                or int(head[ops.H_CHANNELS]) != spec.n_channels:
            raise TransportError(f"ring {path} does not match stream spec {spec}")
        self.head = head
        self.slots = slots
        self.stride = stride
        self.dtype = dtype
        self.n_channels = int(head[ops.H_CHANNELS])
        self.max_samples = int(head[ops.H_MAXSAMP])
        per_slot = self.n_channels * self.max_samples
        self.data = np.ndarray((slots, per_slot), dtype, buffer=self.mm, offset=ops.HEADER + ops.SLOT_HEADER,
                               strides=(stride, dtype.itemsize))
        self._first_byte = ctypes.c_char.from_buffer(self.mm)
        self.base = ctypes.addressof(self._first_byte)  # what the compiled ring operations work on
        self._views_n = -1
        self._views: list[np.ndarray] = []

    def views(self, n: int) -> list[np.ndarray]:
        """Read-only per-slot ``(n_channels, n)`` views of the slot data (for the last ``n`` used)."""
        if n != self._views_n:
            c = self.n_channels
            self._views = [self.data[i, :c * n].reshape(c, n) for i in range(self.slots)]
            for view in self._views:
                view.flags.writeable = False
            self._views_n = n
        return self._views

    def close(self) -> None:
        self.head = self.data = None  # type: ignore[assignment]
        self._views = []
        self._first_byte = None  # type: ignore[assignment]
        try:
            self.mm.close()
        except BufferError:  # a chunk view still refers to it; the mapping goes with the process
            pass


def create_ring(path: Path, spec: StreamSpec, slots: int) -> None:
    """Write a fresh ring file for ``spec`` (atomically, so readers never see half a header)."""
    if slots < 2:
        raise TransportError(f"a ring needs at least 2 slots, got {slots}")
    dtype = np.dtype(spec.dtype)
    stride = ops.SLOT_HEADER + -(-spec.chunk_bytes // 64) * 64
    size = ops.HEADER + slots * stride
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.ftruncate(fd, size)
        if hasattr(os, "posix_fallocate"):  # allocate the memory now, not at the first write of each page
            try:
                os.posix_fallocate(fd, 0, size)
            except OSError as exc:
                raise TransportError(f"cannot allocate {size >> 20} MiB of shared memory in {path.parent} "
                                     f"for stream {spec.name!r}: {exc}; give a shorter --buffer") from None
        mm = mmap.mmap(fd, size)
        head = np.ndarray((ops.HEADER // 8,), np.int64, buffer=mm)
        head[ops.H_SLOTS], head[ops.H_STRIDE] = slots, stride
        head[ops.H_CHANNELS], head[ops.H_MAXSAMP] = spec.n_channels, spec.chunk_samples
        head[ops.H_ITEMSIZE] = dtype.itemsize
        mm[DTYPE_OFFSET:DTYPE_OFFSET + 16] = dtype.str.encode().ljust(16, b"\0")
        slot_head = np.ndarray((slots, ops.SLOT_HEADER // 8), np.int64, buffer=mm, offset=ops.HEADER,
                               strides=(stride, 8))
        slot_head[:, ops.S_SEQ] = -1
        del slot_head
        head[ops.H_MAGIC] = MAGIC
        del head
        mm.close()
    finally:
        os.close(fd)
    os.replace(tmp, path)


class ShmWriter(StreamWriter):
    def __init__(self, ring: _Ring, spec: StreamSpec) -> None:
        self.ring, self.spec = ring, spec
        ring.head[ops.H_ENDED] = 0
        self._args = (ring.base, ring.slots, ring.stride)
        # build (or load) the copy for this dtype now, not at the first chunk, on a scratch ring
        # (readers may already be reading this one); chunks may be writable arrays or read-only views
        scratch = np.zeros(ops.HEADER + 2 * ops.SLOT_HEADER, np.uint8)
        empty = np.zeros((spec.n_channels, 0), spec.dtype)
        for writeable in (True, False):
            empty.flags.writeable = writeable
            ops.publish(scratch.ctypes.data, 2, ops.SLOT_HEADER, empty, 0, 0, 0, float(spec.sample_rate), -1)

    def write(self, chunk: Chunk) -> None:
        check_chunk(self.spec, chunk)
        data = chunk.data
        if not data.flags.c_contiguous:
            data = np.ascontiguousarray(data)
        now = time.monotonic_ns()
        origin = chunk.origin_ns or now
        ops.publish(*self._args, data, chunk.start_sample, origin, now, float(chunk.sample_rate), FUTEX_NR)
        self.chunks += 1

    def end(self) -> None:
        ops.end_stream(self.ring.base, FUTEX_NR)

    def release(self) -> None:
        self.ring.close()


class ShmReader(StreamReader):
    """A cursor into a ring. With ``zero_copy`` the chunks it returns are read-only views of the
    ring's slots instead of copies: no copy per chunk, but the data is only valid until the writer
    reuses the slot (``slots`` chunks later; the supervisor sizes rings to ``--buffer`` seconds),
    so a reader that keeps data longer copies it itself."""

    def __init__(self, ring: _Ring, spec: StreamSpec, from_start: bool = False,
                 zero_copy: bool = False) -> None:
        self.ring, self.spec = ring, spec
        self.zero_copy = zero_copy
        wseq = int(ring.head[ops.H_WSEQ])
        self.cursor = max(0, wseq - ring.slots + 1) if from_start else wseq
        self._last: Chunk | None = None
        self._timespec = (ctypes.c_int64 * 2)()
        self._args = (ring.base, ring.slots, ring.stride, ctypes.addressof(self._timespec))
        ring.views(spec.chunk_samples)
        # build (or load) the compiled look now, not at the first chunk
        ops.take(*self._args, -1, 0, -1)
        ops.slot_seq(ring.base, ring.stride, 0)

    def _take(self, timeout_ns: int) -> Chunk | None:
        """The chunk at the cursor, waiting at most ``timeout_ns`` for one; counts overruns."""
        r = self.ring
        while True:
            status, cursor, slot, n, start, origin, wrote, rate, skipped = ops.take(
                *self._args, self.cursor, timeout_ns, FUTEX_NR)
            self.cursor = cursor
            if skipped:
                self.overruns += skipped
            if status != ops.TAKEN:
                return None
            data = r.views(n)[slot]
            if not self.zero_copy:
                data = data.copy()
                if ops.slot_seq(r.base, r.stride, slot) != cursor:  # the writer lapped us while we copied
                    self.overruns += 1
                    self.cursor = cursor + 1
                    continue
            self.cursor = cursor + 1
            self.chunks += 1
            self.last_write_ns = wrote
            chunk = Chunk(data, start, rate, origin)
            self._last = chunk
            return chunk

    def read(self, timeout: float) -> Chunk | None:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            chunk = self._take(int(left * 1e9) if left > 0 else 0)
            if chunk is not None or left <= 0 or self.ring.head[ops.H_ENDED]:
                return chunk
            if FUTEX_NR < 0:  # no futex here: poll
                time.sleep(min(left, 0.0002))

    def latest(self) -> Chunk | None:
        wseq = int(self.ring.head[ops.H_WSEQ])
        if wseq > self.cursor + 1:
            self.cursor = wseq - 1
        while self._take(0) is not None:
            pass
        return self._last

    @property
    def at_end(self) -> bool:
        return bool(self.ring.head[ops.H_ENDED]) and self.cursor >= int(self.ring.head[ops.H_WSEQ])

    def release(self) -> None:
        self._last = None
        self.ring.close()


class ShmTransport(Transport):
    """Streams as shared-memory rings in one run directory; no service to start."""

    kind = "shm"

    def __init__(self, directory: str | Path | None = None, create_dir: bool = True) -> None:
        if directory is None:
            _remove_stale_runs(_shm_root())
            directory = tempfile.mkdtemp(prefix=f"cortexlink-{os.getpid()}-", dir=_shm_root())
        self.dir = Path(directory)
        if create_dir:
            self.dir.mkdir(parents=True, exist_ok=True)
        elif not self.dir.is_dir():
            raise TransportError(f"shared-memory run directory {self.dir} is gone; "
                                 "was the supervisor stopped?")
        self._open: list[Any] = []

    @property
    def address(self) -> dict[str, Any]:
        return {"kind": "shm", "dir": str(self.dir)}

    def _path(self, name: str) -> Path:
        return self.dir / f"{name}.ring"

    def create(self, spec: StreamSpec, slots: int = 256) -> None:
        create_ring(self._path(spec.name), spec, slots)

    def writer(self, spec: StreamSpec) -> ShmWriter:
        w = ShmWriter(_Ring(self._path(spec.name), spec), spec)
        self._open.append(w)
        return w

    def reader(self, spec: StreamSpec, from_start: bool = False, zero_copy: bool = False) -> ShmReader:
        r = ShmReader(_Ring(self._path(spec.name), spec), spec, from_start, zero_copy)
        self._open.append(r)
        return r

    def close(self) -> None:
        for item in self._open:
            item.release()
        self._open.clear()

    def destroy(self) -> None:
        self.close()
        shutil.rmtree(self.dir, ignore_errors=True)
