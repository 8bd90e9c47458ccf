"""The OpenAI wire format (also DeepSeek's): chat completions, embeddings, models.

Shapes follow what the openai SDK parses; the error body is ``{"error": {message, type, param,
code}}``, from which the SDK picks its exception class by status (429 -> RateLimitError, >= 500
-> InternalServerError, 401 -> AuthenticationError, ...).
"""

from __future__ import annotations

import base64
import json
import struct
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from minutes.testing._common import (
    ResponderError,
    ServerState,
    Usage,
    admitted,
    embedding_inputs,
    fake_embedding,
    header_dict,
    read_json_object,
    reset_midway,
    resolve_chat,
    resolve_embeddings,
    seconds_header,
    simple_messages,
    split_for_stream,
    truncated,
)
from minutes.testing._script import Fault, RecordedRequest, Reply
from minutes.tokens import count_tokens

_ERROR_TYPES: dict[int, tuple[str, str | None]] = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("permission_error", None),
    404: ("invalid_request_error", "model_not_found"),
    429: ("requests", "rate_limit_exceeded"),
}


def error_response(code: int, message: str, retry_after: float | None = None) -> JSONResponse:
    err_type, err_code = _ERROR_TYPES.get(
        code, ("server_error" if code >= 500 else "invalid_request_error", None)
    )
    headers: dict[str, str] = {}
    if retry_after is not None:
        headers["retry-after"] = seconds_header(retry_after)
        # The openai SDK reads retry-after-ms first (more precise); send both.
        headers["retry-after-ms"] = str(round(retry_after * 1000))
    body = {"error": {"message": message, "type": err_type, "param": None, "code": err_code}}
    return JSONResponse(body, status_code=code, headers=headers)


def _fault_response(fault: Fault) -> JSONResponse:
    return error_response(fault.code, fault.error_message, fault.retry_after)


def _forced_tool(body: dict[str, Any]) -> str | None:
    """The function the request forces (LangChain's with_structured_output(function_calling))."""
    choice = body.get("tool_choice")
    tools = body.get("tools") or []
    if isinstance(choice, dict) and choice.get("type") == "function":
        name = (choice.get("function") or {}).get("name")
        return name if isinstance(name, str) else None
    if choice == "required" and len(tools) == 1 and isinstance(tools[0], dict):
        name = (tools[0].get("function") or {}).get("name")
        return name if isinstance(name, str) else None
    return None


