"""The desk's FastAPI application: routers, the error shape of CONTRACT §5, health, metrics."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.exceptions import HTTPException as StarletteHTTPException

from desk.api import (
    admin,
    approvals,
    auth,
    changes,
    console,
    conversations,
    files,
    kb,
    notifications,
    replies,
    reports,
    routing,
    tickets,
    tokens,
)
from desk.changes import ChangeFeed
from desk.context import Desk
from desk.errors import DeskError
from desk.metrics import HTTP_LATENCY, HTTP_REQUESTS

__all__ = ["create_api", "error_response"]

log = logging.getLogger(__name__)

_STATUS_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                 405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
                 422: "invalid", 429: "rate_limited"}  # fmt: skip


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:3]:
        if err.get("type") == "json_invalid":  # its "loc" is ("body", offset): "8: JSON decode error"
            where = err.get("loc", ())[-1]
            parts.append(
                f"the body is not JSON: {err.get('ctx', {}).get('error', 'invalid')} (at character {where})"
            )
            continue
        loc = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        parts.append(f"{loc}: {msg}" if loc else msg)
    return "; ".join(parts) or "invalid request"


def install_error_handlers(app: FastAPI) -> None:
    """Every error leaves as ``{"error": {"code", "message"}}``; a crash as a bare 500."""

    @app.exception_handler(DeskError)
    async def _desk(_request: Request, exc: DeskError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(422, "invalid", _validation_message(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(exc.status_code, "error")
        return error_response(exc.status_code, code, str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return error_response(500, "internal", "internal error; it has been logged")


_STREAMS = {"/api/v1/changes"}


def _install_metrics(app: FastAPI) -> None:
    @app.middleware("http")
    async def _measure(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        start = time.perf_counter()
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            return response
        finally:
            route = request.scope.get("route")
            path = getattr(route, "path", "unmatched")
            HTTP_REQUESTS.labels(request.method, path, str(status)).inc()
            if path not in _STREAMS:  # a stream's minutes are not a response time
                HTTP_LATENCY.labels(path).observe(time.perf_counter() - start)


def create_api(desk: Desk, **fastapi_kwargs: Any) -> FastAPI:
    """The desk's API. The composition root adds channel webhooks and pages to it."""
    app = FastAPI(
        title="Frontdesk",
        summary="Chat-first IT service desk: tickets, conversations, knowledge base.",
        version="0.1.0",
        **fastapi_kwargs,
    )
    app.state.desk = desk
    app.state.changes = ChangeFeed(desk)
    install_error_handlers(app)
    _install_metrics(app)

    @app.get("/healthz", tags=["health"], summary="200 when the database answers")
    async def healthz() -> Response:
        try:
            await desk.db.ping()
        except Exception:
            log.exception("health check: the database does not answer")
            return error_response(503, "database_unavailable", "the database does not answer")
        return JSONResponse({"status": "ok"})

    @app.get("/metrics", tags=["health"], summary="Prometheus metrics", response_class=PlainTextResponse)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    app.include_router(tickets.router)
    app.include_router(admin.router)
    app.include_router(kb.router)
    app.include_router(conversations.router)
    app.include_router(auth.router)
    app.include_router(tokens.router)
    app.include_router(notifications.router)
    app.include_router(routing.router)
    app.include_router(reports.router)
    app.include_router(console.router)
    app.include_router(files.router)
    app.include_router(replies.router)
    app.include_router(changes.router)
    app.include_router(approvals.router)
    return app
