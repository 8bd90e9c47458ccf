"""The OpenAI wire format, driven through the real openai SDK (sync and async) over HTTP."""

from __future__ import annotations

import math

import pytest
from openai import AsyncOpenAI, OpenAI
from openai.types.chat import ChatCompletionMessageParam, ChatCompletionToolParam

from minutes.testing import FakeLLMServer, Reply, fake_embedding
from minutes.tokens import count_tokens

USER: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Summarise the meeting."}]


@pytest.fixture
def client(srv: FakeLLMServer) -> OpenAI:
    return OpenAI(base_url=srv.openai_base_url, api_key="sk-test", max_retries=0, timeout=5)


def test_chat_returns_scripted_reply_with_given_usage(srv: FakeLLMServer, client: OpenAI) -> None:
    srv.script(
        "gpt-4-turbo",
        Reply(content='{"a": 1}', input_tokens=120, output_tokens=30, cached_tokens=20),
    )
    done = client.chat.completions.create(model="gpt-4-turbo", messages=USER)

    assert done.choices[0].message.content == '{"a": 1}'
    assert done.choices[0].finish_reason == "stop"
    assert done.model == "gpt-4-turbo"
    assert done.usage is not None
    assert (done.usage.prompt_tokens, done.usage.completion_tokens) == (120, 30)
    assert done.usage.total_tokens == 150
    assert done.usage.prompt_tokens_details is not None
    assert done.usage.prompt_tokens_details.cached_tokens == 20


def test_default_usage_counts_message_and_reply_text(srv: FakeLLMServer, client: OpenAI) -> None:
    messages: list[ChatCompletionMessageParam] = [
        {"role": "system", "content": "You take notes."},
        {"role": "user", "content": [{"type": "text", "text": "Alice: ship it Friday."}]},
    ]
    srv.script("m", "Shipping on Friday was agreed.")
    done = client.chat.completions.create(model="m", messages=messages)

    assert done.usage is not None
    assert done.usage.prompt_tokens == count_tokens("You take notes.\nAlice: ship it Friday.")
    assert done.usage.completion_tokens == count_tokens("Shipping on Friday was agreed.")
    assert done.usage.prompt_tokens_details is not None
    assert done.usage.prompt_tokens_details.cached_tokens == 0
    # Content parts were flattened to text in the recorded request.
    assert srv.requests[0].messages[1] == {"role": "user", "content": "Alice: ship it Friday."}


async def test_async_client_chat_and_embeddings(srv: FakeLLMServer) -> None:
    srv.script("gpt-4o-mini", Reply("async hello", input_tokens=7, output_tokens=2))
    client = AsyncOpenAI(base_url=srv.openai_base_url, api_key="sk-test", max_retries=0)
    async with client:
        done = await client.chat.completions.create(model="gpt-4o-mini", messages=USER)
        emb = await client.embeddings.create(model="text-embedding-3-small", input="hello")

    assert done.choices[0].message.content == "async hello"
    assert done.usage is not None and done.usage.prompt_tokens == 7
    assert emb.data[0].embedding == pytest.approx(fake_embedding("hello", 64), abs=1e-6)


def test_stream_with_usage_chunk(srv: FakeLLMServer, client: OpenAI) -> None:
    srv.script("m", Reply("one two three", input_tokens=11, output_tokens=3, cached_tokens=4))
    chunks = list(
        client.chat.completions.create(
            model="m",
            messages=USER,
            stream=True,
            stream_options={"include_usage": True},
        )
    )

    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "one two three"
    assert sum(1 for c in chunks if c.choices and c.choices[0].delta.content) == 3
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    last = chunks[-1]
    assert last.choices == []
    assert last.usage is not None
    assert (last.usage.prompt_tokens, last.usage.completion_tokens) == (11, 3)
    assert last.usage.prompt_tokens_details is not None
    assert last.usage.prompt_tokens_details.cached_tokens == 4
    assert srv.requests[0].stream is True


def test_stream_without_usage_has_no_usage_chunk(srv: FakeLLMServer, client: OpenAI) -> None:
    chunks = list(client.chat.completions.create(model="m", messages=USER, stream=True))
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "ok"
    assert all(c.usage is None for c in chunks)


