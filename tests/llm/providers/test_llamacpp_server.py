"""The OpenAI SDK path the project uses, against a real llama-cpp-python server with SmolLM2.

What these tests pin down about the server (0.3.x):

- any ``model`` string is served (unknown names fall back to its one model) and echoed back;
- ``response_format={"type": "json_object", "schema": {...}}`` constrains the reply to the
  schema (OpenAI's ``{"type": "json_schema", ...}`` is *not* accepted: HTTP 500);
- it honours ``max_tokens`` but ignores ``max_completion_tokens``, which is what
  ``ChatOpenAI(max_tokens=...)`` sends, so a cap must also go in ``extra_body``;
- ``usage`` carries llama.cpp's real prompt and completion token counts.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal

import httpx
import openai
import pytest
from langchain_openai import ChatOpenAI
from pydantic import BaseModel

if TYPE_CHECKING:  # conftest modules are not importable at run time
    from conftest import LlamaCppServer

pytestmark = pytest.mark.llamacpp

MAX_TOKENS = 24


class Priority(BaseModel):
    priority: Literal["high", "normal", "low"]


PRIORITY_MESSAGES = [
    {"role": "system", "content": "You classify the priority of action items."},
    {"role": "user", "content": "Action item: 'Fix the production outage today.' Reply in JSON."},
]


class WireLog:
    """Every chat-completion request body and response body that went over the wire."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.responses: list[dict[str, Any]] = []

    def on_request(self, request: httpx.Request) -> None:
        if request.url.path.endswith("/chat/completions"):
            self.requests.append(json.loads(request.content))

    def on_response(self, response: httpx.Response) -> None:
        if response.request.url.path.endswith("/chat/completions"):
            response.read()
            self.responses.append(response.json())


@pytest.fixture
def wire() -> Iterator[tuple[WireLog, httpx.Client]]:
    """An httpx client for the OpenAI SDK that records what the server really said."""
    log = WireLog()
    client = httpx.Client(
        event_hooks={"request": [log.on_request], "response": [log.on_response]},
        timeout=60,
    )
    with client:
        yield log, client


def chat_model(
    server: LlamaCppServer, http_client: httpx.Client, max_tokens: int = MAX_TOKENS, **kwargs: Any
) -> ChatOpenAI:
    """ChatOpenAI configured as the project configures it, greedy and capped."""
    return ChatOpenAI(
        model=server.model,
        base_url=server.base_url,
        api_key="unused",
        max_retries=0,
        timeout=60,
        temperature=0,
        seed=0,
        max_tokens=max_tokens,
        # ChatOpenAI sends max_tokens as max_completion_tokens, which llama-cpp's server
        # ignores (it would generate until the context is full); max_tokens in the body works.
        extra_body={"max_tokens": max_tokens},
        http_client=http_client,
        **kwargs,
    )


def test_the_fixture_reports_the_model_the_server_lists(llamacpp_server: LlamaCppServer) -> None:
    listed = httpx.get(f"{llamacpp_server.base_url}/models", timeout=10).json()
    assert [m["id"] for m in listed["data"]] == [llamacpp_server.model]
    assert llamacpp_server.base_url.endswith("/v1")
    assert llamacpp_server.process.poll() is None


def test_chat_openai_reply_and_usage_match_the_server(
    llamacpp_server: LlamaCppServer, wire: tuple[WireLog, httpx.Client]
) -> None:
    log, client = wire
    model = chat_model(llamacpp_server, client)

    message = model.invoke("Name three fruits.")

    assert isinstance(message.content, str) and message.content.strip()
    [body] = log.responses
    usage = body["usage"]
    assert usage["prompt_tokens"] > 5
    assert 0 < usage["completion_tokens"] <= MAX_TOKENS
    assert message.usage_metadata is not None
    assert message.usage_metadata["input_tokens"] == usage["prompt_tokens"]
    assert message.usage_metadata["output_tokens"] == usage["completion_tokens"]
    assert message.usage_metadata["total_tokens"] == usage["total_tokens"]
    assert message.response_metadata["model_name"] == llamacpp_server.model
    assert message.response_metadata["finish_reason"] in {"stop", "length"}


def test_chat_openai_max_tokens_reaches_the_server(
    llamacpp_server: LlamaCppServer, wire: tuple[WireLog, httpx.Client]
) -> None:
    log, client = wire
    model = chat_model(llamacpp_server, client, max_tokens=3)

    message = model.invoke("Tell me a long story about a dragon.")

    [request] = log.requests
    assert "max_completion_tokens" in request  # what ChatOpenAI sends for max_tokens
    assert request["max_tokens"] == 3  # what the server reads
    assert message.usage_metadata is not None
    assert message.usage_metadata["output_tokens"] == 3
    assert message.response_metadata["finish_reason"] == "length"


def test_json_object_with_schema_constrains_the_reply(
    llamacpp_server: LlamaCppServer, wire: tuple[WireLog, httpx.Client]
) -> None:
    _, client = wire
    response_format = {"type": "json_object", "schema": Priority.model_json_schema()}

    via_bind = chat_model(llamacpp_server, client).bind(response_format=response_format)
    reply = via_bind.invoke(PRIORITY_MESSAGES)
    Priority.model_validate_json(str(reply.content))

    via_model_kwargs = chat_model(
        llamacpp_server, client, model_kwargs={"response_format": response_format}
    )
    reply = via_model_kwargs.invoke(PRIORITY_MESSAGES)
    Priority.model_validate_json(str(reply.content))


def test_raw_openai_client_sees_the_same_usage(
    llamacpp_server: LlamaCppServer, wire: tuple[WireLog, httpx.Client]
) -> None:
    log, client = wire
    messages = [{"role": "user", "content": "Say hello."}]
    sdk = openai.OpenAI(
        base_url=llamacpp_server.base_url, api_key="unused", max_retries=0, http_client=client
    )

    raw = sdk.chat.completions.create(
        model=llamacpp_server.model,
        messages=messages,  # type: ignore[arg-type]
        max_tokens=MAX_TOKENS,
        temperature=0,
        seed=0,
    )
    lc = chat_model(llamacpp_server, client).invoke("Say hello.")

    assert raw.usage is not None
    assert raw.choices[0].message.content
    assert raw.usage.prompt_tokens == log.responses[0]["usage"]["prompt_tokens"]
    assert raw.usage.completion_tokens == log.responses[0]["usage"]["completion_tokens"]
    # The same greedy request through ChatOpenAI: the same counts.
    assert lc.usage_metadata is not None
    assert lc.usage_metadata["input_tokens"] == raw.usage.prompt_tokens
    assert lc.usage_metadata["output_tokens"] == raw.usage.completion_tokens


def test_any_model_name_is_served_and_echoed(
    llamacpp_server: LlamaCppServer, wire: tuple[WireLog, httpx.Client]
) -> None:
    _, client = wire
    sdk = openai.OpenAI(
        base_url=llamacpp_server.base_url, api_key="unused", max_retries=0, http_client=client
    )

    reply = sdk.chat.completions.create(
        model="some-registry-model-id",
        messages=[{"role": "user", "content": "Hi"}],
        max_tokens=4,
    )

    assert reply.model == "some-registry-model-id"
    assert reply.usage is not None and reply.usage.completion_tokens > 0
