"""Coalescing: small calls of one list-taking prompt combined, split back by id, each item
validated, with a per-item fallback; over HTTP against the fake server."""

from __future__ import annotations

import json
import re
from typing import Any, Literal

from pydantic import BaseModel

from minutes.llm.calls import ChatMessage, LLMRequest
from minutes.llm.coalesce import map_items
from minutes.testing import FakeLLMServer, RecordedRequest

MODEL = "gpt-3.5-turbo-0125"


class Verdict(BaseModel):
    priority: Literal["high", "normal", "low"]


def request_for(group: list[tuple[int, str]]) -> LLMRequest:
    lines = "\n".join(f"id {i}: {text}" for i, text in group)
    return LLMRequest(
        task="classify_action_priority",
        messages=[ChatMessage(role="user", content=f"Classify each item.\n{lines}")],
        model="gpt-3.5-turbo",
    )


def ids_of(req: RecordedRequest) -> list[int]:
    text = next(m["content"] for m in req.messages if m["content"].startswith("Classify"))
    return [int(n) for n in re.findall(r"^id (\d+): ", text, re.M)]


def answer(ids: list[int], *, skip: set[int] = frozenset(), bad: set[int] = frozenset()) -> str:
    answers = [
        {"id": i, "value": {"priority": "urgent!" if i in bad else ("high" if i % 2 else "low")}}
        for i in reversed(ids)  # out of order on purpose
        if i not in skip
    ]
    return json.dumps({"answers": answers})


ITEMS = [f"task number {i}" for i in range(7)]


def expected(i: int) -> str:
    return "high" if i % 2 else "low"


async def test_items_are_combined_split_back_in_input_order(
    make_gateway: Any, fake_server: FakeLLMServer
) -> None:
    fake_server.default_reply = lambda req: answer(ids_of(req))
    gw = make_gateway()
    out = await map_items(gw, ITEMS, request_for, Verdict, max_items=3)
    assert [o.index for o in out.items] == list(range(7))
    assert [o.value.priority for o in out.items if o.value] == [expected(i) for i in range(7)]
    assert all(o.combined for o in out.items[:6])
    assert fake_server.calls() == 3 == out.requests  # groups of 3, 3 and 1


async def test_an_item_left_out_of_the_combined_reply_is_asked_for_alone(
    make_gateway: Any, fake_server: FakeLLMServer
) -> None:
    fake_server.default_reply = lambda req: answer(
        ids_of(req), skip={4} if len(ids_of(req)) > 1 else set()
    )
    gw = make_gateway()
    out = await map_items(gw, ITEMS[:5], request_for, Verdict, max_items=5)
    assert all(o.ok for o in out.items)
    assert not out.items[4].combined and out.items[3].combined
    assert [ids_of(r) for r in fake_server.requests] == [[0, 1, 2, 3, 4], [4]]


async def test_an_invalid_combined_reply_falls_back_to_one_call_per_item(
    make_gateway: Any, fake_server: FakeLLMServer
) -> None:
    def model(req: RecordedRequest) -> str:
        ids = ids_of(req)
        return answer(ids, bad={2})  # item 2 never gets a valid priority

    fake_server.default_reply = model
    gw = make_gateway(router={"fallback_chain": []})
    out = await map_items(gw, ITEMS[:4], request_for, Verdict, max_items=4)
    assert [o.ok for o in out.items] == [True, True, False, True]
    assert "OutputInvalid" in (out.items[2].error or "")
    assert [o.value.priority for o in out.items if o.value] == ["low", "high", "high"]
    # The combined request and its re-ask, then each item alone (item 2 with its re-ask).
    sizes = [len(ids_of(r)) for r in fake_server.requests]
    assert sizes[:2] == [4, 4] and sorted(sizes[2:]) == [1, 1, 1, 1, 1]


async def test_a_provider_failure_of_one_item_does_not_fail_the_others(
    make_gateway: Any, fake_server: FakeLLMServer
) -> None:
    def model(req: RecordedRequest) -> Any:
        from minutes.testing import Fault

        ids = ids_of(req)
        if ids == [1]:
            return Fault.status(400, "this one is refused")
        if len(ids) > 1:
            return "not json at all"
        return answer(ids)

    fake_server.default_reply = model
    gw = make_gateway(router={"fallback_chain": []})
    out = await map_items(gw, ITEMS[:3], request_for, Verdict)
    assert [o.ok for o in out.items] == [True, False, True]
    assert "BadRequest" in (out.items[1].error or "") or "AllModelsFailed" in (
        out.items[1].error or ""
    )
