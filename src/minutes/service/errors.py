"""Errors as HTTP answers: every one a JSON body ``{"detail": "<one line>"}``.

The typed hierarchy (``minutes.errors``) decides the status: what the caller sent wrong is
4xx, a store that cannot be reached is 503 (nothing was half-written: writes are one
transaction), and anything unexpected is a 500 whose body names no internals.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from minutes.errors import (
    BudgetExceeded,
    ConfigError,
    MinutesError,
    NotFound,
    StoreError,
    TranscriptError,
)
from minutes.store.jobs import IdempotencyConflict

log = logging.getLogger(__name__)

_STATUS: list[tuple[type[MinutesError], int]] = [
    (NotFound, 404),
    (TranscriptError, 422),
    (ConfigError, 422),
    (IdempotencyConflict, 409),
    (BudgetExceeded, 402),
    (StoreError, 503),
]


def status_of(exc: MinutesError) -> int:
    for kind, status in _STATUS:
        if isinstance(exc, kind):
            return status
    return 500


def one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def install(app: FastAPI) -> None:
    @app.exception_handler(MinutesError)
    async def _minutes_error(request: Request, exc: MinutesError) -> JSONResponse:
        status = status_of(exc)
        if status >= 500:
            log.warning("%s %s: %s", request.method, request.url.path, one_line(exc))
        headers = {"Retry-After": "5"} if status == 503 else None
        return JSONResponse({"detail": one_line(exc)}, status_code=status, headers=headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return JSONResponse({"detail": "internal error"}, status_code=500)
