"""Authentication: ``Authorization: Bearer <token>`` checked against the token file's hashes, and
the scope each endpoint needs (``read`` < ``control`` < ``admin``). 401 when the token is missing
or unknown, 403 when it lacks the scope. The token's id (never the token) goes to the audit log."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from cortexlink.serve.errors import ApiError
from cortexlink.serve.tokens import Token, TokenStore

__all__ = ["scope", "authenticate", "bearer"]

bearer = HTTPBearer(auto_error=False, description="a token from the server's token file")
MAX_TOKEN_CHARS = 256


def authenticate(store: TokenStore, presented: str | None) -> Token:
    """The token for ``presented``; ApiError 401 when it is missing or unknown."""
    if not presented:
        raise ApiError(401, "unauthorized", "this endpoint needs 'Authorization: Bearer <token>'")
    token = store.find(presented) if len(presented) <= MAX_TOKEN_CHARS else None
    if token is None:
        raise ApiError(401, "unauthorized", "unknown bearer token")
    return token


def scope(needed: str) -> Any:
    """A dependency that admits requests whose token has ``needed`` (or a higher scope)."""

    async def check(
        request: Request, creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
    ) -> Token:
        store: TokenStore = request.app.state.tokens
        try:
            token = authenticate(store, creds.credentials if creds is not None else None)
        except ApiError:
            request.state.token_id = "-"
            raise
        request.state.token_id = token.id
        if not token.allows(needed):
            raise ApiError(403, "forbidden", f"token {token.id!r} lacks the {needed!r} scope this needs")
        return token

    return Depends(check)
