"""The ``shm`` transport: one shared-memory ring per stream, one writer, any number of readers.

A ring is a file in a run directory under ``/dev/shm`` (tmpfs: memory, no disk), mapped by every
process that uses the stream. Layout: a 128-byte header (write count, futex word, shape) and
``slots`` fixed-size slots, each a 64-byte slot header (sequence number, samples, start, origin,
write time, rate) and room for ``spec.chunk_bytes`` of data.

The writer fills a slot (one memcpy from the chunk), stamps the slot header last, advances the
write count and wakes readers through a futex (one syscall, however many readers). The ring's
memory is allocated when the stream is created and every process maps all of its pages up front,
so no write or read pays a page fault mid-stream (and a full ``/dev/shm`` is an error at create,
not a SIGBUS later). Each reader keeps its own cursor in its own
process; it never holds the writer back. A reader more than a ring behind jumps to the oldest slot
still held and adds the chunks it skipped to ``overruns``; a slot overwritten while being copied
is detected by its sequence number (seqlock) and counted the same way.
"""

from __future__ import annotations

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
from cortexlink.graph.futex import Futex
from cortexlink.graph.transport import StreamReader, StreamWriter, Transport, check_chunk

__all__ = ["ShmTransport", "ShmWriter", "ShmReader"]

MAGIC = 0x31474E4952584C43  # "CLXRING1"
HEADER = 128
SLOT_HEADER = 64
# header int64 fields
H_MAGIC, H_SLOTS, H_STRIDE, H_CHANNELS, H_MAXSAMP, H_WSEQ, _H_FUTEX, H_ENDED, H_ITEMSIZE = range(9)
FUTEX_OFFSET = 8 * _H_FUTEX
DTYPE_OFFSET = 80  # 16 bytes: numpy dtype string
_MAP_POPULATE = getattr(mmap, "MAP_POPULATE", 0)
# slot header int64 fields
S_SEQ, S_NSAMP, S_START, S_ORIGIN, S_WRITE, S_RATE = range(6)


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
        head = np.ndarray((HEADER // 8,), np.int64, buffer=self.mm)
        if head[H_MAGIC] != MAGIC:
            raise TransportError(f"{path} is not a cortexlink ring")
        slots, stride = int(head[H_SLOTS]), int(head[H_STRIDE])
        dtype = np.dtype(bytes(self.mm[DTYPE_OFFSET:DTYPE_OFFSET + 16]).rstrip(b"\0").decode())
        if HEADER + slots * stride > size or dtype != np.dtype(spec.dtype) \
                or int(head[H_CHANNELS]) != spec.n_channels:
            raise TransportError(f"ring {path} does not match stream spec {spec}")
        self.head = head
        self.slots = slots
        self.stride = stride
        self.dtype = dtype
        self.n_channels = int(head[H_CHANNELS])
        self.max_samples = int(head[H_MAXSAMP])
        self.slot_head = np.ndarray((slots, SLOT_HEADER // 8), np.int64, buffer=self.mm, offset=HEADER,
                                    strides=(stride, 8))
        self.slot_rate = np.ndarray((slots,), np.float64, buffer=self.mm, offset=HEADER + 8 * S_RATE,
                                    strides=(stride,))
        per_slot = self.n_channels * self.max_samples
        self.data = np.ndarray((slots, per_slot), dtype, buffer=self.mm, offset=HEADER + SLOT_HEADER,
                               strides=(stride, dtype.itemsize))
        self.futex = Futex(self.mm, FUTEX_OFFSET)
        # the hot paths index plain memoryviews (tens of ns per field, not a numpy scalar's hundreds)
        self.words = memoryview(self.mm).cast("q")
        self.floats = memoryview(self.mm).cast("d")
        self.slot_word0 = [(HEADER + i * stride) // 8 for i in range(slots)]
        self._views_n = -1
        self._views: list[np.ndarray] = []

    def views(self, n: int) -> list[np.ndarray]:
        """Per-slot ``(n_channels, n)`` views of the slot data (cached for the last ``n`` used)."""
        if n != self._views_n:
            c = self.n_channels
            self._views = [self.data[i, :c * n].reshape(c, n) for i in range(self.slots)]
            self._views_n = n
        return self._views

    def close(self) -> None:
        self.futex.release()
        self.head = self.slot_head = self.slot_rate = self.data = None  # type: ignore[assignment]
        self._views = []
        self.words.release()
        self.floats.release()
        try:
            self.mm.close()
        except BufferError:  # a chunk view still refers to it; the mapping goes with the process
            pass


def create_ring(path: Path, spec: StreamSpec, slots: int) -> None:
    """Write a fresh ring file for ``spec`` (atomically, so readers never see half a header)."""
    if slots < 2:
        raise TransportError(f"a ring needs at least 2 slots, got {slots}")
    dtype = np.dtype(spec.dtype)
    stride = SLOT_HEADER + -(-spec.chunk_bytes // 64) * 64
    size = HEADER + slots * stride
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
        head = np.ndarray((HEADER // 8,), np.int64, buffer=mm)
        head[H_SLOTS], head[H_STRIDE] = slots, stride
        head[H_CHANNELS], head[H_MAXSAMP] = spec.n_channels, spec.chunk_samples
        head[H_ITEMSIZE] = dtype.itemsize
        mm[DTYPE_OFFSET:DTYPE_OFFSET + 16] = dtype.str.encode().ljust(16, b"\0")
        slot_head = np.ndarray((slots, SLOT_HEADER // 8), np.int64, buffer=mm, offset=HEADER,
                               strides=(stride, 8))
        slot_head[:, S_SEQ] = -1
        del slot_head
        head[H_MAGIC] = MAGIC
        del head
        mm.close()
    finally:
        os.close(fd)
    os.replace(tmp, path)


class ShmWriter(StreamWriter):
    def __init__(self, ring: _Ring, spec: StreamSpec) -> None:
        self.ring, self.spec = ring, spec
        ring.head[H_ENDED] = 0

    def write(self, chunk: Chunk) -> None:
        # Few Python steps on purpose: after a 1 ms sleep every step runs from cold caches.
        check_chunk(self.spec, chunk)
        data = chunk.data
        if not data.flags.c_contiguous:
            data = np.ascontiguousarray(data)
        r = self.ring
        words = r.words
        seq = words[H_WSEQ]
        w0 = r.slot_word0[seq % r.slots]
        start = 8 * w0 + SLOT_HEADER
        words[w0 + S_SEQ] = -1  # a reader copying this slot now sees it change (seqlock)
        r.mm[start:start + data.nbytes] = data  # one memcpy from the chunk's buffer
        now = time.monotonic_ns()
        words[w0 + S_NSAMP] = data.shape[1]
        words[w0 + S_START] = chunk.start_sample
        words[w0 + S_ORIGIN] = chunk.origin_ns or now
        r.floats[w0 + S_RATE] = chunk.sample_rate
        words[w0 + S_WRITE] = now
        words[w0 + S_SEQ] = seq  # the slot's header last, then the write count, then the wake
        words[H_WSEQ] = seq + 1
        r.futex.bump()
        r.futex.wake()
        self.chunks += 1

    def end(self) -> None:
        self.ring.head[H_ENDED] = 1
        self.ring.futex.bump()
        self.ring.futex.wake()

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
        wseq = int(ring.head[H_WSEQ])
        self.cursor = max(0, wseq - ring.slots + 1) if from_start else wseq
        self._last: Chunk | None = None

    def _take(self) -> Chunk | None:
        """Copy out the chunk at the cursor if one is there (counting overruns); never waits."""
        r = self.ring
        words = r.words
        while True:
            wseq = words[H_WSEQ]
            cursor = self.cursor
            if cursor >= wseq:
                return None
            oldest = wseq - r.slots + 1
            if cursor < oldest:
                self.overruns += oldest - cursor
                self.cursor = cursor = oldest
            i = cursor % r.slots
            w0 = r.slot_word0[i]
            if words[w0 + S_SEQ] != cursor:
                self.overruns += 1
                self.cursor = cursor + 1
                continue
            n = words[w0 + S_NSAMP]
            start, origin, wrote = words[w0 + S_START], words[w0 + S_ORIGIN], words[w0 + S_WRITE]
            rate = r.floats[w0 + S_RATE]
            view = r.views(n)[i]
            if self.zero_copy:
                data = view.view()
                data.flags.writeable = False
            else:
                data = view.copy()
            if words[w0 + S_SEQ] != cursor:  # the writer lapped us while we read the slot
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
        r = self.ring
        futex = r.futex
        seen = futex.value  # read before looking: a chunk published after the look changes it
        chunk = self._take()
        if chunk is not None:
            return chunk
        deadline = time.monotonic() + timeout
        while not r.words[H_ENDED]:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            futex.wait(seen, left)
            seen = futex.value
            chunk = self._take()
            if chunk is not None:
                return chunk
        return self._take()

    def latest(self) -> Chunk | None:
        wseq = int(self.ring.head[H_WSEQ])
        if wseq > self.cursor + 1:
            self.cursor = wseq - 1
        while self._take() is not None:
            pass
        return self._last

    @property
    def at_end(self) -> bool:
        return bool(self.ring.head[H_ENDED]) and self.cursor >= int(self.ring.head[H_WSEQ])

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
