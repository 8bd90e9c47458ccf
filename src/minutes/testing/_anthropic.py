"""The Anthropic Messages wire format: ``POST /v1/messages`` (whole or SSE) and token counting.

The SDK's ``base_url`` is the server root. The error body is ``{"type": "error", "error":
{"type", "message"}}``; the SDK picks its class by status (429 RateLimitError, 503
ServiceUnavailableError, 529 OverloadedError, other 5xx InternalServerError, ...).
Usage follows Anthropic's meaning: ``input_tokens`` excludes cache reads and cache writes.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from minutes.testing._common import (
    ResponderError,
    ServerState,
    Usage,
    admitted,
    flatten_content,
    forced_json_object,
    header_dict,
    read_json_object,
    reset_midway,
    resolve_chat,
    seconds_header,
    simple_messages,
    split_for_stream,
    truncated,
)
from minutes.testing._script import Fault, RecordedRequest, Reply
from minutes.tokens import count_tokens

_ERROR_TYPES: dict[int, str] = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}

# Reply.finish_reason speaks OpenAI; Anthropic's own values pass through unchanged.
_STOP_REASONS = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "content_filter": "refusal",
}


def error_response(
    state: ServerState, code: int, message: str, retry_after: float | None = None
) -> JSONResponse:
    err_type = _ERROR_TYPES.get(code, "api_error" if code >= 500 else "invalid_request_error")
    request_id = state.next_id("req_fake_")
    headers = {"request-id": request_id}
    if retry_after is not None:
        headers["retry-after"] = seconds_header(retry_after)
    body = {
        "type": "error",
        "error": {"type": err_type, "message": message},
        "request_id": request_id,
    }
    return JSONResponse(body, status_code=code, headers=headers)


def _messages(body: dict[str, Any]) -> list[dict[str, str]]:
    out = simple_messages(body.get("messages"))
    system = flatten_content(body.get("system"))
    return [{"role": "system", "content": system}, *out] if system else out


def _forced_tool(body: dict[str, Any]) -> str | None:
    """The tool the request forces (ChatAnthropic.with_structured_output's default method)."""
    choice = body.get("tool_choice")
    tools = body.get("tools") or []
    if not isinstance(choice, dict):
        return None
    name: object = None
    if choice.get("type") == "tool":
        name = choice.get("name")
    elif choice.get("type") == "any" and len(tools) == 1 and isinstance(tools[0], dict):
        name = tools[0].get("name")
    return name if isinstance(name, str) else None


def _usage(u: Usage) -> dict[str, Any]:
    return {
        "input_tokens": u.uncached_input_tokens,
        "output_tokens": u.output_tokens,
        "cache_read_input_tokens": u.cached_tokens,
        "cache_creation_input_tokens": u.cache_creation_tokens,
        "service_tier": "standard",
    }


class _Message:
    """One reply rendered as a Message, whole or as the SSE event sequence."""

    def __init__(self, state: ServerState, req: RecordedRequest, reply: Reply) -> None:
        self.id = state.next_id("msg_fake_")
        self.model = req.model or ""
        self.reply = reply
        self.usage = Usage.of(reply, req)
        tool = _forced_tool(req.body)
        # A tool_use block needs a JSON object as input; other content stays text, the way a
        # model that ignored the tool would answer (the caller then finds no tool call).
        self.tool_input = forced_json_object(reply.content) if tool else None
        self.tool = tool if self.tool_input is not None else None
        self.tool_id = state.next_id("toolu_fake_")
        stop = _STOP_REASONS.get(reply.finish_reason, reply.finish_reason)
        self.stop_reason = "tool_use" if self.tool and stop == "end_turn" else stop

    def _block(self) -> dict[str, Any]:
        if self.tool:
            return {"type": "tool_use", "id": self.tool_id, "name": self.tool, "input": {}}
        return {"type": "text", "text": ""}

    def whole(self) -> dict[str, Any]:
        block = self._block()
        if self.tool:
            block["input"] = self.tool_input
        else:
            block["text"] = self.reply.content
        return {
            "id": self.id,
            "type": "message",
            "role": "assistant",
            "model": self.model,
            "content": [block],
            "stop_reason": self.stop_reason,
            "stop_sequence": None,
            "usage": _usage(self.usage),
        }

    def events(self) -> list[tuple[str, dict[str, Any]]]:
        start_usage = {**_usage(self.usage), "output_tokens": 1}
        head = {**self.whole(), "content": [], "stop_reason": None, "usage": start_usage}
        if self.tool:
            deltas = [
                {"type": "input_json_delta", "partial_json": piece}
                for piece in split_for_stream(json.dumps(self.tool_input))
            ]
        else:
            deltas = [
                {"type": "text_delta", "text": piece}
                for piece in split_for_stream(self.reply.content)
            ]
        return [
            ("message_start", {"type": "message_start", "message": head}),
            (
                "content_block_start",
                {"type": "content_block_start", "index": 0, "content_block": self._block()},
            ),
            ("ping", {"type": "ping"}),
            *(
                ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": d})
                for d in deltas
            ),
            ("content_block_stop", {"type": "content_block_stop", "index": 0}),
            (
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": self.stop_reason, "stop_sequence": None},
                    # Cumulative, as the API sends it now; LangChain reads usage from here.
                    "usage": _usage(self.usage),
                },
            ),
            ("message_stop", {"type": "message_stop"}),
        ]


