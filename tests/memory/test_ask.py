"""Questions answered with citations, through the fake LLM server over loopback HTTP."""

from __future__ import annotations

import json

import pytest

from minutes.memory.ask import EXTRACTIVE_LABEL, NO_ANSWER, ask
from minutes.store.db import Store
from minutes.testing import FakeLLMServer, Fault, RecordedRequest
from stored_examples import store_examples

QUESTION = "When will the staging Redis upgrade be done?"
SAID = "I'll upgrade the staging Redis cluster by Wednesday evening"


def _passage_number(req: RecordedRequest, needle: str) -> int:
    text = "\n".join(m["content"] for m in req.messages)
    for line in text.splitlines():
        if needle in line and line.startswith("["):
            return int(line[1 : line.index("]")])
    raise AssertionError(f"{needle!r} is in no passage of the prompt")


async def test_claims_are_cited_and_checked_against_the_transcript(
    sqlite_store: Store, fake_server: FakeLLMServer, make_gateway
) -> None:
    ids = store_examples(sqlite_store)

    def model(req: RecordedRequest) -> str:
        n = _passage_number(req, "upgrade the staging Redis cluster")
        return json.dumps(
            {
                "answerable": True,
                "claims": [
                    {
                        "text": "Lukas upgrades staging Redis by Wednesday evening.",
                        "citations": [
                            {
                                "passage": n,
                                "quote": SAID,
                            }
                        ],
                    },
                    {  # an invented quote: the claim goes
                        "text": "The upgrade was cancelled.",
                        "citations": [{"passage": n, "quote": "we cancelled the Redis upgrade"}],
                    },
                    {  # a passage number that does not exist
                        "text": "Nobody objected.",
                        "citations": [{"passage": 99, "quote": "Yes"}],
                    },
                ],
            }
        )

    fake_server.default_reply = model
    gateway = make_gateway()
    try:
        answer = await ask(sqlite_store, QUESTION, gateway=gateway)
    finally:
        gateway.close()
    assert answer.mode == "llm" and answer.answered
    assert [c.text for c in answer.claims] == ["Lukas upgrades staging Redis by Wednesday evening."]
    cited = answer.claims[0].citations[0]
    assert cited.meeting_id == ids["standup"] and cited.segment == 6
    assert cited.speaker == "Lukas Weber" and cited.meeting_date == "2025-03-11"
    assert "staging Redis cluster by Wednesday evening" in cited.quote
    assert answer.dropped_claims == 2 and answer.dropped_citations == 2
    assert "[1]" in answer.text
    assert fake_server.requests, "the answer came through the gateway"


async def test_a_model_that_finds_no_answer_says_so(
    sqlite_store: Store, fake_server: FakeLLMServer, make_gateway
) -> None:
    store_examples(sqlite_store, "standup")
    fake_server.default_reply = json.dumps({"answerable": False, "claims": []})
    gateway = make_gateway()
    try:
        answer = await ask(sqlite_store, "What is the Redis budget for next year?", gateway=gateway)
    finally:
        gateway.close()
    assert not answer.answered and answer.text == NO_ANSWER and answer.claims == []


async def test_nothing_retrieved_is_no_answer_without_a_call(
    sqlite_store: Store, fake_server: FakeLLMServer, make_gateway
) -> None:
    store_examples(sqlite_store, "standup")
    gateway = make_gateway()
    try:
        answer = await ask(sqlite_store, "kangaroo zeppelin", gateway=gateway)
    finally:
        gateway.close()
    assert not answer.answered and answer.text == NO_ANSWER
    assert fake_server.requests == []


@pytest.mark.parametrize("offline", [True, False])
async def test_offline_or_every_model_failing_gives_a_labelled_extractive_answer(
    sqlite_store: Store, fake_server: FakeLLMServer, make_gateway, offline: bool
) -> None:
    ids = store_examples(sqlite_store, "standup", "planning")
    fake_server.default_reply = Fault.status(500)
    gateway = None if offline else make_gateway(resilience={"max_attempts": 1})
    try:
        answer = await ask(sqlite_store, QUESTION, gateway=gateway)
    finally:
        if gateway is not None:
            gateway.close()
    assert answer.mode == "extractive" and answer.label == EXTRACTIVE_LABEL
    assert answer.answered and answer.reason
    cited = [(c.meeting_id, c.segment) for claim in answer.claims for c in claim.citations]
    assert (ids["standup"], 6) in cited[:3]
    assert all(c.quote == claim.text for claim in answer.claims for c in claim.citations)
    assert bool(fake_server.requests) is not offline
