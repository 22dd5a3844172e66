"""The store's on-disk layout, format version and the small JSON files that describe it.

A store is one site's folder, a zarr group (version-2 format) holding::

    .zattrs            {"cortexlink_store": {...}}: format, version, site, rate, channels, chunking
    signal/<c>.<k>     channel c, samples [k*C, (k+1)*C): one sealed chunk, our codec (int16)
    hashes/<c>.<k>.0   channel c, the hash codes of the windows starting in signal chunk k
    time/<k>.npy       chunk k's time index: (start_sample, n_samples, origin_ns) of each appended block
    tail/<a>-<b>.npz   samples [a, b) not yet sealed (every channel, raw), their hashes and time index
    score_<name>/0.<k> a score stream's values of the windows ending in signal chunk k (``scores``)
    events/<n>.json    one flush's events (time in samples, kind, channel, value, payload)
    manifest.json      what is committed: sample count, sealed and retained chunks, tail and event files

``manifest.json`` is replaced atomically (write, fsync, rename) after every file it names is in
place, and files are deleted only after a manifest that no longer names them is committed, so a
reader that reads the manifest first always finds a consistent prefix, whatever the writer does or
however it dies. Sealed chunk files are immutable.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from cortexlink.core.errors import CorruptDataError, RecordingNotFoundError, UnsupportedFormatError

FORMAT_NAME = "cortexlink-store"
FORMAT_VERSION = 1
ATTRS_KEY = "cortexlink_store"
MANIFEST = "manifest.json"
PARTITIONS = ("signal", "hashes", "events")
MAX_CHANNELS = 1 << 16
MAX_JSON_BYTES = 64 << 20


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, payload: bytes, fsync: bool = True) -> None:
    """Write ``payload`` to ``path`` so that readers see the old file or the whole new one."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(payload)
        if fsync:
            f.flush()
            os.fsync(f.fileno())
    os.replace(tmp, path)


def read_json(path: Path, what: str) -> Any:
    """A small JSON file of the store, with damage reported as ``CorruptDataError``."""
    try:
        size = path.stat().st_size
        if size > MAX_JSON_BYTES:
            raise CorruptDataError(f"{path} is {size} bytes, too large for a store's {what}; it is damaged")
        return json.loads(path.read_bytes())
    except FileNotFoundError:
        raise
    except (UnicodeDecodeError, json.JSONDecodeError, OSError) as exc:
        raise CorruptDataError(f"{path} ({what}) cannot be read ({exc}); the store is damaged") from None


def is_store(path: Path) -> bool:
    attrs = path / ".zattrs"
    if not attrs.is_file():
        return False
    try:
        return ATTRS_KEY in read_json(attrs, "attributes")
    except CorruptDataError:
        return False


def load_attrs(path: Path) -> dict[str, Any]:
    """The store's fixed description, checked: format, version, shape and chunking."""
    if not path.is_dir():
        raise RecordingNotFoundError(f"store folder {path} does not exist; give a folder a recorder wrote")
    try:
        attrs = read_json(path / ".zattrs", "attributes")
    except FileNotFoundError:
        raise RecordingNotFoundError(
            f"{path} is not a cortexlink store (no .zattrs); give a store folder"
        ) from None
    info = attrs.get(ATTRS_KEY) if isinstance(attrs, dict) else None
    if not isinstance(info, dict) or info.get("format") != FORMAT_NAME:
        raise UnsupportedFormatError(f"{path} is a zarr group but not a {FORMAT_NAME}")
    version = info.get("version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise UnsupportedFormatError(
            f"store {path} has format version {version!r}; this cortexlink reads up to {FORMAT_VERSION}: "
            "upgrade cortexlink to read it"
        )
    try:
        n_ch, rate, chunk = int(info["n_channels"]), float(info["sample_rate"]), int(info["chunk_samples"])
        hash_window = int(info.get("hash_window") or 0)
        ok = (
            0 < n_ch <= MAX_CHANNELS
            and rate > 0
            and chunk > 0
            and hash_window >= 0
            and (hash_window == 0 or chunk % hash_window == 0)
            and len(info["channel_ids"]) == n_ch
            and isinstance(info["site"], str)
            and all(_score_ok(sp, chunk) for sp in info.get("scores") or [])
        )
    except (KeyError, TypeError, ValueError):
        ok = False
    if not ok:
        raise CorruptDataError(f"{path}/.zattrs declares impossible values; the store is damaged")
    return info


def score_array(name: str) -> str:
    """The array (folder) of score stream ``name``."""
    return f"score_{name}"


def _score_ok(spec: Any, chunk: int) -> bool:
    return (
        isinstance(spec, dict)
        and isinstance(spec.get("name"), str)
        and spec["name"].isidentifier()
        and all(isinstance(spec.get(k), int) and spec[k] > 0 for k in ("window", "hop"))
        and chunk % spec["hop"] == 0
    )


def empty_manifest() -> dict[str, Any]:
    return {
        "version": FORMAT_VERSION,
        "n_samples": 0,
        "sealed": 0,
        "first_chunk": 0,
        "first_hash_chunk": 0,
        "tail": [],
        "events": [],
        "bytes": dict.fromkeys(PARTITIONS, 0),
        "closed": False,
    }


def load_manifest(path: Path) -> dict[str, Any]:
    """The last committed manifest, checked for consistency."""
    try:
        m = read_json(path / MANIFEST, "manifest")
    except FileNotFoundError:
        raise CorruptDataError(f"{path} has no {MANIFEST}; it was never committed or is damaged") from None
    try:
        n, sealed, first, first_h = (
            int(m[k]) for k in ("n_samples", "sealed", "first_chunk", "first_hash_chunk")
        )
        tail = [(str(f), int(a), int(b)) for f, a, b in m["tail"]]
        events = [(str(f), int(a), int(b), int(nb)) for f, a, b, nb in m["events"]]
        ok = (
            0 <= first <= sealed
            and 0 <= first_h <= sealed
            and n >= 0
            and all("/" not in f and ".." not in f for f, *_ in tail + events)
        )
    except (KeyError, TypeError, ValueError):
        ok = False
    if not ok:
        raise CorruptDataError(f"{path / MANIFEST} is inconsistent; the store is damaged")
    m["tail"], m["events"] = tail, events
    return m


def write_manifest(path: Path, manifest: dict[str, Any], fsync: bool = True) -> None:
    atomic_write(path / MANIFEST, json.dumps(manifest).encode(), fsync)
    if fsync:
        fsync_dir(path)
