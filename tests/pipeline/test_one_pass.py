"""One pass per chunk (``extraction="one-pass"``) against the fake LLM server: one
``chunk_notes`` call per chunk instead of three stage prompts, with the same grounding,
deduplication, reduce, labelling and fallbacks as the stage path."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from scripted import KEY_POINTS, good_model, segments_in, stage_of

from minutes.config import Settings
from minutes.errors import ConfigError
from minutes.examples import EXAMPLES, example_path
from minutes.notes import MeetingNotes
from minutes.pipeline.options import PipelineOptions
from minutes.pipeline.runner import run_pipeline
from minutes.runs.dry import estimate_run
from minutes.testing import Fault
from minutes.transcripts import load_transcript

ONE_PASS = PipelineOptions(extraction="one-pass", chunk_tokens=200, overlap_tokens=60)
STAGES = ONE_PASS.model_copy(update={"extraction": "stages"})


def counts(fake_server) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in fake_server.requests:
        if r.api in ("openai", "anthropic", "ollama"):
            out[stage_of(r)] = out.get(stage_of(r), 0) + 1
    return out


def repeats_bob(req) -> str:
    """Every chunk reports Bob's commitment, as a model does with overlapping context."""
    if stage_of(req) not in ("one_pass", "actions"):
        return good_model(req)
    reply = json.loads(good_model(req))
    if not any(i["assignee"] == "Bob" for i in reply["items"]):
        reply["items"].append(
            {
                "task": "fix the android login bug",
                "assignee": "Bob",
                "due": "by Friday",
                "segment": 5,
                "quote": "fix the Android login bug",
            }
        )
    return json.dumps(reply)


def as_facts(notes: MeetingNotes) -> dict[str, object]:
    return {
        "actions": [
            (a.task, a.assignee, a.due_date, a.grounded, [s.segment for s in a.sources])
            for a in notes.action_items
        ],
        "decisions": [
            (d.decision, d.decided_by, d.grounded, [s.segment for s in d.sources])
            for d in notes.decisions
        ],
        "key_point_sources": sorted(s.segment for kp in notes.key_points for s in kp.sources),
    }


async def test_one_call_per_chunk_gives_the_notes_the_stages_give(
    make_gateway, fake_server, transcript
) -> None:
    fake_server.default_reply = repeats_bob
    one_pass = await run_pipeline(transcript, options=ONE_PASS, gateway=make_gateway())
    per_prompt = counts(fake_server)
    fake_server.reset()
    fake_server.default_reply = repeats_bob
    stages = await run_pipeline(transcript, options=STAGES, gateway=make_gateway())
    per_stage = counts(fake_server)

    n_chunks = per_stage["actions"]
    assert n_chunks >= 2
    # the transcript is read once: one extraction call per chunk, and no stage prompt
    assert per_prompt["one_pass"] == n_chunks
    assert not {"map", "actions", "decisions"} & per_prompt.keys()
    for later in ("reduce", "narrative", "tldr", "priority"):
        assert per_prompt[later] == per_stage[later]
    # merged, deduplicated (Bob's item came from every chunk) and grounded as the stages do
    assert as_facts(one_pass) == as_facts(stages)
    assert [a.task for a in one_pass.action_items] == [
        "Fix the Android login bug",
        "Update the launch announcement",
    ]
    assert one_pass.action_items[0].due_date == dt.date(2026, 3, 13)
    assert all(a.grounded for a in one_pass.action_items)
    assert {kp.sources[0].segment for kp in one_pass.key_points} == set(KEY_POINTS)

    assert one_pass.engine == "llm" and not one_pass.degraded
    stage = {p.stage: p for p in one_pass.provenance}
    for name in ("key_points", "action_items", "decisions"):
        assert stage[name].engine == "llm" and stage[name].prompt_name == "chunk_notes"
        assert stage[name].prompt_version == "1.0" and stage[name].model == "gpt-4-turbo"
    # each call is counted once: on the key-point stage, which also ran the reduce
    assert stage["key_points"].calls == n_chunks + per_prompt["reduce"]
    assert stage["key_points"].prompts == ["chunk_notes@1.0", "key_points_reduce@1.0"]
    assert stage["action_items"].calls == stage["decisions"].calls == 0
    assert stage["action_items"].cost_usd == stage["decisions"].cost_usd == Decimal(0)
    assert one_pass.cost_usd > 0


