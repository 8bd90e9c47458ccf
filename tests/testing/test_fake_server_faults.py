"""Each fault makes each SDK raise its own exception class; stalls neither block nor linger."""

from __future__ import annotations

import asyncio
import functools
import json
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import anthropic
import httpx
import ollama
import openai
import pytest
from langchain_anthropic import ChatAnthropic
from langchain_openai import ChatOpenAI
from pydantic import SecretStr

from minutes.testing import FakeLLMServer, Fault, Reply

HI = [{"role": "user", "content": "hi"}]
KEY = SecretStr("k")
Call = Callable[[FakeLLMServer, float], Any]


# Clients are cached per server URL: building one (an SSL context each) costs more than a call.
@functools.cache
def _openai_client(base_url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=base_url, api_key="k", max_retries=0)


@functools.cache
def _anthropic_client(base_url: str) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=base_url, api_key="k", max_retries=0)


@functools.cache
def _ollama_client(host: str, timeout: float) -> ollama.Client:
    return ollama.Client(host=host, timeout=timeout)


def _openai(srv: FakeLLMServer, timeout: float) -> Any:
    client = _openai_client(srv.openai_base_url).with_options(timeout=timeout)
    return client.chat.completions.create(model="m", messages=HI)  # type: ignore[arg-type]


def _openai_stream(srv: FakeLLMServer, timeout: float) -> Any:
    client = _openai_client(srv.openai_base_url).with_options(timeout=timeout)
    return list(client.chat.completions.create(model="m", messages=HI, stream=True))  # type: ignore[arg-type]


def _anthropic(srv: FakeLLMServer, timeout: float) -> Any:
    client = _anthropic_client(srv.anthropic_base_url).with_options(timeout=timeout)
    return client.messages.create(model="m", max_tokens=5, messages=HI)  # type: ignore[arg-type]


def _anthropic_stream(srv: FakeLLMServer, timeout: float) -> Any:
    client = _anthropic_client(srv.anthropic_base_url).with_options(timeout=timeout)
    return list(client.messages.create(model="m", max_tokens=5, messages=HI, stream=True))  # type: ignore[arg-type]


def _ollama(srv: FakeLLMServer, timeout: float) -> Any:
    return _ollama_client(srv.ollama_base_url, timeout).chat(model="m", messages=HI)


def _ollama_stream(srv: FakeLLMServer, timeout: float) -> Any:
    client = _ollama_client(srv.ollama_base_url, timeout)
    return list(client.chat(model="m", messages=HI, stream=True))


def _embeddings(srv: FakeLLMServer, timeout: float) -> Any:
    client = _openai_client(srv.openai_base_url).with_options(timeout=timeout)
    return client.embeddings.create(model="m", input="x")


ALL_CALLS = [_openai, _openai_stream, _anthropic, _anthropic_stream, _ollama, _ollama_stream]


# (fault, openai class, anthropic class): ollama raises ResponseError with .status_code always.
STATUS_CASES = [
    (Fault.rate_limit(retry_after=1.5), openai.RateLimitError, anthropic.RateLimitError),
    (Fault.status(500), openai.InternalServerError, anthropic.InternalServerError),
    (Fault.status(503), openai.InternalServerError, anthropic.ServiceUnavailableError),
    (Fault.status(529), openai.InternalServerError, anthropic.OverloadedError),
    (Fault.status(401), openai.AuthenticationError, anthropic.AuthenticationError),
    (Fault.status(403), openai.PermissionDeniedError, anthropic.PermissionDeniedError),
    (Fault.status(400, "bad prompt"), openai.BadRequestError, anthropic.BadRequestError),
    (Fault.status(404), openai.NotFoundError, anthropic.NotFoundError),
]


@pytest.mark.parametrize("call", ALL_CALLS, ids=lambda c: c.__name__.strip("_"))
@pytest.mark.parametrize(("fault", "openai_exc", "anthropic_exc"), STATUS_CASES)
def test_status_faults_raise_the_sdk_class(
    srv: FakeLLMServer,
    call: Call,
    fault: Fault,
    openai_exc: type[Exception],
    anthropic_exc: type[Exception],
) -> None:
    srv.script("m", fault)
    if call.__name__.startswith("_openai"):
        expected: type[Exception] = openai_exc
    elif call.__name__.startswith("_anthropic"):
        expected = anthropic_exc
    else:
        expected = ollama.ResponseError
    with pytest.raises(expected) as info:
        call(srv, 5)

    err = info.value
    if isinstance(err, ollama.ResponseError):
        assert err.status_code == fault.code
        assert err.error == fault.error_message
    else:
        assert isinstance(err, openai.APIStatusError | anthropic.APIStatusError)
        assert err.status_code == fault.code
        assert fault.error_message in str(err)
    if fault.retry_after is not None and not isinstance(err, ollama.ResponseError):
        assert isinstance(err, openai.APIStatusError | anthropic.APIStatusError)
        assert err.response.headers["retry-after"] == "1.5"
    assert srv.calls(model="m") == 1


