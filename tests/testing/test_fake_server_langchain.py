"""LangChain chat models and embeddings against the fake server: content and usage_metadata."""

from __future__ import annotations

import pytest
from langchain_anthropic import ChatAnthropic
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, SystemMessage
from langchain_deepseek import ChatDeepSeek
from langchain_ollama import ChatOllama, OllamaEmbeddings
from langchain_openai import ChatOpenAI, OpenAIEmbeddings
from pydantic import BaseModel, SecretStr

from minutes.testing import FakeLLMServer, Reply, fake_embedding
from minutes.tokens import count_tokens

PROMPT = [SystemMessage("You take notes."), HumanMessage("Alice: ship Friday.")]
KEY = SecretStr("sk-test")
SCRIPTED = Reply('{"title": "Sync"}', input_tokens=120, output_tokens=30, cached_tokens=20)


class Notes(BaseModel):
    title: str


def _usage(message: AIMessage) -> tuple[int, int, int, int | None]:
    usage = message.usage_metadata
    assert usage is not None
    details = usage.get("input_token_details") or {}
    return (
        usage["input_tokens"],
        usage["output_tokens"],
        usage["total_tokens"],
        details.get("cache_read"),
    )


def test_chat_openai_invoke_usage_metadata(srv: FakeLLMServer) -> None:
    srv.script("gpt-4-turbo", SCRIPTED)
    llm = ChatOpenAI(model="gpt-4-turbo", base_url=srv.openai_base_url, api_key=KEY, max_retries=0)
    out = llm.invoke(PROMPT)

    assert out.content == '{"title": "Sync"}'
    assert _usage(out) == (120, 30, 150, 20)
    assert srv.requests[0].messages[0] == {"role": "system", "content": "You take notes."}


async def test_chat_openai_astream_with_usage(srv: FakeLLMServer) -> None:
    srv.script("gpt-4o-mini", Reply("streamed notes here", input_tokens=9, output_tokens=3))
    llm = ChatOpenAI(
        model="gpt-4o-mini",
        base_url=srv.openai_base_url,
        api_key=KEY,
        max_retries=0,
        stream_usage=True,
    )
    total: AIMessageChunk | None = None
    async for chunk in llm.astream(PROMPT):
        total = chunk if total is None else total + chunk

    assert total is not None
    assert total.content == "streamed notes here"
    assert total.usage_metadata is not None
    assert (total.usage_metadata["input_tokens"], total.usage_metadata["output_tokens"]) == (9, 3)
    assert srv.requests[0].body["stream_options"] == {"include_usage": True}


@pytest.mark.parametrize("method", ["json_schema", "function_calling", "json_mode"])
def test_chat_openai_structured_output(srv: FakeLLMServer, method: str) -> None:
    srv.script("gpt-4o", '{"title": "Weekly sync"}')
    llm = ChatOpenAI(model="gpt-4o", base_url=srv.openai_base_url, api_key=KEY, max_retries=0)
    notes = llm.with_structured_output(Notes, method=method).invoke(PROMPT)  # type: ignore[arg-type]
    assert notes == Notes(title="Weekly sync")


def test_chat_anthropic_invoke_usage_metadata(srv: FakeLLMServer) -> None:
    srv.script("claude-test", SCRIPTED)
    llm = ChatAnthropic(  # type: ignore[call-arg]
        model="claude-test", base_url=srv.anthropic_base_url, api_key=KEY, max_retries=0
    )
    out = llm.invoke(PROMPT)

    assert out.content == '{"title": "Sync"}'
    # LangChain adds the cache reads back onto Anthropic's input_tokens: the totals match OpenAI.
    assert _usage(out) == (120, 30, 150, 20)
    assert srv.requests[0].messages[0] == {"role": "system", "content": "You take notes."}


async def test_chat_anthropic_astream_usage(srv: FakeLLMServer) -> None:
    srv.script("claude-test", Reply("a b", input_tokens=40, output_tokens=2, cached_tokens=8))
    llm = ChatAnthropic(  # type: ignore[call-arg]
        model="claude-test", base_url=srv.anthropic_base_url, api_key=KEY, max_retries=0
    )
    total: AIMessageChunk | None = None
    async for chunk in llm.astream(PROMPT):
        total = chunk if total is None else total + chunk

    assert total is not None and total.content == "a b"
    assert _usage(total) == (40, 2, 42, 8)


def test_chat_anthropic_structured_output_uses_forced_tool(srv: FakeLLMServer) -> None:
    srv.script("claude-test", '{"title": "Board meeting"}')
    llm = ChatAnthropic(  # type: ignore[call-arg]
        model="claude-test", base_url=srv.anthropic_base_url, api_key=KEY, max_retries=0
    )
    notes = llm.with_structured_output(Notes).invoke(PROMPT)

    assert notes == Notes(title="Board meeting")
    assert srv.requests[0].body["tool_choice"]["type"] == "tool"


def test_chat_ollama_invoke_streams_by_default(srv: FakeLLMServer) -> None:
    srv.script("llama3.2", Reply("local notes", input_tokens=33, output_tokens=2))
    llm = ChatOllama(model="llama3.2", base_url=srv.ollama_base_url, validate_model_on_init=True)
    out = llm.invoke(PROMPT)

    assert out.content == "local notes"
    assert _usage(out)[:3] == (33, 2, 35)
    chat = srv.requests[-1]
    assert chat.api == "ollama"
    assert chat.body["stream"] is True
    assert chat.messages == [
        {"role": "system", "content": "You take notes."},
        {"role": "user", "content": "Alice: ship Friday."},
    ]


def test_chat_deepseek_invoke_usage_metadata(srv: FakeLLMServer) -> None:
    srv.script("deepseek-chat", SCRIPTED)
    llm = ChatDeepSeek(  # type: ignore[call-arg]  # api_base is declared under its alias
        model="deepseek-chat", api_base=srv.openai_base_url, api_key=KEY, max_retries=0
    )
    out = llm.invoke(PROMPT)

    assert out.content == '{"title": "Sync"}'
    assert _usage(out) == (120, 30, 150, 20)
    assert srv.requests[0].path == "/v1/chat/completions"


def test_langchain_embeddings(srv: FakeLLMServer) -> None:
    openai_emb = OpenAIEmbeddings(
        model="text-embedding-3-small",
        base_url=srv.openai_base_url,
        api_key=KEY,
        max_retries=0,
        check_embedding_ctx_length=False,  # would tokenize with tiktoken's downloaded files
    )
    ollama_emb = OllamaEmbeddings(model="nomic-embed-text", base_url=srv.ollama_base_url)

    assert openai_emb.embed_documents(["x y", "z"])[1] == pytest.approx(fake_embedding("z"))
    assert openai_emb.embed_query("x y") == pytest.approx(fake_embedding("x y"))
    assert ollama_emb.embed_query("x y") == pytest.approx(fake_embedding("x y"))
    assert srv.calls(api="openai-embeddings") == 2
    assert srv.calls(api="ollama-embeddings") == 1


def test_default_usage_counts_text_for_langchain_too(srv: FakeLLMServer) -> None:
    llm = ChatOpenAI(model="m", base_url=srv.openai_base_url, api_key=KEY, max_retries=0)
    out = llm.invoke("hello there")
    assert out.content == "ok"
    assert _usage(out)[:2] == (count_tokens("hello there"), count_tokens("ok"))
