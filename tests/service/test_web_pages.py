"""The web pages without a browser (TestClient): sessions and their cookie, CSRF refusals,
one tenant's pages closed to another, the charts' SVG, and that nothing loads from elsewhere."""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from web_helpers import TOKEN, seed_ledger, sign_in

from conftest import Service, example
from minutes.errors import ConfigError
from minutes.service.web import charts
from minutes.service.web.session import (
    SECRET_ENV,
    SESSION_COOKIE,
    SESSION_TTL_S,
    Signer,
    load_secret,
)
from minutes.store.budgets import set_budget
from minutes.store.db import open_store
from minutes.store.keys import hash_key, revoke_key

SECRET = "s" * 48


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SECRET_ENV, SECRET)


@pytest.fixture
def other(service: Service) -> Iterator[TestClient]:
    """A second browser (its own cookies) on the same app (whose lifespan, and job runner,
    the first client holds)."""
    yield TestClient(service.client.app)


def _meeting(service: Service, tenant: str = "acme") -> str:
    submitted = service.submit(example("standup.vtt"), tenant=tenant, title="Standup")
    assert service.wait(submitted["job_id"], tenant=tenant)["status"] == "done"
    meeting_id: str = submitted["meeting_id"]
    return meeting_id


def _first_action(service: Service, meeting_id: str) -> dict[str, object]:
    items = service.client.get(
        f"/v1/action-items?meeting_id={meeting_id}", headers=service.auth()
    ).json()["items"]
    assert items
    item: dict[str, object] = items[0]
    return item


# --- sign-in and the session cookie --------------------------------------------------------


def test_pages_need_a_session(service: Service) -> None:
    response = service.client.get("/commitments?status=open", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=/commitments%3Fstatus%3Dopen"
    assert service.client.get("/jobs/abc.json").status_code == 401


def test_the_session_cookie_is_http_only_samesite_and_holds_no_key(service: Service) -> None:
    form = service.client.get("/sign-in")
    token = TOKEN.search(form.text)
    assert token
    response = service.client.post(
        "/sign-in",
        data={"api_key": service.keys["acme"], "csrf": token.group(1), "next": "/decisions"},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/decisions"
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE + "=")
    )
    flags = [part.strip().lower() for part in cookie.split(";")]
    assert "httponly" in flags
    assert "samesite=lax" in flags
    assert "path=/" in flags
    assert f"max-age={SESSION_TTL_S}" in flags
    assert "secure" not in flags  # plain http here; https requests get Secure
    value = cookie.split(";")[0].split("=", 1)[1]
    key = service.keys["acme"]
    assert key not in value and key[3:20] not in value and hash_key(key) not in value
    assert service.client.get("/decisions").status_code == 200


def test_https_requests_get_a_secure_cookie(service: Service) -> None:
    client = TestClient(service.client.app, base_url="https://testserver")
    form = client.get("/sign-in")
    token = TOKEN.search(form.text)
    assert token
    response = client.post(
        "/sign-in",
        data={"api_key": service.keys["acme"], "csrf": token.group(1)},
        follow_redirects=False,
    )
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE + "=")
    )
    assert "secure" in [p.strip().lower() for p in cookie.split(";")]


def test_a_bad_key_is_refused_and_gets_no_session(service: Service) -> None:
    form = service.client.get("/sign-in")
    token = TOKEN.search(form.text)
    assert token
    for bad in ("mk_not-a-real-key", "", service.keys["acme"] + "x"):
        response = service.client.post(
            "/sign-in", data={"api_key": bad, "csrf": token.group(1)}, follow_redirects=False
        )
        assert response.status_code == 401, bad
        assert "not valid" in response.text
        assert SESSION_COOKIE not in response.headers.get("set-cookie", "")
    assert service.client.get("/meetings", follow_redirects=False).status_code == 303


