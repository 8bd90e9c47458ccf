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


def test_the_decision_log_links_a_revised_decision_for_its_tenant_only(service: Service) -> None:
    first = service.submit(
        "Maya Chen: We decided to ship the March release on the 20th.\n"
        "Tom Okafor: Agreed, the 20th it is.\n",
        title="Release sync 1",
        date="2026-03-02",
    )
    assert service.wait(first["job_id"])["status"] == "done"
    second = service.submit(
        "Maya Chen: We decided to move the March release to the 27th.\n"
        "Tom Okafor: Agreed, the 27th then.\n",
        title="Release sync 2",
        date="2026-03-09",
    )
    assert service.wait(second["job_id"])["status"] == "done"
    response = service.client.get("/v1/decision-log", headers=service.auth())
    assert response.status_code == 200, response.text
    log = response.json()
    newest, older = log[0], log[-1]
    assert newest["meeting_id"] == second["meeting_id"] and "27th" in newest["decision"]
    assert newest["supersedes"] == older["id"] and "20th" in older["decision"]
    assert [c["id"] for c in newest["chain"]] == [older["id"]]
    theirs = service.client.get("/v1/decision-log", headers=service.auth("globex"))
    assert theirs.status_code == 200 and theirs.json() == []
