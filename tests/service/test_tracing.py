"""OpenTelemetry: one trace from the HTTP request through its job to the job's LLM calls,
caught by the SDK's in-memory exporter (no collector); off without an OTLP endpoint; and the
service imports and runs without OpenTelemetry installed."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from conftest import Service, example, make_keys
from minutes.config import load_settings
from minutes.llm import observe
from minutes.runs import hooks
from minutes.service import tracing
from minutes.service.app import create_app
from minutes.store.db import open_store
from minutes.store.models import Job
from minutes.testing import FakeLLMServer
from scripted_replies import scripted, served_models

CALLER_TRACE = "0af7651916cd43dd8448eb211c80319c"
TRACEPARENT = f"00-{CALLER_TRACE}-b7ad6b7169203331-01"


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    assert tracing.setup(exporter=exporter, set_global=False) is not None
    try:
        yield exporter
    finally:
        tracing.shutdown()
    assert tracing.active() is None


def _by_name(finished: tuple[ReadableSpan, ...], name: str) -> list[ReadableSpan]:
    return [s for s in finished if s.name == name]


def _stored_trace(url: str, job_id: str) -> dict[str, Any]:
    store = open_store(url)
    try:
        with store.read() as session:
            job = session.get(Job, job_id)
            assert job is not None
            return dict(job.trace)
    finally:
        store.close()


def test_one_trace_from_the_request_through_the_job(
    tmp_path: Path, spans: InMemorySpanExporter
) -> None:
    url = f"sqlite:///{tmp_path / 't.db'}"
    keys = make_keys(url, "acme")
    settings = load_settings(database_url=url)
    with TestClient(create_app(settings)) as client:
        svc = Service(client, settings, keys)
        response = client.post(
            "/v1/meetings",
            json={"text": example("one_on_one.txt"), "options": {"engine": "extractive"}},
            headers={**svc.auth(), "traceparent": TRACEPARENT},
        )
        assert response.status_code == 202, response.text
        job_id = response.json()["job_id"]
        assert svc.wait(job_id)["status"] == "done"
        client.get("/metrics")  # scrapes are not traced
    finished = spans.get_finished_spans()

    (request,) = _by_name(finished, "POST /v1/meetings")
    assert request.kind == SpanKind.SERVER
    assert request.context.trace_id == int(CALLER_TRACE, 16), "the caller's trace continues"
    assert request.attributes is not None
    assert request.attributes["http.route"] == "/v1/meetings"
    assert request.attributes["http.response.status_code"] == 202

    (job,) = _by_name(finished, "job")
    assert job.context.trace_id == request.context.trace_id
    assert job.parent is not None and job.parent.span_id == request.context.span_id
    assert job.attributes is not None and job.attributes["minutes.job_id"] == job_id
    assert job.status.status_code != StatusCode.ERROR
    # The carrier went through the store: a worker in another process would read the same.
    assert _stored_trace(url, job_id)["traceparent"].split("-")[1] == CALLER_TRACE

    polls = _by_name(finished, "GET /v1/jobs/{job_id}")
    assert polls and all(p.context.trace_id != request.context.trace_id for p in polls)
    assert not [s for s in finished if "/metrics" in s.name]


def test_llm_spans_follow_the_genai_conventions_under_the_jobs_span(
    tmp_path: Path,
    spans: InMemorySpanExporter,
    fake_server: FakeLLMServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for var, value in (
        ("OPENAI_API_KEY", "sk-test"),
        ("ANTHROPIC_API_KEY", "sk-ant-test"),
        ("DEEPSEEK_API_KEY", "sk-ds-test"),
    ):
        monkeypatch.setenv(var, value)
    fake_server.default_reply = scripted
    url = f"sqlite:///{tmp_path / 't.db'}"
    keys = make_keys(url, "acme")
    settings = load_settings(
        database_url=url, models=served_models(fake_server), cache={"enabled": False}
    )
    with TestClient(create_app(settings)) as client:
        svc = Service(client, settings, keys)
        submitted = svc.submit(example("one_on_one.txt"), options={"engine": "llm"})
        assert svc.wait(submitted["job_id"])["status"] == "done"
    finished = spans.get_finished_spans()

    (request,) = _by_name(finished, "POST /v1/meetings")
    (job,) = _by_name(finished, "job")
    calls = [s for s in finished if s.name.startswith("chat ")]
    assert len(calls) == len(fake_server.requests) > 0
    trace_ids = {s.context.trace_id for s in (request, job, *calls)}
    assert trace_ids == {request.context.trace_id}, "one trace: request, job, LLM calls"
    for call in calls:
        assert call.kind == SpanKind.CLIENT
        assert call.parent is not None and call.parent.span_id == job.context.span_id
        attrs = call.attributes
        assert attrs is not None
        assert call.name == f"chat {attrs['gen_ai.request.model']}"
        assert attrs["gen_ai.operation.name"] == "chat"
        assert attrs["gen_ai.system"] in {"openai", "anthropic", "deepseek", "ollama"}
        assert isinstance(attrs["gen_ai.usage.input_tokens"], int)
        assert isinstance(attrs["gen_ai.usage.output_tokens"], int)
        assert "minutes.llm.cost_usd" in attrs and attrs["minutes.tenant"] == "acme"
        assert call.start_time is not None and call.end_time is not None
        assert job.start_time is not None and job.end_time is not None
        assert job.start_time <= call.start_time <= call.end_time <= job.end_time
    assert sum(int(c.attributes["gen_ai.usage.input_tokens"]) for c in calls if c.attributes) > 0


def test_tracing_is_off_without_an_endpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in tracing.ENDPOINT_VARS:
        monkeypatch.delenv(var, raising=False)
    observers, scopes = observe.observers(), tuple(hooks._scopes)
    url = f"sqlite:///{tmp_path / 'off.db'}"
    keys = make_keys(url, "acme")
    settings = load_settings(database_url=url)
    with TestClient(create_app(settings)) as client:
        svc = Service(client, settings, keys)
        submitted = svc.submit(example("one_on_one.txt"))
        assert svc.wait(submitted["job_id"])["status"] == "done"
    assert tracing.active() is None
    assert _stored_trace(url, submitted["job_id"]) == {}
    # Nothing registered: no span work on the hot path.
    assert observe.observers() == observers and tuple(hooks._scopes) == scopes


def test_an_endpoint_turns_tracing_on_with_the_otlp_exporter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9")
    found = tracing.setup(set_global=False)
    try:
        assert found is not None
        exporters = [
            p.span_exporter for p in found.provider._active_span_processor._span_processors
        ]
        assert [type(e) for e in exporters] == [OTLPSpanExporter]
        assert found.provider.resource.attributes["service.name"] == "minutes"
    finally:
        tracing.shutdown()


def _run_python(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_service_imports_and_runs_without_opentelemetry(tmp_path: Path) -> None:
    out = _run_python(
        f"""
        import importlib.abc, os, sys

        # What the [otel] extra adds: the SDK and the exporter. (The API may be there anyway:
        # recent FastAPI versions depend on it.)
        BLOCKED = ("opentelemetry.sdk", "opentelemetry.exporter")

        class NoOtel(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name in BLOCKED or name.startswith(tuple(b + "." for b in BLOCKED)):
                    raise ModuleNotFoundError(name)
                return None

        sys.meta_path.insert(0, NoOtel())
        os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:9"
        os.environ["MINUTES_DATABASE_URL"] = "sqlite:///{tmp_path / "no-otel.db"}"
        from fastapi.testclient import TestClient
        from minutes.service import tracing
        from minutes.service.app import create_app

        assert not tracing.available()
        with TestClient(create_app()) as client:
            assert client.get("/healthz").status_code == 200
            assert client.get("/v1/meetings").status_code == 401
        assert tracing.active() is None
        assert not [m for m in sys.modules if m.startswith(BLOCKED)]
        print("RAN")
        """
    )
    assert "RAN" in out


def test_with_the_global_provider_a_request_has_one_server_span(tmp_path: Path) -> None:
    # setup's default makes its provider the global one; recent FastAPI versions then trace
    # requests themselves. In a process of its own: a global provider is set once.
    url = f"sqlite:///{tmp_path / 'g.db'}"
    out = _run_python(
        f"""
        import sys, time
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from fastapi.testclient import TestClient
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
        from opentelemetry.trace import SpanKind
        from conftest import make_keys
        from minutes.config import load_settings
        from minutes.service import tracing
        from minutes.service.app import create_app

        exporter = InMemorySpanExporter()
        assert tracing.setup(exporter=exporter) is not None
        keys = make_keys({url!r}, "acme")
        auth = {{"Authorization": "Bearer " + keys["acme"]}}
        with TestClient(create_app(load_settings(database_url={url!r}))) as client:
            body = {{"text": "Ann: we ship on Friday.", "options": {{"engine": "extractive"}}}}
            job_id = client.post("/v1/meetings", json=body, headers=auth).json()["job_id"]
            for _ in range(400):
                if client.get("/v1/jobs/" + job_id, headers=auth).json()["status"] == "done":
                    break
                time.sleep(0.05)
        spans = exporter.get_finished_spans()
        (job,) = [s for s in spans if s.name == "job"]
        servers = [
            s for s in spans
            if s.kind == SpanKind.SERVER and s.context.trace_id == job.context.trace_id
        ]
        assert len(servers) == 1, [s.name for s in servers]
        assert job.parent.span_id == servers[0].context.span_id
        print("SERVERS", len(servers), servers[0].name)
        """
    )
    assert "SERVERS 1" in out, out
    print(out)
