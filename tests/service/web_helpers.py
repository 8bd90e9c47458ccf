"""What the web page tests share: signing in through the form, and ledger rows to chart."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from fastapi.testclient import TestClient

from minutes.store.db import open_store
from minutes.store.ledger import insert_rows

TOKEN = re.compile(r'name="csrf" value="([^"]+)"')
META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def sign_in(client: TestClient, key: str) -> str:
    """Sign ``client`` in with ``key`` through the form; returns the session's CSRF token."""
    form = client.get("/sign-in")
    token = TOKEN.search(form.text)
    assert token, form.text
    response = client.post(
        "/sign-in",
        data={"api_key": key, "csrf": token.group(1), "next": "/meetings"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    page = client.get("/meetings")
    assert page.status_code == 200
    meta = META.search(page.text)
    assert meta
    return meta.group(1)


def seed_ledger(url: str, tenant: str, *, days: int = 5, now: dt.datetime | None = None) -> int:
    """Ledger rows over the last ``days`` days for two models and three tasks, a few of them
    cache hits and failures; returns how many."""
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    rows: list[dict[str, Any]] = []
    models = [("openai", "gpt-4o-mini", 400), ("anthropic", "claude-3-5-haiku", 900)]
    tasks = ["key_points", "action_items", "narrative"]
    for day in range(days):
        at = now - dt.timedelta(days=day, minutes=5)
        for m, (provider, model, latency) in enumerate(models):
            for t, task in enumerate(tasks):
                for n in range(3):
                    cache = "exact" if (n == 0 and t == 0) else "none"
                    outcome = "RateLimited" if (n == 2 and day % 2 == 0 and m == 1) else "ok"
                    rows.append(
                        {
                            "at": at,
                            "tenant": tenant,
                            "meeting_id": None,
                            "task": task,
                            "prompt_name": task,
                            "prompt_version": "1.0",
                            "provider": provider,
                            "model": model,
                            "input_tokens": 1000 + 100 * n,
                            "output_tokens": 200,
                            "cached_tokens": 0,
                            "cost_micros": 0 if cache != "none" else 1500 * (m + 1) * (t + 1),
                            "latency_ms": float(latency + 50 * n + 10 * day),
                            "outcome": outcome,
                            "cache": cache,
                        }
                    )
    store = open_store(url)
    try:
        insert_rows(store, rows)
    finally:
        store.close()
    return len(rows)
