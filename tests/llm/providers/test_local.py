"""ChatLocalGGUF against the real SmolLM2-135M-Instruct GGUF (in-process llama.cpp).

Tests marked ``llamacpp`` need the ``[local]`` extra and fail loudly without it; the rest run
anywhere. ``max_tokens`` stays small so the whole module takes a few seconds.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
import time
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

import pytest
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel

from minutes.errors import BadRequest, ProviderUnavailable
from minutes.llm.providers import local
from minutes.llm.providers.local import (
    DEFAULT_N_CTX,
    INSTALL_HINT,
    ChatLocalGGUF,
    default_gguf_path,
    local_available,
)

MAX_TOKENS = 24


class Priority(BaseModel):
    """A flat schema: an enum inline in the property."""

    priority: Literal["high", "normal", "low"]


class Level(StrEnum):
    high = "high"
    low = "low"


class Triage(BaseModel):
    """A schema with ``$defs`` and a ``$ref``, as pydantic emits for an Enum class."""

    level: Level
    urgent: bool


PRIORITY_PROMPT = [
    SystemMessage("You classify the priority of action items."),
    HumanMessage("Action item: 'Fix the production outage today.' Reply in JSON."),
]


@pytest.fixture(scope="module")
def model(smollm2_gguf: str) -> ChatLocalGGUF:
    # A fixed seed and greedy decoding keep replies stable from run to run.
    return ChatLocalGGUF(model_path=smollm2_gguf, max_tokens=MAX_TOKENS, seed=0)


def spy_on_llama(model: ChatLocalGGUF, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Record every raw ``create_chat_completion`` reply of the model's shared Llama."""
    llama = local._load(model.model_path, model.n_ctx, model.n_threads, "spy").llama
    original = llama.create_chat_completion
    replies: list[dict[str, Any]] = []

    def spy(**kwargs: Any) -> Any:
        reply = original(**kwargs)
        replies.append(reply)
        return reply

    monkeypatch.setattr(llama, "create_chat_completion", spy)
    return replies


# --- generation ---------------------------------------------------------------------------


@pytest.mark.llamacpp
def test_invoke_returns_text_and_the_usage_llamacpp_reported(
    model: ChatLocalGGUF, monkeypatch: pytest.MonkeyPatch
) -> None:
    replies = spy_on_llama(model, monkeypatch)

    message = model.invoke([SystemMessage("You are terse."), HumanMessage("Name three fruits.")])

    assert isinstance(message.content, str) and message.content.strip()
    [reply] = replies
    usage = reply["usage"]
    # The chat template wraps both messages, so the prompt is well over the ~10 words typed.
    assert usage["prompt_tokens"] > 10
    assert 0 < usage["completion_tokens"] <= MAX_TOKENS
    assert message.usage_metadata == {
        "input_tokens": usage["prompt_tokens"],
        "output_tokens": usage["completion_tokens"],
        "total_tokens": usage["prompt_tokens"] + usage["completion_tokens"],
    }
    meta = message.response_metadata
    assert meta["model_provider"] == "local"
    assert meta["model_name"] == Path(model.model_path).stem
    assert meta["finish_reason"] == reply["choices"][0]["finish_reason"]
    assert meta["token_usage"]["prompt_tokens"] == usage["prompt_tokens"]
    assert meta["token_usage"]["completion_tokens"] == usage["completion_tokens"]


@pytest.mark.llamacpp
def test_per_call_max_tokens_caps_the_reply(model: ChatLocalGGUF) -> None:
    message = model.invoke("Tell me a long story about a dragon.", max_tokens=4)

    assert message.usage_metadata is not None
    assert message.usage_metadata["output_tokens"] == 4
    assert message.response_metadata["finish_reason"] == "length"


@pytest.mark.llamacpp
def test_models_with_the_same_file_and_context_share_one_llama(smollm2_gguf: str) -> None:
    a = local._load(smollm2_gguf, DEFAULT_N_CTX, None, "a")
    b = local._load(str(Path(smollm2_gguf).parent / "." / Path(smollm2_gguf).name), 4096, None, "b")
    assert a is b


# --- JSON constrained by a schema ---------------------------------------------------------


@pytest.mark.llamacpp
async def test_json_schema_per_call_yields_valid_json(model: ChatLocalGGUF) -> None:
    message = await model.ainvoke(PRIORITY_PROMPT, json_schema=Priority.model_json_schema())

    assert isinstance(message.content, str)
    Priority.model_validate(json.loads(message.content))


@pytest.mark.llamacpp
async def test_json_schema_with_defs_and_refs_through_bind(model: ChatLocalGGUF) -> None:
    schema = Triage.model_json_schema()
    assert "$defs" in schema  # the case under test: the grammar must resolve the $ref

    message = await model.bind(json_schema=schema).ainvoke(PRIORITY_PROMPT, max_tokens=48)

    assert isinstance(message.content, str)
    Triage.model_validate_json(message.content)