def _sse(events: list[tuple[str, dict[str, Any]]], *, malformed: bool) -> StreamingResponse:
    async def gen() -> AsyncIterator[str]:
        for name, data in events:
            text = json.dumps(data)
            if malformed:
                yield f"event: {name}\ndata: {truncated(text)}\n\n"
                return
            yield f"event: {name}\ndata: {text}\n\n"

    return StreamingResponse(gen(), media_type="text/event-stream")


def register(app: FastAPI, state: ServerState) -> None:
    @app.post("/v1/messages")
    async def messages(request: Request) -> Response:
        body = await read_json_object(request)
        if body is None or not isinstance(body.get("messages"), list):
            return error_response(state, 400, "messages: field required")
        if not isinstance(body.get("model"), str):
            return error_response(state, 400, "model: field required")
        stream = bool(body.get("stream"))
        req = RecordedRequest(
            api="anthropic",
            path=request.url.path,
            model=body["model"],
            messages=_messages(body),
            body=body,
            headers=header_dict(request),
            stream=stream,
        )
        async with admitted(state) as admit:
            if not admit:
                state.script.log(req)
                return error_response(
                    state,
                    429,
                    "Fake server: too many requests in flight",
                    state.overload_retry_after,
                )
            return await _answer(req, request)

    async def _answer(req: RecordedRequest, request: Request) -> Response:
        try:
            outcome = await resolve_chat(state, req)
        except ResponderError as exc:
            return error_response(state, 500, str(exc))
        if isinstance(outcome, Fault) and outcome.kind == "status":
            return error_response(state, outcome.code, outcome.error_message, outcome.retry_after)
        reset = isinstance(outcome, Fault) and outcome.kind == "reset"
        malformed = isinstance(outcome, Fault) and not reset
        reply = outcome if isinstance(outcome, Reply) else Reply('{"fake": "malformed"}')
        message = _Message(state, req, reply)
        if req.stream:
            if reset:
                events = "".join(
                    f"event: {name}\ndata: {json.dumps(data)}\n\n"
                    for name, data in message.events()
                )
                return reset_midway(state, request, events, "text/event-stream")
            return _sse(message.events(), malformed=malformed)
        text = json.dumps(message.whole())
        if reset:
            return reset_midway(state, request, text, "application/json")
        return Response(truncated(text) if malformed else text, media_type="application/json")

    @app.post("/v1/messages/count_tokens")
    async def count(request: Request) -> Response:
        # Not scripted: ChatAnthropic.get_num_tokens_from_messages calls it to size prompts.
        body = await read_json_object(request)
        if body is None or not isinstance(body.get("messages"), list):
            return error_response(state, 400, "messages: field required")
        req = RecordedRequest(
            api="anthropic-count-tokens",
            path=request.url.path,
            model=body.get("model") if isinstance(body.get("model"), str) else None,
            messages=_messages(body),
            body=body,
            headers=header_dict(request),
        )
        state.script.log(req)
        return JSONResponse({"input_tokens": count_tokens(req.prompt_text)})
