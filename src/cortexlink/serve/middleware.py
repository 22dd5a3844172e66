"""The outermost layer of the app (plain ASGI): request size limits, the audit log, and a
``Server-Timing`` header (milliseconds from the whole body read to the response).

A body longer than the limit (declared in ``Content-Length`` or counted as it streams in) is a
413 JSON error before any endpoint sees it. Every HTTP request and every WebSocket session is one
audit entry: who (token id), what (method, path, digest of query and body), and the result.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from typing import Any

from cortexlink.serve.audit import AuditLog, params_digest

__all__ = ["GuardMiddleware"]


class GuardMiddleware:
    """Size limits (``limit_for(path) -> bytes``) and one audit entry per request."""

    def __init__(self, app: Any, audit: AuditLog, limit_for: Callable[[str], int]) -> None:
        self.app, self.audit, self.limit_for = app, audit, limit_for

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})
        path = scope.get("path", "")
        method = scope.get("method", "WS")
        query = scope.get("query_string", b"")
        if scope["type"] == "websocket":
            result = {"status": 101}
            try:
                await self.app(scope, receive, send)
            finally:
                self._log(
                    scope,
                    "WS",
                    path,
                    hashlib.sha256(query).hexdigest(),
                    scope["state"].get("ws_result", "closed"),
                    result["status"],
                )
            return
        limit = self.limit_for(path)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _too_large(send, limit)
            self._log(scope, method, path, hashlib.sha256(query).hexdigest(), "body too large", 413)
            return
        # the body is read here, whole and bounded, before the app sees it: a body over the limit
        # is refused without reaching an endpoint, however it was sent (declared or chunked)
        parts, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _too_large(send, limit)
                self._log(scope, method, path, hashlib.sha256(query).hexdigest(), "body too large", 413)
                return
            parts.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(parts)
        replayed = {"done": False}

        async def replay() -> dict:
            if not replayed["done"]:
                replayed["done"] = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        seen = {"status": 0}
        t0 = time.perf_counter_ns()

        async def watched_send(message: dict) -> None:
            if message["type"] == "http.response.start":
                seen["status"] = message["status"]
                # the server's own time on the request, body read to response (RFC Server-Timing)
                took = (time.perf_counter_ns() - t0) / 1e6
                message = {
                    **message,
                    "headers": [
                        *message.get("headers", []),
                        (b"server-timing", f"app;dur={took:.3f}".encode()),
                    ],
                }
            await send(message)

        try:
            await self.app(scope, replay, watched_send)
        finally:
            status = int(seen["status"] or 500)
            self._log(scope, method, path, params_digest(query, body), _result(status), status)

    def _log(self, scope: dict, method: str, path: str, digest: str, result: str, status: int) -> None:
        self.audit.append(
            token=scope["state"].get("token_id", "-"),
            method=method,
            endpoint=path,
            params=digest,
            status=status,
            result=scope["state"].get("audit_result", result),
        )


def _result(status: int) -> str:
    if status < 400:
        return "ok"
    return {401: "unauthenticated", 403: "forbidden", 413: "body too large"}.get(
        status, "rejected" if status < 500 else "server error"
    )


def _content_length(scope: dict) -> int | None:
    for key, value in scope.get("headers", []):
        if key == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _too_large(send: Callable, limit: int) -> None:
    body = json.dumps(
        {
            "error": "too_large",
            "detail": f"the request body is larger than this endpoint takes ({limit} bytes)",
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