@pytest.mark.llamacpp
def test_json_schema_as_a_field_and_openai_response_format(smollm2_gguf: str) -> None:
    schema = Priority.model_json_schema()
    constrained = ChatLocalGGUF(model_path=smollm2_gguf, max_tokens=MAX_TOKENS, json_schema=schema)
    Priority.model_validate_json(str(constrained.invoke(PRIORITY_PROMPT).content))

    plain = ChatLocalGGUF(model_path=smollm2_gguf, max_tokens=MAX_TOKENS)
    openai_style = {"type": "json_schema", "json_schema": {"name": "p", "schema": schema}}
    reply = plain.invoke(PRIORITY_PROMPT, response_format=openai_style)
    Priority.model_validate_json(str(reply.content))


@pytest.mark.llamacpp
def test_a_schema_llamacpp_cannot_compile_is_a_bad_request(model: ChatLocalGGUF) -> None:
    # llama-cpp-python itself would fall back silently to unconstrained JSON here.
    with pytest.raises(BadRequest, match="grammar"):
        model.invoke("hi", json_schema={"type": "no-such-type"})


# --- concurrency --------------------------------------------------------------------------


@pytest.mark.llamacpp
async def test_concurrent_ainvokes_all_succeed_one_at_a_time_off_the_loop(
    model: ChatLocalGGUF, monkeypatch: pytest.MonkeyPatch
) -> None:
    llama = local._load(model.model_path, model.n_ctx, model.n_threads, "spy").llama
    original = llama.create_chat_completion
    guard = threading.Lock()
    active = 0
    peak = 0

    def counting(**kwargs: Any) -> Any:
        nonlocal active, peak
        with guard:
            active += 1
            peak = max(peak, active)
        try:
            return original(**kwargs)
        finally:
            with guard:
                active -= 1

    monkeypatch.setattr(llama, "create_chat_completion", counting)

    ticks = 0
    done = asyncio.Event()

    async def ticker() -> None:
        # Counts how often the event loop gets to run while the three calls are in flight.
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            await asyncio.sleep(0.01)

    tick_task = asyncio.create_task(ticker())
    started = time.perf_counter()
    messages = await asyncio.gather(
        *(model.ainvoke(f"Say hello to person number {i}.", max_tokens=16) for i in range(3))
    )
    elapsed = time.perf_counter() - started
    done.set()
    await tick_task

    assert len(messages) == 3
    for message in messages:
        assert isinstance(message.content, str) and message.content.strip()
        assert message.usage_metadata is not None
        assert message.usage_metadata["output_tokens"] > 0
    assert peak == 1, "calls on one Llama must not overlap"
    # Had the calls blocked the loop, the ticker would have run about once between them.
    assert ticks >= 10, f"event loop starved: {ticks} ticks in {elapsed:.2f}s"


# --- failures -----------------------------------------------------------------------------


@pytest.mark.llamacpp
async def test_missing_gguf_is_provider_unavailable(tmp_path: Path) -> None:
    missing = tmp_path / "nope.gguf"
    chat = ChatLocalGGUF(model_path=str(missing), max_tokens=4)

    with pytest.raises(ProviderUnavailable, match="GGUF file not found") as caught:
        chat.invoke("hi")
    assert caught.value.provider == "local"
    assert caught.value.retryable  # so the fallback chain moves on rather than giving up

    with pytest.raises(ProviderUnavailable, match="GGUF file not found"):
        await chat.ainvoke("hi")


@pytest.mark.llamacpp
def test_a_file_llamacpp_cannot_load_is_provider_unavailable(tmp_path: Path) -> None:
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"this is not a GGUF file" * 100)

    with pytest.raises(ProviderUnavailable, match="cannot load GGUF model") as caught:
        ChatLocalGGUF(model_path=str(broken), max_tokens=4).invoke("hi")
    assert caught.value.provider == "local"


@pytest.mark.llamacpp
def test_a_prompt_longer_than_the_context_is_a_bad_request(smollm2_gguf: str) -> None:
    # 64 becomes 256, the context llama.cpp really allocates: a ~90-token prompt then fits
    # (with a 64-token buffer llama-cpp-python would crash on it), a ~420-token one does not.
    tiny = ChatLocalGGUF(model_path=smollm2_gguf, n_ctx=64, max_tokens=4)
    assert tiny.n_ctx == 256
    assert ChatLocalGGUF(model_path=smollm2_gguf, n_ctx=300).n_ctx == 512

    reply = tiny.invoke("word " * 60)
    assert reply.usage_metadata is not None
    assert 64 < reply.usage_metadata["input_tokens"] < 256

    with pytest.raises(BadRequest, match=r"exceed context window of 256"):
        tiny.invoke("word " * 400)


