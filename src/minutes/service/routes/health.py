"""``/healthz`` (the process answers) and ``/readyz`` (its store and its job runner too)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy import text

from minutes.errors import StoreError
from minutes.service.state import ServiceState

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process answers")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="The store and the job runner can be reached")
async def readyz(request: Request) -> JSONResponse:
    state: ServiceState = request.app.state.service
    checks: dict[str, str] = {}

    def ping() -> None:
        with state.store().connect() as conn:
            conn.execute(text("SELECT 1"))

    try:
        await run_in_threadpool(ping)
        checks["store"] = "ok"
    except StoreError as exc:
        checks["store"] = str(exc).splitlines()[0]
    runner = state.runner
    problem = "no job runner" if runner is None else await runner.ready()
    checks["jobs"] = "ok" if problem is None else problem
    ok = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ok" if ok else "unavailable", "checks": checks},
        status_code=200 if ok else 503,
    )