def test_provider_error_bodies(srv: FakeLLMServer) -> None:
    srv.script(None, *(Fault.rate_limit(retry_after=2) for _ in range(3)))
    o = httpx.post(f"{srv.openai_base_url}/chat/completions", json={"model": "m", "messages": []})
    a = httpx.post(f"{srv.url}/v1/messages", json={"model": "m", "messages": []})
    ol = httpx.post(f"{srv.url}/api/chat", json={"model": "m", "messages": []})

    assert o.status_code == a.status_code == ol.status_code == 429
    assert o.json()["error"]["code"] == "rate_limit_exceeded"
    assert (o.headers["retry-after"], o.headers["retry-after-ms"]) == ("2", "2000")
    assert a.json()["type"] == "error"
    assert a.json()["error"]["type"] == "rate_limit_error"
    assert a.headers["retry-after"] == "2"
    assert ol.json() == {"error": "Fake server: Too Many Requests (429)"}
    assert ol.headers["retry-after"] == "2"


@pytest.mark.parametrize("call", [*ALL_CALLS, _embeddings], ids=lambda c: c.__name__.strip("_"))
def test_malformed_body_fails_to_parse(srv: FakeLLMServer, call: Call) -> None:
    srv.script("m", Fault.malformed())
    # No SDK wraps it: a truncated 200 body surfaces as json.JSONDecodeError (a ValueError).
    with pytest.raises(json.JSONDecodeError):
        call(srv, 5)


def test_malformed_differs_from_broken_json_content(srv: FakeLLMServer) -> None:
    srv.script("m", Reply(content='{"a": 1,'))
    done = _openai(srv, 5)
    assert done.choices[0].message.content == '{"a": 1,'


@pytest.mark.parametrize(
    ("call", "timeout_exc"),
    [
        (_openai, openai.APITimeoutError),
        (_anthropic, anthropic.APITimeoutError),
        (_ollama, httpx.ReadTimeout),
    ],
    ids=["openai", "anthropic", "ollama"],
)
def test_stall_triggers_the_client_timeout(
    srv: FakeLLMServer, call: Call, timeout_exc: type[Exception]
) -> None:
    srv.script("m", Fault.stall(seconds=2))
    started = time.monotonic()
    with pytest.raises(timeout_exc):
        call(srv, 0.3)
    assert time.monotonic() - started < 1.5


def test_langchain_surfaces_sdk_exceptions(srv: FakeLLMServer) -> None:
    srv.script("m", Fault.rate_limit(retry_after=3), Fault.stall(2))
    gpt = ChatOpenAI(model="m", base_url=srv.openai_base_url, api_key=KEY, max_retries=0)
    with pytest.raises(openai.RateLimitError) as info:
        gpt.invoke("hi")
    assert info.value.response.headers["retry-after"] == "3"
    slow = ChatOpenAI(
        model="m", base_url=srv.openai_base_url, api_key=KEY, max_retries=0, timeout=0.3
    )
    with pytest.raises(openai.APITimeoutError):
        slow.invoke("hi")

    srv.script("c", Fault.status(529))
    claude = ChatAnthropic(  # type: ignore[call-arg]
        model="c", base_url=srv.anthropic_base_url, api_key=KEY, max_retries=0
    )
    with pytest.raises(anthropic.OverloadedError):
        claude.invoke("hi")


def test_sdk_retries_honour_retry_after_then_succeed(srv: FakeLLMServer) -> None:
    srv.script("m", Fault.rate_limit(retry_after=0.05), Fault.status(503, retry_after=0.05), "ok!")
    client = openai.OpenAI(base_url=srv.openai_base_url, api_key="k", max_retries=2)
    started = time.monotonic()
    done = client.chat.completions.create(model="m", messages=HI)  # type: ignore[arg-type]

    assert done.choices[0].message.content == "ok!"
    assert srv.calls(model="m") == 3
    assert time.monotonic() - started < 1.0  # waited ~50 ms twice, not the SDK's backoff
    retry_counts = [r.headers["x-stainless-retry-count"] for r in srv.requests]
    assert retry_counts == ["0", "1", "2"]


