"""The eval runner end to end: two labelled meetings, the real pipeline and SDKs against the fake
LLM server with scripted replies, and figures computed by hand; then the stored rows."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from minutes.evaluation.dataset import load_dataset
from minutes.evaluation.records import BASELINE, records_of
from minutes.evaluation.report import to_json, to_markdown
from minutes.evaluation.runner import EvalRun, evaluate
from minutes.pipeline.options import PipelineOptions
from minutes.prompts import load_library
from minutes.store.db import open_store
from minutes.store.evaluations import latest_evaluations, save_evaluations
from minutes.testing import RecordedRequest, Reply

SUMMARY_A = "The team moved the launch to May and split the preparation work."
TLDR_A = "Launch moved to May."
MEETING_A = """Title: Launch sync
Date: 2025-03-12

Ann: I'll send the budget to finance by Friday.
Bob: We decided to move the launch to May.
Bob: I will book the venue.
Ann: Nice weather today.
"""
MEETING_B = [
    {"speaker": "Cara", "start": 0, "end": 4, "text": "We should hire two engineers, I think."},
    {"speaker": "Dan", "start": 4, "end": 8, "text": "Maybe, let's see next quarter."},
]


def write_dataset(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "a.txt").write_text(MEETING_A)
    (folder / "a.labels.json").write_text(
        json.dumps(
            {
                "summary": SUMMARY_A,
                "tldr": TLDR_A,
                "action_items": [
                    {
                        "action": "Send the budget to finance",
                        "assignee": "Ann",
                        "due": "2025-03-14",
                    },
                    {"action": "Book the venue", "assignee": "Bob", "due": None},
                    {"action": "Order the catering", "assignee": "Bob"},
                ],
                "decisions": [{"decision": "Move the launch to May"}],
            }
        )
    )
    (folder / "b.json").write_text(json.dumps(MEETING_B))
    (folder / "b.labels.json").write_text(
        json.dumps(
            {
                "title": "Hiring sync",
                "summary": "The team agreed to hire two engineers.",
                "action_items": [],
                "decisions": [{"decision": "Hire two engineers"}],
            }
        )
    )
    return folder


def exact(predicted, gold) -> np.ndarray:
    return np.array([[float(p.lower() == g.lower()) for g in gold] for p in predicted])


def reply(content: object) -> Reply:
    text = content if isinstance(content, str) else json.dumps(content)
    # Fixed usage, so that the cost is known: gpt-4-turbo at $0.01 / $0.03 per 1K tokens
    # makes every call 1000 × 0.01/1000 + 100 × 0.03/1000 = $0.013.
    return Reply(content=text, input_tokens=1000, output_tokens=100)


def model(req: RecordedRequest) -> Reply:
    text = "\n".join(m["content"] for m in req.messages if m["role"] == "user")
    a = "Meeting: Launch sync" in text
    if "most important points" in text:
        return reply({"points": []})
    if "List every action item" in text:
        items = [
            {"task": "Send the budget to finance", "assignee": "Ann", "due": "by Friday",
             "segment": 0, "quote": "I'll send the budget to finance by Friday"},
            # the right task, the wrong owner
            {"task": "Book the venue", "assignee": "Ann", "due": None,
             "segment": 2, "quote": "I will book the venue"},
            # invented, with a quote nobody said: unmatched and ungrounded
            {"task": "Water the plants", "assignee": "Bob", "due": None,
             "segment": 3, "quote": "please water the plants every day"},
        ]  # fmt: skip
        return reply({"items": items if a else []})
    if "List the decisions made" in text:
        decisions = [
            {"decision": "Move the launch to May", "rationale": None, "alternatives": [],
             "decided_by": ["Bob"], "segment": 1, "quote": "move the launch to May"}
        ]  # fmt: skip
        return reply({"decisions": decisions if a else []})
    if "Write a summary of the meeting" in text:
        return reply(SUMMARY_A if a else "Completely unrelated words.")
    if "Write the TL;DR" in text:
        return reply(TLDR_A if a else "Nothing else.")
    return reply({"priority": "normal", "reason": "routine"})


@pytest.fixture
async def run(make_gateway, fake_server, tmp_path: Path) -> EvalRun:
    fake_server.default_reply = model
    data = load_dataset(write_dataset(tmp_path / "set"))
    options = PipelineOptions(model="gpt-4-turbo", prompt_versions={"decision_extraction": "1.2"})
    result = await evaluate(
        data,
        similarity=exact,
        similarity_name="exact text",
        threshold=0.5,
        options=options,
        gateway=make_gateway(router={"fallback_chain": []}),
        prompts=load_library(selected={"action_item_extraction": "2.0"}),
        concurrency=2,
    )
    assert fake_server.calls() == 12  # map, actions, decisions, narrative, TL;DR, priority × 2
    return result


async def test_figures_match_the_hand_computed_ones(run: EvalRun) -> None:
    s = run.summary
    assert (s.meetings, s.failed, s.degraded) == (2, 0, 0)
    # action items: meeting a 2 matched of 3 predicted and 3 gold; meeting b nothing at all
    a = s.action_items
    assert (a.matched, a.predicted, a.gold) == (2, 3, 3)
    assert (a.precision, a.recall, a.f1) == pytest.approx((2 / 3, 2 / 3, 2 / 3))
    assert s.action_items_macro_f1 == pytest.approx((2 / 3 + 1.0) / 2)
    # of the two matched items Ann's owner is right and the venue's is not; both due dates
    # are right ("by Friday" after Wednesday 12 March is the 14th; the venue has none)
    assert (s.assignee.hits, s.assignee.total) == (1, 2)
    assert (s.due_date.hits, s.due_date.total) == (2, 2)
    # decisions: a found its one decision; b predicted none of its one
    d = s.decisions
    assert (d.matched, d.predicted, d.gold) == (1, 1, 2)
    assert (d.precision, d.recall, d.f1) == pytest.approx((1.0, 0.5, 2 / 3))
    assert s.decisions_macro_f1 == pytest.approx(0.5)
    # ROUGE: a's narrative and TL;DR are the references word for word, b's share no word
    for r in (s.narrative, s.tldr):
        assert (r.rouge1, r.rouge2, r.rougeL) == pytest.approx((0.5, 0.5, 0.5))
    # grounding: 2 of 3 action items (the plants were never mentioned), 1 of 1 decision
    assert (s.action_items_grounding.hits, s.action_items_grounding.total) == (2, 3)
    assert (s.decisions_grounding.hits, s.decisions_grounding.total) == (1, 1)
    assert (s.grounding.hits, s.grounding.total) == (3, 4)
    # six calls of $0.013 per meeting
    assert s.cost_usd_total == Decimal("0.156")
    assert s.cost_usd_per_meeting == Decimal("0.078")
    assert all(m.cost_usd == Decimal("0.078") and m.llm_calls == 6 for m in run.meetings)
    assert s.latency_s_mean and s.latency_s_mean > 0 and s.latency_s_p95 >= s.latency_s_p50


async def test_the_run_says_which_prompt_versions_it_measured(run: EvalRun) -> None:
    used = {(u.name, u.version, u.model, u.meetings) for u in run.prompts_used}
    assert ("action_item_extraction", "2.0", "gpt-4-turbo", 2) in used  # the library's pick
    assert ("decision_extraction", "1.2", "gpt-4-turbo", 2) in used
    # one mapped point per meeting needs no reduce: the reduce prompt is not credited
    assert {u.name for u in run.prompts_used} == {
        "key_points_map",
        "action_item_extraction",
        "decision_extraction",
        "narrative_summary",
        "tldr_generation",
        "priority_classification",
    }
    stage = next(s for s in run.meetings[0].stages if s.stage == "action_items")
    assert (stage.prompt_name, stage.prompt_version) == ("action_item_extraction", "2.0")
    assert run.prompt_versions["action_item_extraction"] == "2.0"


async def test_reports_and_stored_rows(run: EvalRun, tmp_path: Path) -> None:
    md = to_markdown(run)
    assert "# Evaluation: set (2 meetings)" in md
    assert "| Action items F1 | 0.667 |" in md
    assert "- spurious: Water the plants" in md and "- missed: Order the catering" in md
    assert EvalRun.model_validate_json(to_json(run)).summary == run.summary

    records = records_of(run, run_id="r1")
    by_name = {r.prompt_name: r for r in records}
    actions = by_name["action_item_extraction"]
    assert (actions.prompt_version, actions.model, actions.dataset, actions.samples) == (
        "2.0",
        "gpt-4-turbo",
        "set",
        2,
    )
    assert actions.metrics["figures"] == {
        "action_items.precision": pytest.approx(2 / 3),
        "action_items.recall": pytest.approx(2 / 3),
        "action_items.f1": pytest.approx(2 / 3),
        "assignee.accuracy": 0.5,
        "due_date.accuracy": 1.0,
        "action_items.grounding": pytest.approx(2 / 3),
    }
    assert by_name["narrative_summary"].metrics["figures"]["narrative.rougeL"] == 0.5
    assert by_name["priority_classification"].metrics["figures"] == {}
    assert actions.metrics["prompt_versions"]["decision_extraction"] == "1.2"

    store = open_store(f"sqlite:///{tmp_path / 'evals.db'}")
    try:
        with store.transaction() as session:
            save_evaluations(session, records)
        with store.read() as session:
            stored = latest_evaluations(session)
    finally:
        store.close()
    assert len(stored) == 6
    row = next(r for r in stored if r.prompt_name == "decision_extraction")
    assert row.metrics["figures"]["decisions.recall"] == 0.5
    assert row.created_at == run.finished_at.replace(tzinfo=None)


async def test_an_extractive_run_is_stored_as_the_baseline(tmp_path: Path) -> None:
    data = load_dataset(write_dataset(tmp_path))
    run = await evaluate(
        data,
        similarity=exact,
        similarity_name="exact text",
        options=PipelineOptions(engine="extractive"),
        prompts=load_library(),
    )
    assert run.prompts_used == [] and run.summary.cost_usd_total == 0
    (record,) = records_of(run)
    assert (record.prompt_name, record.model, record.engine) == (BASELINE, BASELINE, "extractive")
    assert set(record.metrics["figures"]) == {
        "action_items.f1",
        "decisions.f1",
        "narrative.rougeL",
        "tldr.rougeL",
        "grounding.rate",
    }


async def test_a_failed_meeting_scores_as_empty_and_all_failing_is_an_error(
    make_gateway, fake_server, tmp_path: Path
) -> None:
    from minutes.errors import NoModelAvailable

    data = load_dataset(write_dataset(tmp_path))
    gateway = make_gateway(availability={})  # nothing is available
    with pytest.raises(NoModelAvailable):
        await evaluate(
            data,
            similarity=exact,
            similarity_name="exact text",
            options=PipelineOptions(engine="llm"),
            gateway=gateway,
            prompts=load_library(),
        )


async def test_one_failed_meeting_is_scored_as_empty_and_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from minutes.errors import AllModelsFailed, ProviderUnavailable
    from minutes.evaluation import runner

    real = runner.run_pipeline

    async def flaky(transcript, **kwargs):
        if transcript.title == "Launch sync":
            raise AllModelsFailed([ProviderUnavailable("503", model="m", provider="p")])
        return await real(transcript, **kwargs)

    monkeypatch.setattr(runner, "run_pipeline", flaky)
    data = load_dataset(write_dataset(tmp_path))
    run = await evaluate(
        data,
        similarity=exact,
        similarity_name="exact text",
        options=PipelineOptions(engine="extractive"),
        prompts=load_library(),
    )
    failed, ok = run.meetings
    assert failed.error == "AllModelsFailed: all 1 model(s) failed: m (p): ProviderUnavailable: 503"
    assert ok.error is None
    # the failed meeting counts with nothing predicted: its 3 gold items are all missed
    assert failed.action_items.counts.model_dump() == {
        "matched": 0,
        "predicted": 0,
        "gold": 3,
        "precision": 0.0,
        "recall": 0.0,
        "f1": 0.0,
    }
    assert run.summary.failed == 1 and run.summary.action_items.gold == 3
    assert "AllModelsFailed: all 1 model(s) failed" in to_markdown(run)


async def test_stages_that_fell_back_are_named_in_the_report(
    make_gateway, fake_server, tmp_path: Path
) -> None:
    from minutes.testing import Fault

    def decisions_fail(req: RecordedRequest) -> Reply | Fault:
        text = "\n".join(m["content"] for m in req.messages if m["role"] == "user")
        return Fault.status(500) if "List the decisions made" in text else model(req)

    fake_server.default_reply = decisions_fail
    run = await evaluate(
        load_dataset(write_dataset(tmp_path), limit=1),
        similarity=exact,
        similarity_name="exact text",
        options=PipelineOptions(model="gpt-4-turbo"),
        gateway=make_gateway(router={"fallback_chain": []}, resilience={"max_attempts": 1}),
        prompts=load_library(),
    )
    assert run.summary.degraded == 1
    assert "fell back: decisions" in to_markdown(run)
    # the decision prompt never produced anything: it is not credited with the figures
    assert "decision_extraction" not in {u.name for u in run.prompts_used}
    assert records_of(run)[0].metrics["meetings_on_llm"] == 1
