"""``StoreWriter``: append one site's samples and events; ``flush()`` commits them durably.

Samples are buffered until ``flush``; a flush seals every complete chunk (one file per channel,
our codec for int16, plus that chunk's hash codes and time index), writes the rest as one raw tail
segment, and commits a new manifest (``layout``). What a flush returns is acknowledged: it
survives a SIGKILL of any process (and, with ``fsync=True``, a power cut). Retention budgets are
applied at each flush, oldest time segments first.
"""

from __future__ import annotations

import io
import json
import os
import time
from collections import deque
from pathlib import Path
from typing import Any

import numpy as np

from cortexlink.core.chunk import Chunk
from cortexlink.core.errors import InvalidDataError, InvalidParameterError
from cortexlink.store import layout
from cortexlink.store.encoding import (
    DEFAULT_HASH_TABLES,
    MIN_HASH_WINDOW,
    hash_family_config,
    signal_compressor,
)
from cortexlink.store.events import event_record
from cortexlink.store.retention import Retention, n_older_than, n_oldest_over_budget
from cortexlink.store.scores import ScoreStream, score_specs

DEFAULT_CHUNK_MS = 1000.0
DEFAULT_HASH_WINDOW_MS = 20.0
TIME_FIELDS = ("position", "start_sample", "n_samples", "origin_ns")


