"""The Ollama wire format: ``/api/chat`` (NDJSON stream by default), ``/api/embed``, tags, version.

Errors are ``{"error": "message"}`` with the status; the ollama client raises
``ollama.ResponseError`` carrying ``.status_code`` (it does not expose response headers).
ChatOllama always sends ``"stream": true``; ``ollama.Client.chat`` sends ``"stream": false``
unless asked; the server's own default, when the field is missing, is to stream.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse

from minutes.testing._common import (
    ResponderError,
    ServerState,
    Usage,
    fake_embedding,
    header_dict,
    now_rfc3339,
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

# Plausible nanosecond timings derived from the token counts, so they are deterministic.
_LOAD_NS = 1_000_000
_PROMPT_NS_PER_TOKEN = 100_000
_EVAL_NS_PER_TOKEN = 1_000_000

_VERSION = "0.12.6"


def error_response(code: int, message: str, retry_after: float | None = None) -> JSONResponse:
    headers = {"retry-after": seconds_header(retry_after)} if retry_after is not None else {}
    return JSONResponse({"error": message}, status_code=code, headers=headers)


def _stats(u: Usage) -> dict[str, Any]:
    prompt_ns = u.input_tokens * _PROMPT_NS_PER_TOKEN
    eval_ns = u.output_tokens * _EVAL_NS_PER_TOKEN
    return {
        "total_duration": _LOAD_NS + prompt_ns + eval_ns,
        "load_duration": _LOAD_NS,
        "prompt_eval_count": u.input_tokens,
        "prompt_eval_duration": prompt_ns,
        "eval_count": u.output_tokens,
        "eval_duration": eval_ns,
    }


def _chat_parts(req: RecordedRequest, reply: Reply) -> list[dict[str, Any]]:
    """The stream's objects; the last one (done) alone is the non-streaming answer's shape."""
    model = req.model or ""
    pieces = [
        {
            "model": model,
            "created_at": now_rfc3339(),
            "message": {"role": "assistant", "content": piece},
            "done": False,
        }
        for piece in split_for_stream(reply.content)
    ]
    done = {
        "model": model,
        "created_at": now_rfc3339(),
        "message": {"role": "assistant", "content": ""},
        "done": True,
        "done_reason": reply.finish_reason,
        **_stats(Usage.of(reply, req)),
    }
    return [*pieces, done]


def _ndjson(parts: list[dict[str, Any]], *, malformed: bool) -> StreamingResponse:
    async def lines() -> AsyncIterator[str]:
        for part in parts:
            text = json.dumps(part)
            if malformed:
                yield truncated(text) + "\n"
                return
            yield text + "\n"

    return StreamingResponse(lines(), media_type="application/x-ndjson")


def _model_entry(name: str) -> dict[str, Any]:
    full = name if ":" in name else f"{name}:latest"
    return {
        "name": full,
        "model": full,
        "modified_at": "2025-01-01T00:00:00Z",
        "size": 0,
        "digest": "0" * 64,
        "details": {
            "parent_model": "",
            "format": "gguf",
            "family": "fake",
            "families": ["fake"],
            "parameter_size": "0B",
            "quantization_level": "Q4_0",
        },
    }


def register(app: FastAPI, state: ServerState) -> None:
    @app.post("/api/chat")
    async def chat(request: Request) -> Response:
        body = await read_json_object(request)
        if body is None or not isinstance(body.get("model"), str) or not body["model"]:
            return error_response(400, "model is required")
        stream = body.get("stream", True) is not False
        req = RecordedRequest(
            api="ollama",
            path=request.url.path,
            model=body["model"],
            messages=simple_messages(body.get("messages") or []),
            body=body,
            headers=header_dict(request),
            stream=stream,
        )
        try:
            outcome = await resolve_chat(state, req)
        except ResponderError as exc:
            return error_response(500, str(exc))
        if isinstance(outcome, Fault) and outcome.kind == "status":
            return error_response(outcome.code, outcome.error_message, outcome.retry_after)
        reset = isinstance(outcome, Fault) and outcome.kind == "reset"
        malformed = isinstance(outcome, Fault) and not reset
        reply = outcome if isinstance(outcome, Reply) else Reply('{"fake": "malformed"}')
        parts = _chat_parts(req, reply)
        if stream:
            if reset:
                lines = "".join(json.dumps(part) + "\n" for part in parts)
                return reset_midway(state, request, lines, "application/x-ndjson")
            return _ndjson(parts, malformed=malformed)
        whole = {**parts[-1], "message": {"role": "assistant", "content": reply.content}}
        text = json.dumps(whole)
        if reset:
            return reset_midway(state, request, text, "application/json")
        return Response(truncated(text) if malformed else text, media_type="application/json")

    async def _embed(request: Request, *, legacy: bool) -> Response:
        body = await read_json_object(request)
        if body is None or not isinstance(body.get("model"), str):
            return error_response(400, "model is required")
        raw = body.get("prompt" if legacy else "input", "")
        inputs = [raw] if isinstance(raw, str) else [str(x) for x in raw or []]
        req = RecordedRequest(
            api="ollama-embeddings",
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
            return error_response(outcome.code, outcome.error_message, outcome.retry_after)
        dim = body.get("dimensions")
        dim = dim if isinstance(dim, int) and dim > 0 else state.embedding_dim
        vectors = [fake_embedding(text, dim) for text in inputs]
        if legacy:
            payload: dict[str, Any] = {"embedding": vectors[0] if vectors else []}
        else:
            tokens = sum(count_tokens(t) for t in inputs)
            if isinstance(outcome, Reply) and outcome.input_tokens is not None:
                tokens = outcome.input_tokens
            payload = {
                "model": req.model,
                "embeddings": vectors,
                "total_duration": _LOAD_NS + tokens * _PROMPT_NS_PER_TOKEN,
                "load_duration": _LOAD_NS,
                "prompt_eval_count": tokens,
            }
        text = json.dumps(payload)
        if isinstance(outcome, Fault) and outcome.kind == "reset":
            return reset_midway(state, request, text, "application/json")
        if isinstance(outcome, Fault):  # malformed
            text = truncated(text)
        return Response(text, media_type="application/json")

    @app.post("/api/embed")
    async def embed(request: Request) -> Response:
        return await _embed(request, legacy=False)

    @app.post("/api/embeddings")
    async def embeddings_legacy(request: Request) -> Response:
        return await _embed(request, legacy=True)

    @app.get("/api/tags")
    async def tags() -> dict[str, Any]:
        return {"models": [_model_entry(m) for m in state.known_models()]}

    @app.get("/api/version")
    async def version() -> dict[str, str]:
        return {"version": _VERSION}

    @app.get("/")
    async def root() -> PlainTextResponse:
        # What a real Ollama answers at its root; some clients probe it as a health check.
        return PlainTextResponse("Ollama is running")