def test_sdk_requests_base64_embeddings_by_default(srv: FakeLLMServer, client: OpenAI) -> None:
    emb = client.embeddings.create(model="text-embedding-3-small", input=["alpha beta", "gamma"])

    assert srv.requests[0].body["encoding_format"] == "base64"
    assert srv.requests[0].api == "openai-embeddings"
    assert srv.requests[0].inputs == ["alpha beta", "gamma"]
    assert [d.index for d in emb.data] == [0, 1]
    for d, text in zip(emb.data, ["alpha beta", "gamma"], strict=True):
        assert len(d.embedding) == 64
        assert d.embedding == pytest.approx(fake_embedding(text), abs=1e-6)
        assert math.isclose(math.fsum(v * v for v in d.embedding), 1.0, rel_tol=1e-5)
    assert emb.usage.prompt_tokens == count_tokens("alpha beta") + count_tokens("gamma")


def test_float_embeddings_dimensions_and_determinism(srv: FakeLLMServer, client: OpenAI) -> None:
    a = client.embeddings.create(
        model="e", input="Budget review", encoding_format="float", dimensions=16
    )
    b = client.embeddings.create(model="e", input="budget review", encoding_format="float")
    srv.embedding_dim = 8
    c = client.embeddings.create(model="e", input="budget review", encoding_format="float")

    assert len(a.data[0].embedding) == 16
    assert a.data[0].embedding == fake_embedding("Budget review", 16)
    assert len(b.data[0].embedding) == 64
    assert len(c.data[0].embedding) == 8


def test_fake_embedding_similarity_follows_shared_words() -> None:
    def cos(x: list[float], y: list[float]) -> float:
        return sum(p * q for p, q in zip(x, y, strict=True))

    base = fake_embedding("what are the action items from the budget meeting", 256)
    near = fake_embedding("What are the action items from the budget meeting?", 256)
    far = fake_embedding("quarterly revenue grew in emerging markets", 256)
    assert cos(base, near) == pytest.approx(1.0)
    assert cos(base, far) < 0.5
    assert fake_embedding("", 8) == fake_embedding("", 8)
    assert math.isclose(math.fsum(v * v for v in fake_embedding("!!!", 8)), 1.0)


def test_token_id_inputs_embed_like_their_text(srv: FakeLLMServer, client: OpenAI) -> None:
    from minutes.tokens import encoding

    ids = encoding().encode("decisions and owners")
    emb = client.embeddings.create(model="e", input=[ids], encoding_format="float")
    assert emb.data[0].embedding == pytest.approx(fake_embedding("decisions and owners"))
    assert srv.requests[0].inputs == ["decisions and owners"]


def test_models_lists_configured_and_scripted(srv: FakeLLMServer, client: OpenAI) -> None:
    srv.models = ["gpt-4o-mini"]
    srv.script("gpt-4-turbo", "x")
    assert [m.id for m in client.models.list()] == ["gpt-4o-mini", "gpt-4-turbo"]


def test_forced_function_call_returns_content_as_arguments(
    srv: FakeLLMServer, client: OpenAI
) -> None:
    tool: ChatCompletionToolParam = {
        "type": "function",
        "function": {"name": "Notes", "parameters": {"type": "object", "properties": {}}},
    }
    srv.script("m", '{"title": "Sync"}')
    done = client.chat.completions.create(
        model="m",
        messages=USER,
        tools=[tool],
        tool_choice={"type": "function", "function": {"name": "Notes"}},
    )
    message = done.choices[0].message
    assert message.content is None
    assert message.tool_calls is not None
    call = message.tool_calls[0]
    assert call.function.name == "Notes"  # type: ignore[union-attr]
    assert call.function.arguments == '{"title": "Sync"}'  # type: ignore[union-attr]
    assert done.choices[0].finish_reason == "tool_calls"


def test_bad_request_body_is_a_400_and_consumes_nothing(srv: FakeLLMServer, client: OpenAI) -> None:
    import httpx

    srv.script(None, "kept")
    r = httpx.post(f"{srv.openai_base_url}/chat/completions", content=b"not json")
    assert r.status_code == 400
    assert r.json()["error"]["type"] == "invalid_request_error"
    assert srv.pending() == 1
