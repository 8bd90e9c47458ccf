"""Action items the extraction left without a priority are classified together: one coalesced
request for all of them, split back by id, over HTTP against the fake server."""

from __future__ import annotations

import json
import re

from scripted import good_model

from minutes.pipeline.options import PipelineOptions
from minutes.pipeline.runner import run_pipeline
from minutes.testing import RecordedRequest

MARKER = "Action items, each with its id"


def prompt_text(req: RecordedRequest) -> str:
    return "\n".join(m["content"] for m in req.messages if m["role"] == "user")


def model(req: RecordedRequest) -> str:
    text = prompt_text(req)
    if MARKER in text:
        ids = [int(n) for n in re.findall(r"^id (\d+): ", text, re.M)]
        answers = [{"id": i, "value": {"priority": "low"}} for i in ids]
        return json.dumps({"answers": answers})
    reply = good_model(req)
    if "List every action item" in text:  # the model gives no priorities this time
        data = json.loads(reply)
        for item in data["items"]:
            item.pop("priority")
        return json.dumps(data)
    return reply


async def test_items_without_a_priority_are_classified_in_one_request(
    make_gateway, fake_server, transcript
) -> None:
    fake_server.default_reply = model
    options = PipelineOptions(classify_action_priorities=True)
    notes = await run_pipeline(transcript, options=options, gateway=make_gateway())
    assert [a.priority for a in notes.action_items] == ["low", "low"]
    classify = [r for r in fake_server.requests if MARKER in prompt_text(r)]
    assert len(classify) == 1
    assert len(re.findall(r"^id \d+: ", prompt_text(classify[0]), re.M)) == 2
    stage = next(p for p in notes.provenance if p.stage == "action_items")
    assert not stage.degraded
    assert any(p.startswith("action_item_priority") for p in stage.prompts)


async def test_items_with_a_priority_need_no_classification(
    make_gateway, fake_server, transcript
) -> None:
    fake_server.default_reply = good_model
    options = PipelineOptions(classify_action_priorities=True)
    notes = await run_pipeline(transcript, options=options, gateway=make_gateway())
    assert [a.priority for a in notes.action_items] == ["high", "normal"]
    assert not any(MARKER in prompt_text(r) for r in fake_server.requests)
