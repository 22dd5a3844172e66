"""Models and recordings on the server's disk: upload (safe formats only), list, delete, load
(cached), and byte ranges of recordings. Files may be encrypted at rest (``core.crypto``)."""

from __future__ import annotations

import os
import re
import secrets
import tempfile
import threading
from pathlib import Path
from typing import Any

from cortexlink.core.errors import CortexlinkError
from cortexlink.serve.config import ServeConfig
from cortexlink.serve.errors import ApiError

__all__ = ["FileStore", "parse_range"]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
MODEL_SUFFIXES = (".npz", ".safetensors")


def _check_name(name: str, what: str) -> None:
    if not _NAME.match(name) or ".." in name:
        raise ApiError(
            422,
            "invalid_name",
            f"{what} names are 1-128 letters, digits or _.- (no '..' or '/'); got {name!r}",
        )


class FileStore:
    """The models and recordings folders of a server."""

    def __init__(self, config: ServeConfig) -> None:
        self.config = config
        self._key: bytes | None = None
        self._cache: dict[str, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    @property
    def key(self) -> bytes:
        if self._key is None:
            from cortexlink.core.crypto import load_key

            self._key = load_key(self.config.key_file)
        return self._key

    # -- models ------------------------------------------------------------------------------------
    def models(self) -> list[dict[str, Any]]:
        out = []
        for p in sorted(self.config.models_dir.glob("*")):
            if p.is_file() and p.suffix in MODEL_SUFFIXES:
                out.append({"name": p.name, "bytes": p.stat().st_size, "encrypted": self._encrypted(p)})
        return out

    def _model_path(self, name: str) -> Path:
        _check_name(name, "model")
        path = self.config.models_dir / name
        if not path.is_file():
            raise ApiError(404, "unknown_model", f"no model {name!r}; GET /models lists them")
        return path

    def save_model(self, name: str, blob: bytes) -> dict[str, Any]:
        """Keep an uploaded decoder file once it loads as one (npz or safetensors; nothing that runs code)."""
        from cortexlink.core.crypto import encrypt

        _check_name(name, "model")
        if not name.endswith(MODEL_SUFFIXES):
            raise ApiError(
                422,
                "unsafe_format",
                f"model files are {' or '.join(MODEL_SUFFIXES)} (safe formats "
                f"that cannot run code); got {name!r}",
            )
        decoder = self._load_bytes(name, blob)  # refuses anything that is not a valid decoder file
        data = encrypt(blob, self.key) if self.config.encrypt else blob
        target = self.config.models_dir / name
        tmp = target.with_name(f".{name}.{secrets.token_hex(4)}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, target)
        with self._lock:
            self._cache[name] = (target.stat().st_mtime_ns, decoder)
        return {
            "name": name,
            "kind": getattr(decoder, "kind", type(decoder).__name__),
            "n_features": getattr(decoder, "n_features_", None),
            "encrypted": self.config.encrypt,
        }

    def delete_model(self, name: str) -> None:
        self._model_path(name).unlink()
        with self._lock:
            self._cache.pop(name, None)

    def decoder(self, name: str) -> Any:
        """The loaded decoder ``name`` (cached until its file changes)."""
        path = self._model_path(name)
        stamp = path.stat().st_mtime_ns
        with self._lock:
            hit = self._cache.get(name)
        if hit is not None and hit[0] == stamp:
            return hit[1]
        decoder = self._load_bytes(name, self._read(path))
        with self._lock:
            self._cache[name] = (stamp, decoder)
        return decoder

    def _load_bytes(self, name: str, blob: bytes) -> Any:
        from cortexlink.decode import load_decoder

        with tempfile.TemporaryDirectory(prefix="cortexlink-model-") as folder:
            path = Path(folder) / name
            path.write_bytes(blob)
            try:
                return load_decoder(path)
            except CortexlinkError as exc:
                raise ApiError(422, "invalid_model", str(exc).replace(str(path), name)) from None

    # -- recordings --------------------------------------------------------------------------------
    def recordings(self) -> list[dict[str, Any]]:
        return [
            {"name": p.name, "bytes": p.stat().st_size, "encrypted": self._encrypted(p)}
            for p in sorted(self.config.recordings_dir.glob("*"))
            if p.is_file() and not p.name.startswith(".")
        ]

    def keep_recording(self, written: Path, target: Path) -> None:
        """Move a file this server wrote (an export) to ``target`` among the recordings, encrypted
        at rest when the server encrypts."""
        from cortexlink.core.crypto import encrypt_file

        if self.config.encrypt:
            encrypt_file(written, self.key, written)
        os.replace(written, target)

    def recording(self, name: str) -> tuple[Path, int]:
        """Path and plaintext size of a recording."""
        _check_name(name, "recording")
        path = self.config.recordings_dir / name
        if not path.is_file():
            raise ApiError(404, "unknown_recording", f"no recording {name!r}; GET /recordings lists them")
        if self._encrypted(path):
            from cortexlink.core.crypto import MAGIC, NONCE_BYTES, TAG_BYTES

            return path, max(0, path.stat().st_size - len(MAGIC) - NONCE_BYTES - TAG_BYTES)
        return path, path.stat().st_size

    def read_range(self, path: Path, start: int, end: int) -> bytes:
        """Bytes ``start..end`` (inclusive) of the plaintext."""
        if end - start + 1 > self.config.max_download:
            raise ApiError(
                416,
                "range_not_satisfiable",
                f"at most {self.config.max_download} bytes per response; ask for a Range",
            )
        if self._encrypted(path):
            if path.stat().st_size > self.config.max_download:
                raise ApiError(
                    416,
                    "range_not_satisfiable",
                    "encrypted recordings larger than max_download can't be served; decrypt them first",
                )
            return self._read(path)[start : end + 1]
        with open(path, "rb") as f:
            f.seek(start)
            return f.read(end - start + 1)

    # -- both --------------------------------------------------------------------------------------
    @staticmethod
    def _encrypted(path: Path) -> bool:
        from cortexlink.core.crypto import is_encrypted

        with open(path, "rb") as f:
            return is_encrypted(f.read(16))

    def _read(self, path: Path) -> bytes:
        from cortexlink.core.crypto import decrypt

        blob = path.read_bytes()
        return decrypt(blob, self.key, path.name) if self._encrypted(path) else blob


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """``(start, end)`` inclusive of a ``Range: bytes=a-b`` header (one range), None for the whole."""
    if not header:
        return None
    m = re.fullmatch(r"\s*bytes=(\d*)-(\d*)\s*", header)
    if not m or (not m.group(1) and not m.group(2)):
        raise ApiError(
            416, "range_not_satisfiable", f"Range must be 'bytes=START-END' (one range); got {header!r}"
        )
    if not m.group(1):  # the last N bytes
        n = int(m.group(2))
        start, end = max(0, size - n), size - 1
    else:
        start = int(m.group(1))
        end = min(int(m.group(2)), size - 1) if m.group(2) else size - 1
    if start >= size or end < start:
        raise ApiError(416, "range_not_satisfiable", f"range {header!r} is outside the file's {size} bytes")
    return start, end