async def test_instructions_come_first_and_the_transcript_last(
    make_gateway, fake_server, transcript
) -> None:
    fake_server.default_reply = good_model
    await run_pipeline(transcript, options=ONE_PASS, gateway=make_gateway())
    calls = [r for r in fake_server.requests if stage_of(r) == "one_pass"]
    systems = {r.messages[0]["content"] for r in calls}
    # one shared prefix for every chunk (and every meeting): nothing of the meeting in it
    assert len(systems) == 1 and [r.messages[0]["role"] for r in calls] == ["system"] * len(calls)
    (system,) = systems
    assert "Mobile launch sync" not in system and "[0]" not in system
    for r in calls:
        # the prompt's user message (the gateway adds its schema instruction after it)
        user = r.messages[1]["content"]
        last_segment = max(segments_in(r))
        assert r.messages[1]["role"] == "user"
        assert user.startswith("Meeting: Mobile launch sync (held on 2026-03-11)")
        assert user.rstrip().endswith(transcript.segments[last_segment].text)


async def test_an_invented_quote_is_never_evidence_on_the_one_pass_path(
    make_gateway, fake_server, transcript
) -> None:
    def liar(req) -> str:
        if stage_of(req) != "one_pass":
            return good_model(req)
        reply = json.loads(good_model(req))
        reply["items"] = [
            {"task": "Buy a boat", "assignee": "Bob", "segment": 5, "quote": "buy a boat"}
        ]
        return json.dumps(reply)

    fake_server.default_reply = liar
    notes = await run_pipeline(
        transcript, options=PipelineOptions(extraction="one-pass"), gateway=make_gateway()
    )
    (boat,) = notes.action_items
    assert boat.sources == [] and boat.grounded is False
    assert counts(fake_server)["one_pass"] == 1


async def test_a_failing_one_pass_call_falls_back_for_its_chunk_alone(
    make_gateway, fake_server, transcript
) -> None:
    def first_chunk_fails(req):
        if stage_of(req) == "one_pass" and 0 in segments_in(req):
            return Fault.status(500)
        return good_model(req)

    fake_server.default_reply = first_chunk_fails
    notes = await run_pipeline(
        transcript,
        options=ONE_PASS.model_copy(update={"overlap_tokens": 0}),
        gateway=make_gateway(resilience={"max_attempts": 1}),
    )
    stage = {p.stage: p for p in notes.provenance}
    for name in ("key_points", "action_items", "decisions"):
        assert stage[name].engine == "llm" and stage[name].degraded
        assert "chunk 0: AllModelsFailed" in (stage[name].reason or "")
    assert notes.engine == "llm" and notes.degraded
    # the first chunk's commitments come from the extractive engine, the rest from the model
    assert any(
        a.assignee == "Bob" and "android login" in a.task.lower() for a in notes.action_items
    )
    assert any("mixpanel" in d.decision.lower() for d in notes.decisions)
    assert notes.key_points and all(kp.grounded for kp in notes.key_points)


async def test_every_one_pass_call_failing_falls_back_per_stage(
    make_gateway, fake_server, transcript
) -> None:
    def one_pass_fails(req):
        return Fault.status(503) if stage_of(req) == "one_pass" else good_model(req)

    fake_server.default_reply = one_pass_fails
    notes = await run_pipeline(
        transcript, options=ONE_PASS, gateway=make_gateway(resilience={"max_attempts": 1})
    )
    stage = {p.stage: p for p in notes.provenance}
    for name in ("key_points", "action_items", "decisions"):
        assert stage[name].engine == "extractive" and stage[name].degraded
        assert "AllModelsFailed" in (stage[name].reason or "")
    assert stage["narrative"].engine == "llm" and not stage["narrative"].degraded
    assert notes.engine == "mixed" and notes.degraded
    assert any(a.due_date == dt.date(2026, 3, 13) for a in notes.action_items)
    # each chunk's call was tried once per model of the chain for the three stages together,
    # not once per stage
    tried = [
        (frozenset(segments_in(r)), r.model)
        for r in fake_server.requests
        if stage_of(r) == "one_pass"
    ]
    assert len({chunk for chunk, _ in tried}) >= 2
    assert len(tried) == len(set(tried))


async def test_one_pass_with_the_refine_strategy_is_refused(make_gateway, transcript) -> None:
    options = PipelineOptions(extraction="one-pass", strategy="refine")
    with pytest.raises(ConfigError, match="map_reduce or stuff"):
        await run_pipeline(transcript, options=options, gateway=make_gateway())


AMI = Path(__file__).parents[2].parent / "shared" / "data" / "ami-dev" / "ES2004b.json"


