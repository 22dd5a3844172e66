"""Safe decoder files: named arrays plus JSON metadata, with a kind tag, version and checksum.

Two containers, neither of which can run code when read:

- ``npz`` (linear models): a zip of ``.npy`` arrays read with ``allow_pickle=False``; the JSON
  metadata rides along as a ``uint8`` array named ``__meta__``.
- ``safetensors`` (networks): the weights as tensors and the JSON in the header's metadata.

The metadata holds ``format``, ``version``, ``kind``, the decoder's parameters and a SHA-256 over
the metadata and every array (name, dtype, shape, bytes). A file of another kind, another format
version or with a changed byte is a ``ModelFileError``.
"""

from __future__ import annotations

import hashlib
import json
import struct
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from cortexlink.core.crypto import is_encrypted
from cortexlink.core.errors import ModelFileError, RecordingNotFoundError
from cortexlink.core.optional import require
from cortexlink.core.paths import writable_target, writing

FORMAT_NAME = "cortexlink-decoder"
FORMAT_VERSION = 1
META_KEY = "__meta__"
MAX_HEADER_BYTES = 16 * 1024 * 1024
_ZIP_MAGIC = b"PK\x03\x04"


def checksum(meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> str:
    """SHA-256 over the metadata (without its checksum) and every array, in name order."""
    h = hashlib.sha256()
    body = {k: v for k, v in meta.items() if k != "checksum"}
    h.update(json.dumps(body, sort_keys=True).encode())
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(f"{name}|{a.dtype.str}|{a.shape}".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def write_model(
    path: str | Path,
    kind: str,
    params: dict[str, Any],
    arrays: dict[str, np.ndarray],
    container: str = "npz",
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write ``arrays`` and metadata to ``path`` in ``container`` (``npz`` or ``safetensors``)."""
    path = Path(path)
    meta: dict[str, Any] = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "kind": kind,
        "container": container,
        "params": params,
        "extra": extra or {},
    }
    arrays = {k: np.ascontiguousarray(v) for k, v in arrays.items()}
    meta["checksum"] = checksum(meta, arrays)
    text = json.dumps(meta, sort_keys=True)
    if container not in ("npz", "safetensors"):
        raise ValueError(f"unknown container {container!r}")
    path = writable_target(path)
    with writing(path):
        if container == "npz":
            with open(path, "wb") as f:
                np.savez(f, **arrays, **{META_KEY: np.frombuffer(text.encode(), dtype=np.uint8)})
        else:
            from safetensors.numpy import save_file

            save_file(arrays, str(path), metadata={FORMAT_NAME: text})
    return path


def read_model(path: str | Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Read a decoder file and verify its format, version and checksum; returns (meta, arrays)."""
    path = Path(path)
    if not path.is_file():
        raise RecordingNotFoundError(f"no decoder file at {path}; train one with 'cortexlink decoder-train'")
    with open(path, "rb") as f:
        head = f.read(8)
    if is_encrypted(head):
        return _read_encrypted(path)
    if head[:4] == _ZIP_MAGIC:
        meta, arrays = _read_npz(path)
    elif len(head) == 8:
        meta, arrays = _read_safetensors(path, struct.unpack("<Q", head)[0])
    else:
        raise ModelFileError(f"{path} is not a cortexlink decoder file (too short)")
    _verify(path, meta, arrays)
    return meta, arrays


def _read_encrypted(path: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """A decoder file encrypted at rest (``cortexlink.core.crypto``, as ``serve --encrypt`` stores
    models), decrypted with ``$CORTEXLINK_KEY`` into a private temporary folder and read there."""
    import tempfile

    from cortexlink.core.crypto import decrypt, load_key

    blob = decrypt(path.read_bytes(), load_key(), str(path))
    with tempfile.TemporaryDirectory(prefix="cortexlink-model-") as folder:
        plain = Path(folder) / path.name
        plain.write_bytes(blob)
        try:
            return read_model(plain)
        except ModelFileError as exc:
            raise ModelFileError(str(exc).replace(str(plain), str(path))) from None


def _parse_meta(path: Path, text: str) -> dict[str, Any]:
    try:
        meta = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ModelFileError(f"{path}: decoder metadata is not valid JSON; the file is damaged") from None
    if not isinstance(meta, dict):
        raise ModelFileError(f"{path}: decoder metadata is not a JSON object; the file is damaged")
    return meta


def _read_npz(path: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    try:
        with np.load(path, allow_pickle=False) as z:
            if META_KEY not in z.files:
                raise ModelFileError(f"{path} is an npz file but not a cortexlink decoder (no metadata)")
            raw = z[META_KEY]
            if raw.dtype != np.uint8 or raw.size > MAX_HEADER_BYTES:
                raise ModelFileError(f"{path}: decoder metadata has the wrong type or size")
            meta = _parse_meta(path, raw.tobytes().decode("utf-8", errors="strict"))
            arrays = {k: z[k] for k in z.files if k != META_KEY}
    except ModelFileError:
        raise
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, UnicodeDecodeError) as exc:
        raise ModelFileError(
            f"{path}: cannot read the decoder file ({exc}); it is damaged or not a cortexlink decoder"
        ) from None
    return meta, arrays


def _read_safetensors(path: Path, header_len: int) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    size = path.stat().st_size
    if header_len <= 0 or header_len > min(MAX_HEADER_BYTES, size - 8):
        raise ModelFileError(f"{path} is not a cortexlink decoder file (neither npz nor safetensors)")
    safe_open = require("safetensors", "torch", f"reading {path} (a safetensors file)").safe_open
    try:
        with safe_open(str(path), framework="numpy") as f:
            header = f.metadata() or {}
            if FORMAT_NAME not in header:
                raise ModelFileError(f"{path} is a safetensors file but not a cortexlink decoder")
            meta = _parse_meta(path, header[FORMAT_NAME])
            arrays = {k: f.get_tensor(k) for k in f.keys()}
    except ModelFileError:
        raise
    except Exception as exc:  # safetensors raises its own error types for damaged files
        raise ModelFileError(f"{path}: cannot read the decoder file ({exc}); it is damaged") from None
    return meta, arrays


def _verify(path: Path, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
    if meta.get("format") != FORMAT_NAME:
        raise ModelFileError(f"{path} is not a cortexlink decoder file (format {meta.get('format')!r})")
    if meta.get("version") != FORMAT_VERSION:
        raise ModelFileError(
            f"{path} has decoder format version {meta.get('version')!r}; this cortexlink "
            f"reads version {FORMAT_VERSION}: retrain or upgrade"
        )
    if meta.get("checksum") != checksum(meta, arrays):
        raise ModelFileError(
            f"{path}: checksum mismatch, the decoder file was changed or damaged "
            "after it was saved; retrain or restore it"
        )
    if not isinstance(meta.get("kind"), str) or not isinstance(meta.get("params"), dict):
        raise ModelFileError(f"{path}: decoder metadata lacks a kind or parameters")
