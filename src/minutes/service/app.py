"""The FastAPI application of ``minutes serve``.

``create_app(settings)`` wires the parts: the store (opened on first need), the job runner
(in this process, or Celery workers when ``broker_url`` is set), key checks, body limits,
errors as one-line JSON, and the routers under ``routes/``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from minutes.config import Settings, load_settings
from minutes.service import errors, metrics, tracing
from minutes.service.auth import KeyCheck
from minutes.service.limits import BodyLimit
from minutes.service.routes import health, items, jobs, meetings, memory, spend, webhooks
from minutes.service.runners import InProcessRunner, JobRunner
from minutes.service.state import ServiceState

log = logging.getLogger(__name__)

API_VERSION = "1"


def make_runner(state: ServiceState) -> JobRunner:
    settings = state.settings
    if settings.broker_url:
        from minutes.service.tasks import CeleryRunner

        return CeleryRunner(settings)
    try:
        store = state.store()
    except Exception as exc:  # the runner takes up old jobs once the store is back
        log.warning("store not reachable at start: %s", exc)
        store = None
    return InProcessRunner(settings, store)


def _describe_hand_read_bodies(app: FastAPI) -> None:
    from typing import Any

    from fastapi.openapi.utils import get_openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title, version=app.version, summary=app.summary, routes=app.routes
            )
            schemas = document.setdefault("components", {}).setdefault("schemas", {})
            schemas.update(meetings.COMPONENTS)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(settings: Settings | None = None, *, runner: JobRunner | None = None) -> FastAPI:
    settings = settings or load_settings()
    state = ServiceState(settings, runner=runner)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state.runner = runner or make_runner(state)
        await state.runner.start()
        try:
            yield
        finally:
            await state.runner.stop()
            state.close()

    app = FastAPI(
        title="minutes",
        version=API_VERSION,
        summary="Meeting transcripts in, grounded structured notes out.",
        lifespan=lifespan,
    )
    app.state.service = state
    app.state.keys = KeyCheck(state)
    errors.install(app)
    for module in (meetings, jobs, items, memory, spend, webhooks, health):
        app.include_router(module.router)
    from minutes.service import web  # the web pages (Jinja2): /meetings, /spend, /static, ...

    web.install(app)
    _describe_hand_read_bodies(app)
    max_bytes = int(settings.service.max_body_mb * 1024 * 1024)
    app.add_middleware(BodyLimit, max_bytes=max_bytes)
    tracing.install(app)  # outside the body limit: a 413 is traced and counted too
    metrics.install(app)  # GET /metrics, and the outermost middleware: every request counted
    return app
