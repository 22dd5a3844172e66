"""``query(text, stores)``: what ``cortexlink query`` runs."""

from __future__ import annotations

import os
from typing import Any

from cortexlink.query.result import QueryResult


def query(
    text: str,
    stores: Any,
    params: dict[str, Any] | None = None,
    dask: Any = None,
    workers: int | None = None,
    now_ns: int | None = None,
) -> QueryResult:
    """Run a query over stores: ``stores`` is a folder (or list of folders) of stores or of open
    ``SiteStore``; ``params`` names templates for ``similar``; ``dask`` a scheduler address (or a
    ``distributed.Client``) to run each store's task on a cluster instead of in this process's
    threads. The plan's text is ``result.plan_text``."""
    from cortexlink.query.execute import run_dask, run_local
    from cortexlink.query.parser import parse
    from cortexlink.query.planner import plan
    from cortexlink.query.result import build

    q = parse(text)
    opened = open_stores(stores)
    p = plan(q, opened, now_ns)
    how = (
        f"dask {dask}"
        if dask is not None
        else f"local, {min(len(p.sites), workers or os.cpu_count() or 1)} thread(s)"
    )
    args = (p.sites, p.where, q.select, q.limit, dict(params or {}))
    if dask is not None:
        rows = run_dask(*args, dask)
    else:
        rows = run_local(*args, {str(s.path): s for s in opened}, workers)
    return build(q, rows, p, how)


def explain(text: str, stores: Any, dask: Any = None, now_ns: int | None = None) -> str:
    """The plan of a query over ``stores``, in words, without running it."""
    from cortexlink.query.parser import parse
    from cortexlink.query.planner import plan

    p = plan(parse(text), open_stores(stores), now_ns)
    return p.explain(f"dask {dask}" if dask is not None else "local threads")


def open_stores(stores: Any) -> list[Any]:
    from cortexlink.store import SiteStore, find_stores

    if isinstance(stores, SiteStore):
        return [stores]
    if isinstance(stores, list | tuple) and stores and all(isinstance(s, SiteStore) for s in stores):
        return list(stores)
    return find_stores(stores)