async def test_dry_run_reads_the_transcript_once_per_chunk(make_gateway, fake_server) -> None:
    make_gateway()  # the fake server's models, with keys set: the router has models to plan on
    info = EXAMPLES["incident_review"]
    meeting = load_transcript(example_path("incident_review"), title=info.title, date=info.date)
    settings = Settings()
    options = PipelineOptions(chunk_tokens=1000, overlap_tokens=0)
    stages = await estimate_run(meeting, options, settings)
    one_pass = await estimate_run(
        meeting, options.model_copy(update={"extraction": "one-pass"}), settings
    )
    assert fake_server.calls() == 0

    def per_chunk_reads(estimate) -> tuple[int, int]:
        rows = [
            s
            for s in estimate.stages
            if s.task in ("chunk_key_points", "extract_actions", "extract_decisions")
        ]
        return sum(s.calls for s in rows), sum(s.input_tokens for s in rows)

    stage_calls, stage_tokens = per_chunk_reads(stages)
    one_calls, one_tokens = per_chunk_reads(one_pass)
    assert stage_calls == 3 * one_calls and one_calls == 2  # a 2-chunk meeting
    assert [s.prompt for s in one_pass.stages if s.task == "extract_actions"] == ["chunk_notes@1.0"]
    # the transcript once per chunk instead of three times (on chunks of 1,000 tokens the
    # one-pass instructions, longer than any stage prompt's, weigh more than on real ones)
    assert one_tokens < 0.6 * stage_tokens
    total = sum(s.input_tokens for s in one_pass.stages)
    assert total < sum(s.input_tokens for s in stages.stages)
    assert one_pass.total_usd < stages.total_usd


def dry_run_cli(monkeypatch, tmp_path, *args: str) -> dict[str, Any]:
    """``minutes summarize ARGS --dry-run --json`` in both modes, with keys set so that the
    default routing applies (the dry run calls nothing)."""
    from typer.testing import CliRunner

    from minutes.cli import app

    for var, key in (
        ("OPENAI_API_KEY", "sk-test"),
        ("ANTHROPIC_API_KEY", "sk-ant-test"),
        ("DEEPSEEK_API_KEY", "sk-ds-test"),
    ):
        monkeypatch.setenv(var, key)
    monkeypatch.setenv("MINUTES_DATABASE_URL", f"sqlite:///{tmp_path / 'm.db'}")
    estimates = {}
    for mode in ("stages", "one-pass"):
        result = CliRunner().invoke(
            app, ["summarize", *args, "--dry-run", "--extraction", mode, "--json"]
        )
        assert result.exit_code == 0, result.output
        estimates[mode] = json.loads(result.stdout)
    return estimates


def test_summarize_takes_the_extraction_flag(monkeypatch, tmp_path) -> None:
    from typer.testing import CliRunner

    from minutes.cli import app

    estimates = dry_run_cli(monkeypatch, tmp_path, "--example", "incident_review")
    prompts = {m: {s["prompt"] for s in e["stages"]} for m, e in estimates.items()}
    assert "chunk_notes@1.0" in prompts["one-pass"] and "chunk_notes@1.0" not in prompts["stages"]
    assert "action_item_extraction@2.1" in prompts["stages"] - prompts["one-pass"]
    refused = CliRunner().invoke(
        app,
        ["summarize", "--example", "standup", "--extraction", "one-pass", "--strategy", "refine"],
    )
    # refused before a transcript is read (``main`` maps a ConfigError to exit code 2)
    assert isinstance(refused.exception, ConfigError)
    assert "map_reduce or stuff" in str(refused.exception)


@pytest.mark.skipif(not AMI.exists(), reason="the AMI meetings are not beside the checkout")
def test_dry_run_of_an_ami_meeting_in_both_modes(monkeypatch, tmp_path) -> None:
    estimates = dry_run_cli(monkeypatch, tmp_path, str(AMI))
    inputs = {m: sum(s["input_tokens"] for s in e["stages"]) for m, e in estimates.items()}
    calls = {m: sum(s["calls"] for s in e["stages"]) for m, e in estimates.items()}
    one_pass_rows = [s for s in estimates["one-pass"]["stages"] if s["prompt"] == "chunk_notes@1.0"]
    assert [s["calls"] for s in one_pass_rows] == [2]  # a 2-chunk meeting, read once
    assert calls["one-pass"] == calls["stages"] - 4
    assert inputs["one-pass"] < inputs["stages"] / 2
    assert float(estimates["one-pass"]["total_usd"]) < float(estimates["stages"]["total_usd"])
