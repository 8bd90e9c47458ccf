"""Prompt caching priced right: the shared instructions first (marked ``cache_control`` for
Anthropic), cache reads and writes read from the providers' usage reports, each billed at
its own price and kept in the ledger. Through the real SDKs against the fake server."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from sqlalchemy import select

from minutes.llm.batch.api import ItemResult, request_params
from minutes.llm.calls import ChatMessage, LLMRequest, ModelCall, Usage
from minutes.llm.cost import price
from minutes.llm.providers.chat import to_langchain_messages, usage_of
from minutes.llm.registry import load_registry
from minutes.store.db import Store
from minutes.store.ledger import LedgerRecorder, costs
from minutes.store.models import LLMCall
from minutes.testing import FakeLLMServer, Reply

OPENAI_4 = "gpt-4-turbo-2024-04-09"
OPUS = "claude-3-opus-20240229"
INSTRUCTIONS = "You extract action items from meeting transcripts. You never invent tasks."
CACHE_PRICES = {
    "claude-3-opus": {"cache_write_per_1k": "0.01875"},
    "gpt-4-turbo": {"cached_input_per_1k": "0.005"},
}


def req(model: str) -> LLMRequest:
    return LLMRequest(
        task="extract_actions",
        model=model,
        messages=[
            ChatMessage(role="system", content=INSTRUCTIONS),
            ChatMessage(role="user", content="Transcript:\n[0] Ann: I'll send the budget."),
        ],
    )


async def test_anthropic_cache_reads_and_writes_are_priced_and_kept_in_the_ledger(
    make_gateway, fake_server: FakeLLMServer, sqlite_store: Store, tmp_path: Path
) -> None:
    rec = LedgerRecorder(sqlite_store, spill_path=tmp_path / "spill.jsonl")
    gw = make_gateway(models=CACHE_PRICES, recorder=rec)
    fake_server.script(
        OPUS,
        Reply(
            content="done",
            input_tokens=3000,
            output_tokens=100,
            cached_tokens=1000,
            cache_creation_tokens=1500,
        ),
    )
    r = await gw.complete(req("claude-3-opus"))
    assert (r.input_tokens, r.cached_tokens, r.cache_write_tokens) == (3000, 1000, 1500)
    # 500 fresh * 0.015 + 1,000 read * 0.0015 + 1,500 written * 0.01875 + 100 out * 0.075,
    # per 1K: 0.0075 + 0.0015 + 0.028125 + 0.0075
    assert r.cost_usd == Decimal("0.044625")
    assert (r.attempts[0].cached_tokens, r.attempts[0].cache_write_tokens) == (1000, 1500)

    assert rec.flush()
    rec.close()
    with sqlite_store.read() as session:
        (row,) = session.scalars(select(LLMCall)).all()
        by_model = costs(session, by="model")
    assert (row.input_tokens, row.cached_tokens, row.cache_write_tokens) == (3000, 1000, 1500)
    assert row.cost_micros == 44_625
    assert [(c.key, c.cached_tokens, c.cache_write_tokens) for c in by_model] == [
        ("claude-3-opus", 1000, 1500)
    ]


async def test_anthropic_requests_mark_the_system_block_for_caching(
    make_gateway, fake_server: FakeLLMServer
) -> None:
    gw = make_gateway()
    fake_server.script(OPUS, "ok")
    fake_server.script(OPENAI_4, "ok")
    await gw.complete(req("claude-3-opus"))
    await gw.complete(req("gpt-4-turbo"))
    anthropic, openai = fake_server.requests
    assert anthropic.body["system"] == [
        {"type": "text", "text": INSTRUCTIONS, "cache_control": {"type": "ephemeral"}}
    ]
    # the transcript comes after the cached prefix, unmarked
    assert [m["role"] for m in anthropic.body["messages"]] == ["user"]
    assert "cache_control" not in str(anthropic.body["messages"])
    # OpenAI caches a stable prefix on its own: the system message stays plain text
    assert openai.body["messages"][0] == {"role": "system", "content": INSTRUCTIONS}
    assert "cache_control" not in str(openai.body)


async def test_openai_cached_tokens_are_priced_at_the_cached_price(
    make_gateway, fake_server: FakeLLMServer
) -> None:
    gw = make_gateway(models=CACHE_PRICES)
    fake_server.script(
        OPENAI_4, Reply(content="ok", input_tokens=1000, output_tokens=100, cached_tokens=400)
    )
    r = await gw.complete(req("gpt-4-turbo"))
    assert (r.input_tokens, r.cached_tokens, r.cache_write_tokens) == (1000, 400, 0)
    # 600 fresh * 0.01 + 400 cached * 0.005 + 100 out * 0.03, per 1K
    assert r.cost_usd == Decimal("0.011000")


def test_usage_of_reads_langchains_cache_details() -> None:
    message = AIMessage(
        "x",
        usage_metadata={
            "input_tokens": 3000,
            "output_tokens": 10,
            "total_tokens": 3010,
            "input_token_details": {"cache_read": 1000, "cache_creation": 1500},
        },
    )
    assert usage_of(message) == Usage(3000, 10, cached=1000, cache_write=1500)
    # langchain-anthropic moves writes to the TTL keys (zeroing cache_creation) when the
    # API reports the breakdown
    ttl = AIMessage(
        "x",
        usage_metadata={
            "input_tokens": 3000,
            "output_tokens": 10,
            "total_tokens": 3010,
            "input_token_details": {
                "cache_read": 1000,
                "cache_creation": 0,
                "ephemeral_5m_input_tokens": 1200,
                "ephemeral_1h_input_tokens": 300,
            },
        },
    )
    assert usage_of(ttl) == Usage(3000, 10, cached=1000, cache_write=1500)
    assert usage_of(AIMessage("x")) == Usage()


def test_only_anthropic_system_messages_are_marked() -> None:
    messages = [ChatMessage(role="system", content="rules"), ChatMessage(role="user", content="t")]
    marked = to_langchain_messages(messages, provider="anthropic")
    assert isinstance(marked[0], SystemMessage) and isinstance(marked[1], HumanMessage)
    assert marked[0].content == [
        {"type": "text", "text": "rules", "cache_control": {"type": "ephemeral"}}
    ]
    assert marked[1].content == "t"
    for provider in ("openai", "deepseek", "ollama", "local"):
        plain = to_langchain_messages(messages, provider=provider)
        assert [m.content for m in plain] == ["rules", "t"]


def test_the_batch_path_marks_the_prefix_and_prices_writes_with_the_same_function() -> None:
    registry = load_registry(None, CACHE_PRICES)
    opus = registry["claude-3-opus"]
    call = ModelCall(entry=opus, request=req("claude-3-opus"), messages=req("x").messages)
    params = request_params(call)
    assert params["system"] == [
        {"type": "text", "text": INSTRUCTIONS, "cache_control": {"type": "ephemeral"}}
    ]
    item = ItemResult(
        custom_id="a",
        ok=True,
        input_tokens=3000,
        output_tokens=100,
        cached_tokens=1000,
        cache_write_tokens=1500,
    )
    assert item.usage == Usage(3000, 100, 1000, 1500)
    # the live price above (0.044625) at the Batch API's half price, rounded half-up
    assert opus.batch_discount == Decimal("0.5")
    assert price(opus, item.usage, batch=True) == Decimal("0.022313")