def _usage(u: Usage) -> dict[str, Any]:
    return {
        "prompt_tokens": u.input_tokens,
        "completion_tokens": u.output_tokens,
        "total_tokens": u.input_tokens + u.output_tokens,
        "prompt_tokens_details": {"cached_tokens": u.cached_tokens, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
        # DeepSeek's own fields (langchain-deepseek reads prompt_cache_hit_tokens); the openai
        # SDK keeps unknown fields as extras, so they do no harm to OpenAI clients.
        "prompt_cache_hit_tokens": u.cached_tokens,
        "prompt_cache_miss_tokens": max(0, u.input_tokens - u.cached_tokens),
    }


class _Completion:
    """One reply rendered as a chat completion, whole or as stream chunks."""

    def __init__(self, state: ServerState, req: RecordedRequest, reply: Reply) -> None:
        self.id = state.next_id("chatcmpl-fake-")
        self.created = int(time.time())
        self.model = req.model or ""
        self.reply = reply
        self.usage = Usage.of(reply, req)
        self.tool = _forced_tool(req.body)
        self.tool_call_id = state.next_id("call_fake_")
        finish = reply.finish_reason
        self.finish_reason = "tool_calls" if self.tool and finish == "stop" else finish

    def _envelope(self, obj: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": obj,
            "created": self.created,
            "model": self.model,
            "system_fingerprint": "fp_minutes_fake",
            "service_tier": "default",
        }

    def whole(self) -> dict[str, Any]:
        message: dict[str, Any] = {
            "role": "assistant",
            "content": self.reply.content,
            "refusal": None,
            "annotations": [],
        }
        if self.tool:
            message["content"] = None
            message["tool_calls"] = [
                {
                    "id": self.tool_call_id,
                    "type": "function",
                    "function": {"name": self.tool, "arguments": self.reply.content},
                }
            ]
        choice = {
            "index": 0,
            "message": message,
            "logprobs": None,
            "finish_reason": self.finish_reason,
        }
        return {
            **self._envelope("chat.completion"),
            "choices": [choice],
            "usage": _usage(self.usage),
        }

    def chunks(self, include_usage: bool) -> list[dict[str, Any]]:
        def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            c: dict[str, Any] = {
                **self._envelope("chat.completion.chunk"),
                "choices": [
                    {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
                ],
            }
            if include_usage:
                c["usage"] = None  # as OpenAI does: null on every chunk but the last
            return c

        out = [chunk({"role": "assistant", "content": "", "refusal": None})]
        if self.tool:
            out.append(
                chunk(
                    {
                        "tool_calls": [
                            {
                                "index": 0,
                                "id": self.tool_call_id,
                                "type": "function",
                                "function": {"name": self.tool, "arguments": ""},
                            }
                        ]
                    }
                )
            )
            out += [
                chunk({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]})
                for piece in split_for_stream(self.reply.content)
            ]
        else:
            out += [chunk({"content": piece}) for piece in split_for_stream(self.reply.content)]
        out.append(chunk({}, self.finish_reason))
        if include_usage:
            last = {**self._envelope("chat.completion.chunk"), "choices": []}
            last["usage"] = _usage(self.usage)
            out.append(last)
        return out


def _sse(chunks: list[dict[str, Any]], *, malformed: bool = False) -> StreamingResponse:
    async def events() -> AsyncIterator[str]:
        for c in chunks:
            text = json.dumps(c)
            if malformed:
                yield f"data: {truncated(text)}\n\n"
                return
            yield f"data: {text}\n\n"
        yield "data: [DONE]\n\n"

    return StreamingResponse(events(), media_type="text/event-stream")


def _encode_vector(vector: list[float], encoding_format: Any) -> list[float] | str:
    if encoding_format == "base64":
        # Little-endian float32, what the SDK decodes with array("f") / numpy float32.
        return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")
    return vector


def register(app: FastAPI, state: ServerState) -> None:
    @app.post("/v1/chat/completions")
    async def chat_completions(request: Request) -> Response:
        body = await read_json_object(request)
        if body is None or not isinstance(body.get("messages"), list):
            return error_response(400, "expected a JSON body with 'model' and 'messages'")
        if not isinstance(body.get("model"), str):
            return error_response(400, "you must provide a model parameter")
        stream = bool(body.get("stream"))
        req = RecordedRequest(
            api="openai",
            path=request.url.path,
            model=body["model"],
            messages=simple_messages(body["messages"]),
            body=body,
            headers=header_dict(request),
            stream=stream,
        )
        async with admitted(state) as admit:
            if not admit:
                state.script.log(req)
                return error_response(
                    429, "Fake server: too many requests in flight", state.overload_retry_after
                )
            return await _answer(req, request)

    async def _answer(req: RecordedRequest, request: Request) -> Response:
        try:
            outcome = await resolve_chat(state, req)
        except ResponderError as exc:
            return error_response(500, str(exc))
        if isinstance(outcome, Fault) and outcome.kind == "status":
            return _fault_response(outcome)
        reset = isinstance(outcome, Fault) and outcome.kind == "reset"
        malformed = isinstance(outcome, Fault) and not reset  # the other kind left: malformed
        reply = outcome if isinstance(outcome, Reply) else Reply('{"fake": "malformed"}')
        completion = _Completion(state, req, reply)
        if req.stream:
            include_usage = bool((req.body.get("stream_options") or {}).get("include_usage"))
            chunks = completion.chunks(include_usage)
            if reset:
                events = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks)
                return reset_midway(state, request, events, "text/event-stream")
            return _sse(chunks, malformed=malformed)
        text = json.dumps(completion.whole())
        if reset:
            return reset_midway(state, request, text, "application/json")
        return Response(truncated(text) if malformed else text, media_type="application/json")

    @app.post("/v1/embeddings")
    async def embeddings(request: Request) -> Response:
        body = await read_json_object(request)
        if body is None or "input" not in body or not isinstance(body.get("model"), str):
            return error_response(400, "expected a JSON body with 'model' and 'input'")
        inputs = embedding_inputs(body["input"])
        req = RecordedRequest(
            api="openai-embeddings",
            path=request.url.path,
            model=body["model"],
            messages=[],
            body=body,
            headers=header_dict(request),
            inputs=inputs,
        )
        try:
            outcome = await resolve_embeddings(state, req)
        except ResponderError as exc:
            return error_response(500, str(exc))
        if isinstance(outcome, Fault) and outcome.kind == "status":
            return _fault_response(outcome)
        dim = body.get("dimensions")
        dim = dim if isinstance(dim, int) and dim > 0 else state.embedding_dim
        fmt = body.get("encoding_format")
        prompt_tokens = sum(count_tokens(t) for t in inputs)
        if isinstance(outcome, Reply) and outcome.input_tokens is not None:
            prompt_tokens = outcome.input_tokens
        payload = {
            "object": "list",
            "data": [
                {
                    "object": "embedding",
                    "index": i,
                    "embedding": _encode_vector(fake_embedding(text, dim), fmt),
                }
                for i, text in enumerate(inputs)
            ],
            "model": req.model,
            "usage": {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens},
        }
        text = json.dumps(payload)
        if isinstance(outcome, Fault) and outcome.kind == "reset":
            return reset_midway(state, request, text, "application/json")
        if isinstance(outcome, Fault):  # malformed
            text = truncated(text)
        return Response(text, media_type="application/json")

    @app.get("/v1/models")
    async def list_models() -> dict[str, Any]:
        return {
            "object": "list",
            "data": [
                {"id": m, "object": "model", "created": 0, "owned_by": "minutes-fake"}
                for m in state.known_models()
            ],
        }
