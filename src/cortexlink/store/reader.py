"""``SiteStore``: read one site's store, also while a writer is appending to it.

Every read starts from the last committed manifest, so it sees a consistent prefix: every sample
the writer acknowledged before that manifest, nothing half-written. If retention deletes a file
between the manifest read and the file read, the read re-reads the manifest and either succeeds or
says the range has just left the retention window; it never fills a gap with made-up samples.
Decoded sealed chunks are kept in an LRU cache (they are immutable): one ``(channels, chunk)``
array per time chunk, filled channel by channel as reads need them, so a read of many channels
is one numpy slice.
"""

from __future__ import annotations

import json
import os
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np

from cortexlink.core.errors import CorruptDataError, InvalidParameterError, RecordingNotFoundError
from cortexlink.store import layout
from cortexlink.store.derived import DerivedStreams

DEFAULT_CACHE_CHUNKS = 2048
_TAIL_CACHE = 16


class SiteStore(DerivedStreams):
    """A read-only view of the store at ``path``; ``refresh()`` picks up newer commits."""

    def __init__(self, path: str | os.PathLike, cache_chunks: int = DEFAULT_CACHE_CHUNKS) -> None:
        self.path = Path(path)
        self._cache_size = cache_chunks
        self._load()

    def _load(self) -> None:
        """Read the fixed description (again, if the folder now holds another store)."""
        self._identity = _identity(self.path)
        self.info = layout.load_attrs(self.path)
        self.n_channels = int(self.info["n_channels"])
        self.sample_rate = float(self.info["sample_rate"])
        self.chunk = int(self.info["chunk_samples"])
        self.hash_window = int(self.info.get("hash_window") or 0)
        self.dtype = np.dtype(self.info["dtype"])
        self._codec = _codec_of(self.path / "signal")
        self._hash_codec = _codec_of(self.path / "hashes") if self.hash_window else None
        self._family = None
        self._cache: OrderedDict[int, tuple[np.ndarray, np.ndarray]] = OrderedDict()  # k -> (block, have)
        self._cache_blocks = max(2, self._cache_size // self.n_channels)
        self._tails: OrderedDict[str, tuple[np.ndarray, np.ndarray, dict]] = OrderedDict()
        self.score_streams = {sp["name"]: sp for sp in self.info.get("scores") or []}
        self._score_cache: OrderedDict[tuple[str, int], np.ndarray] = OrderedDict()
        self._manifest_key: tuple[int, int, int] | None = None
        self.refresh()

    def __repr__(self) -> str:
        return (
            f"SiteStore({self.site!r}, {self.n_channels} channels at {self.sample_rate:g} Hz, "
            f"{self.n_samples / self.sample_rate:.3f} s committed)"
        )

    # -- description -----------------------------------------------------------------------

    def refresh(self) -> SiteStore:
        """Read the last committed manifest (and start afresh if the folder holds another store now).
        A commit replaces the manifest file (a new inode), so an unchanged file is not read again."""
        if _identity(self.path) != self._identity:
            self._load()
            return self
        try:
            st = os.stat(self.path / layout.MANIFEST)
            key = (st.st_ino, st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            key = None
        if key is not None and key == self._manifest_key:
            return self
        self.manifest = layout.load_manifest(self.path)
        self._manifest_key = key
        if self.manifest["n_samples"] < self.manifest["sealed"] * self.chunk:
            raise CorruptDataError(f"{self.path}/manifest.json counts fewer samples than its sealed chunks")
        return self

    @property
    def uid(self) -> str:
        """Names this store and no other (what caches of its contents are keyed by)."""
        return str(self.info.get("uid") or self.path.resolve())

    @property
    def site(self) -> str:
        return self.info["site"]

    @property
    def gain_uv(self) -> float:
        return float(self.info.get("gain_uv", 1.0))

    @property
    def channel_ids(self) -> list[str]:
        return list(self.info["channel_ids"])

    @property
    def n_samples(self) -> int:
        """Samples committed since the store began (retained or not)."""
        return int(self.manifest["n_samples"])

    @property
    def first_sample(self) -> int:
        """The oldest sample still retained."""
        return int(self.manifest["first_chunk"]) * self.chunk

    @property
    def start_unix_ns(self) -> int:
        return int(self.info["start_unix_ns"])

    @property
    def end_unix_ns(self) -> int:
        """Wall-clock time just after the last committed sample."""
        return self.start_unix_ns + int(round(self.n_samples * 1e9 / self.sample_rate))

    @property
    def closed(self) -> bool:
        return bool(self.manifest.get("closed"))

    def summary(self) -> dict[str, Any]:
        m = self.manifest
        return {
            "site": self.site,
            "path": str(self.path),
            "channels": self.n_channels,
            "sample_rate": self.sample_rate,
            "seconds": self.n_samples / self.sample_rate,
            "retained_s": (self.n_samples - self.first_sample) / self.sample_rate,
            "sealed_chunks": m["sealed"] - m["first_chunk"],
            "tail_files": len(m["tail"]),
            "events": len(m["events"]),
            "bytes": dict(m["bytes"]),
            "closed": self.closed,
            "format_version": self.info["version"],
            "hash_window": self.hash_window,
        }

    # -- signal ----------------------------------------------------------------------------

    def check_range(self, start: int, stop: int) -> None:
        """A clear error unless samples ``[start, stop)`` are committed and retained."""
        if not 0 <= start <= stop:
            raise InvalidParameterError(f"bad sample range [{start}, {stop}) for store {self.site!r}")
        if stop > self.n_samples:
            raise InvalidParameterError(
                f"samples [{start}, {stop}) of site {self.site!r} reach past its last committed sample "
                f"{self.n_samples}; ask for an earlier range"
            )
        if start < self.first_sample:
            raise InvalidParameterError(
                f"samples [{start}, {stop}) of site {self.site!r} are outside its retention: it keeps "
                f"[{self.first_sample}, {self.n_samples}) "
                f"({(self.n_samples - self.first_sample) / self.sample_rate:.3f} s); "
                "ask for a more recent range"
            )

    def channels(self, channels: Any = None) -> np.ndarray:
        """``channels`` (None: all) as checked indices."""
        if channels is None:
            return np.arange(self.n_channels)
        idx = np.asarray(channels, dtype=np.int64).reshape(-1)
        if idx.size and (idx.min() < 0 or idx.max() >= self.n_channels):
            raise InvalidParameterError(
                f"channel {int(idx.max()) if idx.max() >= self.n_channels else int(idx.min())}"
                f" is out of range: site {self.site!r} has {self.n_channels} channels"
            )
        return idx

    def read(self, start: int, stop: int, channels: Any = None) -> np.ndarray:
        """Samples ``[start, stop)`` of ``channels`` as ``(n_channels, stop - start)``."""
        idx = self.channels(channels)

        def attempt() -> np.ndarray:
            self.check_range(start, stop)
            return self._read(start, stop, idx)

        return self._retrying(attempt)

    def _retrying(self, attempt: Any) -> Any:
        """``attempt()``, again after re-reading the manifest if a file it named has just gone (the
        writer sealed a tail or retention removed a chunk): the retry reads the newer layout or
        says the range left the retention."""
        for i in range(3):
            try:
                return attempt()
            except FileNotFoundError:
                if i == 2:
                    raise CorruptDataError(
                        f"store {self.path} names files that do not exist; it is damaged"
                    ) from None
                self._manifest_key = None
                self.refresh()
        raise AssertionError  # pragma: no cover

    def _read(self, start: int, stop: int, idx: np.ndarray) -> np.ndarray:
        out = np.empty((idx.size, stop - start), self.dtype)
        c = self.chunk
        sealed_end = min(stop, self.manifest["sealed"] * c)
        for k in range(start // c, -(-sealed_end // c) if sealed_end > start else start // c):
            a, b = max(start, k * c), min(sealed_end, (k + 1) * c)
            out[:, a - start : b - start] = self._block(k, idx)[idx, a - k * c : b - k * c]
        if stop > sealed_end:
            lo = max(start, sealed_end)
            for name, a0, b0 in self.manifest["tail"]:
                a, b = max(lo, a0), min(stop, b0)
                if a < b:
                    data = self._tail(name, a0, b0)[0]
                    out[:, a - start : b - start] = data[idx, a - a0 : b - a0]
        return out

    def _block(self, k: int, idx: np.ndarray) -> np.ndarray:
        """Time chunk ``k`` as ``(n_channels, chunk)``, with at least channels ``idx`` decoded."""
        hit = self._cache.get(k)
        if hit is None:
            hit = (np.empty((self.n_channels, self.chunk), self.dtype), np.zeros(self.n_channels, bool))
            self._cache[k] = hit
            if len(self._cache) > self._cache_blocks:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(k)
        block, have = hit
        missing = idx[~have[idx]]
        for ch in np.unique(missing).tolist():
            block[ch] = self._decode_chunk(ch, k)
            have[ch] = True
        return block

    def _decode_chunk(self, ch: int, k: int) -> np.ndarray:
        path = self.path / "signal" / f"{ch}.{k}"
        raw = path.read_bytes()
        try:
            arr = np.frombuffer(self._codec.decode(raw), self.dtype)
        except Exception as exc:  # any codec failure means a damaged chunk
            raise CorruptDataError(
                f"chunk {path} cannot be decoded ({type(exc).__name__}); the store is damaged there"
            ) from None
        if arr.size != self.chunk:
            raise CorruptDataError(f"chunk {path} holds {arr.size} samples, not {self.chunk}; it is damaged")
        return arr

    def _tail(self, name: str, a0: int, b0: int) -> tuple[np.ndarray, np.ndarray, dict]:
        """A tail segment: its samples, time index rows and score values."""
        hit = self._tails.get(name)
        if hit is not None:
            return hit
        path = self.path / "tail" / name
        try:
            with np.load(path, allow_pickle=False) as z:
                data, rows = z["data"], z["time"]
                scores = {k: z[k] for k in z.files if k.startswith("score_")}
        except FileNotFoundError:
            raise
        except (OSError, ValueError, KeyError, EOFError) as exc:
            raise CorruptDataError(f"tail segment {path} cannot be read ({exc}); it is damaged") from None
        if data.shape != (self.n_channels, b0 - a0) or data.dtype != self.dtype or rows.ndim != 2:
            raise CorruptDataError(f"tail segment {path} does not hold samples [{a0}, {b0}) of every channel")
        for sp in self.score_streams.values():
            got = scores.get(layout.score_array(sp["name"]))
            if got is None or got.shape != (self.n_channels, b0 // sp["hop"] - a0 // sp["hop"]):
                raise CorruptDataError(f"tail segment {path} lacks the {sp['name']} scores of its samples")
        self._tails[name] = (data, rows, scores)
        if len(self._tails) > _TAIL_CACHE:
            self._tails.popitem(last=False)
        return data, rows, scores

    # -- time index, events ----------------------------------------------------------

    def time_index(self) -> np.ndarray:
        """Rows ``(position, start_sample, n_samples, origin_ns)`` of every retained appended block."""
        m = self.manifest
        parts = []
        for k in range(m["first_chunk"], m["sealed"]):
            path = self.path / "time" / f"{k}.npy"
            try:
                parts.append(np.load(path, allow_pickle=False).reshape(-1, 4))
            except (OSError, ValueError) as exc:
                raise CorruptDataError(f"time index {path} cannot be read ({exc})") from None
        parts += [self._tail(n, a, b)[1].reshape(-1, 4) for n, a, b in m["tail"]]
        return np.concatenate(parts) if parts else np.empty((0, 4), np.int64)

    def events(
        self, start: int | None = None, stop: int | None = None, kind: str | None = None
    ) -> list[dict]:
        """Retained events with ``start <= sample < stop`` (and of ``kind``), oldest first."""
        out: list[dict] = []
        for name, lo, hi, _ in self.manifest["events"]:
            if (stop is not None and lo >= stop) or (start is not None and hi < start):
                continue
            records = layout.read_json(self.path / "events" / name, "event file")
            if not isinstance(records, list):
                raise CorruptDataError(f"event file {self.path / 'events' / name} is not a list of events")
            out += [
                r
                for r in records
                if isinstance(r, dict)
                and (start is None or r.get("sample", -1) >= start)
                and (stop is None or r.get("sample", -1) < stop)
                and (kind is None or r.get("kind") == kind)
            ]
        return sorted(out, key=lambda r: r["sample"])

    def to_recording(self, start: int | None = None, stop: int | None = None, channels: Any = None):
        """Samples ``[start, stop)`` (default: all retained) as a Recording of this site."""
        from cortexlink.core.recording import Recording

        start = self.first_sample if start is None else start
        stop = self.n_samples if stop is None else stop
        idx = self.channels(channels)
        return Recording(
            self.read(start, stop, idx),
            self.sample_rate,
            gain_uv=self.gain_uv,
            t0=start / self.sample_rate,
            channel_ids=[self.channel_ids[i] for i in idx],
            site=self.site,
            metadata=dict(self.info.get("metadata") or {}),
        )


def _identity(path: Path) -> tuple[int, int]:
    try:
        st = (path / ".zattrs").stat()
    except FileNotFoundError:
        return (0, 0)
    return (st.st_ino, st.st_mtime_ns)


def _codec_of(array_dir: Path):
    meta = layout.read_json(array_dir / ".zarray", "array metadata")
    cfg = meta.get("compressor") if isinstance(meta, dict) else None
    if not isinstance(cfg, dict) or "id" not in cfg:
        raise CorruptDataError(f"{array_dir}/.zarray names no compressor; the store is damaged")
    if cfg["id"] == "cortexlink":
        from cortexlink.codec.numcodecs_codec import CortexlinkCodec

        return CortexlinkCodec(cfg.get("level", "fast"))
    if cfg["id"] not in ("zstd", "blosc", "zlib"):
        raise CorruptDataError(f"{array_dir}/.zarray names an unexpected compressor {cfg['id']!r}")
    from numcodecs import get_codec

    return get_codec(json.loads(json.dumps(cfg)))


def _natural(path: Path) -> list:
    """Sort key: site2 before site10."""
    import re

    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", str(path))]


def open_store(path: str | os.PathLike) -> SiteStore:
    """Open one site's store for reading."""
    return SiteStore(path)


def find_stores(paths: list[str | os.PathLike] | str | os.PathLike) -> list[SiteStore]:
    """Open every store named in ``paths``: a store folder, or a folder whose sub-folders (two
    levels deep) are stores, as a recording folder of several recorders is."""
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    found: list[Path] = []
    for p in map(Path, paths):
        if not p.is_dir():
            raise RecordingNotFoundError(f"no store folder {p}; give the folder a recorder wrote")
        if layout.is_store(p):
            found.append(p)
            continue
        inner = sorted(q for q in p.iterdir() if q.is_dir() and layout.is_store(q))
        inner += sorted(
            r
            for q in sorted(p.iterdir())
            if q.is_dir() and not layout.is_store(q)
            for r in q.iterdir()
            if r.is_dir() and layout.is_store(r)
        )
        if not inner:
            layout.load_attrs(p)  # raises the clear error
        found += inner
    stores = [SiteStore(p) for p in sorted(found, key=_natural)]
    sites = [s.site for s in stores]
    dup = sorted({s for s in sites if sites.count(s) > 1})
    if dup:
        raise InvalidParameterError(f"several stores name site {dup[0]!r}; give each site's store once")
    return stores
