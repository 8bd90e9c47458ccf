"""Prometheus metrics of the service: ``GET /metrics`` (text exposition format).

Series:

- ``minutes_http_requests_total{method,route,status}`` and
  ``minutes_http_request_duration_seconds{method,route,status}``: per route *template*
  (``/v1/jobs/{job_id}``, not the raw path, so ids do not make a series each); a request that
  matched no route is counted as ``route="(unmatched)"``.
- ``minutes_llm_calls_total{tenant,task,model,provider,outcome}``: attempts that reached a
  provider; ``minutes_llm_cache_hits_total{tenant,task,model,kind}`` (exact / semantic);
  ``minutes_llm_tokens_total{tenant,task,model,direction}`` (input / output);
  ``minutes_llm_cost_usd_total{tenant,task,model}``. Fed by every ``AttemptRecord`` of the
  stored runs of this process (``minutes.llm.observe``). The ledger stays the account of
  record in exact micro-dollars; these are floats, as Prometheus values are.
- ``minutes_jobs{status}``: jobs queued and running (the queue depth), counted in the store
  at scrape time, so every replica and worker agrees; ``minutes_store_up`` says whether
  that count could be made.
- ``minutes_job_duration_seconds{status}``: jobs finished by this process (``events``).
- ``minutes_webhook_deliveries_total{outcome}``: delivered / refused / gave_up.

Where counters live: each process counts what it ran. With ``minutes serve`` alone (jobs in
the process) that is everything. With Celery workers, jobs — and their LLM calls, durations
and webhook deliveries — run in the worker processes, which expose no ``/metrics``: on
``serve`` those series then stay at zero, and the counts across processes are the ledger's
(``GET /v1/costs``, ``GET /v1/metrics``) and the store-derived ``minutes_jobs``. (Prometheus'
multiprocess mode plus an exporter per worker machine would close that gap; not done.)

``/metrics`` answers without an API key, as Prometheus scrapers expect: it names tenants,
models and routes but no meeting content. Expose it only where the scraper runs (a private
network, or a proxy that restricts the path) if tenant names are sensitive.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from minutes.llm import observe
from minutes.llm.calls import AttemptRecord
from minutes.runs.job import JobResult

#: The process-wide registry of these series (not prometheus_client's global one, so that an
#: application embedding minutes keeps its own).
REGISTRY = CollectorRegistry(auto_describe=True)
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)
GCCollector(registry=REGISTRY)

UNMATCHED = "(unmatched)"

HTTP_REQUESTS = Counter(
    "minutes_http_requests",
    "HTTP requests answered, by route template and status",
    ["method", "route", "status"],
    registry=REGISTRY,
)
HTTP_LATENCY = Histogram(
    "minutes_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template and status",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)
LLM_CALLS = Counter(
    "minutes_llm_calls",
    "LLM attempts that reached a provider",
    ["tenant", "task", "model", "provider", "outcome"],
    registry=REGISTRY,
)
LLM_CACHE_HITS = Counter(
    "minutes_llm_cache_hits",
    "LLM calls answered by a cache",
    ["tenant", "task", "model", "kind"],
    registry=REGISTRY,
)
LLM_TOKENS = Counter(
    "minutes_llm_tokens",
    "Tokens of LLM attempts that reached a provider",
    ["tenant", "task", "model", "direction"],
    registry=REGISTRY,
)
LLM_COST = Counter(
    "minutes_llm_cost_usd",
    "Cost in USD of LLM attempts (the ledger has it exactly)",
    ["tenant", "task", "model"],
    registry=REGISTRY,
)
JOB_DURATION = Histogram(
    "minutes_job_duration_seconds",
    "Time from claim to finish of the jobs this process ran",
    ["status"],
    buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600),
    registry=REGISTRY,
)
WEBHOOK_DELIVERIES = Counter(
    "minutes_webhook_deliveries",
    "Webhook events by how their delivery ended",
    ["outcome"],
    registry=REGISTRY,
)


# --- what feeds them -----------------------------------------------------------------------


def count_attempt(attempt: AttemptRecord, tenant: str) -> None:
    """An ``observe`` observer: one ledger row's worth of counts."""
    if attempt.cache != "none":
        LLM_CACHE_HITS.labels(tenant, attempt.task, attempt.model, attempt.cache).inc()
        return
    LLM_CALLS.labels(tenant, attempt.task, attempt.model, attempt.provider, attempt.outcome).inc()
    if attempt.input_tokens:
        LLM_TOKENS.labels(tenant, attempt.task, attempt.model, "input").inc(attempt.input_tokens)
    if attempt.output_tokens:
        LLM_TOKENS.labels(tenant, attempt.task, attempt.model, "output").inc(attempt.output_tokens)
    if attempt.cost_usd:
        LLM_COST.labels(tenant, attempt.task, attempt.model).inc(float(attempt.cost_usd))


observe.add_observer(count_attempt)  # once per process, on first import


def job_finished(result: JobResult) -> None:
    if result.status in ("done", "failed"):
        JOB_DURATION.labels(result.status).observe(result.duration_s)


def webhook_delivery(outcome: str) -> None:
    WEBHOOK_DELIVERIES.labels(outcome).inc()


# --- scrape-time series from the store --------------------------------------------------------


class _StoreCollector(Collector):
    def __init__(self, counts: dict[str, int] | None) -> None:
        self.counts = counts

    def collect(self) -> Iterable[Any]:
        up = GaugeMetricFamily("minutes_store_up", "Whether the store answered this scrape")
        up.add_metric([], 0 if self.counts is None else 1)
        yield up
        jobs = GaugeMetricFamily(
            "minutes_jobs", "Jobs queued and running now (the queue depth)", labels=["status"]
        )
        for status in ("queued", "running"):
            jobs.add_metric([status], (self.counts or {}).get(status, 0))
        yield jobs


def _job_counts(request: Request) -> dict[str, int] | None:
    from minutes.store.jobs import job_counts

    try:
        with request.app.state.service.store().read() as session:
            return job_counts(session)
    except Exception:
        return None


router = APIRouter(tags=["health"])


@router.get(
    "/metrics",
    summary="Prometheus metrics (text format; no API key)",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}},
)
async def metrics(request: Request) -> Response:
    counts = await run_in_threadpool(_job_counts, request)
    scraped = CollectorRegistry(auto_describe=False)
    scraped.register(_StoreCollector(counts))
    body = generate_latest(REGISTRY) + generate_latest(scraped)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


# --- requests ------------------------------------------------------------------------------


def route_of(scope: Scope) -> str:
    """The template of the route that answered (set by the router once it matched)."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED


class RequestMetrics:
    """ASGI middleware: counts and times every HTTP request by route template."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            labels = (scope["method"], route_of(scope), str(status))
            HTTP_REQUESTS.labels(*labels).inc()
            HTTP_LATENCY.labels(*labels).observe(time.perf_counter() - started)


def install(app: FastAPI) -> None:
    app.include_router(router)
    app.add_middleware(RequestMetrics)
