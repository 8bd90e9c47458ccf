"""The HTTP API end to end in one process: submit, jobs, meetings, notes, items, costs; bad
requests answered with one line and the right status; nothing written by a refused request."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from conftest import Service, example, make_keys
from minutes.config import load_settings
from minutes.service.app import create_app
from minutes.store.db import open_store
from minutes.store.keys import revoke_key
from minutes.store.models import Job, Meeting
from minutes.testing import FakeLLMServer
from scripted_replies import scripted, served_models


def _count(service: Service, model: type) -> int:
    store = open_store(service.settings.database_url)
    try:
        with store.read() as session:
            return session.query(model).count()
    finally:
        store.close()


def test_a_json_transcript_becomes_a_job_then_notes(service: Service) -> None:
    response = service.client.post(
        "/v1/meetings",
        json={
            "text": example("one_on_one.txt"),
            "title": "1:1",
            "options": {"engine": "extractive"},
        },
        headers=service.auth(),
    )
    assert response.status_code == 202
    body = response.json()
    assert response.headers["location"] == f"/v1/jobs/{body['job_id']}"
    assert body["created"] is True
    job = service.wait(body["job_id"])
    assert job["status"] == "done" and job["attempts"] == 1 and job["finished_at"]

    meeting = service.client.get(f"/v1/meetings/{body['meeting_id']}", headers=service.auth())
    assert meeting.status_code == 200
    assert meeting.json()["notes_ready"] is True
    assert meeting.json()["summary"]["title"] == "1:1"
    notes = service.client.get(f"/v1/meetings/{body['meeting_id']}/notes", headers=service.auth())
    assert notes.json()["engine"] == "extractive" and notes.json()["action_items"]
    md = service.client.get(
        f"/v1/meetings/{body['meeting_id']}/notes?format=md", headers=service.auth()
    )
    assert md.headers["content-type"].startswith("text/markdown")
    assert md.text.startswith("# 1:1")


def test_a_multipart_upload_reads_the_file_format_from_its_name(service: Service) -> None:
    response = service.client.post(
        "/v1/meetings",
        files={"file": ("standup.vtt", example("standup.vtt").encode(), "text/vtt")},
        data={"title": "Standup", "date": "2025-03-10", "options": '{"engine": "extractive"}'},
        headers=service.auth(),
    )
    assert response.status_code == 202, response.text
    job = service.wait(response.json()["job_id"])
    assert job["status"] == "done"
    detail = service.client.get(
        f"/v1/meetings/{response.json()['meeting_id']}", headers=service.auth()
    ).json()
    assert detail["summary"]["date"] == "2025-03-10"
    assert detail["summary"]["participants"]


def test_the_same_content_is_the_same_meeting_and_a_key_replays_its_job(service: Service) -> None:
    first = service.submit(example("one_on_one.txt"))
    service.wait(first["job_id"])
    again = service.submit(example("one_on_one.txt"))
    assert again["meeting_id"] == first["meeting_id"]

    headers = {**service.auth(), "Idempotency-Key": "upload-42"}
    body = {"text": example("sales_call.txt"), "options": {"engine": "extractive"}}
    one = service.client.post("/v1/meetings", json=body, headers=headers)
    two = service.client.post("/v1/meetings", json=body, headers=headers)
    assert one.status_code == 202 and two.status_code == 200
    assert one.json()["job_id"] == two.json()["job_id"] and two.json()["created"] is False
    other = service.client.post("/v1/meetings", json={**body, "title": "changed"}, headers=headers)
    assert other.status_code == 409
    assert "Idempotency-Key" in other.json()["detail"]


def test_meetings_are_listed_newest_first_in_pages(service: Service) -> None:
    ids = []
    for name in ("one_on_one.txt", "sales_call.txt", "planning.srt"):
        submitted = service.submit(example(name), format="srt" if name.endswith(".srt") else None)
        service.wait(submitted["job_id"])
        ids.append(submitted["meeting_id"])
    page = service.client.get("/v1/meetings?limit=2", headers=service.auth()).json()
    assert [m["id"] for m in page["items"]] == ids[::-1][:2]
    assert page["next_offset"] == 2
    rest = service.client.get("/v1/meetings?limit=2&offset=2", headers=service.auth()).json()
    assert [m["id"] for m in rest["items"]] == [ids[0]] and rest["next_offset"] is None


def test_action_items_are_filtered_marked_done_and_reopened(service: Service) -> None:
    service.wait(service.submit(example("one_on_one.txt"))["job_id"])
    items = service.client.get("/v1/action-items?status=open", headers=service.auth()).json()
    assert items["items"]
    first = items["items"][0]
    done = service.client.patch(
        f"/v1/action-items/{first['id']}", json={"status": "done"}, headers=service.auth()
    )
    assert done.status_code == 200 and done.json()["status"] == "done"
    still_open = service.client.get("/v1/action-items?status=open", headers=service.auth()).json()
    assert first["id"] not in [i["id"] for i in still_open["items"]]
    reopened = service.client.patch(
        f"/v1/action-items/{first['id']}", json={"status": "open"}, headers=service.auth()
    )
    assert reopened.json()["status"] == "open"
    by_assignee = service.client.get(
        "/v1/action-items", params={"assignee": first["assignee"]}, headers=service.auth()
    ).json()
    assert all(i["assignee"] == first["assignee"] for i in by_assignee["items"])
    decisions = service.client.get("/v1/decisions", headers=service.auth())
    assert decisions.status_code == 200 and "items" in decisions.json()


def test_deleting_a_meeting_removes_it_and_its_items(service: Service) -> None:
    submitted = service.submit(example("one_on_one.txt"))
    service.wait(submitted["job_id"])
    gone = service.client.delete(f"/v1/meetings/{submitted['meeting_id']}", headers=service.auth())
    assert gone.status_code == 200 and gone.json()["notes"] == 1
    assert (
        service.client.get(
            f"/v1/meetings/{submitted['meeting_id']}", headers=service.auth()
        ).status_code
        == 404
    )
    items = service.client.get("/v1/action-items", headers=service.auth()).json()
    assert items["items"] == []


@pytest.mark.parametrize(
    ("kwargs", "status", "says"),
    [
        ({"content": b"hello", "headers": {"content-type": "text/plain"}}, 415, "application/json"),
        ({"json": {"text": "\x00\x01\x02\x03" * 50}}, 422, "binary"),
        ({"json": {"text": "hi", "options": {"model": "gpt-17"}}}, 422, "unknown model"),
        ({"json": {"text": "hi", "options": {"provider": "foo"}}}, 422, "unknown provider"),
        ({"json": {"text": "hi", "options": {"max_usd": -1}}}, 422, "max_usd"),
        ({"json": {"text": "hi", "surprise": 1}}, 422, "surprise"),
        ({"json": {"text": "hi", "timezone": "Mars/Olympus"}}, 422, "Mars/Olympus"),
        (
            {"json": {"text": "hi", "options": {"extraction": "one-pass", "strategy": "refine"}}},
            422,
            "one-pass",
        ),
        ({"content": b"{not json", "headers": {"content-type": "application/json"}}, 422, ""),
    ],
)
def test_bad_submissions_get_one_line_and_write_nothing(
    service: Service, kwargs: dict, status: int, says: str
) -> None:
    headers = {**service.auth(), **kwargs.pop("headers", {})}
    response = service.client.post("/v1/meetings", headers=headers, **kwargs)
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, str) and "\n" not in detail and says in detail
    assert _count(service, Meeting) == 0 and _count(service, Job) == 0


def test_a_body_over_the_limit_is_413(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    keys = make_keys(url, "acme")
    settings = load_settings(database_url=url, service={"max_body_mb": 0.01})
    with TestClient(create_app(settings)) as client:
        auth = {"Authorization": f"Bearer {keys['acme']}"}
        big = "Ann: " + "word " * 5000
        response = client.post("/v1/meetings", json={"text": big}, headers=auth)
        assert response.status_code == 413
        assert "over" in response.json()["detail"]
        # Chunked (no Content-Length): counted as it streams.
        streamed = client.post(
            "/v1/meetings",
            content=iter([b'{"text": "', big.encode(), b'"}']),
            headers={**auth, "content-type": "application/json"},
        )
        assert streamed.status_code == 413


def test_no_key_a_wrong_key_and_a_revoked_key_are_401(service: Service) -> None:
    assert service.client.get("/v1/meetings").status_code == 401
    wrong = service.client.get("/v1/meetings", headers={"Authorization": "Bearer mk_nope"})
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"
    store = open_store(service.settings.database_url)
    with store.transaction() as session:
        prefix = service.keys["globex"][:11]
        revoke_key(session, prefix)
    store.close()
    service.client.app.state.keys._owners.clear()  # the few seconds a key check is kept
    assert service.client.get("/v1/meetings", headers=service.auth("globex")).status_code == 401


def test_a_key_over_its_rate_gets_429_with_retry_after(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    keys = make_keys(url, "acme", requests_per_minute=3)
    with TestClient(create_app(load_settings(database_url=url))) as client:
        auth = {"Authorization": f"Bearer {keys['acme']}"}
        codes = [client.get("/v1/meetings", headers=auth).status_code for _ in range(5)]
        assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]
        limited = client.get("/v1/meetings", headers=auth)
        assert int(limited.headers["retry-after"]) >= 1


def test_costs_and_metrics_come_from_the_tenants_ledger(
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
    settings = load_settings(
        database_url=url, models=served_models(fake_server), cache={"enabled": False}
    )
    with TestClient(create_app(settings)) as client:
        svc = Service(client, settings, keys)
        submitted = svc.submit(example("one_on_one.txt"), options={"engine": "llm"})
        job = svc.wait(submitted["job_id"])
        assert job["status"] == "done", job
        assert job["stages_done"], "the job reports the stages it went through"
        costs = client.get("/v1/costs?by=model", headers=svc.auth()).json()
        assert sum(r["requests"] for r in costs) == len(fake_server.requests) > 0
        metrics = client.get("/v1/metrics?hours=1", headers=svc.auth()).json()
        assert metrics[-1]["model"] == "(all)" and metrics[-1]["requests"] > 0
        # The other tenant spent nothing.
        assert client.get("/v1/costs", headers=svc.auth("globex")).json() == []
        assert client.get("/v1/metrics", headers=svc.auth("globex")).json() == []


def test_health_and_readiness(service: Service) -> None:
    assert service.client.get("/healthz").json() == {"status": "ok"}
    ready = service.client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"] == {"store": "ok", "jobs": "ok"}


def test_an_unreachable_database_is_503_on_readyz_and_writes(tmp_path) -> None:
    # A PostgreSQL URL on a port where nothing listens.
    settings = load_settings(database_url="postgresql://nobody@127.0.0.1:9/none")
    with TestClient(create_app(settings)) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["checks"]["store"] != "ok"
        response = client.post(
            "/v1/meetings",
            json={"text": "Ann: hello"},
            headers={"Authorization": "Bearer mk_whatever"},
        )
        assert response.status_code == 503 and response.headers["retry-after"]
