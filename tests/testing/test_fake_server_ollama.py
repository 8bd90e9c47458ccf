"""The Ollama wire format, driven through the real ollama client over HTTP."""

from __future__ import annotations

import httpx
import ollama
import pytest

from minutes.testing import FakeLLMServer, Reply, fake_embedding
from minutes.tokens import count_tokens

MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Summarise."}]


@pytest.fixture
def client(srv: FakeLLMServer) -> ollama.Client:
    return ollama.Client(host=srv.ollama_base_url, timeout=5)


def test_chat_non_stream_with_token_counts(srv: FakeLLMServer, client: ollama.Client) -> None:
    srv.script("llama3.2", Reply("Ship Friday.", input_tokens=42, output_tokens=4))
    res = client.chat(model="llama3.2", messages=MESSAGES)

    assert res.message.content == "Ship Friday."
    assert res.done is True
    assert res.done_reason == "stop"
    assert (res.prompt_eval_count, res.eval_count) == (42, 4)
    assert res.total_duration and res.eval_duration and res.prompt_eval_duration
    assert srv.requests[0].body["stream"] is False
    assert srv.requests[0].stream is False


def test_chat_stream_is_ndjson_with_stats_on_last(
    srv: FakeLLMServer, client: ollama.Client
) -> None:
    srv.script("llama3.2", "a b c")
    parts = list(client.chat(model="llama3.2", messages=MESSAGES, stream=True))

    assert "".join(p.message.content or "" for p in parts) == "a b c"
    assert [p.done for p in parts] == [False, False, False, True]
    assert parts[-1].prompt_eval_count == count_tokens("Be brief.\nSummarise.")
    assert parts[-1].eval_count == count_tokens("a b c")


def test_stream_is_the_default_when_the_field_is_missing(srv: FakeLLMServer) -> None:
    r = httpx.post(f"{srv.ollama_base_url}/api/chat", json={"model": "m", "messages": []})
    assert r.headers["content-type"].startswith("application/x-ndjson")
    assert r.text.count("\n") == 2  # "ok" then the done object


async def test_async_client_chat(srv: FakeLLMServer) -> None:
    srv.script(None, "async ollama")
    client = ollama.AsyncClient(host=srv.ollama_base_url)
    res = await client.chat(model="qwen", messages=MESSAGES)
    assert res.message.content == "async ollama"


def test_tags_version_and_embed(srv: FakeLLMServer, client: ollama.Client) -> None:
    srv.models = ["llama3.2"]
    srv.script("qwen2.5:7b", "x")
    assert [m.model for m in client.list().models] == ["llama3.2:latest", "qwen2.5:7b"]
    assert httpx.get(f"{srv.ollama_base_url}/api/version").json()["version"]

    res = client.embed(model="nomic-embed-text", input=["one", "two"])
    assert len(res.embeddings) == 2
    assert list(res.embeddings[1]) == pytest.approx(fake_embedding("two"))
    assert srv.requests[-1].api == "ollama-embeddings"
