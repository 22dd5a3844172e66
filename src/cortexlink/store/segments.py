"""A crash-safe recording log: one NPZ file per flushed segment, committed by an atomic rename.

A live recorder must not lose what it has acknowledged when any process dies, itself included,
even by SIGKILL. HDF5/NWB files are not safe to append to under a crash, so the recorder writes
this log instead: one folder per stream holding ``stream.json`` (shape, dtype, rate; written
once, atomically) and its segments ``seg-00000000.npz``. A segment is written to a temporary
name, fsynced, renamed into place and the folder fsynced; only then is it acknowledged. A crash
leaves at worst a ``*.tmp`` file, which readers ignore. Streams are independent, so several
recorder processes may write different streams into one recording folder.
``read_segment_log`` reads it all back; ``export_stream`` writes one stream out as a recording file.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import (
    CorruptDataError,
    InvalidDataError,
    InvalidParameterError,
    RecordingNotFoundError,
)
from cortexlink.core.recording import Recording

STREAM_INFO = "stream.json"
FORMAT_NAME = "cortexlink-segment-log"
FORMAT_VERSION = 1
_SEGMENT = re.compile(r"^seg-(\d{8})\.npz$")
_STREAM_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
_MAX_CHANNELS = 1 << 16


@dataclass
class RecordedStream:
    """One stream read back: the samples of every acknowledged chunk, concatenated in order,
    with each chunk's ``start_sample``, length and ``origin_ns``."""

    name: str
    data: np.ndarray
    sample_rate: float
    start_samples: np.ndarray
    chunk_sizes: np.ndarray
    origin_ns: np.ndarray

    @property
    def n_chunks(self) -> int:
        return int(self.start_samples.shape[0])

    def chunks(self) -> list[Chunk]:
        """The recorded chunks, as they were appended."""
        bounds = np.concatenate([[0], np.cumsum(self.chunk_sizes)])
        return [Chunk(self.data[:, bounds[i]:bounds[i + 1]], int(self.start_samples[i]), self.sample_rate,
                      int(self.origin_ns[i])) for i in range(self.n_chunks)]

    def to_recording(self) -> Recording:
        """The samples as a Recording starting at the first chunk (gaps are not filled)."""
        t0 = float(self.start_samples[0]) / self.sample_rate if self.n_chunks else 0.0
        return Recording(self.data, self.sample_rate, t0=t0, site=self.name)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _atomic_write(path: Path, write) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        write(f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


class _StreamBuffer:
    """Preallocated room for the chunks of one stream between flushes."""

    def __init__(self, n_channels: int, dtype: np.dtype, capacity: int) -> None:
        self.data = np.empty((n_channels, capacity), dtype=dtype)
        self.starts = np.empty(64, dtype=np.int64)
        self.sizes = np.empty(64, dtype=np.int64)
        self.origins = np.empty(64, dtype=np.int64)
        self.n_samples = 0
        self.n_chunks = 0

    def add(self, chunk: Chunk) -> None:
        n = chunk.data.shape[1]
        if self.n_samples + n > self.data.shape[1]:
            grown = np.empty((self.data.shape[0], 2 * (self.n_samples + n)), dtype=self.data.dtype)
            grown[:, :self.n_samples] = self.data[:, :self.n_samples]
            self.data = grown
        if self.n_chunks == self.starts.shape[0]:
            self.starts, self.sizes, self.origins = (np.concatenate([a, np.empty_like(a)])
                                                     for a in (self.starts, self.sizes, self.origins))
        self.data[:, self.n_samples:self.n_samples + n] = chunk.data
        self.starts[self.n_chunks] = chunk.start_sample
        self.sizes[self.n_chunks] = n
        self.origins[self.n_chunks] = chunk.origin_ns
        self.n_samples += n
        self.n_chunks += 1

    def clear(self) -> None:
        self.n_samples = 0
        self.n_chunks = 0


class SegmentLogWriter:
    """Append chunks of named streams; ``flush()`` commits them durably and returns how many
    chunks of each stream are now acknowledged."""

    def __init__(self, directory: str | os.PathLike, streams: dict[str, tuple[int, str, float]],
                 metadata: dict | None = None, capacity_samples: int = 4096) -> None:
        """``streams`` maps a name to ``(n_channels, dtype, sample_rate)``."""
        self.directory = Path(directory)
        if not streams:
            raise InvalidParameterError("a recording needs at least one stream to record")
        for name in streams:
            if not _STREAM_NAME.match(name):
                raise InvalidParameterError(
                    f"stream name {name!r} cannot name a folder; use letters, digits, '_', '.' or '-'"
                )
            if (self.directory / name).exists():
                raise InvalidParameterError(
                    f"{self.directory / name} already exists; record into a new folder so nothing is "
                    "overwritten"
                )
        self.directory.mkdir(parents=True, exist_ok=True)
        self._buffers: dict[str, _StreamBuffer] = {}
        self._next_segment: dict[str, int] = {}
        self.acknowledged: dict[str, int] = {}
        for name, (n_channels, dtype, rate) in streams.items():
            dt = np.dtype(dtype)
            folder = self.directory / name
            folder.mkdir()
            _fsync_dir(self.directory)
            info = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "n_channels": int(n_channels),
                    "dtype": dt.str, "sample_rate": float(rate), "metadata": metadata or {}}
            _atomic_write(folder / STREAM_INFO, lambda f, i=info: f.write(json.dumps(i, indent=1).encode()))
            self._buffers[name] = _StreamBuffer(int(n_channels), dt, capacity_samples)
            self._next_segment[name] = 0
            self.acknowledged[name] = 0

    def append(self, stream: str, chunk: Chunk) -> None:
        """Buffer a chunk; it is acknowledged at the next ``flush``."""
        buf = self._buffers[stream]
        if chunk.data.ndim != 2 or chunk.data.shape[0] != buf.data.shape[0]:
            raise InvalidDataError(
                f"stream {stream!r} records {buf.data.shape[0]} channels, got a chunk of shape "
                f"{chunk.data.shape}"
            )
        buf.add(chunk)

    def pending_samples(self, stream: str) -> int:
        return self._buffers[stream].n_samples

    def flush(self) -> dict[str, int]:
        """Write every buffered chunk as a committed segment; returns acknowledged chunk counts."""
        for name, buf in self._buffers.items():
            if buf.n_chunks == 0:
                continue
            path = self.directory / name / f"seg-{self._next_segment[name]:08d}.npz"
            arrays = dict(data=buf.data[:, :buf.n_samples], start_sample=buf.starts[:buf.n_chunks],
                          n_samples=buf.sizes[:buf.n_chunks], origin_ns=buf.origins[:buf.n_chunks])
            _atomic_write(path, lambda f, a=arrays: np.savez(f, **a))
            self._next_segment[name] += 1
            self.acknowledged[name] += buf.n_chunks
            buf.clear()
        return dict(self.acknowledged)

    def close(self) -> dict[str, int]:
        return self.flush()