def test_sign_in_without_its_form_token_is_refused(service: Service) -> None:
    service.client.get("/sign-in")
    response = service.client.post(
        "/sign-in",
        data={"api_key": service.keys["acme"], "csrf": "forged"},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")


def test_sign_in_goes_nowhere_but_this_site(service: Service) -> None:
    form = service.client.get("/sign-in")
    token = TOKEN.search(form.text)
    assert token
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        service.client.cookies.clear()
        form = service.client.get("/sign-in")
        token = TOKEN.search(form.text)
        assert token
        response = service.client.post(
            "/sign-in",
            data={"api_key": service.keys["acme"], "csrf": token.group(1), "next": target},
            follow_redirects=False,
        )
        assert response.headers["location"] == "/meetings", target


def test_a_tampered_or_expired_cookie_is_no_session(service: Service) -> None:
    sign_in(service.client, service.keys["acme"])
    value = service.client.cookies[SESSION_COOKIE]
    version, payload, signature = value.split(".")
    forged = payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB")
    for bad in (f"{version}.{forged}.{signature}", f"{version}.{payload}.{signature[::-1]}"):
        service.client.cookies.clear()
        service.client.cookies.set(SESSION_COOKIE, bad)
        assert service.client.get("/meetings", follow_redirects=False).status_code == 303
    signer = Signer(SECRET.encode())
    old, _ = signer.issue("acme", "k", now=0)
    assert signer.read(old) is None  # expired long ago
    fresh, session = signer.issue("acme", "k")
    assert signer.read(fresh) == session
    assert Signer(b"another secret of the same length.....").read(fresh) is None


def test_revoking_the_key_ends_its_sessions(service: Service) -> None:
    sign_in(service.client, service.keys["acme"])
    store = open_store(service.settings.database_url)
    try:
        with store.transaction() as session:
            revoke_key(session, service.keys["acme"][:11])
    finally:
        store.close()
    response = service.client.get("/meetings", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/sign-in")


def test_sign_out_needs_the_token_and_ends_the_session(service: Service) -> None:
    csrf = sign_in(service.client, service.keys["acme"])
    assert service.client.post("/sign-out", follow_redirects=False).status_code == 403
    assert service.client.get("/meetings").status_code == 200
    response = service.client.post("/sign-out", data={"csrf": csrf}, follow_redirects=False)
    assert response.status_code == 303
    assert service.client.get("/meetings", follow_redirects=False).status_code == 303


# --- CSRF ----------------------------------------------------------------------------------


def test_a_post_without_the_csrf_token_changes_nothing(service: Service) -> None:
    meeting_id = _meeting(service)
    item = _first_action(service, meeting_id)
    csrf = sign_in(service.client, service.keys["acme"])
    url = f"/commitments/{item['id']}"
    for headers, data in (
        ({}, {"status": "done"}),
        ({}, {"status": "done", "csrf": "wrong"}),
        ({"X-CSRF-Token": csrf[:-1]}, {"status": "done"}),
    ):
        response = service.client.post(url, data=data, headers=headers, follow_redirects=False)
        assert response.status_code == 403
    again = _first_action(service, meeting_id)
    assert again["status"] == "open"
    upload = service.client.post(
        "/meetings/upload",
        files={"file": ("one.txt", example("one_on_one.txt").encode(), "text/plain")},
        data={"engine": "extractive"},
        headers={"Accept": "application/json"},
    )
    assert upload.status_code == 403
    listed = service.client.get("/v1/meetings", headers=service.auth()).json()["items"]
    assert len(listed) == 1  # the refused upload made no meeting

    done = service.client.post(
        url, data={"status": "done"}, headers={"X-CSRF-Token": csrf, "Accept": "application/json"}
    )
    assert done.status_code == 200 and done.json()["status"] == "done"
    assert _first_action(service, meeting_id)["status"] == "done"
    reopened = service.client.post(
        url, data={"status": "open", "csrf": csrf}, follow_redirects=False
    )
    assert reopened.status_code == 303  # the form without script: back to the page
    assert _first_action(service, meeting_id)["status"] == "open"


def test_another_sessions_token_does_not_pass(service: Service, other: TestClient) -> None:
    meeting_id = _meeting(service)
    item = _first_action(service, meeting_id)
    sign_in(service.client, service.keys["acme"])
    theirs = sign_in(other, service.keys["acme"])  # the same key, another session
    response = service.client.post(
        f"/commitments/{item['id']}", data={"status": "done", "csrf": theirs}
    )
    assert response.status_code == 403


# --- tenants -------------------------------------------------------------------------------


def test_one_tenant_never_sees_anothers_pages(service: Service, other: TestClient) -> None:
    meeting_id = _meeting(service, "acme")
    item = _first_action(service, meeting_id)
    sign_in(service.client, service.keys["acme"])
    page = service.client.get(f"/meetings/{meeting_id}")
    assert page.status_code == 200 and "Standup" in page.text

    csrf = sign_in(other, service.keys["globex"])
    assert other.get(f"/meetings/{meeting_id}").status_code == 404
    assert other.get(f"/meetings/{meeting_id[:8]}").status_code == 404
    assert other.get(f"/meetings/{meeting_id}/notes.json").status_code == 404
    assert other.get(f"/meetings/{meeting_id}/notes.md").status_code == 404
    for path in ("/meetings", "/commitments", "/decisions"):
        body = other.get(path).text
        assert meeting_id not in body and "Standup" not in body, path
    job_id = service.client.get(f"/v1/meetings/{meeting_id}", headers=service.auth()).json()["job"][
        "id"
    ]
    assert other.get(f"/jobs/{job_id}.json").status_code == 404
    assert service.client.get(f"/jobs/{job_id}.json").json()["status"] == "done"
    refused = other.post(
        f"/commitments/{item['id']}",
        data={"status": "done"},
        headers={"X-CSRF-Token": csrf, "Accept": "application/json"},
    )
    assert refused.status_code == 404
    assert _first_action(service, meeting_id)["status"] == "open"


# --- what the pages show -------------------------------------------------------------------


def test_the_meeting_page_cites_lines_of_its_transcript(service: Service) -> None:
    meeting_id = _meeting(service)
    sign_in(service.client, service.keys["acme"])
    html = service.client.get(f"/meetings/{meeting_id}").text
    segments = set(re.findall(r'<li id="seg-(\d+)"', html))
    cited = re.findall(r'class="quote" data-segment="(\d+)"', html)
    assert segments and cited
    assert set(cited) <= segments  # every quote's line is on the page
    assert "Extractive notes (no LLM)" in html and "badge-warn" in html
    notes = service.client.get(f"/meetings/{meeting_id}/notes.json")
    assert notes.headers["content-disposition"].startswith("attachment;")
    assert notes.json()["key_points"]
    md = service.client.get(f"/meetings/{meeting_id}/notes.md")
    assert md.text.startswith("# Standup") and md.headers["content-type"].startswith(
        "text/markdown"
    )


def test_the_meetings_search_matches_title_and_participants(service: Service) -> None:
    _meeting(service)
    service.wait(service.submit(example("sales_call.txt"), title="Acme renewal")["job_id"])
    sign_in(service.client, service.keys["acme"])
    by_title = service.client.get("/meetings?q=renewal").text
    assert "Acme renewal" in by_title and "Standup" not in by_title
    by_person = service.client.get("/meetings?q=priya").text
    assert "Standup" in by_person and "Acme renewal" not in by_person
    assert "No meeting matches" in service.client.get("/meetings?q=nobody-at-all").text


def test_commitments_are_grouped_and_overdue_ones_marked(service: Service) -> None:
    _meeting(service)  # the standup of March 2025: every dated item is long overdue
    sign_in(service.client, service.keys["acme"])
    html = service.client.get("/commitments").text
    groups = re.findall(r'data-assignee="([^"]+)"', html)
    assert groups[-1] == "Unassigned" and "Tom Okafor" in groups
    assert groups[:-1] == sorted(groups[:-1], key=str.casefold)
    assert html.count("overdue-badge") >= 5


def test_the_spend_page_draws_every_chart_from_the_ledger(service: Service) -> None:
    rows = seed_ledger(service.settings.database_url, "acme", days=5)
    seed_ledger(service.settings.database_url, "globex", days=2)
    store = open_store(service.settings.database_url)
    try:
        with store.transaction() as session:
            set_budget(session, "acme", daily_usd=Decimal("0.50"), monthly_usd=Decimal("20"))
    finally:
        store.close()
    sign_in(service.client, service.keys["acme"])
    html = service.client.get("/spend?days=7").text
    figures = re.findall(r'<figure class="chart[^"]*".*?</figure>', html, flags=re.S)
    captions = [re.search(r"<figcaption[^>]*>(.*?)</figcaption>", f).group(1) for f in figures]  # type: ignore[union-attr]
    assert len(figures) == 8, captions
    for figure, caption in zip(figures, captions, strict=True):
        assert 'class="point' in figure, caption
    day_bars = re.findall(
        r'class="point bar" data-label="(\d{4}-\d\d-\d\d)" data-value="([\d.e-]+)"', html
    )
    assert len(day_bars) == 7 and sum(float(v) > 0 for _, v in day_bars) == 5
    assert 'data-limit="0.5"' in html and 'data-limit="20.0"' in html
    assert "gpt-4o-mini" in html and "claude-3-5-haiku" in html
    # globex's rows are not acme's: the window's total is acme's alone
    total = re.search(r"Spent \$([\d.,]+) in the last 7 days", html)
    assert total
    expected = sum(1500 * (m + 1) * (t + 1) for m in range(2) for t in range(3)) * 3 - sum(
        1500 * (m + 1) for m in range(2)
    )
    assert Decimal(total.group(1)) == Decimal(expected * 5) / 1_000_000
    assert rows == 5 * 2 * 3 * 3


def test_pages_load_nothing_from_elsewhere(service: Service) -> None:
    meeting_id = _meeting(service)
    sign_in(service.client, service.keys["acme"])
    for path in ("/meetings", f"/meetings/{meeting_id}", "/commitments", "/decisions", "/spend"):
        response = service.client.get(path)
        assert response.status_code == 200, path
        csp = response.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp
        assert response.headers["cache-control"] == "no-store"
        refs = re.findall(r'\s(?:src|href|action)="([^"]*)"', response.text)
        outside = [r for r in refs if not r.startswith(("/", "#"))]
        assert refs and not outside, (path, outside)
        assert "<script>" not in response.text and " style=" not in response.text
    for name in ("app.js", "app.css"):
        static = service.client.get(f"/static/{name}")
        assert static.status_code == 200 and "http://" not in static.text
        assert "https://" not in static.text


# --- pieces --------------------------------------------------------------------------------


def test_the_secret_is_made_once_per_store_and_kept_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(SECRET_ENV)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    first = load_secret("sqlite:///a.db")
    assert load_secret("sqlite:///a.db") == first
    assert load_secret("sqlite:///b.db") != first
    files = list((tmp_path / "minutes").glob("web-secret-*"))
    assert len(files) == 2
    assert all(stat.S_IMODE(os.stat(f).st_mode) == 0o600 for f in files)
    monkeypatch.setenv(SECRET_ENV, "short")
    with pytest.raises(ConfigError):
        load_secret("sqlite:///a.db")


def test_charts_escape_labels_and_break_lines_at_gaps() -> None:
    chart = str(
        charts.line_chart(
            "p95",
            ["d1", "d2", "d3", "d4"],
            [charts.Series("<m&m>", [(0, 1.0), (1, 2.0), (3, 4.0)])],
            fmt=charts.millis,
        )
    )
    assert "<m&m>" not in chart and "&lt;m&amp;m&gt;" in chart
    assert chart.count("<path") == 1  # d1-d2 joined; d4 stands alone after the gap
    assert chart.count('class="point"') == 3
    assert "No data" in str(charts.bar_chart("Cost", [("a", 0.0)]))
    assert charts.nice_max(0.0034) == pytest.approx(0.005)
    assert charts.nice_max(7) == 10 and charts.nice_max(120) == 200
    gauge = str(charts.gauge("Budget", 3.0, 2.0))
    assert "150%" in gauge and "#B00020" in gauge
    assert "no limit set" in str(charts.gauge("Budget", 3.0, None))


def test_dates_in_the_charts_window_are_utc_days(service: Service) -> None:
    from minutes.service.web.views import spend

    seed_ledger(service.settings.database_url, "acme", days=3)
    store = open_store(service.settings.database_url)
    try:
        with store.read() as session:
            now = dt.datetime.now(dt.UTC)
            data = spend(session, "acme", service.settings, days=10, now=now)
    finally:
        store.close()
    assert data.days[-1] == now.date().isoformat() and len(data.days) == 10
    assert sum(1 for _, v in data.cost_per_day if v > 0) == 3
    assert set(data.p95_by_model) == {"gpt-4o-mini", "claude-3-5-haiku"}
    assert all(0 <= r <= 1 for _, r in data.cache_rate_per_day)
