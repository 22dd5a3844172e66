"""AES-GCM encryption at rest for recordings, stores and model files.

A key is 32 random bytes, kept hex-encoded in a key file (``new_key_file(path)``) or in the
environment variable ``CORTEXLINK_KEY``; ``load_key(path=None)`` reads one or the other.
``encrypt(data, key)`` returns ``MAGIC + nonce + ciphertext+tag``; ``decrypt`` checks the tag, so a
wrong key and any change to the bytes are the same clear ``CorruptDataError`` (GCM cannot tell
them apart). ``encrypt_file`` / ``decrypt_file`` do whole files (atomically replaced).
``is_encrypted(head)`` tells an encrypted file by its first bytes.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from cortexlink.core.errors import CorruptDataError, InvalidDataError, InvalidParameterError
from cortexlink.core.optional import require
from cortexlink.core.paths import writing

__all__ = [
    "MAGIC",
    "KEY_ENV",
    "new_key_file",
    "load_key",
    "encrypt",
    "decrypt",
    "encrypt_file",
    "decrypt_file",
    "is_encrypted",
]

MAGIC = b"CLXAESG1"  # 8 bytes: format and version; also authenticated (associated data)
KEY_ENV = "CORTEXLINK_KEY"
NONCE_BYTES = 12
TAG_BYTES = 16
KEY_BYTES = 32


def _aesgcm(key: bytes):  # noqa: ANN202  (cryptography's class, imported on use)
    module = require("cryptography.hazmat.primitives.ciphers.aead", "serve", "encryption at rest")
    if len(key) != KEY_BYTES:
        raise InvalidParameterError(f"an encryption key is {KEY_BYTES} bytes (64 hex digits), got {len(key)}")
    return module.AESGCM(key)


def _parse_key(text: str, where: str) -> bytes:
    try:
        key = bytes.fromhex(text.strip())
    except ValueError:
        raise InvalidParameterError(
            f"the key in {where} is not hex; make one with cortexlink.core.crypto.new_key_file(path)"
        ) from None
    if len(key) != KEY_BYTES:
        raise InvalidParameterError(
            f"the key in {where} is {len(key)} bytes; a key is {KEY_BYTES} bytes ({2 * KEY_BYTES} hex digits)"
        )
    return key


def new_key_file(path: str | Path) -> bytes:
    """Write a new random key to ``path`` (readable by its owner only) and return it."""
    key = secrets.token_bytes(KEY_BYTES)
    target = Path(path)
    if target.exists():
        raise InvalidParameterError(
            f"{target} exists; a key file is never overwritten (data under the old key would be lost)"
        )
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key.hex() + "\n")
    return key


def load_key(path: str | Path | None = None) -> bytes:
    """The key in the file ``path``, else in ``$CORTEXLINK_KEY``; an error says which is missing."""
    if path is not None:
        target = Path(path)
        try:
            if target.stat().st_size > 1024:
                raise InvalidDataError(f"{target} is too large to be a key file")
            return _parse_key(target.read_text(), str(target))
        except OSError as exc:
            raise InvalidParameterError(f"cannot read the key file {target}: {exc.strerror}") from None
    text = os.environ.get(KEY_ENV)
    if not text:
        raise InvalidParameterError(f"no encryption key: give a key file or set {KEY_ENV}")
    return _parse_key(text, f"${KEY_ENV}")


def is_encrypted(head: bytes) -> bool:
    """Do these first bytes start an encrypted file?"""
    return head[: len(MAGIC)] == MAGIC


def encrypt(data: bytes, key: bytes) -> bytes:
    """``data`` sealed with AES-256-GCM under ``key`` (a fresh random nonce each call)."""
    nonce = secrets.token_bytes(NONCE_BYTES)
    return MAGIC + nonce + _aesgcm(key).encrypt(nonce, bytes(data), MAGIC)


def decrypt(blob: bytes, key: bytes, what: str = "data") -> bytes:
    """The plaintext of ``encrypt(data, key)``; a wrong key or changed bytes raise CorruptDataError."""
    if not is_encrypted(blob):
        raise InvalidDataError(f"{what} is not encrypted by cortexlink (no {MAGIC.decode()} header)")
    if len(blob) < len(MAGIC) + NONCE_BYTES + TAG_BYTES:
        raise CorruptDataError(f"{what} is truncated: shorter than an encryption header and tag")
    nonce = blob[len(MAGIC) : len(MAGIC) + NONCE_BYTES]
    exceptions = require("cryptography.exceptions", "serve", "encryption at rest")
    try:
        return _aesgcm(key).decrypt(nonce, blob[len(MAGIC) + NONCE_BYTES :], MAGIC)
    except exceptions.InvalidTag:
        raise CorruptDataError(
            f"cannot decrypt {what}: the key is wrong or the bytes were changed "
            "(authentication failed); check the key file or $" + KEY_ENV
        ) from None


def encrypt_file(path: str | Path, key: bytes, out: str | Path | None = None) -> Path:
    """Encrypt the file at ``path`` into ``out`` (default: in place, replaced atomically)."""
    src = Path(path)
    target = Path(out) if out is not None else src
    _replace(target, encrypt(src.read_bytes(), key))
    return target


def decrypt_file(path: str | Path, key: bytes, out: str | Path | None = None) -> Path:
    """Decrypt the file at ``path`` into ``out`` (default: in place, replaced atomically)."""
    src = Path(path)
    target = Path(out) if out is not None else src
    _replace(target, decrypt(src.read_bytes(), key, str(src)))
    return target


def _replace(target: Path, blob: bytes) -> None:
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    with writing(target):
        tmp.write_bytes(blob)
        os.replace(tmp, target)