class StoreWriter:
    """Write one site's store at ``path`` (a new folder)."""

    def __init__(
        self,
        path: str | os.PathLike,
        n_channels: int,
        sample_rate: float,
        *,
        site: str | None = None,
        dtype: str = "int16",
        gain_uv: float = 1.0,
        channel_ids: list[str] | None = None,
        chunk_ms: float = DEFAULT_CHUNK_MS,
        hash_window_ms: float | None = DEFAULT_HASH_WINDOW_MS,
        hash_tables: int = DEFAULT_HASH_TABLES,
        level: str = "fast",
        retention: Retention | None = None,
        metadata: dict | None = None,
        start_unix_ns: int | None = None,
        fsync: bool = True,
        scores: dict[str, tuple[float, float]] | None = None,
    ) -> None:
        """``scores``: score streams to compute as samples arrive, ``{name: (window_ms, hop_ms)}``
        (``cortexlink.store.scores``; e.g. ``{"seizure": (1000, 100)}``, which costs the seizure
        detector's time per hop)."""
        from cortexlink.store import _zarr

        self.path = Path(path)
        if self.path.exists() and (not self.path.is_dir() or any(self.path.iterdir())):
            raise InvalidParameterError(
                f"{self.path} already exists; write a store into a new folder so nothing is overwritten"
            )
        if not (isinstance(n_channels, int) and 0 < n_channels <= layout.MAX_CHANNELS) or not sample_rate > 0:
            raise InvalidParameterError(
                f"a store needs 1..{layout.MAX_CHANNELS} channels and a positive "
                f"rate, got {n_channels} channels at {sample_rate} Hz"
            )
        self.dtype = np.dtype(dtype)
        if self.dtype.kind not in "iuf":
            raise InvalidParameterError(f"a store holds numeric samples, got dtype {self.dtype}")
        self.n_channels, self.sample_rate = n_channels, float(sample_rate)
        self.chunk = max(1, int(round(chunk_ms * 1e-3 * sample_rate)))
        self.hash_window = 0 if not hash_window_ms else int(round(hash_window_ms * 1e-3 * sample_rate))
        if self.hash_window < MIN_HASH_WINDOW:  # too few samples per window to hash meaningfully
            self.hash_window = 0
        if self.hash_window:
            self.chunk = max(1, self.chunk // self.hash_window) * self.hash_window
        self.retention = retention or Retention()
        self.fsync = fsync
        ids = [str(c) for c in (channel_ids if channel_ids is not None else range(n_channels))]
        if len(ids) != n_channels:
            raise InvalidParameterError(f"{len(ids)} channel ids for {n_channels} channels")
        specs = score_specs(scores, self.sample_rate, self.chunk)
        self._scores = [ScoreStream(sp, n_channels, self.sample_rate, float(gain_uv)) for sp in specs]
        hash_cfg = hash_family_config(self.hash_window, hash_tables) if self.hash_window else None
        self._family = None
        if hash_cfg is not None:
            from cortexlink.similarity import StreamingHasher, hash_from_config

            self._family = hash_from_config(hash_cfg)
            self._hasher = StreamingHasher(self._family, hop=self.hash_window)
        from numcodecs import Zstd

        self._hash_codec = Zstd(level=1)
        self._signal_codec = signal_compressor(self.dtype, level)
        self.attrs = {
            "format": layout.FORMAT_NAME,
            "version": layout.FORMAT_VERSION,
            "site": site or self.path.name,
            "n_channels": n_channels,
            "sample_rate": self.sample_rate,
            "dtype": self.dtype.str,
            "gain_uv": float(gain_uv),
            "channel_ids": ids,
            "chunk_samples": self.chunk,
            "hash_window": self.hash_window,
            "hash": hash_cfg,
            "start_unix_ns": int(time.time_ns() if start_unix_ns is None else start_unix_ns),
            "retention": self.retention.as_dict(),
            "metadata": metadata or {},
            "uid": os.urandom(8).hex(),
            "scores": [sp.as_dict() for sp in specs],
        }
        n_tables = hash_tables if hash_cfg else 1
        per_chunk = self.chunk // self.hash_window if self.hash_window else 1
        _zarr.create_arrays(
            self.path,
            {layout.ATTRS_KEY: self.attrs},
            {
                "signal": {
                    "shape": (n_channels, 0),
                    "chunks": (1, self.chunk),
                    "dtype": self.dtype.str,
                    "compressor": self._signal_codec,
                },
                "hashes": {
                    "shape": (n_channels, 0, n_tables),
                    "chunks": (1, per_chunk, n_tables),
                    "dtype": "<u8",
                    "compressor": self._hash_codec,
                },
                **{
                    layout.score_array(sp.name): {
                        "shape": (n_channels, 0),
                        "chunks": (n_channels, self.chunk // sp.hop),
                        "dtype": "<f8",
                        "compressor": self._hash_codec,
                    }
                    for sp in specs
                },
            },
        )
        for sub in ("time", "tail", "events"):
            (self.path / sub).mkdir(exist_ok=True)
        self.manifest = layout.empty_manifest()
        layout.write_manifest(self.path, self.manifest, fsync)
        self._buf = np.empty((n_channels, 2 * self.chunk), self.dtype)
        self._n_buf = 0  # unsealed samples in _buf (it starts at sealed * chunk)
        self._n_total = 0  # samples appended
        self._flushed = 0  # samples committed
        self._records: list[tuple[int, int, int, int]] = []  # unsealed time index rows
        self._codes: list[np.ndarray] = []  # hash codes of unsealed windows
        self._events: list[dict] = []
        self._event_seq = 0
        self._sizes = {"signal": deque(), "hashes": deque(), "scores": deque()}  # bytes per sealed chunk
        if specs:
            self.manifest["bytes"]["scores"] = 0
        self._appended_chunks = 0
        self.acknowledged_chunks = 0

    # -- appending -------------------------------------------------------------------------

    @property
    def site(self) -> str:
        return self.attrs["site"]

    def append(
        self,
        data: np.ndarray | Chunk,
        start_sample: int | None = None,
        origin_ns: int = 0,
        scores: dict[str, np.ndarray] | None = None,
    ) -> None:
        """Buffer ``(n_channels, n)`` samples (or a Chunk); committed at the next ``flush``.
        ``scores``: values of score streams already computed upstream, per stream
        ``(n_channels, windows ending in this block)``; the others are computed here."""
        if isinstance(data, Chunk):
            data, start_sample, origin_ns = data.data, data.start_sample, data.origin_ns
        data = np.asarray(data)
        if data.ndim != 2 or data.shape[0] != self.n_channels:
            raise InvalidDataError(
                f"this store records {self.n_channels} channels, got a block of shape {data.shape}"
            )
        if data.dtype != self.dtype and not np.can_cast(data.dtype, self.dtype, "same_kind"):
            raise InvalidDataError(f"this store records {self.dtype} samples, got {data.dtype}")
        n = data.shape[1]
        for stream in self._scores:  # checked before anything is buffered
            if scores and stream.spec.name in scores:
                stream.check_given(scores[stream.spec.name], n)
        if self._n_buf + n > self._buf.shape[1]:
            grown = np.empty((self.n_channels, 2 * (self._n_buf + n)), self.dtype)
            grown[:, : self._n_buf] = self._buf[:, : self._n_buf]
            self._buf = grown
        self._buf[:, self._n_buf : self._n_buf + n] = data
        self._records.append(
            (self._n_total, self._n_total if start_sample is None else int(start_sample), n, int(origin_ns))
        )
        if self._family is not None and n:
            hashed = self._hasher.process(data.astype(np.float64))
            if hashed.n_windows:
                self._codes.append(hashed.codes)
        for stream in self._scores:
            stream.append(data, (scores or {}).get(stream.spec.name))
        self._n_buf += n
        self._n_total += n
        self._appended_chunks += 1

    def add_events(self, events: list[Any], sample_offset: int = 0) -> None:
        """Buffer events (dicts or objects with ``to_dict()``; see ``event_record``); committed at the
        next ``flush``. ``sample_offset`` maps event times on the stream's clock to this store's."""
        self._events.extend(event_record(e, self.sample_rate, sample_offset) for e in events)

    # -- committing ------------------------------------------------------------------------

    def flush(self) -> int:
        """Commit everything appended so far; returns the number of samples acknowledged."""
        m = self.manifest
        sealed_before = m["sealed"]
        while self._n_buf >= self.chunk:
            self._seal()
        old_tail = [f for f, _, _ in m["tail"]]
        start = m["sealed"] * self.chunk
        if m["sealed"] != sealed_before:
            m["tail"] = []
            seg_start = start
        else:
            seg_start = self._flushed
        if self._n_total > seg_start:
            m["tail"].append(self._write_tail(seg_start, self._n_total))
        if self._events:
            m["events"].append(self._write_events())
        m["n_samples"] = self._n_total
        dropped = self._apply_retention()
        m["bytes"]["events"] = sum(nb for *_, nb in m["events"])
        if m["sealed"] != sealed_before:
            self._set_shapes(m["sealed"])
        layout.write_manifest(self.path, m, self.fsync)
        kept = {f for f, _, _ in m["tail"]}
        for f in old_tail:
            if f not in kept:
                _unlink(self.path / "tail" / f)
        for p in dropped:
            _unlink(p)
        self._flushed = self._n_total
        self.acknowledged_chunks = self._appended_chunks
        return self._flushed

    def close(self) -> int:
        """Flush and mark the store closed (a reader then knows no more data is coming)."""
        n = self.flush()
        self.manifest["closed"] = True
        layout.write_manifest(self.path, self.manifest, self.fsync)
        return n

    def _write(self, path: Path, payload: bytes) -> int:
        layout.atomic_write(path, payload, self.fsync)
        return len(payload)

    def _seal(self) -> None:
        m, c = self.manifest, self.chunk
        k = m["sealed"]
        block = self._buf[:, :c]
        nbytes = 0
        for ch in range(self.n_channels):
            nbytes += self._write(
                self.path / "signal" / f"{ch}.{k}",
                bytes(self._signal_codec.encode(np.ascontiguousarray(block[ch]))),
            )
        self._sizes["signal"].append(nbytes)
        m["bytes"]["signal"] += nbytes
        if self._family is not None:
            per = c // self.hash_window
            codes = np.concatenate(self._codes, axis=1) if self._codes else np.empty((self.n_channels, 0, 1))
            hbytes = 0
            for ch in range(self.n_channels):
                hbytes += self._write(
                    self.path / "hashes" / f"{ch}.{k}.0",
                    bytes(self._hash_codec.encode(np.ascontiguousarray(codes[ch, :per]))),
                )
            self._codes = [codes[:, per:]] if codes.shape[1] > per else []
            self._sizes["hashes"].append(hbytes)
            m["bytes"]["hashes"] += hbytes
        sbytes = 0
        for stream in self._scores:
            vals = stream.take((k + 1) * (c // stream.spec.hop))
            sbytes += self._write(
                self.path / layout.score_array(stream.spec.name) / f"0.{k}",
                bytes(self._hash_codec.encode(np.ascontiguousarray(vals))),
            )
        if self._scores:
            self._sizes["scores"].append(sbytes)
            m["bytes"]["scores"] += sbytes
        end = (k + 1) * c
        rows = [r for r in self._records if r[0] < end]
        self._records = [r for r in self._records if r[0] >= end]
        self._write(self.path / "time" / f"{k}.npy", _npy(np.array(rows, np.int64).reshape(-1, 4)))
        self._buf[:, : self._n_buf - c] = self._buf[:, c : self._n_buf]
        self._n_buf -= c
        m["sealed"] = k + 1

    def _write_tail(self, a: int, b: int) -> list:
        off = a - self.manifest["sealed"] * self.chunk
        rows = np.array([r for r in self._records if a <= r[0] < b], np.int64).reshape(-1, 4)
        extra = {
            layout.score_array(s.spec.name): s.peek(a // s.spec.hop, b // s.spec.hop) for s in self._scores
        }
        buf = io.BytesIO()
        np.savez(buf, data=self._buf[:, off : off + b - a], time=rows, **extra)
        name = f"{a:012d}-{b:012d}.npz"
        self._write(self.path / "tail" / name, buf.getvalue())
        return [name, a, b]

    def _write_events(self) -> list:
        name = f"{self._event_seq:08d}.json"
        self._event_seq += 1
        samples = [e["sample"] for e in self._events]
        payload = json.dumps(self._events, allow_nan=True).encode()
        self._write(self.path / "events" / name, payload)
        self._events = []
        return [name, min(samples), max(samples), len(payload)]

    def _set_shapes(self, sealed: int) -> None:
        """Grow the zarr arrays' shapes over the sealed chunks (what zarr, xarray or dask read)."""
        if not hasattr(self, "_zarray"):
            names = ["signal", "hashes"] + [layout.score_array(st.spec.name) for st in self._scores]
            self._zarray = {n: layout.read_json(self.path / n / ".zarray", "array metadata") for n in names}
        for name, shape_of in (
            ("signal", lambda z: [self.n_channels, sealed * self.chunk]),
            ("hashes", lambda z: [self.n_channels, sealed * z["chunks"][1], z["chunks"][2]]),
            *((layout.score_array(st.spec.name), lambda z: [self.n_channels, sealed * z["chunks"][1]])
              for st in self._scores),
        ):
            meta_path = self.path / name / ".zarray"
            meta = self._zarray[name]
            if name == "hashes" and self._family is None:
                continue
            meta["shape"] = shape_of(meta)
            layout.atomic_write(meta_path, json.dumps(meta, indent=4).encode(), self.fsync)

    def _apply_retention(self) -> list[Path]:
        """Advance the retained ranges to fit the budgets; returns the files to delete once the
        manifest that no longer names them is committed."""
        m, r, c = self.manifest, self.retention, self.chunk
        max_age = None if r.seconds is None else int(r.seconds * self.sample_rate)
        dropped: list[Path] = []
        for part, key, budget, sub in (
            ("signal", "first_chunk", r.signal_bytes, "signal"),
            ("hashes", "first_hash_chunk", r.hash_bytes, "hashes"),
        ):
            sizes = self._sizes[part]
            first = m[key]
            ends = [(first + i + 1) * c for i in range(len(sizes))]
            n = max(n_oldest_over_budget(list(sizes), budget), n_older_than(ends, m["n_samples"], max_age))
            for _ in range(n):
                m["bytes"][part] -= sizes.popleft()
                suffix = ".0" if part == "hashes" else ""
                dropped += [self.path / sub / f"{ch}.{m[key]}{suffix}" for ch in range(self.n_channels)]
                if part == "signal":
                    dropped.append(self.path / "time" / f"{m[key]}.npy")
                    dropped += [
                        self.path / layout.score_array(s.spec.name) / f"0.{m[key]}" for s in self._scores
                    ]
                    if self._scores:
                        m["bytes"]["scores"] -= self._sizes["scores"].popleft()
                m[key] += 1
        if part == "hashes" and self._family is None:
            m["first_hash_chunk"] = m["first_chunk"]
        ev = m["events"]
        n = max(
            n_oldest_over_budget([nb for *_, nb in ev], r.event_bytes, keep=0),
            n_older_than([b for _, _, b, _ in ev], m["n_samples"], max_age, keep=0),
        )
        dropped += [self.path / "events" / f for f, *_ in ev[:n]]
        m["events"] = ev[n:]
        return dropped


def _npy(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    return buf.getvalue()


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