def test_unknown_call_options_are_a_bad_request() -> None:
    chat = ChatLocalGGUF(model_path="/unused.gguf")

    with pytest.raises(BadRequest, match="does not accept tools"):
        chat.invoke("hi", tools=[])


# --- availability -------------------------------------------------------------------------


@pytest.mark.llamacpp
def test_local_available_with_the_default_model(smollm2_gguf: str) -> None:
    assert default_gguf_path() == smollm2_gguf
    assert smollm2_gguf.endswith(".gguf") and Path(smollm2_gguf).is_file()
    assert local_available(None) == (True, smollm2_gguf)
    assert local_available(smollm2_gguf) == (True, smollm2_gguf)


@pytest.mark.llamacpp
def test_local_available_without_the_file(tmp_path: Path) -> None:
    missing = str(tmp_path / "missing.gguf")

    ok, why = local_available(missing)

    assert not ok
    assert why == f"GGUF file not found: {missing}"


def test_local_available_without_llama_cpp(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(local, "_llama_import_error", lambda: INSTALL_HINT)

    ok, why = local_available(None)

    assert not ok
    assert "llama-cpp-python is not installed" in why
    assert "minutes[local]" in why


def test_module_imports_and_reports_cleanly_when_llama_cpp_is_missing() -> None:
    # A fresh interpreter where ``import llama_cpp`` fails, as it does without the extra.
    code = """
import sys
sys.modules["llama_cpp"] = None  # makes any import of llama_cpp raise ImportError
from minutes.errors import ProviderUnavailable
from minutes.llm.providers.local import ChatLocalGGUF, local_available
ok, why = local_available(None)
assert not ok and "not installed" in why, why
try:
    ChatLocalGGUF(model_path="/x.gguf").invoke("hi")
except ProviderUnavailable as exc:
    assert "not installed" in str(exc), exc
else:
    raise AssertionError("no ProviderUnavailable")
print("ok")
"""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


@pytest.mark.llamacpp
def test_the_model_loads_in_a_process_that_searched_the_semantic_cache(
    smollm2_gguf: str, tmp_path: Path
) -> None:
    # A CLI run may search the cache's vector index on SQLite before it loads the local
    # model. usearch, the index library used before, linked its own C++ runtime, and every
    # llama.cpp load after its import failed (std::bad_cast in the vocabulary). A fresh
    # interpreter, so that no earlier test decides the import order.
    code = f"""
import datetime as dt
import numpy as np
from minutes.store.cache_store import CacheStore, NewEntry
from minutes.store.db import open_store
from minutes.llm.providers.local import ChatLocalGGUF
store = open_store("sqlite:///{tmp_path / "c.db"}")
v = np.ones(8, dtype=np.float32) / np.sqrt(8)
at = dt.datetime(2026, 12, 1)
CacheStore(store).put(NewEntry("k", "s", "m", "cached", embedding=v, created_at=at))
assert CacheStore(store).nearest("s", v, min_created=at).text == "cached"
print(store.vectors.name)
print(ChatLocalGGUF(model_path={smollm2_gguf!r}, max_tokens=4, seed=0).invoke("Hi").content != "")
"""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["hnswlib", "True"]


@pytest.mark.llamacpp
def test_from_entry_caps_the_context_and_names_the_model() -> None:
    from minutes.llm.registry import load_registry

    entry = load_registry()["local"]
    chat = ChatLocalGGUF.from_entry(entry)

    assert entry.context_window > DEFAULT_N_CTX  # else the cap is not exercised
    assert chat.n_ctx == DEFAULT_N_CTX
    assert chat.model_path == default_gguf_path()
    assert chat.model_name == entry.model_id
    assert chat.max_tokens == entry.max_output_tokens
    assert ChatLocalGGUF.from_entry(entry, n_ctx=1024).n_ctx == 1024


def test_json_options_map_to_llamacpp_response_format() -> None:
    # The request is built before any model loads, so this runs without the extra.
    chat = ChatLocalGGUF(model_path="/unused.gguf", json_mode=True)
    messages = [HumanMessage("hi")]

    def response_format(**call: Any) -> Any:
        return chat._request(messages, None, call).get("response_format")

    assert response_format() == {"type": "json_object"}
    assert response_format(json_mode=False) is None
    assert response_format(response_format={"type": "text"}) is None
    assert response_format(response_format={"type": "json_object"}) == {"type": "json_object"}
    with pytest.raises(BadRequest, match="unsupported response_format"):
        response_format(response_format={"type": "xml"})
