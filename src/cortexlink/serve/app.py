"""``create_app(config)``: the FastAPI app of ``cortexlink serve`` (API, WebSocket streams,
dashboard), wrapped in the size-limit and audit layer."""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from cortexlink.serve.config import ServeConfig

__all__ = ["create_app", "STATIC_DIR"]

STATIC_DIR = Path(__file__).resolve().parent / "static"
DESCRIPTION = (
    "Run and watch cortexlink graphs, decode, and manage models and recordings. Every "
    "endpoint but /health needs `Authorization: Bearer <token>` with the scope it names "
    "(read < control < admin). The dashboard is at /dashboard/."
)


def create_app(config: ServeConfig) -> Any:
    """The ASGI app for ``config`` (tokens, audit log and folders are opened now)."""
    from fastapi import FastAPI
    from fastapi.responses import RedirectResponse
    from fastapi.staticfiles import StaticFiles

    from cortexlink import __version__
    from cortexlink.serve import data, routes, streams
    from cortexlink.serve.audit import AuditLog
    from cortexlink.serve.errors import install_handlers
    from cortexlink.serve.files import FileStore
    from cortexlink.serve.graphs import GraphManager
    from cortexlink.serve.middleware import GuardMiddleware
    from cortexlink.serve.tokens import TokenStore

    config.make_dirs()
    tokens = TokenStore.load(config.tokens)
    audit = AuditLog(config.audit_log, fsync=config.audit_fsync)
    graphs = GraphManager(config, audit)

    @asynccontextmanager
    async def lifespan(app: Any):  # noqa: ANN202
        graphs.yield_cpu()  # this is the event loop's thread
        yield
        graphs.close()

    app = FastAPI(title="cortexlink", version=__version__, description=DESCRIPTION, lifespan=lifespan)
    app.state.tokens, app.state.audit, app.state.graphs = tokens, audit, graphs
    app.state.files = FileStore(config)
    app.state.feeds = {}  # (graph id, stream) -> the Feed its WebSocket clients share
    install_handlers(app)
    routes.include_all(app)
    app.include_router(data.router)
    app.include_router(streams.router)
    app.mount("/dashboard", StaticFiles(directory=STATIC_DIR, html=True), name="dashboard")

    @app.get("/", include_in_schema=False)
    async def root() -> Any:
        return RedirectResponse("/dashboard/")

    def limit_for(path: str) -> int:
        return config.max_upload if path.startswith("/models/") else config.max_body

    app.add_middleware(GuardMiddleware, audit=audit, limit_for=limit_for)
    return app
