"""cortexlink's own NPZ layout: every field of a Recording, no pickled objects.

Keys: ``data`` (n_channels, n_samples), ``sample_rate``, ``gain_uv``, ``t0``, ``channel_ids``,
``site`` (string) and ``metadata`` (a JSON string). Reading never unpickles: each member's
``.npy`` header is checked against the size the archive declares before anything is allocated.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from cortexlink.core.errors import CorruptDataError, UnsupportedFormatError
from cortexlink.core.paths import existing_file, one_line, writable_target, writing
from cortexlink.core.recording import Recording

REQUIRED_KEYS = ("data", "sample_rate", "gain_uv", "t0", "channel_ids", "site", "metadata")
_HEADER_READERS = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}


def save_npz(recording: Recording, path: str | Path, compressed: bool = False) -> None:
    """Write ``recording`` in the cortexlink NPZ layout (zip-deflated if ``compressed``)."""
    target = writable_target(path)
    fields = {
        "data": recording.data,
        "sample_rate": np.float64(recording.sample_rate),
        "gain_uv": np.float64(recording.gain_uv),
        "t0": np.float64(recording.t0),
        "channel_ids": _plain_array(recording.channel_ids),
        "site": np.str_(recording.site),
        "metadata": np.str_(metadata_json(recording.metadata)),
    }
    save = np.savez_compressed if compressed else np.savez
    with writing(target), open(target, "wb") as fh:  # a file object stops numpy appending ".npz"
        save(fh, **fields)


def load_npz(path: str | Path) -> Recording:
    """Read a file written by ``save_npz``."""
    p = existing_file(path)
    try:
        with zipfile.ZipFile(p) as archive:
            arrays = {key: _read_member(archive, key, p) for key in REQUIRED_KEYS}
    except PermissionError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, OSError) as exc:
        raise CorruptDataError(f"{p} is not a readable NPZ archive ({one_line(exc)}); "
                               "the file is damaged or of another type") from None
    try:
        metadata = json.loads(_string(arrays["metadata"], "metadata", p))
    except (json.JSONDecodeError, TypeError) as exc:
        raise CorruptDataError(f"{p}: 'metadata' is not valid JSON ({one_line(exc)})") from None
    if not isinstance(metadata, dict):
        raise CorruptDataError(f"{p}: 'metadata' must be a JSON object, got {type(metadata).__name__}")
    metadata["format"] = "npz"  # the format it was read from, like every reader says
    return Recording(
        arrays["data"],
        _scalar(arrays["sample_rate"], "sample_rate", p),
        gain_uv=_scalar(arrays["gain_uv"], "gain_uv", p),
        t0=_scalar(arrays["t0"], "t0", p),
        channel_ids=arrays["channel_ids"],
        site=_string(arrays["site"], "site", p),
        metadata=metadata,
    )


def metadata_json(metadata: dict[str, Any]) -> str:
    """``metadata`` as JSON; numpy values become plain numbers or lists, anything else its ``str``."""
    return json.dumps(metadata, default=_json_default, allow_nan=True)


def _json_default(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, (set, tuple)):
        return list(value)
    return str(value)


def _plain_array(values: np.ndarray) -> np.ndarray:
    """Channel ids as an array numpy can store without pickling (numbers or unicode strings)."""
    arr = np.asarray(values)
    if arr.dtype.kind in "biuf" or arr.dtype.kind == "U":
        return arr
    return arr.astype(str)


def _read_member(archive: zipfile.ZipFile, key: str, path: Path) -> np.ndarray:
    name = f"{key}.npy"
    try:
        info = archive.getinfo(name)
    except KeyError:
        present = ", ".join(sorted(n.removesuffix(".npy") for n in archive.namelist()))
        raise UnsupportedFormatError(
            f"{path} is an NPZ file but not in the cortexlink layout: key {key!r} is missing "
            f"(found: {present or 'nothing'}); it needs {', '.join(REQUIRED_KEYS)}"
        ) from None
    with archive.open(info) as fh:
        version = np.lib.format.read_magic(fh)
        if version not in _HEADER_READERS:
            raise UnsupportedFormatError(f"{path}: {key!r} uses .npy format version {version}; "
                                         "re-save it with numpy.savez")
        shape, _fortran, dtype = _HEADER_READERS[version](fh)
        header_len = fh.tell()
    if dtype.hasobject:
        raise CorruptDataError(f"{path}: {key!r} holds Python objects; cortexlink never unpickles files")
    expected = header_len + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if expected != info.file_size:
        raise CorruptDataError(
            f"{path}: {key!r} declares shape {shape} of {dtype} ({expected} bytes) but the archive "
            f"holds {info.file_size} bytes; the file is damaged"
        )
    with archive.open(info) as fh:
        return np.lib.format.read_array(fh, allow_pickle=False)


def _scalar(arr: np.ndarray, key: str, path: Path) -> float:
    if arr.ndim != 0 or arr.dtype.kind not in "biuf":
        _bad(path, key, "a number")
    return float(arr[()])


def _string(arr: np.ndarray, key: str, path: Path) -> str:
    if arr.ndim != 0 or arr.dtype.kind != "U":
        _bad(path, key, "a string")
    return str(arr[()])


def _bad(path: Path, key: str, what: str) -> Any:
    raise CorruptDataError(f"{path}: {key!r} must be {what}; the file was not written by cortexlink")
