"""``serve(...)``: what ``cortexlink serve`` does, as one call: build the app and run it with
uvicorn (HTTPS when given a certificate and key)."""

from __future__ import annotations

import os
from pathlib import Path

from cortexlink.core.crypto import KEY_ENV, load_key
from cortexlink.core.errors import InvalidParameterError
from cortexlink.core.optional import require
from cortexlink.serve.config import ServeConfig

__all__ = ["serve"]


def serve(
    config: ServeConfig,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    tls_cert: str | Path | None = None,
    tls_key: str | Path | None = None,
    log_level: str = "warning",
) -> None:
    """Serve the API and dashboard until interrupted. Without ``tls_cert`` the server speaks plain
    HTTP, so keep it on 127.0.0.1 or behind a TLS proxy."""
    uvicorn = require("uvicorn", "serve", "cortexlink serve")
    if (tls_cert is None) != (tls_key is None):
        raise InvalidParameterError("TLS needs both a certificate (--tls-cert) and its key (--tls-key)")
    for path in (tls_cert, tls_key):
        if path is not None and not Path(path).is_file():
            raise InvalidParameterError(f"no such file: {path}")
    if not 0 < port < 65536:
        raise InvalidParameterError(f"port must be 1-65535, got {port}")
    from cortexlink.serve.app import create_app

    if config.encrypt and config.key_file is not None and KEY_ENV not in os.environ:
        # the graphs' node processes read encrypted models (and recorders encrypt) with this key
        os.environ[KEY_ENV] = load_key(config.key_file).hex()
    app = create_app(config)
    # uvicorn's access log would print every URL; requests are recorded in the audit log instead
    uvicorn.run(
        app,
        host=host,
        port=port,
        ssl_certfile=tls_cert,
        ssl_keyfile=tls_key,
        log_level=log_level,
        access_log=False,
        ws_max_size=1 << 16,
    )
