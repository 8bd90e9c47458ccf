"""Tenant isolation: every endpoint tried with another tenant's ids answers as if they did not
exist, changes nothing, and no cache entry of one tenant answers another."""

from __future__ import annotations

from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from conftest import Service, example, make_keys
from minutes.config import load_settings
from minutes.service.app import create_app
from minutes.store.db import open_store
from minutes.store.models import ActionItemRow, LLMCall, Meeting
from minutes.testing import FakeLLMServer
from scripted_replies import scripted, served_models


@pytest.fixture
def acme_meeting(service: Service) -> dict:
    submitted = service.submit(example("one_on_one.txt"))
    service.wait(submitted["job_id"])
    action = service.client.get("/v1/action-items", headers=service.auth()).json()["items"][0]
    return {**submitted, "action_id": action["id"]}


def test_another_tenant_sees_none_of_it(service: Service, acme_meeting: dict) -> None:
    other = service.auth("globex")
    m, j, a = acme_meeting["meeting_id"], acme_meeting["job_id"], acme_meeting["action_id"]
    for path in (
        f"/v1/meetings/{m}",
        f"/v1/meetings/{m}/notes",
        f"/v1/meetings/{m}/notes?format=md",
        f"/v1/meetings/{m[:8]}",  # a prefix of another tenant's id
        f"/v1/jobs/{j}",
    ):
        response = service.client.get(path, headers=other)
        assert response.status_code == 404, path
    assert service.client.get("/v1/meetings", headers=other).json()["items"] == []
    assert service.client.get("/v1/action-items", headers=other).json()["items"] == []
    assert (
        service.client.get("/v1/action-items", params={"meeting_id": m}, headers=other).json()[
            "items"
        ]
        == []
    )
    assert service.client.get("/v1/decisions", headers=other).json()["items"] == []
    patch = service.client.patch(f"/v1/action-items/{a}", json={"status": "done"}, headers=other)
    assert patch.status_code == 404
    delete = service.client.delete(f"/v1/meetings/{m}", headers=other)
    assert delete.status_code == 404

    store = open_store(service.settings.database_url)
    with store.read() as session:
        assert session.get(Meeting, m) is not None  # still there
        assert session.get(ActionItemRow, a).status == "open"  # unchanged
    store.close()
    # And the owner still sees everything.
    assert service.client.get(f"/v1/meetings/{m}/notes", headers=service.auth()).status_code == 200


def test_the_same_transcript_is_a_meeting_of_each_tenant(service: Service) -> None:
    mine = service.submit(example("one_on_one.txt"))
    theirs = service.submit(example("one_on_one.txt"), tenant="globex")
    assert mine["meeting_id"] != theirs["meeting_id"]
    assert service.wait(mine["job_id"])["status"] == "done"
    assert service.wait(theirs["job_id"], tenant="globex")["status"] == "done"


def test_one_tenants_cache_never_answers_another(
    tmp_path, fake_server: FakeLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var, value in (
        ("OPENAI_API_KEY", "sk-test"),
        ("ANTHROPIC_API_KEY", "sk-ant-test"),
        ("DEEPSEEK_API_KEY", "sk-ds-test"),
    ):
        monkeypatch.setenv(var, value)
    fake_server.default_reply = scripted
    url = f"sqlite:///{tmp_path / 's.db'}"
    keys = make_keys(url, "acme", "globex")
    # The exact cache on (the semantic one needs the embeddings extra; its scope carries the
    # tenant the same way: tests/llm/layers test the keys).
    settings = load_settings(
        database_url=url,
        models=served_models(fake_server),
        cache={"enabled": True, "semantic": {"enabled": False}},
    )
    with TestClient(create_app(settings)) as client:
        svc = Service(client, settings, keys)
        text = example("one_on_one.txt")
        first = svc.wait(svc.submit(text, options={"engine": "llm"})["job_id"])
        assert first["status"] == "done"
        paid = len(fake_server.requests)
        assert paid > 0
        # The same tenant again: answered from its cache, nothing new reaches the model.
        again = svc.submit(text, options={"engine": "llm"})
        assert svc.wait(again["job_id"])["status"] == "done"
        assert len(fake_server.requests) == paid
        # Another tenant, the same transcript: every call is paid again.
        theirs = svc.submit(text, tenant="globex", options={"engine": "llm"})
        assert svc.wait(theirs["job_id"], tenant="globex")["status"] == "done"
        assert len(fake_server.requests) == 2 * paid

    store = open_store(url)
    with store.read() as session:
        rows = session.query(LLMCall).all()
    store.close()
    by_tenant = {(r.tenant, r.cache) for r in rows}
    assert ("acme", "exact") in by_tenant and ("globex", "none") in by_tenant
    assert ("globex", "exact") not in by_tenant


def test_a_tenants_budget_holds_its_jobs_and_no_one_elses(
    tmp_path, fake_server: FakeLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from minutes.store.budgets import set_budget

    for var, value in (
        ("OPENAI_API_KEY", "sk-test"),
        ("ANTHROPIC_API_KEY", "sk-ant-test"),
        ("DEEPSEEK_API_KEY", "sk-ds-test"),
    ):
        monkeypatch.setenv(var, value)
    fake_server.default_reply = scripted
    url = f"sqlite:///{tmp_path / 's.db'}"
    keys = make_keys(url, "acme", "globex")
    store = open_store(url)
    with store.transaction() as session:
        set_budget(session, "globex", daily_usd=Decimal(0), monthly_usd=None, on_exceed="fail")
    store.close()
    settings = load_settings(
        database_url=url, models=served_models(fake_server), cache={"enabled": False}
    )
    with TestClient(create_app(settings)) as client:
        svc = Service(client, settings, keys)
        text = example("one_on_one.txt")
        held = svc.wait(
            svc.submit(text, tenant="globex", options={"engine": "llm"})["job_id"], "globex"
        )
        assert held["status"] == "failed" and held["error_type"] == "BudgetExceeded", held
        assert fake_server.requests == []  # refused before any call was paid
        free = svc.wait(svc.submit(text, options={"engine": "llm"})["job_id"])
        assert free["status"] == "done" and fake_server.requests
