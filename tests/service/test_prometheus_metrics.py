"""``GET /metrics``: Prometheus text with request series per route template, job durations,
the queue depth from the store, and the LLM calls, tokens, cost and cache hits of the jobs
this process ran (the counters are process-wide: each test uses tenants of its own)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from conftest import Service, example, make_keys
from minutes.config import load_settings
from minutes.service.app import create_app
from minutes.service.metrics import REGISTRY
from minutes.store.db import open_store
from minutes.store.models import LLMCall
from minutes.testing import FakeLLMServer
from scripted_replies import scripted, served_models

Sample = tuple[str, dict[str, str], float]


def scrape(client: TestClient) -> list[Sample]:
    response = client.get("/metrics")  # no API key: what a Prometheus scraper does
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return [
        (s.name, dict(s.labels), s.value)
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    ]


def total(samples: list[Sample], name: str, **labels: str) -> float:
    return sum(
        v for n, lab, v in samples if n == name and all(lab.get(k) == x for k, x in labels.items())
    )


def test_requests_and_jobs_are_counted_per_route_template(service: Service) -> None:
    before = REGISTRY.get_sample_value("minutes_job_duration_seconds_count", {"status": "done"})
    submitted = service.submit(example("one_on_one.txt"))
    job_id = submitted["job_id"]
    assert service.wait(job_id)["status"] == "done"
    service.client.get("/v1/no/such/route", headers=service.auth())
    samples = scrape(service.client)

    assert (
        total(
            samples,
            "minutes_http_requests_total",
            method="POST",
            route="/v1/meetings",
            status="202",
        )
        >= 1
    )
    # The counters are process-wide: earlier tests' polls (a 404 among them) are in them too,
    # so the two series are compared on the same status.
    polled = total(
        samples,
        "minutes_http_requests_total",
        method="GET",
        route="/v1/jobs/{job_id}",
        status="200",
    )
    assert polled >= 1
    assert (
        total(
            samples,
            "minutes_http_request_duration_seconds_count",
            method="GET",
            route="/v1/jobs/{job_id}",
            status="200",
        )
        == polled
    )
    assert total(samples, "minutes_http_requests_total", route="(unmatched)", status="404") >= 1
    # No series per id: the raw path never becomes a label.
    assert not [s for s in samples if any(job_id in v for v in s[1].values())]

    after = REGISTRY.get_sample_value("minutes_job_duration_seconds_count", {"status": "done"})
    assert after == (before or 0) + 1
    assert total(samples, "minutes_jobs", status="queued") == 0
    assert total(samples, "minutes_jobs", status="running") == 0
    assert total(samples, "minutes_store_up") == 1


class _QueueOnly:
    kind = "test"

    async def start(self) -> None: ...

    async def submit(self, job_id: str, trace: dict[str, str] | None = None) -> None: ...

    async def stop(self) -> None: ...

    async def ready(self) -> str | None:
        return None


def test_the_queue_depth_is_counted_in_the_store(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'q.db'}"
    keys = make_keys(url, "acme")
    settings = load_settings(database_url=url)
    with TestClient(create_app(settings, runner=_QueueOnly())) as client:
        svc = Service(client, settings, keys)
        svc.submit(example("one_on_one.txt"))
        svc.submit(example("standup.vtt"))
        samples = scrape(client)
    assert total(samples, "minutes_jobs", status="queued") == 2
    assert total(samples, "minutes_jobs", status="running") == 0


@pytest.fixture
def llm_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for var, value in (
        ("OPENAI_API_KEY", "sk-test"),
        ("ANTHROPIC_API_KEY", "sk-ant-test"),
        ("DEEPSEEK_API_KEY", "sk-ds-test"),
    ):
        monkeypatch.setenv(var, value)


def test_llm_calls_tokens_cost_and_cache_hits_per_model_task_and_tenant(
    tmp_path: Path, fake_server: FakeLLMServer, llm_keys: None
) -> None:
    fake_server.default_reply = scripted
    url = f"sqlite:///{tmp_path / 's.db'}"
    tenant = "metrics-llm"  # a tenant no other test uses: the counters are the process's
    keys = make_keys(url, tenant)
    settings = load_settings(
        database_url=url,
        models=served_models(fake_server),
        cache={"enabled": True, "semantic": {"enabled": False}},
    )
    with TestClient(create_app(settings)) as client:
        svc = Service(client, settings, keys)
        text = example("one_on_one.txt")
        first = svc.submit(text, tenant=tenant, options={"engine": "llm"})
        assert svc.wait(first["job_id"], tenant=tenant)["status"] == "done"
        paid = len(fake_server.requests)
        assert paid > 0
        again = svc.submit(text, tenant=tenant, options={"engine": "llm"})
        assert svc.wait(again["job_id"], tenant=tenant)["status"] == "done"
        samples = scrape(client)

    store = open_store(url)
    with store.read() as session:
        rows = session.query(LLMCall).filter(LLMCall.tenant == tenant).all()
    store.close()
    paid_rows = [r for r in rows if r.cache == "none"]
    hit_rows = [r for r in rows if r.cache != "none"]
    assert len(paid_rows) == paid and hit_rows, "the second run is answered by the cache"

    # Every attempt that reached the model is counted, per model and task, like the ledger.
    assert total(samples, "minutes_llm_calls_total", tenant=tenant) == paid
    for row in paid_rows:
        assert total(
            samples, "minutes_llm_calls_total", tenant=tenant, task=row.task, model=row.model
        ) == sum(1 for r in paid_rows if (r.task, r.model) == (row.task, row.model))
    assert total(samples, "minutes_llm_tokens_total", tenant=tenant, direction="input") == sum(
        r.input_tokens for r in paid_rows
    )
    assert total(samples, "minutes_llm_tokens_total", tenant=tenant, direction="output") == sum(
        r.output_tokens for r in paid_rows
    )
    assert sum(r.input_tokens for r in paid_rows) > 0
    cost = total(samples, "minutes_llm_cost_usd_total", tenant=tenant)
    assert cost > 0
    assert cost == pytest.approx(sum(r.cost_micros for r in paid_rows) / 1_000_000, rel=1e-6)
    assert total(samples, "minutes_llm_cache_hits_total", tenant=tenant, kind="exact") == len(
        hit_rows
    )
