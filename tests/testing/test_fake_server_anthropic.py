"""The Anthropic Messages wire format, driven through the real anthropic SDK over HTTP."""

from __future__ import annotations

import pytest
from anthropic import Anthropic, AsyncAnthropic
from anthropic.types import TextBlock, TextBlockParam, ToolUseBlock

from minutes.testing import FakeLLMServer, Reply
from minutes.tokens import count_tokens


@pytest.fixture
def client(srv: FakeLLMServer) -> Anthropic:
    return Anthropic(base_url=srv.anthropic_base_url, api_key="sk-ant-test", max_retries=0)


def test_message_with_usage_excluding_cached_tokens(srv: FakeLLMServer, client: Anthropic) -> None:
    srv.script(
        "claude-test-1",
        Reply("Decided: ship Friday.", input_tokens=120, output_tokens=30, cached_tokens=20),
    )
    msg = client.messages.create(
        model="claude-test-1",
        max_tokens=100,
        system="You take notes.",
        messages=[{"role": "user", "content": "Summarise."}],
    )

    assert isinstance(msg.content[0], TextBlock)
    assert msg.content[0].text == "Decided: ship Friday."
    assert msg.stop_reason == "end_turn"
    assert msg.model == "claude-test-1"
    # Anthropic reports input_tokens without the cache reads: 120 - 20.
    assert msg.usage.input_tokens == 100
    assert msg.usage.output_tokens == 30
    assert msg.usage.cache_read_input_tokens == 20
    assert msg.usage.cache_creation_input_tokens == 0
    # The top-level system prompt is recorded as the first message.
    assert srv.requests[0].messages == [
        {"role": "system", "content": "You take notes."},
        {"role": "user", "content": "Summarise."},
    ]
    assert srv.requests[0].api == "anthropic"


def test_default_usage_and_finish_reason_mapping(srv: FakeLLMServer, client: Anthropic) -> None:
    srv.script(None, Reply("cut sh", finish_reason="length", cache_creation_tokens=3))
    blocks: list[TextBlockParam] = [
        {"type": "text", "text": "Bob: hello"},
        {"type": "text", "text": "Carol: hi"},
    ]
    msg = client.messages.create(
        model="claude-test-2",
        max_tokens=2,
        messages=[{"role": "user", "content": blocks}],
    )
    prompt = "Bob: hello\nCarol: hi"
    assert msg.stop_reason == "max_tokens"
    assert msg.usage.input_tokens == max(0, count_tokens(prompt) - 3)
    assert msg.usage.cache_creation_input_tokens == 3
    assert msg.usage.output_tokens == count_tokens("cut sh")


def test_stream_events_accumulate_text_and_usage(srv: FakeLLMServer, client: Anthropic) -> None:
    srv.script("c", Reply("alpha beta gamma", input_tokens=50, output_tokens=3, cached_tokens=10))
    with client.messages.stream(
        model="c", max_tokens=10, messages=[{"role": "user", "content": "go"}]
    ) as stream:
        pieces = list(stream.text_stream)
        final = stream.get_final_message()

    assert pieces == ["alpha ", "beta ", "gamma"]
    assert isinstance(final.content[0], TextBlock)
    assert final.content[0].text == "alpha beta gamma"
    assert final.stop_reason == "end_turn"
    assert (final.usage.input_tokens, final.usage.output_tokens) == (40, 3)
    assert final.usage.cache_read_input_tokens == 10


def test_forced_tool_returns_tool_use_block(srv: FakeLLMServer, client: Anthropic) -> None:
    srv.script("c", '{"title": "Sync", "items": [1, 2]}', "not json")
    tool = {"name": "Notes", "description": "notes", "input_schema": {"type": "object"}}
    kwargs = {
        "model": "c",
        "max_tokens": 10,
        "messages": [{"role": "user", "content": "go"}],
        "tools": [tool],
        "tool_choice": {"type": "tool", "name": "Notes"},
    }
    first = client.messages.create(**kwargs)  # type: ignore[call-overload]
    second = client.messages.create(**kwargs)  # type: ignore[call-overload]

    assert isinstance(first.content[0], ToolUseBlock)
    assert first.content[0].name == "Notes"
    assert first.content[0].input == {"title": "Sync", "items": [1, 2]}
    assert first.stop_reason == "tool_use"
    # Content that is no JSON object cannot be a tool input: it comes back as text.
    assert isinstance(second.content[0], TextBlock)
    assert second.content[0].text == "not json"


async def test_async_client_and_count_tokens(srv: FakeLLMServer) -> None:
    srv.script("c", "async ok")
    client = AsyncAnthropic(base_url=srv.anthropic_base_url, api_key="k", max_retries=0)
    async with client:
        counted = await client.messages.count_tokens(
            model="c", messages=[{"role": "user", "content": "count me please"}]
        )
        msg = await client.messages.create(
            model="c", max_tokens=5, messages=[{"role": "user", "content": "hi"}]
        )

    assert counted.input_tokens == count_tokens("count me please")
    assert isinstance(msg.content[0], TextBlock) and msg.content[0].text == "async ok"
    assert srv.calls(api="anthropic-count-tokens") == 1
    assert srv.calls(api="anthropic") == 1
