"""The exact and semantic caches in the gateway, over real HTTP to the fake server and a real
store, with the real all-MiniLM-L6-v2 embedder and the real prompt templates."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest
from pydantic import BaseModel

from minutes.examples import example_path
from minutes.llm.calls import ChatMessage, LLMRequest, MemoryRecorder
from minutes.prompts import load_library
from minutes.store.cache_store import CacheStore
from minutes.store.db import Store
from minutes.store.ledger import LedgerRecorder
from minutes.store.models import LLMCall
from minutes.testing import FakeLLMServer, Reply
from minutes.transcripts import load_transcript

GPT4 = "gpt-4-turbo-2024-04-09"


class Items(BaseModel):
    items: list[str]


def transcript_text(name: str) -> str:
    return load_transcript(example_path(name)).text()


def with_words_changed(text: str, n: int, seed: int = 7) -> str:
    words = text.split(" ")
    rng = random.Random(seed)
    for i in rng.sample(range(len(words)), n):
        words[i] = "something"
    return " ".join(words)


def extraction_request(chunk: str, *, version: str = "2.1", title: str = "Weekly") -> LLMRequest:
    """The action-item prompt rendered as the pipeline renders it; the chunk is the variable
    input the semantic cache embeds."""
    prompt = load_library().get("action_item_extraction", version)
    system, user = prompt.render(
        title=title, meeting_date="2026-11-20", participants="Alice, Bob", chunk=chunk
    )
    return LLMRequest(
        task=prompt.task,
        messages=[
            ChatMessage(role="system", content=system),
            ChatMessage(role="user", content=user),
        ],
        prompt_name=prompt.name,
        prompt_version=prompt.version,
        model="gpt-4-turbo",
        meeting_id="m-1",
        cache_input=chunk,
    )


def answer(fake_server: FakeLLMServer, text: str = "the answer", n: int = 1) -> None:
    for _ in range(n):
        fake_server.script(GPT4, Reply(content=text, input_tokens=1000, output_tokens=100))


async def test_an_identical_rerun_costs_nothing_and_makes_no_provider_call(
    make_gateway, fake_server: FakeLLMServer, store: Store
) -> None:
    recorder = MemoryRecorder()
    gw = make_gateway(store=store, recorder=recorder)
    answer(fake_server)
    request = extraction_request(transcript_text("standup.vtt"))

    first = await gw.complete(request)
    assert (first.cache, first.cost_usd) == ("none", Decimal("0.013000"))
    assert fake_server.calls() == 1

    again = await gw.complete(request)
    assert fake_server.calls() == 1  # no provider request
    assert (again.text, again.cache, again.cost_usd, again.model) == (
        "the answer",
        "exact",
        Decimal(0),
        "gpt-4-turbo",
    )
    hit = recorder.records[-1]
    assert (hit.cache, hit.cost_usd, hit.outcome, hit.input_tokens) == ("exact", 0, "ok", 0)
    assert (hit.prompt_name, hit.prompt_version, hit.meeting_id) == (
        "action_item_extraction",
        "2.1",
        "m-1",
    )


async def test_hits_are_ledger_rows_with_their_cache_kind(
    make_gateway, fake_server: FakeLLMServer, sqlite_store: Store, tmp_path
) -> None:
    ledger = LedgerRecorder(sqlite_store, spill_path=tmp_path / "spill.jsonl")
    gw = make_gateway(store=sqlite_store, recorder=ledger)
    answer(fake_server)
    request = extraction_request(transcript_text("standup.vtt"))
    await gw.complete(request)
    await gw.complete(request)
    await gw.complete(extraction_request(with_words_changed(transcript_text("standup.vtt"), 3)))
    gw.close()
    with sqlite_store.read() as s:
        rows = s.query(LLMCall.cache, LLMCall.cost_micros, LLMCall.outcome).order_by(LLMCall.id)
        assert [tuple(r) for r in rows] == [
            ("none", 13_000, "ok"),
            ("exact", 0, "ok"),
            ("semantic", 0, "ok"),
        ]


async def test_a_near_duplicate_transcript_hits_the_semantic_cache(
    make_gateway, fake_server: FakeLLMServer, store: Store
) -> None:
    gw = make_gateway(store=store)
    answer(fake_server, '{"items": []}')
    original = transcript_text("standup.vtt")
    await gw.complete(extraction_request(original))

    edited = with_words_changed(original, 4)
    assert edited != original
    result = await gw.complete(extraction_request(edited))
    assert fake_server.calls() == 1
    assert (result.cache, result.cost_usd, result.text) == ("semantic", 0, '{"items": []}')


async def test_a_different_meeting_on_the_same_template_does_not_hit(
    make_gateway, fake_server: FakeLLMServer, store: Store
) -> None:
    gw = make_gateway(store=store)
    answer(fake_server, "stand-up items", n=1)
    answer(fake_server, "one-on-one items", n=1)
    await gw.complete(extraction_request(transcript_text("standup.vtt")))
    # The most similar pair of the bundled examples (cosine ~0.81 on the transcripts alone);
    # the identical instructions around them must not make them collide.
    other = await gw.complete(extraction_request(transcript_text("one_on_one.txt")))
    assert fake_server.calls() == 2
    assert (other.cache, other.text) == ("none", "one-on-one items")


async def test_an_expired_entry_does_not_hit(
    make_gateway, fake_server: FakeLLMServer, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MINUTES_CACHE__EXACT_TTL_HOURS", "48")
    clock = {"now": dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)}
    gw = make_gateway(store=store, now=lambda: clock["now"])
    answer(fake_server, n=3)
    original = transcript_text("standup.vtt")
    await gw.complete(extraction_request(original))

    clock["now"] += dt.timedelta(hours=23)  # within the 24 h semantic TTL
    assert (await gw.complete(extraction_request(with_words_changed(original, 3)))).cache == (
        "semantic"
    )
    clock["now"] += dt.timedelta(hours=2)  # 25 h: the semantic entry expired
    late = await gw.complete(extraction_request(with_words_changed(original, 3, seed=8)))
    assert (late.cache, fake_server.calls()) == ("none", 2)
    assert (await gw.complete(extraction_request(original))).cache == "exact"  # 48 h TTL
    clock["now"] += dt.timedelta(hours=25)  # every entry is past its TTL now
    assert (await gw.complete(extraction_request(original))).cache == "none"
    assert fake_server.calls() == 3


async def test_the_semantic_scope_is_the_model_and_prompt_version(
    make_gateway, fake_server: FakeLLMServer, sqlite_store: Store
) -> None:
    gw = make_gateway(store=sqlite_store)
    fake_server.default_reply = "fresh"
    text = transcript_text("standup.vtt")
    await gw.complete(extraction_request(text, version="2.1"))
    other_version = await gw.complete(
        extraction_request(with_words_changed(text, 3), version="2.0")
    )
    assert other_version.cache == "none"
    other_model = await gw.complete(
        extraction_request(with_words_changed(text, 3)).model_copy(
            update={"model": "claude-3-opus"}
        )
    )
    assert other_model.cache == "none"
    assert fake_server.calls() == 3


async def test_threshold_and_switch_come_from_config(
    make_gateway, fake_server: FakeLLMServer, sqlite_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = transcript_text("standup.vtt")
    fake_server.default_reply = "fresh"
    monkeypatch.setenv("MINUTES_CACHE__SEMANTIC__THRESHOLD", "0.999")
    strict = make_gateway(store=sqlite_store)
    await strict.complete(extraction_request(text))
    assert (await strict.complete(extraction_request(with_words_changed(text, 10)))).cache == "none"

    monkeypatch.setenv("MINUTES_CACHE__SEMANTIC__THRESHOLD", "0.95")
    monkeypatch.setenv("MINUTES_CACHE__SEMANTIC__ENABLED", "false")
    off = make_gateway(store=sqlite_store)
    assert off.cache is not None and off.cache.embedder is None
    assert (await off.complete(extraction_request(with_words_changed(text, 3)))).cache == "none"
    assert (await off.complete(extraction_request(text))).cache == "exact"  # exact stays on


async def test_structured_replies_are_cached_only_once_valid(
    make_gateway, fake_server: FakeLLMServer, sqlite_store: Store
) -> None:
    gw = make_gateway(store=sqlite_store)
    request = extraction_request(transcript_text("standup.vtt"))
    fake_server.script(GPT4, "not json at all", '{"items": ["send the notes"]}')
    first = await gw.structured(request, Items)
    assert first.data == Items(items=["send the notes"]) and fake_server.calls() == 2

    again = await gw.structured(request, Items)
    assert (again.cache, again.data, fake_server.calls()) == (
        "exact",
        Items(items=["send the notes"]),
        2,
    )
    # one entry: the validated reply, not the one the re-ask replaced
    gw.flush()  # entries are written in the background
    assert CacheStore(sqlite_store).stats().entries == 1


async def test_a_broken_cache_never_fails_the_call(
    make_gateway, fake_server: FakeLLMServer, sqlite_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk I/O error")

    monkeypatch.setattr(CacheStore, "get_exact", broken)
    monkeypatch.setattr(CacheStore, "put", broken)
    gw = make_gateway(store=sqlite_store)
    answer(fake_server)
    result = await gw.complete(extraction_request("Alice: hello"))
    assert (result.text, result.cache) == ("the answer", "none")


async def test_pgvector_serves_semantic_hits(
    make_gateway, fake_server: FakeLLMServer, pgvector_store: Store
) -> None:
    assert pgvector_store.vectors.name == "pgvector"
    gw = make_gateway(store=pgvector_store)
    answer(fake_server, "from the model")
    text = transcript_text("planning.srt")
    await gw.complete(extraction_request(text))
    hit = await gw.complete(extraction_request(with_words_changed(text, 4)))
    miss_other_meeting = await gw.complete(extraction_request(transcript_text("sales_call.txt")))
    assert (hit.cache, hit.text) == ("semantic", "from the model")
    assert miss_other_meeting.cache == "none"
    assert fake_server.calls() == 2


async def test_openai_embeddings_when_configured(
    make_gateway, fake_server: FakeLLMServer, sqlite_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MINUTES_CACHE__SEMANTIC__EMBEDDING_MODEL", "text-embedding-ada-002")
    gw = make_gateway(store=sqlite_store)
    answer(fake_server, "from the model")
    text = transcript_text("standup.vtt")
    await gw.complete(extraction_request(text))
    hit = await gw.complete(extraction_request(with_words_changed(text, 3)))
    assert hit.cache == "semantic"
    assert fake_server.calls(api="openai-embeddings") >= 2  # both inputs embedded there
    assert fake_server.calls(model=GPT4) == 1


async def test_a_near_duplicate_meeting_through_the_pipeline_calls_no_model(
    make_gateway, fake_server: FakeLLMServer, sqlite_store: Store, tmp_path
) -> None:
    from minutes.pipeline.options import PipelineOptions
    from minutes.pipeline.runner import run_pipeline
    from minutes.transcripts import parse_transcript
    from scripted_replies import scripted

    fake_server.default_reply = scripted
    recorder = MemoryRecorder()
    gw = make_gateway(store=sqlite_store, recorder=recorder)
    source = example_path("standup.vtt").read_text()
    edited = source.replace("staging", "test").replace("Redis", "Valkey")
    assert edited != source
    first = parse_transcript(source, format="vtt", name="standup.vtt")
    second = parse_transcript(edited, format="vtt", name="standup-edited.vtt")

    await run_pipeline(first, options=PipelineOptions(), gateway=gw)
    calls = fake_server.calls(api="openai") + fake_server.calls(api="anthropic")
    assert calls > 0
    notes = await run_pipeline(second, options=PipelineOptions(), gateway=gw)
    assert fake_server.calls(api="openai") + fake_server.calls(api="anthropic") == calls
    kinds = {r.cache for r in recorder.records[-6:]}
    assert "semantic" in kinds and kinds <= {"exact", "semantic"}
    assert notes.engine == "llm"


async def test_a_reply_returns_before_its_entry_is_written_and_is_read_back_meanwhile(
    make_gateway, fake_server: FakeLLMServer, sqlite_store: Store
) -> None:
    gw = make_gateway(store=sqlite_store)
    assert gw.cache is not None
    writes: list[float] = []
    put = gw.cache.store.put_many

    def slow_put(entries: list) -> list[int]:
        import time

        time.sleep(0.5)  # a slow database: the caller must not wait for it
        writes.append(time.monotonic())
        return put(entries)

    gw.cache._writer._write = slow_put
    answer(fake_server)
    request = extraction_request(transcript_text("standup.vtt"))
    import time

    started = time.monotonic()
    first = await gw.complete(request)
    assert first.cache == "none" and time.monotonic() - started < 0.5 and not writes
    again = await gw.complete(request)  # still queued: answered from the queue
    assert again.cache == "exact" and fake_server.calls() == 1
    gw.close()
    assert len(writes) == 1 and CacheStore(sqlite_store).stats().entries == 1
