"""Stores and queries over HTTP: ``GET /stores`` (list), ``GET /stores/{name}`` (one summary),
``POST /stores/{name}/export`` (an NPZ/NWB file written among the recordings, so it downloads with
byte ranges from ``GET /recordings/{file}``, encrypted at rest with ``--encrypt``), and
``POST /query`` (the store query language, ``cortexlink.query``). Stores live under the server's
stores folder (``ServeConfig.stores_dir``), named by their path there (``run1/cursor``).

A query that does not parse is a 422 whose detail names the line and column. A posted query may
not read template files from the server's disk (quoted paths): templates come in ``params``.
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
from pathlib import Path as FsPath
from typing import Any, Literal

import numpy as np
from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel, Field

from cortexlink.serve.errors import ERROR_RESPONSES, ApiError
from cortexlink.serve.security import scope

__all__ = ["router", "MAX_QUERY_JSON_BYTES"]

router = APIRouter(responses=ERROR_RESPONSES)
_PART = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}"
STORE = Path(pattern=rf"^{_PART}(/{_PART}){{0,2}}$", max_length=400, description="e.g. run1/cursor")
MAX_QUERY_JSON_BYTES = 8 << 20  # selected samples a JSON answer holds; ask for npz beyond


def _stores_dir(request: Request) -> FsPath:
    return request.app.state.files.config.stores_dir


def _store_path(request: Request, name: str) -> FsPath:
    from cortexlink.store.layout import is_store

    root = _stores_dir(request).resolve()
    path = (root / name).resolve()
    if ".." in name.split("/") or not path.is_relative_to(root) or not path.is_dir() or not is_store(path):
        raise ApiError(404, "unknown_store", f"no store {name!r}; GET /stores lists them")
    return path


def _all_stores(root: FsPath) -> list[FsPath]:
    """Every store under ``root``, at most three folders deep (recording folder / stream)."""
    from cortexlink.store.layout import is_store

    found, level = [], [root]
    for _ in range(3):
        level = [q for p in level for q in sorted(p.iterdir()) if q.is_dir() and not q.name.startswith(".")]
        found += [q for q in level if is_store(q)]
        level = [q for q in level if not is_store(q)]
    return sorted(found)


class StoreInfo(BaseModel):
    name: str
    summary: dict[str, Any]


@router.get("/stores", response_model=list[StoreInfo], dependencies=[scope("read")])
def stores_list(request: Request) -> list[dict[str, Any]]:
    from cortexlink.store import SiteStore

    root = _stores_dir(request)
    out = []
    for path in _all_stores(root):
        summary = SiteStore(path).summary()
        summary.pop("path", None)  # the server's own folders are not the client's business
        out.append({"name": path.relative_to(root).as_posix(), "summary": summary})
    return out


@router.get("/stores/{name:path}", response_model=StoreInfo, dependencies=[scope("read")])
def stores_info(request: Request, name: str = STORE) -> dict[str, Any]:
    from cortexlink.store import SiteStore

    summary = SiteStore(_store_path(request, name)).summary()
    summary.pop("path", None)
    return {"name": name, "summary": summary}


class ExportRequest(BaseModel):
    format: Literal["npz", "nwb"] = "npz"
    start_s: float | None = Field(None, ge=0, le=1e7, description="from this time since the store began")
    stop_s: float | None = Field(None, ge=0, le=1e7)


class Exported(BaseModel):
    file: str = Field(..., description="download it from GET /recordings/{file} (byte ranges work)")
    bytes: int
    encrypted: bool


@router.post(
    "/stores/{name:path}/export", response_model=Exported, status_code=201, dependencies=[scope("control")]
)
def stores_export(body: ExportRequest, request: Request, name: str = STORE) -> dict[str, Any]:
    from cortexlink.store import export_store

    path = _store_path(request, name)
    files = request.app.state.files
    target = files.config.recordings_dir / f"{name.replace('/', '_')}.{body.format}"
    with tempfile.TemporaryDirectory(dir=files.config.recordings_dir, prefix=".export-") as tmp:
        written = export_store(path, body.format, FsPath(tmp) / target.name, body.start_s, body.stop_s)
        files.keep_recording(written, target)  # encrypted at rest with --encrypt
    return {"file": target.name, "bytes": target.stat().st_size, "encrypted": files.config.encrypt}


class QueryRequest(BaseModel):
    query: str = Field(..., min_length=1, max_length=4000, description="e.g. from * select data[:][-100:0]")
    params: dict[str, list[float]] = Field(
        default_factory=dict, max_length=16, description="templates for similar(), by name"
    )
    format: Literal["json", "npz"] = Field("json", description="npz: the result file (QueryResult.to_npz)")


class QueryAnswer(BaseModel):
    query: str
    plan: str
    refs: list[str]
    sites: dict[str, Any]
    rows: list[dict[str, Any]]


@router.post(
    "/query",
    response_model=QueryAnswer,
    dependencies=[scope("read")],
    responses={200: {"content": {"application/octet-stream": {}}, "description": "JSON, or npz"}},
    summary="run a query (the store query language) over the server's stores",
)
def run_query(body: QueryRequest, request: Request) -> Any:
    from cortexlink.query import parse, query

    parsed = parse(body.query)  # a syntax error is a 422 naming its line and column
    if _has_quoted_path(parsed):
        raise ApiError(
            403,
            "forbidden",
            "a query over the API may not read template files from the server; "
            "give templates by name in 'params'",
        )
    root = _stores_dir(request)
    if not any(root.iterdir()):
        raise ApiError(404, "no_stores", "this server has no stores yet; graphs' recorders write them")
    params = {k: np.asarray(v, dtype=np.float64) for k, v in body.params.items()}
    result = query(body.query, [str(p) for p in _all_stores(root)], params=params)
    if body.format == "npz":
        with tempfile.TemporaryDirectory(prefix="cortexlink-query-") as tmp:
            blob = result.to_npz(FsPath(tmp) / "result.npz").read_bytes()
        return Response(blob, media_type="application/octet-stream")
    if result.nbytes() > MAX_QUERY_JSON_BYTES:
        raise ApiError(
            422,
            "result_too_large",
            f"the result holds {result.nbytes()} bytes of samples, more than a JSON answer carries "
            f"({MAX_QUERY_JSON_BYTES}); add 'limit N', select fewer channels or samples, or ask "
            "for \"format\": \"npz\"",
        )
    rows = [
        {
            "site": r.site,
            "t_ms": r.t_ms,
            "sample": r.sample,
            "channels": np.asarray(r.channels).tolist(),
            "values": [v.tolist() if isinstance(v, np.ndarray) else v for v in r.values],
            "starts": list(r.starts),
        }
        for r in result.rows
    ]
    answer = {
        "query": result.query_text(),
        "plan": result.plan_text,
        "refs": result.refs,
        "sites": result.sites,
        "rows": rows,
    }
    return Response(json.dumps(answer, default=_plain).encode(), media_type="application/json")


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON")


def _has_quoted_path(node: Any) -> bool:
    """Whether a parsed query holds a quoted string (a template file path) anywhere."""
    from cortexlink.query.ast import Str

    if isinstance(node, Str):
        return True
    if dataclasses.is_dataclass(node):
        return any(_has_quoted_path(getattr(node, f.name)) for f in dataclasses.fields(node))
    if isinstance(node, list | tuple):
        return any(_has_quoted_path(x) for x in node)
    return False