def _load_info(folder: Path) -> tuple[int, np.dtype, float]:
    path = folder / STREAM_INFO
    try:
        info = json.loads(path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CorruptDataError(f"{path} is not valid JSON ({exc}); the stream file is damaged") from None
    if not isinstance(info, dict) or info.get("format") != FORMAT_NAME:
        raise CorruptDataError(f"{path} is not a {FORMAT_NAME} stream description")
    if info.get("version") != FORMAT_VERSION:
        raise CorruptDataError(
            f"{path} has version {info.get('version')!r}; this reader knows {FORMAT_VERSION}"
        )
    try:
        n_channels = int(info["n_channels"])
        dtype = np.dtype(info["dtype"])
        rate = float(info["sample_rate"])
    except (KeyError, TypeError, ValueError):
        raise CorruptDataError(f"{path} is malformed (n_channels, dtype, sample_rate)") from None
    if not 0 < n_channels <= _MAX_CHANNELS or not rate > 0 or dtype.kind not in "biuf":
        raise CorruptDataError(f"{path} declares impossible values")
    return n_channels, dtype, rate


def _read_segment(path: Path, n_channels: int, dtype: np.dtype) -> tuple[np.ndarray, ...]:
    try:
        with np.load(path, allow_pickle=False) as z:
            data, starts, sizes, origins = (z[k] for k in ("data", "start_sample", "n_samples", "origin_ns"))
    except (OSError, ValueError, KeyError, EOFError) as exc:
        raise CorruptDataError(f"segment {path} cannot be read ({exc}); the file is damaged") from None
    ok = (data.ndim == 2 and data.shape[0] == n_channels and data.dtype == dtype
          and starts.ndim == sizes.ndim == origins.ndim == 1
          and starts.shape == sizes.shape == origins.shape
          and all(a.dtype == np.int64 for a in (starts, sizes, origins))
          and (sizes >= 0).all() and int(sizes.sum()) == data.shape[1])
    if not ok:
        raise CorruptDataError(f"segment {path} does not match its stream's declared shape and dtype")
    return data, starts, sizes, origins


def read_segment_log(directory: str | os.PathLike) -> dict[str, RecordedStream]:
    """Every committed chunk of every stream in a recording folder (partial ``*.tmp`` files skipped)."""
    root = Path(directory)
    if not root.is_dir():
        raise RecordingNotFoundError(f"recording folder {root} does not exist")
    folders = sorted(p for p in root.iterdir() if (p / STREAM_INFO).is_file())
    if not folders:
        raise RecordingNotFoundError(f"{root} holds no recorded stream (no */{STREAM_INFO}); "
                                     "give the folder a recorder wrote")
    out: dict[str, RecordedStream] = {}
    for folder in folders:
        n_channels, dtype, rate = _load_info(folder)
        names = sorted(p.name for p in folder.iterdir() if _SEGMENT.match(p.name))
        parts = [_read_segment(folder / n, n_channels, dtype) for n in names]
        if parts:
            data, starts, sizes, origins = (np.concatenate(x, axis=-1) for x in zip(*parts, strict=True))
        else:
            data = np.empty((n_channels, 0), dtype)
            starts = sizes = origins = np.empty(0, np.int64)
        data = np.ascontiguousarray(data)
        out[folder.name] = RecordedStream(folder.name, data, rate, starts, sizes, origins)
    return out


def export_stream(directory: str | os.PathLike, stream: str, format: str = "npz") -> Path:
    """Write the committed chunks of ``stream`` in a recording folder as one recording file,
    ``<directory>/<stream>.<format>`` (any format ``save_recording`` writes); returns its path."""
    from cortexlink.io import save_recording

    logged = read_segment_log(directory)
    if stream not in logged:
        raise RecordingNotFoundError(f"{directory} holds no stream {stream!r}; it holds {', '.join(logged)}")
    target = Path(directory) / f"{stream}.{format}"
    save_recording(logged[stream].to_recording(), target)
    return target
