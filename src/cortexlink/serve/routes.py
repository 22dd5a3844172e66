"""The HTTP endpoints: each parses, calls the library (or the server's graph/file state), returns.

Stores and ``POST /query`` are in ``serve.data``; the WebSocket streams in ``serve.streams``.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from fastapi import APIRouter, Header, Path, Query, Request, Response
from pydantic import BaseModel, Field

from cortexlink.serve.bodies import npy_array
from cortexlink.serve.errors import ERROR_RESPONSES, ApiError
from cortexlink.serve.files import parse_range
from cortexlink.serve.graphs import status_json
from cortexlink.serve.security import scope

__all__ = ["public", "api"]

public = APIRouter()
api = APIRouter(responses=ERROR_RESPONSES)

NAME_RE = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$"
NAME = Path(pattern=NAME_RE, max_length=128)
MODEL_QUERY = Query(..., pattern=NAME_RE, max_length=128, description="a model name (GET /models)")
GRAPH_ID = Path(pattern=r"^g[0-9]{1,9}$", max_length=10)
MAX_FEATURES, MAX_BINS = 4096, 1000


def _state(request: Request) -> Any:
    return request.app.state


# -- service -------------------------------------------------------------------------------------
class Health(BaseModel):
    status: str


class Version(BaseModel):
    cortexlink: str
    api: int


@public.get("/health", response_model=Health, summary="liveness (no token needed)")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@api.get("/version", response_model=Version, dependencies=[scope("read")])
async def version() -> dict[str, Any]:
    from cortexlink import __version__

    return {"cortexlink": __version__, "api": 1}


# -- graphs --------------------------------------------------------------------------------------
class GraphStart(BaseModel):
    """A graph by name (``GET /graphs/available``) or a graph document (the YAML file's content as JSON)."""

    graph: str | None = Field(None, max_length=64, description="a graph name, e.g. 'default'")
    document: dict[str, Any] | None = Field(
        None, description="a graph: metadata and nodes, as in a graph file"
    )
    duration_s: float | None = Field(None, gt=0, le=86400, description="run this long (default: the graph's)")


class GraphStarted(BaseModel):
    id: str
    status: dict[str, Any]


class GraphStatus(BaseModel):
    id: str
    graph: str
    running: bool
    reason: str
    elapsed_s: float
    drops: int
    nodes: list[dict[str, Any]]
    events: list[dict[str, Any]]
    streams: dict[str, Any]


class StopOutcome(BaseModel):
    safety_nodes: dict[str, Any]
    stopped: bool
    note: str


@api.get("/graphs/available", response_model=list[str], dependencies=[scope("read")])
async def graphs_available(request: Request) -> list[str]:
    return _state(request).graphs.graph_names()


@api.get("/graphs", response_model=list[GraphStatus], dependencies=[scope("read")])
async def graphs_list(request: Request) -> list[dict[str, Any]]:
    return [status_json(gid, run) for gid, run in _state(request).graphs.runs.items()]


@api.post("/graphs", response_model=GraphStarted, status_code=201, dependencies=[scope("control")])
def graphs_start(body: GraphStart, request: Request) -> dict[str, Any]:
    manager = _state(request).graphs
    gid = manager.start(body.graph, body.document, body.duration_s)
    run = manager.get(gid)
    run.wait_ready(30.0)
    return {"id": gid, "status": status_json(gid, run)}


@api.get("/graphs/{gid}", response_model=GraphStatus, dependencies=[scope("read")])
async def graphs_status(request: Request, gid: str = GRAPH_ID) -> Response:
    return Response(_state(request).graphs.status_bytes(gid), media_type="application/json")


@api.delete("/graphs/{gid}", response_model=GraphStatus, dependencies=[scope("control")])
def graphs_stop(request: Request, gid: str = GRAPH_ID) -> dict[str, Any]:
    return status_json(gid, _state(request).graphs.stop(gid))


@api.post(
    "/graphs/{gid}/stop-all",
    response_model=StopOutcome,
    dependencies=[scope("control")],
    summary="emergency stop: zero every velocity output, then stop the graph",
)
def graphs_emergency_stop(request: Request, gid: str = GRAPH_ID) -> dict[str, Any]:
    return _state(request).graphs.emergency_stop(gid)


@api.post(
    "/stop-all",
    response_model=dict[str, StopOutcome],
    dependencies=[scope("control")],
    summary="emergency stop of every running graph",
)
def stop_everything(request: Request) -> dict[str, Any]:
    return _state(request).graphs.stop_everything()


# -- decode --------------------------------------------------------------------------------------
class DecodeRequest(BaseModel):
    """A window of neural features, ``features[feature][bin]`` (time last), for a loaded model."""

    model: str = Field(..., pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
    features: list[list[float]] = Field(..., min_length=1, max_length=MAX_FEATURES)


class DecodeResponse(BaseModel):
    velocity: list[float] = Field(..., description="decoded output of the window's last bin (vx, vy)")
    n_bins: int
    latency_us: float = Field(..., description="time spent checking and decoding the window in the server")


@api.post("/decode", response_model=DecodeResponse, dependencies=[scope("read")])
async def decode(body: DecodeRequest, request: Request) -> dict[str, Any]:
    decoder = _state(request).files.decoder(body.model)
    t0 = time.perf_counter_ns()
    widths = {len(row) for row in body.features}
    if len(widths) != 1 or not 0 < next(iter(widths)) <= MAX_BINS:
        raise ApiError(
            422,
            "invalid_features",
            f"features must be a rectangle of n_features rows and 1-{MAX_BINS} "
            f"bins each; got rows of lengths {sorted(widths)[:5]}",
        )
    return _decode(decoder, body.model, np.asarray(body.features, dtype=np.float64), t0)


@api.post(
    "/decode/npy",
    response_model=DecodeResponse,
    dependencies=[scope("read")],
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
    summary="decode a window sent as a .npy file's bytes (features x bins, float or int; any content "
    "type, e.g. application/x-npy): no JSON to parse",
)
async def decode_npy(request: Request, model: str = MODEL_QUERY) -> dict[str, Any]:
    decoder = _state(request).files.decoder(model)
    t0 = time.perf_counter_ns()
    X = npy_array(await request.body(), max_shape=(MAX_FEATURES, MAX_BINS))
    return _decode(decoder, model, X, t0)


def _decode(decoder: Any, model: str, X: np.ndarray, t0: int) -> dict[str, Any]:
    """Check a (features, bins) window against ``decoder`` and decode it."""
    if not np.isfinite(X).all():
        raise ApiError(422, "invalid_features", "features hold NaN or infinite values")
    expected = getattr(decoder, "n_features_", None)
    if expected is not None and X.shape[0] != expected:
        raise ApiError(
            422, "invalid_features", f"model {model!r} takes {expected} features a bin; got {X.shape[0]}"
        )
    Y = decoder.predict(X)
    return {
        "velocity": [float(v) for v in Y[:, -1]],
        "n_bins": int(X.shape[1]),
        "latency_us": (time.perf_counter_ns() - t0) / 1e3,
    }


# -- models and recordings -----------------------------------------------------------------------
class FileInfo(BaseModel):
    name: str
    bytes: int
    encrypted: bool


class ModelSaved(BaseModel):
    name: str
    kind: str
    n_features: int | None
    encrypted: bool


@api.get("/models", response_model=list[FileInfo], dependencies=[scope("read")])
def models_list(request: Request) -> list[dict[str, Any]]:
    return _state(request).files.models()


@api.put(
    "/models/{name}",
    response_model=ModelSaved,
    status_code=201,
    dependencies=[scope("admin")],
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
    summary="upload a decoder file (.npz or .safetensors, as cortexlink decoder-train writes)",
)
async def models_upload(request: Request, name: str = NAME) -> dict[str, Any]:
    blob = await request.body()
    if not blob:
        raise ApiError(422, "empty_body", "send the model file's bytes as the request body")
    return _state(request).files.save_model(name, blob)


@api.delete("/models/{name}", status_code=204, dependencies=[scope("admin")])
def models_delete(request: Request, name: str = NAME) -> Response:
    _state(request).files.delete_model(name)
    return Response(status_code=204)


@api.get("/recordings", response_model=list[FileInfo], dependencies=[scope("read")])
def recordings_list(request: Request) -> list[dict[str, Any]]:
    return _state(request).files.recordings()


@api.get(
    "/recordings/{name}",
    dependencies=[scope("read")],
    responses={
        200: {"content": {"application/octet-stream": {}}, "description": "the file"},
        206: {"content": {"application/octet-stream": {}}, "description": "a byte range"},
    },
)
def recordings_download(
    request: Request, name: str = NAME, range: str | None = Header(None, max_length=200)
) -> Response:  # noqa: A002
    files = _state(request).files
    path, size = files.recording(name)
    wanted = parse_range(range, size)
    start, end = wanted if wanted is not None else (0, size - 1)
    data = files.read_range(path, start, end) if size else b""
    headers = {"Accept-Ranges": "bytes"}
    if wanted is not None:
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    return Response(
        data,
        status_code=206 if wanted is not None else 200,
        headers=headers,
        media_type="application/octet-stream",
    )


def include_all(app: Any) -> None:
    app.include_router(public)
    app.include_router(api)
