"""Bearer tokens with scopes, kept hashed at rest.

A token file holds one JSON object a line: ``{"id": "bench-pc", "sha256": "<hex>", "scopes":
["read", "control"]}``. Only the SHA-256 of each token is stored (tokens are 32 random bytes, so a
plain hash is enough: there is nothing to guess). ``add_token(path, "bench-pc", ["control"])``
appends a new one and returns the token, the only time it is shown. Scopes nest: ``admin`` may do
what ``control`` may, and ``control`` what ``read`` may.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from cortexlink.core.errors import InvalidDataError, InvalidParameterError
from cortexlink.core.paths import writing

__all__ = ["SCOPES", "Token", "TokenStore", "add_token", "token_digest"]

SCOPES = ("read", "control", "admin")  # each includes the ones before it
MAX_TOKEN_FILE = 1 << 20
_ID = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class Token:
    """One token's id (what the audit log names) and its scopes."""

    id: str
    sha256: str
    scopes: frozenset[str]

    def allows(self, scope: str) -> bool:
        """May this token do what ``scope`` covers? (``admin`` > ``control`` > ``read``)."""
        need = SCOPES.index(scope)
        return any(SCOPES.index(s) >= need for s in self.scopes)


def _check_scopes(scopes: list[str] | tuple[str, ...] | frozenset[str], where: str) -> frozenset[str]:
    bad = [s for s in scopes if s not in SCOPES]
    if bad or not scopes:
        raise InvalidDataError(f"{where}: scopes must be some of {', '.join(SCOPES)}, got {list(scopes)}")
    return frozenset(scopes)


class TokenStore:
    """The tokens of a token file, looked up by the hash of what a client presents."""

    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = list(tokens)
        self._by_digest = {t.sha256: t for t in tokens}

    @classmethod
    def load(cls, path: str | Path) -> TokenStore:
        target = Path(path)
        try:
            if target.stat().st_size > MAX_TOKEN_FILE:
                raise InvalidDataError(
                    f"{target} is larger than a token file can be ({MAX_TOKEN_FILE} bytes)"
                )
            lines = target.read_text().splitlines()
        except OSError as exc:
            raise InvalidParameterError(
                f"cannot read the token file {target}: {exc.strerror}; "
                "make one with 'cortexlink token add FILE ID'"
            ) from None
        tokens = []
        for i, line in enumerate(lines, 1):
            if not line.strip():
                continue
            where = f"{target} line {i}"
            try:
                entry = json.loads(line)
                tid, digest, scopes = entry["id"], entry["sha256"], entry["scopes"]
            except (ValueError, KeyError, TypeError):
                raise InvalidDataError(f'{where}: expected {{"id", "sha256", "scopes"}} JSON') from None
            if not (isinstance(digest, str) and re.fullmatch(r"[0-9a-f]{64}", digest)):
                raise InvalidDataError(
                    f"{where}: sha256 must be 64 hex digits (the token itself is never stored)"
                )
            tokens.append(Token(str(tid), digest, _check_scopes(list(scopes), where)))
        return cls(tokens)

    def find(self, presented: str) -> Token | None:
        """The token whose hash matches ``presented`` (compared in constant time), or None."""
        digest = token_digest(presented)
        found = None
        for known, token in self._by_digest.items():
            if hmac.compare_digest(known, digest):
                found = token
        return found


def add_token(path: str | Path, token_id: str, scopes: list[str] | tuple[str, ...]) -> str:
    """Append a new token with ``scopes`` to the token file ``path`` (created 0600) and return it."""
    if not _ID.match(token_id):
        raise InvalidParameterError(f"a token id is 1-64 letters, digits or _.@-; got {token_id!r}")
    checked = _check_scopes(list(scopes), "token")
    target = Path(path)
    if target.exists() and any(t.id == token_id for t in TokenStore.load(target).tokens):
        raise InvalidParameterError(f"{target} already has a token {token_id!r}; pick another id")
    token = secrets.token_urlsafe(32)
    line = (
        json.dumps(
            {"id": token_id, "sha256": token_digest(token), "scopes": [s for s in SCOPES if s in checked]}
        )
        + "\n"
    )
    with writing(target):
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a") as f:
            f.write(line)
    return token
