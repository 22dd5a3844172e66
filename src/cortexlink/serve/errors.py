"""Every failure the API returns is JSON ``{"error": kind, "detail": what was wrong}`` with a 4xx
status; only a fault of the server itself is a 5xx, and even then without a traceback."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from cortexlink.core import errors as ce

__all__ = ["ErrorBody", "ApiError", "status_of", "ERROR_RESPONSES", "install_handlers", "error_json"]


class ErrorBody(BaseModel):
    """What every error response holds."""

    error: str
    detail: Any


class ApiError(Exception):
    """An error with its HTTP status, raised by the API's own code."""

    def __init__(self, status: int, error: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.error, self.detail = status, error, detail


_STATUS = [
    (ce.RecordingNotFoundError, 404),
    (ce.MissingDependencyError, 501),
    (ce.GraphError, 422),
    (ce.ModelFileError, 422),
    (ce.CorruptDataError, 422),
    (ce.InvalidDataError, 422),
    (ce.InvalidParameterError, 422),
    (ce.NotFittedError, 409),
    (ce.CortexlinkError, 400),
]

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": what}
    for code, what in (
        (400, "bad request"),
        (401, "missing or unknown bearer token"),
        (403, "the token lacks the scope"),
        (404, "no such item"),
        (409, "conflict with the current state"),
        (413, "request body too large"),
        (416, "range not satisfiable"),
        (422, "invalid input, said in detail"),
    )
}


def status_of(exc: ce.CortexlinkError) -> int:
    for cls, code in _STATUS:
        if isinstance(exc, cls):
            return code
    return 400


def error_json(status: int, error: str, detail: Any, headers: dict[str, str] | None = None) -> Any:
    from fastapi.responses import JSONResponse

    return JSONResponse({"error": error, "detail": detail}, status_code=status, headers=headers)


def install_handlers(app: Any) -> None:
    """Map our errors, validation errors and HTTP errors to the JSON error body."""
    from fastapi.exceptions import RequestValidationError
    from starlette.exceptions import HTTPException

    @app.exception_handler(ApiError)
    async def _api(request: Any, exc: ApiError) -> Any:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return error_json(exc.status, exc.error, exc.detail, headers)

    @app.exception_handler(ce.CortexlinkError)
    async def _ours(request: Any, exc: ce.CortexlinkError) -> Any:
        return error_json(status_of(exc), type(exc).__name__, str(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Any, exc: RequestValidationError) -> Any:
        detail = [
            {"where": ".".join(str(p) for p in e.get("loc", ())), "problem": e.get("msg", "")}
            for e in exc.errors()
        ]
        return error_json(422, "invalid_request", detail)

    @app.exception_handler(HTTPException)
    async def _http(request: Any, exc: HTTPException) -> Any:
        headers = getattr(exc, "headers", None)
        return error_json(exc.status_code, _http_kind(exc.status_code), exc.detail, headers)

    @app.exception_handler(Exception)
    async def _fault(request: Any, exc: Exception) -> Any:  # a bug of ours: no traceback to the client
        return error_json(500, "internal_error", f"the server failed: {type(exc).__name__}")


def _http_kind(code: int) -> str:
    return {
        401: "unauthorized",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
        413: "too_large",
        416: "range_not_satisfiable",
    }.get(code, "http_error")
