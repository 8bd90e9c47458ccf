"""Scripting (queues, default reply, callables), recorded requests, lifecycle and the CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import openai
import pytest
from pydantic import ValidationError

from minutes.testing import (
    FakeLLMServer,
    Fault,
    RecordedRequest,
    Reply,
    load_script,
    parse_script,
)


def _ask(srv: FakeLLMServer, model: str, text: str = "hi") -> str | None:
    client = openai.OpenAI(base_url=srv.openai_base_url, api_key="k", max_retries=0)
    done = client.chat.completions.create(model=model, messages=[{"role": "user", "content": text}])
    return done.choices[0].message.content


def test_model_queues_then_any_model_queue_then_default(srv: FakeLLMServer) -> None:
    srv.script("a", "a1", "a2")
    srv.script(None, "any1")
    srv.default_reply = lambda req: f"default for {req.model}"

    answers = [_ask(srv, m) for m in ("a", "b", "a", "a", "b")]

    assert answers == ["a1", "any1", "a2", "default for a", "default for b"]
    assert srv.pending() == 0
    assert srv.calls() == 5
    assert srv.calls(model="a") == 3
    assert srv.calls(model="a", api="openai") == 3
    assert srv.calls(api="anthropic") == 0


def test_queues_are_shared_across_apis_by_model_id(srv: FakeLLMServer) -> None:
    srv.script("shared", "first", "second")
    assert _ask(srv, "shared") == "first"
    r = httpx.post(f"{srv.url}/api/chat", json={"model": "shared", "messages": [], "stream": False})
    assert r.json()["message"]["content"] == "second"
    assert [q.api for q in srv.requests] == ["openai", "ollama"]


def test_callable_items_see_the_request(srv: FakeLLMServer) -> None:
    seen: list[RecordedRequest] = []

    def echo(req: RecordedRequest) -> Reply:
        seen.append(req)
        return Reply(content=req.messages[-1]["content"].upper(), output_tokens=1)

    srv.script("m", echo, lambda req: Fault.status(500))
    assert _ask(srv, "m", "shout this") == "SHOUT THIS"
    with pytest.raises(openai.InternalServerError):
        _ask(srv, "m")
    assert seen[0].model == "m"
    assert seen[0].prompt_text == "shout this"


def test_default_reply_is_ok_and_accepts_plain_values(srv: FakeLLMServer) -> None:
    assert _ask(srv, "anything") == "ok"
    srv.default_reply = "fixed"
    assert _ask(srv, "anything") == "fixed"
    srv.default_reply = Fault.status(503)
    with pytest.raises(openai.InternalServerError):
        _ask(srv, "anything")
    srv.reset()
    assert _ask(srv, "anything") == "ok"


def test_recorded_requests(srv: FakeLLMServer) -> None:
    before = time.monotonic()
    _ask(srv, "m", "first")
    _ask(srv, "m", "second")
    first, second = srv.requests

    assert first.api == "openai"
    assert first.path == "/v1/chat/completions"
    assert first.model == "m"
    assert first.messages == [{"role": "user", "content": "first"}]
    assert first.body["messages"][0]["content"] == "first"
    assert first.headers["authorization"] == "Bearer k"
    assert before <= first.received_at <= second.received_at <= time.monotonic()
    # A copy: the caller cannot corrupt the log.
    srv.requests.clear()
    assert len(srv.requests) == 2


def test_reset_clears_queues_and_log(srv: FakeLLMServer) -> None:
    srv.script("m", "queued")
    _ask(srv, "other")
    srv.reset()
    assert srv.requests == []
    assert srv.pending() == 0
    assert _ask(srv, "m") == "ok"


def test_invalid_items_and_values_are_rejected() -> None:
    server = FakeLLMServer()
    with pytest.raises(TypeError):
        server.script("m", 42)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Fault.status(200)
    with pytest.raises(ValueError):
        Fault.stall(-1)
    with pytest.raises(ValueError):
        Reply("x", input_tokens=-1)
    with pytest.raises(RuntimeError):
        _ = server.url  # not started


async def test_async_context_manager_and_restart() -> None:
    server = FakeLLMServer(models=["listed"])
    async with server as srv:
        client = openai.AsyncOpenAI(base_url=srv.openai_base_url, api_key="k", max_retries=0)
        async with client:
            models = [m.id async for m in client.models.list()]
        assert models == ["listed"]
        first_url = srv.url
    with server:  # a stopped server can start again (on a fresh free port)
        assert _ask(server, "m") == "ok"
    assert first_url.startswith("http://127.0.0.1:")
    server.stop()  # idempotent


def test_parse_script_items() -> None:
    script = parse_script(
        {
            "gpt-4o-mini": [
                "plain",
                {"content": '{"a": 1}', "input_tokens": 120, "cached_tokens": 20},
                {"fault": "rate_limit", "retry_after": 2},
                {"fault": "status", "code": 500},
                {"fault": "stall", "seconds": 3},
                {"fault": "malformed"},
            ],
            "*": ["for anyone"],
        }
    )
    assert script["gpt-4o-mini"] == [
        "plain",
        Reply('{"a": 1}', input_tokens=120, cached_tokens=20),
        Fault.rate_limit(retry_after=2),
        Fault.status(500),
        Fault.stall(3),
        Fault.malformed(),
    ]
    assert script[None] == ["for anyone"]


@pytest.mark.parametrize(
    "bad",
    [
        {"m": [{"fault": "explode"}]},
        {"m": [{"fault": "status"}]},
        {"m": [{"fault": "stall"}]},
        {"m": [{"content": "x", "colour": "red"}]},
        {"m": "not a list"},
    ],
)
def test_parse_script_rejects_bad_items(bad: dict[str, object]) -> None:
    with pytest.raises((ValidationError, ValueError)):
        parse_script(bad)


def test_cli_serves_a_script_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    script = tmp_path / "replies.json"
    script.write_text(json.dumps({"m": ["from the file", {"fault": "status", "code": 503}]}))
    assert load_script(script)["m"][0] == "from the file"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "minutes.testing",
            "--port",
            "0",
            "--quiet",
            "--script",
            str(script),
            "--model",
            "llama3.2",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        banner = proc.stdout.readline()
        assert banner.startswith("minutes fake LLM server on http://127.0.0.1:"), banner
        url = banner.split(" on ")[1].strip()
        lines = [proc.stdout.readline() for _ in range(3)]
        assert f"{url}/v1" in lines[0]

        body = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
        first = httpx.post(f"{url}/v1/chat/completions", json=body)
        second = httpx.post(f"{url}/v1/chat/completions", json=body)
        assert first.json()["choices"][0]["message"]["content"] == "from the file"
        assert second.status_code == 503
        tags = httpx.get(f"{url}/api/tags").json()["models"]
        assert [t["name"] for t in tags] == ["llama3.2:latest", "m:latest"]

        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_cli_reports_a_bad_script(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"m": [{"fault": "nope"}]}))
    done = subprocess.run(
        [sys.executable, "-m", "minutes.testing", "--port", "0", "--script", str(bad)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    assert "cannot load script" in done.stderr
