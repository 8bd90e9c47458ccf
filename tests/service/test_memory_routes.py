"""GET /v1/search and POST /v1/ask: a tenant's own meetings only."""

from __future__ import annotations

from conftest import Service, example


def test_search_and_ask_see_only_the_callers_meetings(service: Service) -> None:
    job = service.submit(example("standup.vtt"), title="Stand-up")
    assert service.wait(job["job_id"])["status"] == "done"
    mine = service.client.get(
        "/v1/search", params={"q": "staging Redis", "limit": 3}, headers=service.auth()
    )
    assert mine.status_code == 200, mine.text
    hits = mine.json()
    assert hits and "**Redis**" in hits[0]["marked"] and hits[0]["speaker"]
    theirs = service.client.get(
        "/v1/search", params={"q": "staging Redis"}, headers=service.auth("globex")
    )
    assert theirs.status_code == 200 and theirs.json() == []
    assert service.client.get("/v1/search", params={"q": "Redis"}).status_code == 401

    answer = service.client.post(
        "/v1/ask",
        json={"question": "When is the staging Redis upgrade done?", "offline": True},
        headers=service.auth(),
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["mode"] == "extractive" and body["answered"] and body["claims"]
    none = service.client.post(
        "/v1/ask",
        json={"question": "When is the staging Redis upgrade done?", "offline": True},
        headers=service.auth("globex"),
    ).json()
    assert not none["answered"] and none["claims"] == []
