"""OpenTelemetry traces (extra ``[otel]``): one trace per meeting, from the HTTP request that
submitted it through its job to every LLM call the job made.

Off unless ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``) is set;
then spans go to that collector by OTLP over HTTP (the exporter reads the standard
``OTEL_EXPORTER_OTLP_*`` variables; ``OTEL_SERVICE_NAME`` names the service, "minutes" by
default). Without OpenTelemetry installed it stays off, and nothing here imports it.

- A span per HTTP request (``RequestSpans``, a small ASGI middleware: no instrumentation
  package needed), named ``<METHOD> <route template>``, continuing a ``traceparent`` the
  caller sent. Its context is written into ``request.state.trace_carrier`` (W3C trace
  context), which ``POST /v1/meetings`` stores in the job's ``trace`` column.
- A span per job run, ``job``, whose parent is that stored context: the job may run
  minutes later in another process and still join the request's trace. It is entered
  around the run by ``minutes.runs.hooks``, so it is the current span of the run.
- A span per LLM attempt (``minutes.llm.spans``, GenAI semantic conventions), child of the
  job's span.

Processes: ``create_app`` sets tracing up for ``minutes serve``. A ``minutes worker`` sets it
up by calling ``setup(settings)`` once at its start (before the pool forks is fine: the SDK's
batch processor restarts its thread in forked children).
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from minutes.config import Settings
from minutes.llm import observe
from minutes.runs import hooks

if TYPE_CHECKING:
    from fastapi import FastAPI

    from minutes.store.jobs import Claimed

log = logging.getLogger(__name__)

ENDPOINT_VARS = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
#: Paths not traced: scrapes and probes would be most of the spans and say nothing.
UNTRACED = frozenset({"/metrics", "/healthz", "/readyz"})
TRACER_NAME = "minutes"


def wanted() -> bool:
    """Whether the environment asks for traces (an OTLP endpoint is set)."""
    return any(os.environ.get(var) for var in ENDPOINT_VARS)


def available() -> bool:
    try:
        import opentelemetry.sdk.trace  # noqa: F401
    except ImportError:
        return False
    return True


@dataclass
class Tracing:
    """Tracing as set up in this process."""

    provider: Any  # opentelemetry.sdk.trace.TracerProvider
    tracer: Any  # opentelemetry.trace.Tracer
    observer: observe.Observer
    scope: hooks.JobScope
    owns_provider: bool

    def shutdown(self) -> None:
        observe.remove_observer(self.observer)
        hooks.remove_job_scope(self.scope)
        if self.owns_provider:
            self.provider.shutdown()


_active: Tracing | None = None
_lock = threading.Lock()


def active() -> Tracing | None:
    return _active


def setup(
    settings: Settings | None = None, *, exporter: Any = None, set_global: bool = True
) -> Tracing | None:
    """Turn tracing on in this process when asked (an OTLP endpoint in the environment, or
    an ``exporter`` given, as tests do with the SDK's ``InMemorySpanExporter``); None when it
    stays off. Idempotent: a second call returns what the first set up.

    ``set_global``: also make the provider OpenTelemetry's global one, so that other
    libraries' spans join the same traces (unless a global provider was set already by the
    application, which is then used as it is)."""
    global _active
    with _lock:
        if _active is not None:
            return _active
        if exporter is None and not wanted():
            return None
        if not available():
            log.warning(
                "%s is set but OpenTelemetry is not installed (pip install 'minutes[otel]'); "
                "no traces",
                next(v for v in ENDPOINT_VARS if os.environ.get(v)),
            )
            return None
        _active = _build(exporter, set_global)
        return _active


def _build(exporter: Any, set_global: bool) -> Tracing:
    from opentelemetry import trace
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    from minutes.llm.spans import AttemptSpans

    current = trace.get_tracer_provider()
    if set_global and isinstance(current, TracerProvider):
        provider, owns = current, False  # the application configured its own
    else:
        attributes = {} if os.environ.get("OTEL_SERVICE_NAME") else {"service.name": "minutes"}
        provider, owns = TracerProvider(resource=Resource.create(attributes)), True
        if exporter is None:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        else:
            provider.add_span_processor(SimpleSpanProcessor(exporter))
        if set_global:
            trace.set_tracer_provider(provider)
    tracer = provider.get_tracer(TRACER_NAME)
    observer = AttemptSpans(tracer)

    def scope(job: Claimed) -> contextlib.AbstractContextManager[Any]:
        return _job_span(tracer, job)

    observe.add_observer(observer)
    hooks.add_job_scope(scope)
    log.info("OpenTelemetry traces on")
    return Tracing(provider, tracer, observer, scope, owns)


def shutdown() -> None:
    """Turn tracing off again (flushing what the provider holds)."""
    global _active
    with _lock:
        found, _active = _active, None
    if found is not None:
        found.shutdown()


@contextlib.contextmanager
def _job_span(tracer: Any, job: Claimed) -> Iterator[Any]:
    from opentelemetry import propagate
    from opentelemetry.trace import SpanKind

    parent = propagate.extract(job.trace) if job.trace else None
    with tracer.start_as_current_span(
        "job",
        context=parent,
        kind=SpanKind.CONSUMER,
        attributes={
            "minutes.job_id": job.id,
            "minutes.tenant": job.tenant,
            "minutes.meeting_id": job.meeting_id,
            "minutes.job.attempt": job.attempt,
        },
    ) as span:
        yield span


class RequestSpans:
    """ASGI middleware: a server span per HTTP request while tracing is on."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        tracing = _active
        if tracing is None or scope["type"] != "http" or scope.get("path") in UNTRACED:
            await self.app(scope, receive, send)
            return
        from opentelemetry import propagate
        from opentelemetry.trace import SpanKind, Status, StatusCode

        from minutes.service.metrics import UNMATCHED, route_of

        carrier: dict[str, str] = {}
        incoming = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers") or []}
        method = scope["method"]
        status = 500
        with tracing.tracer.start_as_current_span(
            method,
            context=propagate.extract(incoming),
            kind=SpanKind.SERVER,
            attributes={
                "http.request.method": method,
                "url.path": scope.get("path", ""),
                "url.scheme": scope.get("scheme", "http"),
            },
        ) as span:
            propagate.inject(carrier)
            scope.setdefault("state", {})["trace_carrier"] = carrier

            async def sending(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = int(message["status"])
                await send(message)

            try:
                await self.app(scope, receive, sending)
            finally:
                route = route_of(scope)
                if route != UNMATCHED:
                    span.update_name(f"{method} {route}")
                    span.set_attribute("http.route", route)
                span.set_attribute("http.response.status_code", status)
                if status >= 500:
                    span.set_status(Status(StatusCode.ERROR))


def install(app: FastAPI) -> None:
    """Tracing for this app: set up from the environment (off without an OTLP endpoint),
    and the request middleware (a pass-through while tracing is off)."""
    setup(app.state.service.settings)
    app.add_middleware(RequestSpans)
