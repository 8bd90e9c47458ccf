"""The whole pipeline against the fake LLM server: what the replies say is what the notes hold,
grounded, merged and deduplicated; failures fall back to the extractive engine."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from scripted import KEY_POINTS, MEETING_DATE, good_model, segments_in, stage_of

from minutes.errors import BudgetExceeded, ConfigError
from minutes.notes import MeetingNotes
from minutes.pipeline.options import PipelineOptions
from minutes.pipeline.runner import run_pipeline
from minutes.testing import Fault


def calls_by_stage(fake_server) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in fake_server.requests:
        if r.api in ("openai", "anthropic", "ollama"):
            s = stage_of(r)
            counts[s] = counts.get(s, 0) + 1
    return counts


async def test_single_chunk_notes_hold_exactly_what_the_model_said(
    make_gateway, fake_server, transcript
) -> None:
    fake_server.default_reply = good_model
    notes = await run_pipeline(transcript, options=PipelineOptions(), gateway=make_gateway())

    assert notes.engine == "llm" and not notes.degraded
    assert notes.tldr == "Launch delayed one week to fix Android login; Bob fixes it by Friday."
    assert notes.narrative.startswith("The team met")
    assert notes.priority == "high"
    assert notes.participants == ["Alice", "Bob", "Carol"]

    # five mapped points from one chunk, reduced (ids carried the quotes through)
    assert [kp.text for kp in notes.key_points] == [f"Reduced point {i}" for i in range(5)]
    assert [kp.sources[0].segment for kp in notes.key_points] == list(KEY_POINTS)
    assert all(kp.grounded for kp in notes.key_points)

    fix, announce = notes.action_items
    assert (fix.task, fix.assignee, fix.priority) == ("Fix the Android login bug", "Bob", "high")
    assert (fix.due_text, fix.due_date) == ("by Friday", dt.date(2026, 3, 13))
    assert fix.sources[0].segment == 5 and fix.sources[0].speaker == "Bob"
    assert fix.sources[0].quote == "I'll fix the Android login bug by Friday."
    # "carol" is mapped onto the speaker label; next Tuesday after Wed 11 March is the 17th
    assert (announce.assignee, announce.due_date) == ("Carol", dt.date(2026, 3, 17))

    delay, mixpanel = notes.decisions
    assert delay.decided_by == ["Alice", "Carol"] and delay.alternatives == ["ship on time"]
    assert mixpanel.decided_by == ["Alice"] and mixpanel.rationale == "migrating now is too risky"
    assert mixpanel.sources[0].quote == "Let's go with Mixpanel then"

    stages = {p.stage: p for p in notes.provenance}
    assert list(stages) == [
        "key_points",
        "action_items",
        "decisions",
        "narrative",
        "tldr",
        "priority",
    ]
    assert stages["action_items"].prompt_name == "action_item_extraction"
    assert stages["action_items"].prompt_version == "2.1"
    assert stages["action_items"].model == "gpt-4-turbo"
    assert all(p.engine == "llm" and p.calls >= 1 for p in notes.provenance)
    assert notes.cost_usd > 0
    MeetingNotes.model_validate_json(notes.model_dump_json())  # round-trips


async def test_map_reduce_over_many_chunks_merges_and_dedupes(
    make_gateway, fake_server, transcript
) -> None:
    def repeats_bob(req):
        # every chunk reports Bob's commitment, as a model does with overlapping context
        if stage_of(req) == "actions":
            items = json.loads(good_model(req))["items"]
            if not any(i["assignee"] == "Bob" for i in items):
                items.append(
                    {
                        "task": "fix the android login bug",
                        "assignee": "Bob",
                        "due": "by Friday",
                        "segment": 5,
                        "quote": "fix the Android login bug",
                    }
                )
            return json.dumps({"items": items})
        return good_model(req)

    fake_server.default_reply = repeats_bob
    options = PipelineOptions(chunk_tokens=200, overlap_tokens=60)
    notes = await run_pipeline(transcript, options=options, gateway=make_gateway())
    counts = calls_by_stage(fake_server)
    n_chunks = counts["actions"]
    assert n_chunks >= 2
    assert counts["map"] == counts["decisions"] == n_chunks
    assert [a.task for a in notes.action_items] == [
        "Fix the Android login bug",
        "Update the launch announcement",
    ]
    assert notes.action_items[0].due_date == dt.date(2026, 3, 13)
    assert len(notes.decisions) == 2
    assert {kp.sources[0].segment for kp in notes.key_points} == set(KEY_POINTS)


async def test_map_calls_overlap_in_time(make_gateway, fake_server, transcript) -> None:
    def slow_model(req):
        if stage_of(req) in ("map", "actions", "decisions"):
            return Fault.stall(0.4, then=good_model(req))
        return good_model(req)

    fake_server.default_reply = slow_model
    await run_pipeline(
        transcript, options=PipelineOptions(chunk_tokens=200), gateway=make_gateway()
    )
    maps = [r for r in fake_server.requests if stage_of(r) in ("map", "actions", "decisions")]
    assert len(maps) >= 6  # three map-stage prompts per chunk, two chunks or more
    # every map-stage request arrived before the first of them could have been answered
    spread = max(r.received_at for r in maps) - min(r.received_at for r in maps)
    assert spread < 0.4


async def test_collapse_reduces_in_rounds_when_points_exceed_token_max(
    make_gateway, fake_server, transcript
) -> None:
    def verbose_mapper(req):
        if stage_of(req) == "map":
            seen = sorted(segments_in(req))
            long = " ".join(["and this point carries a long explanation of its detail"] * 3)
            pts = [
                {
                    "text": f"Point from segment {i}, {long}",
                    "segment": i,
                    "quote": transcript.segments[i].text,
                }
                for i in seen[:3]
            ]
            return json.dumps({"points": pts})
        return good_model(req)

    fake_server.default_reply = verbose_mapper
    options = PipelineOptions(chunk_tokens=200, overlap_tokens=0, reduce_token_max=200)
    notes = await run_pipeline(transcript, options=options, gateway=make_gateway())
    counts = calls_by_stage(fake_server)
    # the mapped points (~9 x 45 tokens) exceed 200 tokens: groups are collapsed first,
    # then the collapsed points are reduced once more
    assert counts["reduce"] >= 3
    assert 0 < len(notes.key_points) <= 10
    assert all(kp.grounded for kp in notes.key_points)


async def test_an_invented_quote_is_never_shown_as_evidence(
    make_gateway, fake_server, transcript
) -> None:
    def liar(req):
        if stage_of(req) == "actions":
            return json.dumps(
                {
                    "items": [
                        {
                            "task": "Buy a boat",
                            "assignee": "Bob",
                            "segment": 5,
                            "quote": "I will buy the company a boat",
                        }
                    ]
                }
            )
        return good_model(req)

    fake_server.default_reply = liar
    notes = await run_pipeline(transcript, gateway=make_gateway())
    (boat,) = notes.action_items
    assert boat.sources == [] and boat.grounded is False


async def test_every_provider_failing_gives_extractive_notes_marked_degraded(
    make_gateway, fake_server, transcript
) -> None:
    fake_server.default_reply = lambda _r: Fault.status(503)
    notes = await run_pipeline(transcript, gateway=make_gateway(resilience={"max_attempts": 1}))
    assert notes.engine == "extractive"
    assert notes.degraded
    assert all(p.engine == "extractive" and p.degraded for p in notes.provenance)
    assert any("AllModelsFailed" in r for r in notes.degraded_reasons)
    # the extractive engine still finds the commitments and the decision
    assert any(
        a.assignee == "Bob" and a.due_date == dt.date(2026, 3, 13) for a in notes.action_items
    )
    assert any(
        "delay the launch" in d.decision.lower() or "mixpanel" in d.decision.lower()
        for d in notes.decisions
    )
    assert notes.tldr and notes.narrative


async def test_one_stage_failing_falls_back_alone(make_gateway, fake_server, transcript) -> None:
    def no_decisions(req):
        if stage_of(req) == "decisions":
            return Fault.status(500)
        return good_model(req)

    fake_server.default_reply = no_decisions
    notes = await run_pipeline(transcript, gateway=make_gateway(resilience={"max_attempts": 1}))
    stages = {p.stage: p for p in notes.provenance}
    assert stages["decisions"].engine == "extractive" and stages["decisions"].degraded
    assert stages["action_items"].engine == "llm" and not stages["action_items"].degraded
    assert notes.engine == "mixed" and notes.degraded


async def test_a_failing_chunk_is_covered_by_the_extractive_engine_for_that_chunk(
    make_gateway, fake_server, transcript
) -> None:
    def first_chunk_fails(req):
        if stage_of(req) == "actions" and 0 in segments_in(req):
            return Fault.status(500)
        return good_model(req)

    fake_server.default_reply = first_chunk_fails
    notes = await run_pipeline(
        transcript,
        options=PipelineOptions(chunk_tokens=200, overlap_tokens=0),
        gateway=make_gateway(resilience={"max_attempts": 1}),
    )
    stage = next(p for p in notes.provenance if p.stage == "action_items")
    assert stage.engine == "llm" and stage.degraded and "chunk 0" in (stage.reason or "")


async def test_no_provider_configured_means_extractive_not_degraded(transcript) -> None:
    notes = await run_pipeline(transcript)
    assert notes.engine == "extractive" and not notes.degraded
    assert any("no model that is used without being named" in w for w in notes.warnings)
    assert notes.action_items


async def test_refine_strategy_carries_a_running_list(
    make_gateway, fake_server, transcript
) -> None:
    fake_server.default_reply = good_model
    options = PipelineOptions(strategy="refine", chunk_tokens=200, overlap_tokens=0)
    notes = await run_pipeline(transcript, options=options, gateway=make_gateway())
    counts = calls_by_stage(fake_server)
    assert counts["refine"] == counts["actions"] >= 2
    assert "map" not in counts and "reduce" not in counts
    assert notes.key_points and all(kp.grounded for kp in notes.key_points)


async def test_stuff_strategy_makes_one_key_point_call(
    make_gateway, fake_server, transcript
) -> None:
    fake_server.default_reply = good_model
    notes = await run_pipeline(
        transcript, options=PipelineOptions(strategy="stuff"), gateway=make_gateway()
    )
    counts = calls_by_stage(fake_server)
    assert counts["refine"] == 1 and counts["actions"] == 1
    assert {kp.sources[0].segment for kp in notes.key_points} == set(KEY_POINTS)


async def test_unknown_meeting_date_resolves_against_today_and_says_so(
    make_gateway, fake_server, transcript
) -> None:
    fake_server.default_reply = good_model
    undated = transcript.model_copy(update={"date": None})
    notes = await run_pipeline(undated, gateway=make_gateway())
    assert notes.date is None
    assert any("date is unknown" in w for w in notes.warnings)
    assert all(a.due_date is not None and a.due_date >= dt.date.today() for a in notes.action_items)


@pytest.mark.parametrize("meeting_date", [MEETING_DATE])
async def test_extractive_engine_option_never_calls_a_model(
    make_gateway, fake_server, transcript, meeting_date
) -> None:
    notes = await run_pipeline(
        transcript,
        options=PipelineOptions(engine="extractive", meeting_date=meeting_date),
        gateway=make_gateway(),
    )
    assert notes.engine == "extractive" and fake_server.requests == []


async def test_notes_can_carry_an_embedding_for_search(
    make_gateway, fake_server, transcript
) -> None:
    fake_server.default_reply = good_model
    notes = await run_pipeline(
        transcript, options=PipelineOptions(embed=True), gateway=make_gateway()
    )
    assert notes.embedding is not None and len(notes.embedding) == fake_server.embedding_dim
    stage = next(p for p in notes.provenance if p.stage == "embeddings")
    assert stage.model == "text-embedding-3-small"  # the current one, listed first
    assert fake_server.calls(api="openai-embeddings") == 1
    assert "embedding" not in notes.model_dump()  # kept out of the published JSON


async def test_a_budget_the_user_stops_on_ends_the_run(
    make_gateway, fake_server, transcript, monkeypatch
) -> None:
    monkeypatch.setenv("MINUTES_BUDGET__DAILY_USD", "0")
    monkeypatch.setenv("MINUTES_BUDGET__ON_EXCEED", "fail")
    fake_server.default_reply = good_model
    with pytest.raises(BudgetExceeded):
        await run_pipeline(transcript, gateway=make_gateway())
    assert fake_server.calls() == 0


async def test_bad_settings_are_an_error_not_a_quiet_fallback(
    make_gateway, fake_server, transcript
) -> None:
    fake_server.default_reply = good_model
    options = PipelineOptions(prompt_versions={"action_item_extraction": "9.9"})
    with pytest.raises(ConfigError, match=r"9\.9"):
        await run_pipeline(transcript, options=options, gateway=make_gateway())


async def test_a_cached_re_run_says_so_in_its_provenance(
    make_gateway, fake_server, transcript, sqlite_store
) -> None:
    fake_server.default_reply = good_model
    gw = make_gateway(store=sqlite_store)
    first = await run_pipeline(transcript, gateway=gw)
    calls = fake_server.calls()
    second = await run_pipeline(transcript, gateway=gw)
    gw.close()
    assert fake_server.calls() == calls  # nothing new reached the provider
    assert all(p.cache == "none" and p.calls >= 1 for p in first.provenance)
    assert all(p.cache == "exact" and p.calls == 0 and p.cache_hits >= 1 for p in second.provenance)
    assert second.cost_usd == 0
    assert second.model_dump(exclude={"provenance"}) == first.model_dump(exclude={"provenance"})


async def test_a_stage_that_falls_back_finds_what_the_offline_engine_finds(
    make_gateway, fake_server
) -> None:
    # An AMI meeting where the rules find nothing and the learned detector finds the items:
    # a failed LLM stage falls back to both, as `--engine extractive` would.
    from minutes.evaluation.dataset import ami_dir
    from minutes.extractive import extract_action_items, summarize_extractive
    from minutes.transcripts import load_transcript

    meeting = load_transcript(ami_dir() / "ES2005a.json")
    offline = summarize_extractive(meeting)
    assert offline.action_items and not extract_action_items(meeting)
    fake_server.default_reply = lambda _r: Fault.status(503)
    notes = await run_pipeline(meeting, gateway=make_gateway(resilience={"max_attempts": 1}))
    assert notes.engine == "extractive" and notes.degraded
    assert [a.task for a in notes.action_items] == [a.task for a in offline.action_items]
    assert [d.decision for d in notes.decisions] == [d.decision for d in offline.decisions]