async def test_stall_does_not_block_other_requests(srv: FakeLLMServer) -> None:
    srv.script("slow", Fault.stall(0.6, then="late"))
    srv.script("fast", "quick")
    client = openai.AsyncOpenAI(base_url=srv.openai_base_url, api_key="k", max_retries=0)

    async def timed(model: str) -> tuple[str | None, float]:
        started = time.monotonic()
        done = await client.chat.completions.create(model=model, messages=HI)  # type: ignore[arg-type]
        return done.choices[0].message.content, time.monotonic() - started

    async with client:
        slow_task = asyncio.create_task(timed("slow"))
        await asyncio.sleep(0.1)  # let the slow one reach the server first
        (fast_text, fast_s), (slow_text, slow_s) = await asyncio.gather(timed("fast"), slow_task)

    assert (fast_text, slow_text) == ("quick", "late")
    assert fast_s < 0.3
    assert slow_s >= 0.55


def test_stall_then_fault_and_embeddings_faults(srv: FakeLLMServer) -> None:
    srv.script("m", Fault.stall(0.05, then=Fault.status(500)))
    with pytest.raises(openai.InternalServerError):
        _openai(srv, 5)
    srv.script("m", Fault.rate_limit(retry_after=1), Reply("ignored", input_tokens=77))
    with pytest.raises(openai.RateLimitError):
        _embeddings(srv, 5)
    assert _embeddings(srv, 5).usage.prompt_tokens == 77


def test_failing_responder_is_a_500_that_says_why(srv: FakeLLMServer) -> None:
    def broken(_req: object) -> str:
        raise KeyError("oops")

    srv.script("m", broken)
    with pytest.raises(openai.InternalServerError, match="responder raised KeyError"):
        _openai(srv, 5)


def test_stop_cuts_a_stall_short() -> None:
    server = FakeLLMServer().start()
    server.script("m", Fault.stall(30))
    outcome: list[object] = []

    def request() -> None:
        try:
            outcome.append(_openai(server, 10))
        except Exception as exc:
            outcome.append(exc)

    worker = threading.Thread(target=request)
    worker.start()
    deadline = time.monotonic() + 5
    while server.calls() == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    started = time.monotonic()
    server.stop()
    worker.join(timeout=5)

    assert time.monotonic() - started < 3
    assert not worker.is_alive()
    assert len(outcome) == 1


def test_reset_sends_headers_and_half_the_body_then_a_tcp_reset(srv: FakeLLMServer) -> None:
    srv.script("m", Fault.reset())
    body = json.dumps({"model": "m", "messages": HI}).encode()
    head = (
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: fake\r\n"
        b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)
    )
    got = b""
    with socket.create_connection(("127.0.0.1", srv.port), timeout=5) as sock:
        sock.sendall(head + body)
        # A reset, not a clean end of stream: recv raises instead of returning b"".
        with pytest.raises(ConnectionResetError):
            while chunk := sock.recv(65536):
                got += chunk
    headers, _, partial = got.partition(b"\r\n\r\n")
    assert headers.startswith(b"HTTP/1.1 200")
    announced = int(
        next(
            line.split(b":", 1)[1]
            for line in headers.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
    )
    assert 0 < len(partial) < announced
    assert partial.startswith(b'{"id": "chatcmpl-fake-')
    assert srv.calls(model="m") == 1


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (_openai, openai.APIConnectionError),
        (_openai_stream, openai.APIConnectionError),
        (_anthropic, anthropic.APIConnectionError),
        (_anthropic_stream, anthropic.APIConnectionError),
        (_ollama, httpx.ReadError),
        (_ollama_stream, httpx.ReadError),
        (_embeddings, openai.APIConnectionError),
    ],
    ids=lambda c: getattr(c, "__name__", "").strip("_"),
)
def test_reset_is_a_connection_error_in_each_sdk(
    srv: FakeLLMServer, call: Call, error: type[Exception]
) -> None:
    srv.script("m", Fault.reset())
    with pytest.raises(error) as raised:
        call(srv, 5)
    # The SDKs wrap the transport's read error: its text names the reset.
    cause = raised.value if isinstance(raised.value, httpx.ReadError) else raised.value.__cause__
    assert cause is not None and "connection reset" in str(cause).lower()
    assert _openai(srv, 5).choices[0].message.content == "ok"  # the server serves on
