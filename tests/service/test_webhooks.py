"""Webhooks over real HTTP: a receiver on loopback checks each event's signature, fails the
first attempt to prove the retry; every attempt is logged; endpoints are tenant-scoped."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from conftest import Service, example, make_keys
from minutes.config import load_settings
from minutes.runs.job import JobResult
from minutes.service import events, webhooks
from minutes.service.app import create_app
from minutes.service.webhooks import (
    SIGNATURE_HEADER,
    InvalidSignature,
    compute_signature,
    signature_header,
    verify_signature,
)


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    verified: bool
    answered: int


@dataclass
class Receiver:
    """A webhook endpoint: answers ``script`` in turn (then 200), checks signatures with
    ``secret``, keeps what it got."""

    script: list[int] = field(default_factory=list)
    secret: str = ""
    got: list[Received] = field(default_factory=list)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            try:
                verify_signature(state.secret, self.headers.get(SIGNATURE_HEADER), body)
                verified = True
            except InvalidSignature:
                verified = False
            with lock:
                code = state.script.pop(0) if state.script else 200
                state.got.append(Received(dict(self.headers), body, verified, code))
            payload = b"receiver says no" if code >= 300 else b"ok"
            self.send_response(code)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def fast_service(tmp_path: Path) -> Iterator[Service]:
    """The service with short webhook backoff (the retries of a test take milliseconds)."""
    url = f"sqlite:///{tmp_path / 'service.db'}"
    keys = make_keys(url, "acme", "globex")
    settings = load_settings(
        database_url=url,
        service={"webhook_backoff_s": 0.05, "webhook_attempts": 3, "webhook_timeout_s": 2.0},
    )
    with TestClient(create_app(settings)) as client:
        yield Service(client, settings, keys)
    assert webhooks.dispatcher().drain(10)
    webhooks.dispatcher().close()


def _register(svc: Service, url: str, tenant: str = "acme") -> dict[str, Any]:
    response = svc.client.post("/v1/webhooks", json={"url": url}, headers=svc.auth(tenant))
    assert response.status_code == 201, response.text
    made: dict[str, Any] = response.json()
    return made


def _deliveries(svc: Service, hook_id: str, tenant: str = "acme") -> list[dict[str, Any]]:
    response = svc.client.get(f"/v1/webhooks/{hook_id}/deliveries", headers=svc.auth(tenant))
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_a_finished_job_is_delivered_signed_and_retried_after_a_500(
    fast_service: Service, receiver: Receiver
) -> None:
    svc = fast_service
    hook = _register(svc, receiver.url)
    assert hook["secret"].startswith("whsec_") and hook["url"] == receiver.url
    receiver.secret = hook["secret"]
    receiver.script = [500]
    # Another tenant's webhook must not hear of acme's job (it would log refused attempts).
    theirs = _register(svc, "http://127.0.0.1:9/never", tenant="globex")

    submitted = svc.submit(example("one_on_one.txt"))
    assert svc.wait(submitted["job_id"])["status"] == "done"  # the 500 did not fail the job
    assert webhooks.dispatcher().drain(10)

    assert [r.answered for r in receiver.got] == [500, 200]
    assert all(r.verified for r in receiver.got), "every attempt is signed with the secret"
    first, second = (json.loads(r.body) for r in receiver.got)
    assert first == second  # the same event, sent again
    assert first["type"] == "job.done"
    assert first["data"] == {
        "job_id": submitted["job_id"],
        "meeting_id": submitted["meeting_id"],
        "status": "done",
        "error": None,
        "error_type": None,
    }
    assert isinstance(first["created"], int) and abs(first["created"] - time.time()) < 60
    assert {r.headers["Minutes-Event-Id"] for r in receiver.got} == {first["id"]}
    assert receiver.got[0].headers["Content-Type"] == "application/json"

    rows = _deliveries(svc, hook["id"])
    assert [(r["attempt"], r["status_code"], r["ok"]) for r in rows] == [
        (2, 200, True),
        (1, 500, False),
    ]
    assert rows[1]["error"].startswith("HTTP 500") and rows[0]["error"] is None
    assert {r["event_id"] for r in rows} == {first["id"]}
    assert {r["job_id"] for r in rows} == {submitted["job_id"]}
    assert _deliveries(svc, theirs["id"], tenant="globex") == []


def test_a_replayed_or_altered_event_is_refused(receiver: Receiver) -> None:
    secret = "whsec_test"
    body = b'{"id":"e1","type":"job.done"}'
    header = signature_header(secret, body, timestamp=1_700_000_000)
    assert verify_signature(secret, header, body, now=1_700_000_010) == 1_700_000_000
    # The same delivery sent again later: its timestamp gives it away.
    with pytest.raises(InvalidSignature, match="old"):
        verify_signature(secret, header, body, tolerance_s=300, now=1_700_000_301)
    # A new timestamp with the old signature: the timestamp is in the signed part.
    forged = header.replace("t=1700000000", "t=1700000300")
    with pytest.raises(InvalidSignature, match="does not match"):
        verify_signature(secret, forged, body, now=1_700_000_300)
    with pytest.raises(InvalidSignature, match="does not match"):
        verify_signature(secret, header, body + b" ", now=1_700_000_010)
    with pytest.raises(InvalidSignature, match="does not match"):
        verify_signature("whsec_other", header, body, now=1_700_000_010)
    for bad in (None, "", "v1=abc", "t=1700000000", "t=soon,v1=abc"):
        with pytest.raises(InvalidSignature):
            verify_signature(secret, bad, body, now=1_700_000_010)
    # While a secret is rotated two signatures may come: one match is enough.
    rotated = f"t=1700000000,v1={'0' * 64},v1={compute_signature(secret, 1_700_000_000, body)}"
    assert verify_signature(secret, rotated, body, now=1_700_000_000) == 1_700_000_000


def test_failures_are_retried_until_the_attempts_run_out_and_4xx_is_not_retried(
    fast_service: Service, receiver: Receiver
) -> None:
    svc = fast_service
    broken = _register(svc, receiver.url)
    receiver.secret = broken["secret"]
    receiver.script = [503, 503, 503, 404]
    with socket.socket() as s:  # a port nothing listens on: connection refused
        s.bind(("127.0.0.1", 0))
        dead_port = s.getsockname()[1]
    dead = _register(svc, f"http://127.0.0.1:{dead_port}/hook")

    failed = JobResult(
        job_id="j" * 32,
        tenant="acme",
        meeting_id="m" * 32,
        status="failed",
        error="the model said no",
        error_type="AllModelsFailed",
        duration_s=1.0,
    )
    asyncio.run(events.job_finished(svc.settings, failed))
    assert webhooks.dispatcher().drain(20)

    rows = _deliveries(svc, broken["id"])
    assert [(r["attempt"], r["status_code"], r["ok"]) for r in rows] == [
        (3, 503, False),
        (2, 503, False),
        (1, 503, False),
    ]
    assert json.loads(receiver.got[0].body)["type"] == "job.failed"
    assert json.loads(receiver.got[0].body)["data"]["error"] == "the model said no"
    down = _deliveries(svc, dead["id"])
    assert len(down) == 3 and all(r["status_code"] is None and not r["ok"] for r in down)
    assert all("Connect" in r["error"] for r in down)

    # A 4xx ends the delivery at once: the receiver does not want it.
    receiver.got.clear()
    svc.client.delete(f"/v1/webhooks/{dead['id']}", headers=svc.auth())
    asyncio.run(events.job_finished(svc.settings, failed))
    assert webhooks.dispatcher().drain(20)
    assert [r.answered for r in receiver.got] == [404]
    assert _deliveries(svc, broken["id"])[0]["status_code"] == 404
    assert len(_deliveries(svc, broken["id"])) == 4


def test_a_delivery_problem_never_fails_the_job(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*args: Any) -> None:
        raise RuntimeError("no threads left")

    monkeypatch.setattr(webhooks, "dispatch", explode)
    result = JobResult(job_id="j", tenant="acme", meeting_id="m", status="done")
    asyncio.run(events.job_finished(service.settings, result))  # logged, not raised
    submitted = service.submit(example("one_on_one.txt"))
    assert service.wait(submitted["job_id"])["status"] == "done"


def test_webhook_endpoints_are_the_tenants_own(service: Service) -> None:
    mine = _register(service, "https://hooks.example.com/minutes")
    assert "secret" not in json.dumps(
        service.client.get("/v1/webhooks", headers=service.auth()).json()
    ), "the secret is shown once, at creation"
    listed = service.client.get("/v1/webhooks", headers=service.auth()).json()["items"]
    assert [h["id"] for h in listed] == [mine["id"]]

    other = service.auth("globex")
    assert service.client.get("/v1/webhooks", headers=other).json() == {"items": []}
    for method, path in (
        ("DELETE", f"/v1/webhooks/{mine['id']}"),
        ("GET", f"/v1/webhooks/{mine['id']}/deliveries"),
    ):
        answer = service.client.request(method, path, headers=other)
        assert answer.status_code == 404, (method, path, answer.text)
        assert service.client.request(method, path).status_code == 401

    # Still there for its owner; then gone.
    assert service.client.get("/v1/webhooks", headers=service.auth()).json()["items"]
    assert (
        service.client.delete(f"/v1/webhooks/{mine['id']}", headers=service.auth()).status_code
        == 204
    )
    assert service.client.get("/v1/webhooks", headers=service.auth()).json() == {"items": []}
    gone = service.client.get(f"/v1/webhooks/{mine['id']}/deliveries", headers=service.auth())
    assert gone.status_code == 404


@pytest.mark.parametrize(
    "url", ["ftp://example.com/x", "file:///etc/passwd", "javascript:alert(1)", "not a url", ""]
)
def test_only_http_urls_may_be_registered(service: Service, url: str) -> None:
    answer = service.client.post("/v1/webhooks", json={"url": url}, headers=service.auth())
    assert answer.status_code == 422, answer.text
    assert service.client.get("/v1/webhooks", headers=service.auth()).json() == {"items": []}
