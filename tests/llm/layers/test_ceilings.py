"""Output ceilings from the ledger's history: a task with enough past answers is asked with
1.5x their 99th percentile (rounded to 64, at least 256) instead of the caller's max_tokens;
an answer that reaches the lowered ceiling is asked again with the caller's; the caches keep
the caller's ceiling in their keys. Through the real SDK against the fake server."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import insert, select

from minutes.llm.calls import ChatMessage, LLMRequest
from minutes.llm.layers.ceilings import ceiling_for
from minutes.store.db import Store
from minutes.store.ledger import LedgerRecorder
from minutes.store.models import LLMCall
from minutes.testing import FakeLLMServer, Reply

OPENAI_4 = "gpt-4-turbo-2024-04-09"


def _history(store: Store, task: str, sizes: list[int]) -> None:
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    rows = [
        {
            "at": now - dt.timedelta(minutes=i),
            "tenant": "default",
            "task": task,
            "provider": "openai",
            "model": "gpt-4-turbo",
            "input_tokens": 1000,
            "output_tokens": n,
            "cost_micros": 1,
            "latency_ms": 10.0,
            "outcome": "ok",
            "cache": "none",
        }
        for i, n in enumerate(sizes)
    ]
    with store.transaction() as session:
        session.execute(insert(LLMCall), rows)


def req(max_tokens: int = 1500) -> LLMRequest:
    return LLMRequest(
        task="extract_actions",
        model="gpt-4-turbo",
        max_tokens=max_tokens,
        messages=[ChatMessage(role="user", content="Transcript:\n[0] Ann: I'll send it.")],
    )


def test_the_ceiling_is_half_again_the_99th_percentile_rounded_up() -> None:
    assert ceiling_for(100) == 256  # the floor
    assert ceiling_for(400) == 640  # 600, rounded up to 64s
    assert ceiling_for(1000) == 1536


async def test_a_task_with_history_is_asked_for_what_its_answers_take(
    make_gateway, fake_server: FakeLLMServer, sqlite_store: Store, tmp_path: Path
) -> None:
    _history(sqlite_store, "extract_actions", [300] * 29 + [400])
    _history(sqlite_store, "generate_tldr", [50] * 5)  # too few answers to go by
    rec = LedgerRecorder(sqlite_store, spill_path=tmp_path / "spill.jsonl")
    gw = make_gateway(store=sqlite_store, recorder=rec)
    fake_server.script(OPENAI_4, Reply(content="ok", output_tokens=120))
    await gw.complete(req())
    assert fake_server.requests[-1].body["max_tokens"] == 640  # 1.5 x 400, in 64s
    # a caller's ceiling lower than history's is kept
    fake_server.script(OPENAI_4, Reply(content="ok", output_tokens=20))
    await gw.complete(req(max_tokens=100))
    assert fake_server.requests[-1].body["max_tokens"] == 100
    # a task without enough history keeps the caller's ceiling
    fake_server.script(OPENAI_4, Reply(content="ok", output_tokens=20))
    tldr = req().model_copy(update={"task": "generate_tldr"})
    await gw.complete(tldr)
    assert fake_server.requests[-1].body["max_tokens"] == 1500


async def test_an_answer_cut_at_the_lowered_ceiling_is_asked_again_with_the_callers(
    make_gateway, fake_server: FakeLLMServer, sqlite_store: Store, tmp_path: Path
) -> None:
    _history(sqlite_store, "extract_actions", [100] * 30)
    rec = LedgerRecorder(sqlite_store, spill_path=tmp_path / "spill.jsonl")
    gw = make_gateway(store=sqlite_store, recorder=rec)
    fake_server.script(
        OPENAI_4,
        Reply(content="cut", output_tokens=256, finish_reason="length"),
        Reply(content="the whole answer", output_tokens=700),
    )
    result = await gw.complete(req())
    assert result.text == "the whole answer"
    assert [r.body["max_tokens"] for r in fake_server.requests] == [256, 1500]
    assert len(result.attempts) == 2  # both paid for, both in the ledger
    assert rec.flush()
    rec.close()
    with sqlite_store.read() as session:
        tokens = session.scalars(
            select(LLMCall.output_tokens).where(LLMCall.output_tokens.in_((256, 700)))
        ).all()
    assert sorted(tokens) == [256, 700]


async def test_a_re_run_still_hits_the_cache_whatever_ceiling_history_sets(
    make_gateway, fake_server: FakeLLMServer, sqlite_store: Store, tmp_path: Path
) -> None:
    rec = LedgerRecorder(sqlite_store, spill_path=tmp_path / "spill.jsonl")
    first = make_gateway(store=sqlite_store, recorder=rec)
    fake_server.script(OPENAI_4, Reply(content="cached answer", output_tokens=40))
    assert (await first.complete(req())).cache == "none"
    first.close()
    _history(sqlite_store, "extract_actions", [40] * 30)  # the history changes the ceiling
    second = make_gateway(store=sqlite_store, recorder=rec)
    again = await second.complete(req())
    assert (again.cache, again.text) == ("exact", "cached answer")
    assert len(fake_server.requests) == 1
