"""The HTTP/WebSocket API and the browser dashboard (``cortexlink serve``).

``serve(ServeConfig(tokens="tokens.jsonl"), port=8000)`` runs it; ``create_app(config)`` is the
ASGI app (for tests or another server). Security: bearer tokens with scopes (``tokens``), an
append-only hash-chained audit log (``audit``), request size limits, TLS, and AES-GCM at rest
(``cortexlink.core.crypto``). Imports of FastAPI happen on use, so ``import cortexlink`` stays light.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["ServeConfig", "create_app", "serve", "add_token", "verify_audit"]

_LAZY = {
    "ServeConfig": "cortexlink.serve.config",
    "create_app": "cortexlink.serve.app",
    "serve": "cortexlink.serve.server",
    "add_token": "cortexlink.serve.tokens",
    "verify_audit": "cortexlink.serve.audit",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'cortexlink.serve' has no attribute {name!r}")
    return getattr(importlib.import_module(_LAZY[name]), name)
